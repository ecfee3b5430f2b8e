"""rnn-parity: a NumPy reference RNN and an equivalent torch.nn.RNN, cross-checked."""
__version__ = "0.1.0"
