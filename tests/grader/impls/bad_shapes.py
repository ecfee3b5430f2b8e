"""Stores Wxh transposed (input_size, hidden_size)."""
import numpy as np


class RNN:
    def __init__(self, input_size, output_size, hidden_size):
        self.Wxh = np.zeros((input_size, hidden_size))
        self.Whh = np.zeros((hidden_size, hidden_size))
        self.Why = np.zeros((output_size, hidden_size))
        self.bh = np.zeros((hidden_size, 1))
        self.by = np.zeros((output_size, 1))

    def forward(self, inputs):
        return None, None

    def backprop(self, d_y, learn_rate):
        pass
