"""The error type of every user mistake: the CLI prints it as one line, never a traceback."""


class RNNParityError(ValueError):
    """A user mistake (bad input, bad file, bad argument) with a one-line message."""
