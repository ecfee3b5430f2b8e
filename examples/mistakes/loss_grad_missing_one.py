"""Mistake: dL/dy of softmax cross-entropy taken as p, forgetting the -1 at the target class.
Class protocol, loss(Y) + backward() form, many-to-one."""
import numpy as np


class Classifier:
    def __init__(self, input_size, output_size, hidden_size):
        rng = np.random.default_rng(2)
        self.Wxh = rng.normal(0, 0.01, (hidden_size, input_size))
        self.Whh = rng.normal(0, 0.01, (hidden_size, hidden_size))
        self.Why = rng.normal(0, 0.01, (output_size, hidden_size))
        self.bh, self.by = np.zeros((hidden_size, 1)), np.zeros((output_size, 1))

    def forward(self, inputs):
        self.inputs, self.hs = inputs, [np.zeros_like(self.bh)]
        for x in inputs:
            self.hs.append(np.tanh(self.Wxh @ x + self.Whh @ self.hs[-1] + self.bh))
        self.y = self.Why @ self.hs[-1] + self.by
        return self.y, self.hs[-1]

    def loss(self, Y):
        e = np.exp(self.y - self.y.max())
        self.p = e / e.sum()
        self.target = int(np.argmax(Y))
        return float(-np.log(self.p[self.target, 0]))

    def backward(self):
        dy = self.p.copy()                      # the mistake: dy[self.target] -= 1 is missing
        self.dWhy, self.dby = dy @ self.hs[-1].T, dy
        self.dWxh, self.dWhh, self.dbh = np.zeros_like(self.Wxh), np.zeros_like(self.Whh), np.zeros_like(self.bh)
        dh = self.Why.T @ dy
        for t in reversed(range(len(self.inputs))):
            dz = (1 - self.hs[t + 1] ** 2) * dh
            self.dbh += dz
            self.dWxh += dz @ self.inputs[t].T
            self.dWhh += dz @ self.hs[t].T
            dh = self.Whh.T @ dz
