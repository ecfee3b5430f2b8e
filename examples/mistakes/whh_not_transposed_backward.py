"""Mistake: the recurrent weight is not transposed when the gradient goes back to h_{t-1}.
Class protocol, backprop(d_y, learn_rate) form, many-to-one, karpathy names."""
import numpy as np


class RNN:
    def __init__(self, input_size, output_size, hidden_size=16):
        rng = np.random.default_rng(0)
        self.Wxh = rng.normal(0, 0.01, (hidden_size, input_size))
        self.Whh = rng.normal(0, 0.01, (hidden_size, hidden_size))
        self.Why = rng.normal(0, 0.01, (output_size, hidden_size))
        self.bh = np.zeros((hidden_size, 1))
        self.by = np.zeros((output_size, 1))

    def forward(self, inputs):
        h = np.zeros((self.Whh.shape[0], 1))
        self.inputs, self.hs = inputs, [h]
        for x in inputs:
            h = np.tanh(self.Wxh @ x + self.Whh @ h + self.bh)
            self.hs.append(h)
        return self.Why @ h + self.by, h

    def backprop(self, d_y, learn_rate=2e-2):
        n = len(self.inputs)
        dWhy, dby = d_y @ self.hs[n].T, d_y
        dWxh, dWhh, dbh = np.zeros_like(self.Wxh), np.zeros_like(self.Whh), np.zeros_like(self.bh)
        dh = self.Why.T @ d_y
        for t in reversed(range(n)):
            dz = (1 - self.hs[t + 1] ** 2) * dh
            dbh += dz
            dWhh += dz @ self.hs[t].T
            dWxh += dz @ self.inputs[t].T
            dh = self.Whh @ dz          # the mistake: should be self.Whh.T @ dz
        grads = [np.clip(g, -1, 1) for g in (dWxh, dWhh, dWhy, dbh, dby)]
        self.Wxh -= learn_rate * grads[0]
        self.Whh -= learn_rate * grads[1]
        self.Why -= learn_rate * grads[2]
        self.bh -= learn_rate * grads[3]
        self.by -= learn_rate * grads[4]
