"""Mistake: dWhy is overwritten at every step instead of summed over the steps.
Class protocol, backprop(d_ys, learn_rate) form, many-to-many (forward returns per-step logits)."""
import numpy as np


class ManyToMany:
    def __init__(self, input_size, output_size, hidden_size):
        rng = np.random.default_rng(11)
        self.Wxh = rng.normal(0, 0.05, (hidden_size, input_size))
        self.Whh = rng.normal(0, 0.05, (hidden_size, hidden_size))
        self.Why = rng.normal(0, 0.05, (output_size, hidden_size))
        self.bh, self.by = np.zeros((hidden_size, 1)), np.zeros((output_size, 1))

    def forward(self, inputs):
        self.xs, self.hs = inputs, [np.zeros_like(self.bh)]
        ys = []
        for x in inputs:
            self.hs.append(np.tanh(self.Wxh @ x + self.Whh @ self.hs[-1] + self.bh))
            ys.append(self.Why @ self.hs[-1] + self.by)
        return ys

    def backprop(self, d_ys, learn_rate=0.01):
        dWxh, dWhh, dWhy = np.zeros_like(self.Wxh), np.zeros_like(self.Whh), np.zeros_like(self.Why)
        dbh, dby = np.zeros_like(self.bh), np.zeros_like(self.by)
        dh_next = np.zeros_like(self.bh)
        for t in reversed(range(len(self.xs))):
            dWhy = d_ys[t] @ self.hs[t + 1].T          # the mistake: dWhy += ...
            dby += d_ys[t]
            dz = (1 - self.hs[t + 1] ** 2) * (self.Why.T @ d_ys[t] + dh_next)
            dWxh += dz @ self.xs[t].T
            dWhh += dz @ self.hs[t].T
            dbh += dz
            dh_next = self.Whh.T @ dz
        for d in (dWxh, dWhh, dWhy, dbh, dby):
            np.clip(d, -1, 1, out=d)
        self.Wxh -= learn_rate * dWxh
        self.Whh -= learn_rate * dWhh
        self.Why -= learn_rate * dWhy
        self.bh -= learn_rate * dbh
        self.by -= learn_rate * dby
