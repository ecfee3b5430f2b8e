"""Raises inside backprop."""
import numpy as np


class RNN:
    def __init__(self, input_size, output_size, hidden_size):
        self.Wxh = np.zeros((hidden_size, input_size))
        self.Whh = np.zeros((hidden_size, hidden_size))
        self.Why = np.zeros((output_size, hidden_size))
        self.bh = np.zeros((hidden_size, 1))
        self.by = np.zeros((output_size, 1))

    def forward(self, inputs):
        h = np.zeros((self.Whh.shape[0], 1))
        for x in inputs:
            h = np.tanh(self.Wxh @ x + self.Whh @ h + self.bh)
        return self.Why @ h + self.by, h

    def backprop(self, d_y, learn_rate):
        raise RuntimeError("backprop is not written yet")
