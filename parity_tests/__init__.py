"""The parity suite: the NumPy reference against torch.nn.RNN, configuration by configuration."""
