"""The parity suite: the NumPy reference against torch.nn.RNN, nn.LSTM and nn.GRU, configuration by configuration."""
