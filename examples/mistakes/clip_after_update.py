"""Mistake: the gradients are clipped after the weights were updated with them.
Class protocol, backprop(d_y, learn_rate) form, many-to-one, karpathy names."""
import numpy as np


class RNN:
    def __init__(self, input_size, output_size, hidden_size=64):
        rng = np.random.default_rng(10)
        self.Wxh = rng.normal(0, 0.01, (hidden_size, input_size))
        self.Whh = rng.normal(0, 0.01, (hidden_size, hidden_size))
        self.Why = rng.normal(0, 0.01, (output_size, hidden_size))
        self.bh = np.zeros((hidden_size, 1))
        self.by = np.zeros((output_size, 1))

    def forward(self, inputs):
        self.xs, self.hs = inputs, [np.zeros_like(self.bh)]
        for x in inputs:
            self.hs.append(np.tanh(self.Wxh @ x + self.Whh @ self.hs[-1] + self.bh))
        return self.Why @ self.hs[-1] + self.by, self.hs[-1]

    def backprop(self, d_y, learn_rate=2e-2):
        grads = {"Why": d_y @ self.hs[-1].T, "by": d_y.copy()}
        grads.update({k: np.zeros_like(getattr(self, k)) for k in ("Wxh", "Whh", "bh")})
        dh = self.Why.T @ d_y
        for t in reversed(range(len(self.xs))):
            dz = (1 - self.hs[t + 1] ** 2) * dh
            grads["Wxh"] += dz @ self.xs[t].T
            grads["Whh"] += dz @ self.hs[t].T
            grads["bh"] += dz
            dh = self.Whh.T @ dz
        for name, g in grads.items():
            setattr(self, name, getattr(self, name) - learn_rate * g)
        for g in grads.values():                 # the mistake: clipping must come before the update
            np.clip(g, -1, 1, out=g)
