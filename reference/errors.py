"""The error type of every user mistake: the CLI prints it as one line, never a traceback.

It lives at the bottom of the import stack (datasets <- reference <- torch_impl <- rnn_parity) so that every
layer can raise it; rnn_parity.errors re-exports it.
"""


class RNNParityError(ValueError):
    """A user mistake (bad input, bad file, bad argument) with a one-line message."""
