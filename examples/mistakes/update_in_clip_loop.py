"""Mistake: the weight update is indented into the clipping loop, so it runs once per gradient.
Class protocol, backprop(d_y, learn_rate) form, many-to-one, karpathy names."""
import numpy as np


class RNN:
    def __init__(self, input_size, output_size, hidden_size=64):
        rng = np.random.default_rng(9)
        self.Whh = rng.normal(0, 1e-3, (hidden_size, hidden_size))
        self.Wxh = rng.normal(0, 1e-3, (hidden_size, input_size))
        self.Why = rng.normal(0, 1e-3, (output_size, hidden_size))
        self.bh = np.zeros((hidden_size, 1))
        self.by = np.zeros((output_size, 1))

    def forward(self, inputs):
        h = np.zeros((self.Whh.shape[0], 1))
        self.last_inputs, self.last_hs = inputs, {0: h}
        for i, x in enumerate(inputs):
            h = np.tanh(self.Wxh @ x + self.Whh @ h + self.bh)
            self.last_hs[i + 1] = h
        return self.Why @ h + self.by, h

    def backprop(self, d_y, learn_rate=2e-2):
        n = len(self.last_inputs)
        d_Why, d_by = d_y @ self.last_hs[n].T, d_y.copy()
        d_Whh, d_Wxh, d_bh = np.zeros(self.Whh.shape), np.zeros(self.Wxh.shape), np.zeros(self.bh.shape)
        d_h = self.Why.T @ d_y
        for t in reversed(range(n)):
            temp = (1 - self.last_hs[t + 1] ** 2) * d_h
            d_bh += temp
            d_Whh += temp @ self.last_hs[t].T
            d_Wxh += temp @ self.last_inputs[t].T
            d_h = self.Whh.T @ temp
        for d in [d_Wxh, d_Whh, d_Why, d_bh, d_by]:
            np.clip(d, -1, 1, out=d)
            self.Whh -= learn_rate * d_Whh       # the mistake: these five lines belong after the loop
            self.Wxh -= learn_rate * d_Wxh
            self.Why -= learn_rate * d_Why
            self.bh -= learn_rate * d_bh
            self.by -= learn_rate * d_by
