"""A class typed in as a tutorial presents it, one method at a time: each later `class TinyRNN:` adds a method
and leaves the earlier ones out. Run as written, Python would keep only the last piece."""
import numpy as np


class TinyRNN:
    def __init__(self, input_size, output_size, hidden_size=8):
        rng = np.random.default_rng(2)
        self.Wxh = rng.standard_normal((hidden_size, input_size)) / 100
        self.Whh = rng.standard_normal((hidden_size, hidden_size)) / 100
        self.Why = rng.standard_normal((output_size, hidden_size)) / 100
        self.bh = np.zeros((hidden_size, 1))
        self.by = np.zeros((output_size, 1))


class TinyRNN:  # ... (the constructor above)
    def forward(self, inputs):
        h = np.zeros((self.Whh.shape[0], 1))
        self.seen, self.states = list(inputs), [h]
        for x in self.seen:
            h = np.tanh(self.Wxh @ x + self.Whh @ h + self.bh)
            self.states.append(h)
        return self.Why @ h + self.by, h


class TinyRNN:  # ... (the constructor and forward above)
    def backprop(self, d_y, learn_rate=0.02):
        dWhy, dby = d_y @ self.states[-1].T, d_y
        dWxh, dWhh, dbh = np.zeros_like(self.Wxh), np.zeros_like(self.Whh), np.zeros_like(self.bh)
        d_h = self.Why.T @ d_y
        for t in reversed(range(len(self.seen))):
            d_pre = d_h * (1 - self.states[t + 1] ** 2)
            dWxh += d_pre @ self.seen[t].T
            dWhh += d_pre @ self.states[t].T
            dbh += d_pre
            d_h = self.Whh.T @ d_pre
        for g in (dWxh, dWhh, dWhy, dbh, dby):
            np.clip(g, -1, 1, out=g)
        self.Wxh -= learn_rate * dWxh
        self.Whh -= learn_rate * dWhh
        self.Why -= learn_rate * dWhy
        self.bh -= learn_rate * dbh
        self.by -= learn_rate * dby
