"""Mistake: the hidden-bias gradient is assigned at every step instead of summed over time.
Class protocol, backprop(d_y, learn_rate) form, many-to-one, karpathy names with (n,) biases."""
import numpy as np


class TinyRNN:
    def __init__(self, input_size, output_size, hidden_size=8):
        rng = np.random.default_rng(5)
        self.Wxh = rng.normal(0, 0.01, (hidden_size, input_size))
        self.Whh = rng.normal(0, 0.01, (hidden_size, hidden_size))
        self.Why = rng.normal(0, 0.01, (output_size, hidden_size))
        self.bh = np.zeros(hidden_size)
        self.by = np.zeros(output_size)

    def forward(self, inputs):
        self.xs = [x.ravel() for x in inputs]
        self.hs = [np.zeros(self.Whh.shape[0])]
        for x in self.xs:
            self.hs.append(np.tanh(self.Wxh @ x + self.Whh @ self.hs[-1] + self.bh))
        return (self.Why @ self.hs[-1] + self.by).reshape(-1, 1), self.hs[-1].reshape(-1, 1)

    def backprop(self, d_y, learn_rate=0.02):
        d_y = d_y.ravel()
        dWhy, dby = np.outer(d_y, self.hs[-1]), d_y.copy()
        dWxh, dWhh, dbh = np.zeros_like(self.Wxh), np.zeros_like(self.Whh), np.zeros_like(self.bh)
        dh = self.Why.T @ d_y
        for t in range(len(self.xs) - 1, -1, -1):
            dz = dh * (1 - self.hs[t + 1] ** 2)
            dWxh += np.outer(dz, self.xs[t])
            dWhh += np.outer(dz, self.hs[t])
            dbh = dz                                  # the mistake: dbh += dz
            dh = self.Whh.T @ dz
        for name, g in (("Wxh", dWxh), ("Whh", dWhh), ("Why", dWhy), ("bh", dbh), ("by", dby)):
            setattr(self, name, getattr(self, name) - learn_rate * np.clip(g, -1, 1))
