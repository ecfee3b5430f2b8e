"""Two candidate classes: the grader asks for --class; Good is correct, Bad's forward is wrong."""
import numpy as np


class Good:
    def __init__(self, input_size, output_size, hidden_size):
        self.Wxh = np.zeros((hidden_size, input_size))
        self.Whh = np.zeros((hidden_size, hidden_size))
        self.Why = np.zeros((output_size, hidden_size))
        self.bh = np.zeros((hidden_size, 1))
        self.by = np.zeros((output_size, 1))

    def forward(self, inputs):
        self.xs, self.hs = inputs, [np.zeros_like(self.bh)]
        for x in inputs:
            self.hs.append(np.tanh(self.Wxh @ x + self.Whh @ self.hs[-1] + self.bh))
        return self.Why @ self.hs[-1] + self.by, self.hs[-1]

    def backprop(self, d_y, learn_rate):
        g = {"Why": d_y @ self.hs[-1].T, "by": d_y}
        g.update({k: np.zeros_like(getattr(self, k)) for k in ("Wxh", "Whh", "bh")})
        dh = self.Why.T @ d_y
        for t in reversed(range(len(self.xs))):
            dz = (1 - self.hs[t + 1] ** 2) * dh
            g["Wxh"] += dz @ self.xs[t].T
            g["Whh"] += dz @ self.hs[t].T
            g["bh"] += dz
            dh = self.Whh.T @ dz
        for k, v in g.items():
            setattr(self, k, getattr(self, k) - learn_rate * np.clip(v, -1, 1))


class Bad(Good):
    def forward(self, inputs):
        y, h = super().forward(inputs)
        return 2 * y, h
