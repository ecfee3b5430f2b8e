"""Mistake: the update adds the gradient (gradient ascent).
Class protocol, backprop(d_y, learn_rate) form, many-to-one, U V W names."""
import numpy as np


class RNN:
    def __init__(self, input_size, output_size, hidden_size):
        rng = np.random.default_rng(4)
        self.U = rng.normal(0, 0.01, (hidden_size, input_size))
        self.V = rng.normal(0, 0.01, (hidden_size, hidden_size))
        self.W = rng.normal(0, 0.01, (output_size, hidden_size))
        self.bh, self.by = np.zeros((hidden_size, 1)), np.zeros((output_size, 1))

    def forward(self, inputs):
        self.xs, self.hs = inputs, [np.zeros_like(self.bh)]
        for x in inputs:
            self.hs.append(np.tanh(self.U @ x + self.V @ self.hs[-1] + self.bh))
        return self.W @ self.hs[-1] + self.by, self.hs[-1]

    def backprop(self, d_y, learn_rate=0.05):
        g = {"W": d_y @ self.hs[-1].T, "by": d_y.copy(), "U": 0.0, "V": 0.0, "bh": 0.0}
        dh = self.W.T @ d_y
        for t in reversed(range(len(self.xs))):
            dz = (1 - self.hs[t + 1] ** 2) * dh
            g["U"] = g["U"] + dz @ self.xs[t].T
            g["V"] = g["V"] + dz @ self.hs[t].T
            g["bh"] = g["bh"] + dz
            dh = self.V.T @ dz
        for name, d in g.items():
            value = getattr(self, name)
            value += learn_rate * np.clip(d, -1, 1)     # the mistake: -=
