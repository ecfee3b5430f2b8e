"""Mistake: the gradient buffers are created once and never zeroed, so every backward() adds to the last.
Class protocol, loss(Y) + backward() form, many-to-many, karpathy names."""
import numpy as np


class RNN:
    def __init__(self, input_size, output_size, hidden_size):
        rng = np.random.default_rng(12)
        self.Wxh = rng.normal(0, 0.01, (hidden_size, input_size))
        self.Whh = rng.normal(0, 0.01, (hidden_size, hidden_size))
        self.Why = rng.normal(0, 0.01, (output_size, hidden_size))
        self.bh, self.by = np.zeros((hidden_size, 1)), np.zeros((output_size, 1))
        # the mistake: these buffers belong at the top of backward()
        self.dWxh, self.dWhh, self.dWhy = np.zeros_like(self.Wxh), np.zeros_like(self.Whh), np.zeros_like(self.Why)
        self.dbh, self.dby = np.zeros_like(self.bh), np.zeros_like(self.by)

    def forward(self, inputs):
        self.xs, self.hs, self.ys = inputs, [np.zeros_like(self.bh)], []
        for x in inputs:
            self.hs.append(np.tanh(self.Wxh @ x + self.Whh @ self.hs[-1] + self.bh))
            self.ys.append(self.Why @ self.hs[-1] + self.by)
        return self.ys

    def loss(self, Y):
        self.targets = [int(np.argmax(y)) for y in Y]
        total = 0.0
        self.dys = []
        for y, k in zip(self.ys, self.targets):
            p = np.exp(y - y.max())
            p /= p.sum()
            total -= np.log(p[k, 0])
            p[k] -= 1
            self.dys.append(p)
        return total

    def backward(self):
        dh_next = np.zeros_like(self.bh)
        for t in reversed(range(len(self.xs))):
            self.dWhy += self.dys[t] @ self.hs[t + 1].T
            self.dby += self.dys[t]
            dz = (1 - self.hs[t + 1] ** 2) * (self.Why.T @ self.dys[t] + dh_next)
            self.dWxh += dz @ self.xs[t].T
            self.dWhh += dz @ self.hs[t].T
            self.dbh += dz
            dh_next = self.Whh.T @ dz
