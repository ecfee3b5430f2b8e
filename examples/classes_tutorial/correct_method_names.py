"""The sentiment-tutorial class with the steps named as some ports name them: forward_propagation(inputs) and
backward_propagation(d_y, learn_rate), updating in place."""
import numpy as np


class PhraseRNN:
    def __init__(self, input_size, output_size, hidden_size=12):
        rng = np.random.default_rng(3)
        self.Wxh = rng.standard_normal((hidden_size, input_size)) / 50
        self.Whh = rng.standard_normal((hidden_size, hidden_size)) / 50
        self.Why = rng.standard_normal((output_size, hidden_size)) / 50
        self.bh = np.zeros((hidden_size, 1))
        self.by = np.zeros((output_size, 1))

    def forward_propagation(self, inputs):
        self.xs, self.hs = list(inputs), [np.zeros((self.Whh.shape[0], 1))]
        for x in self.xs:
            self.hs.append(np.tanh(self.Wxh @ x + self.Whh @ self.hs[-1] + self.bh))
        return self.Why @ self.hs[-1] + self.by, self.hs[-1]

    def backward_propagation(self, d_y, learn_rate=0.02):
        grads = [np.zeros_like(self.Wxh), np.zeros_like(self.Whh), d_y @ self.hs[-1].T,
                 np.zeros_like(self.bh), d_y.copy()]
        d_h = self.Why.T @ d_y
        for t in range(len(self.xs), 0, -1):
            d_pre = (1 - self.hs[t] ** 2) * d_h
            grads[0] += d_pre @ self.xs[t - 1].T
            grads[1] += d_pre @ self.hs[t - 1].T
            grads[3] += d_pre
            d_h = self.Whh.T @ d_pre
        for w, g in zip((self.Wxh, self.Whh, self.Why, self.bh, self.by), grads):
            w -= learn_rate * np.clip(g, -1, 1)
