"""The class half of a two-file tutorial port: the network lives here, the training script imports it."""
import numpy as np


class SentimentRNN:
    def __init__(self, input_size, output_size, hidden_size=16):
        rng = np.random.default_rng(1)
        self.Wxh = rng.standard_normal((hidden_size, input_size)) * 0.01
        self.Whh = rng.standard_normal((hidden_size, hidden_size)) * 0.01
        self.Why = rng.standard_normal((output_size, hidden_size)) * 0.01
        self.bh = np.zeros((hidden_size, 1))
        self.by = np.zeros((output_size, 1))

    def forward(self, inputs):
        self.inputs, self.hs = inputs, [np.zeros((self.Whh.shape[0], 1))]
        for x in inputs:
            self.hs.append(np.tanh(self.Wxh @ x + self.Whh @ self.hs[-1] + self.bh))
        return self.Why @ self.hs[-1] + self.by, self.hs[-1]

    def backprop(self, d_y, learn_rate=0.02):
        g = {"Why": d_y @ self.hs[-1].T, "by": d_y.copy(), "Whh": np.zeros_like(self.Whh),
             "Wxh": np.zeros_like(self.Wxh), "bh": np.zeros_like(self.bh)}
        d_h = self.Why.T @ d_y
        for t in range(len(self.inputs) - 1, -1, -1):
            d_z = (1 - self.hs[t + 1] ** 2) * d_h
            g["bh"] += d_z
            g["Whh"] += d_z @ self.hs[t].T
            g["Wxh"] += d_z @ self.inputs[t].T
            d_h = self.Whh.T @ d_z
        for name, grad in g.items():
            np.clip(grad, -1, 1, out=grad)
            setattr(self, name, getattr(self, name) - learn_rate * grad)
