"""Mistake: the one-hot input is rebuilt from the position t instead of the token at t.
Class protocol, loss(Y) + backward() form, many-to-many, deeplearning.ai names."""
import numpy as np


def one_hot_encode(number, n_x):
    v = np.zeros((n_x, 1))
    v[number] = 1
    return v


class CharRNN:
    def __init__(self, n_x, n_y, n_a):
        rng = np.random.default_rng(7)
        self.Wax, self.Waa = rng.normal(0, 0.01, (n_a, n_x)), rng.normal(0, 0.01, (n_a, n_a))
        self.Wya = rng.normal(0, 0.01, (n_y, n_a))
        self.ba, self.by = np.zeros((n_a, 1)), np.zeros((n_y, 1))

    def forward(self, inputs):
        n_x = self.Wax.shape[1]
        tokens = [int(np.argmax(v)) for v in inputs]
        self.x, self.a, self.y_hat = {}, {-1: np.zeros((self.Waa.shape[0], 1))}, {}
        for t in range(len(tokens)):
            self.x[t] = one_hot_encode(t, n_x)         # the mistake: one_hot_encode(tokens[t], n_x)
            self.a[t] = np.tanh(self.Wax @ self.x[t] + self.Waa @ self.a[t - 1] + self.ba)
            z = self.Wya @ self.a[t] + self.by
            self.y_hat[t] = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        return [self.y_hat[t] for t in range(len(tokens))]

    def loss(self, Y):
        self.Y = [int(np.argmax(y)) for y in Y]
        return -sum(np.log(self.y_hat[t][k, 0]) for t, k in enumerate(self.Y))

    def backward(self):
        self.dWax, self.dWaa, self.dWya = np.zeros_like(self.Wax), np.zeros_like(self.Waa), np.zeros_like(self.Wya)
        self.dba, self.dby = np.zeros_like(self.ba), np.zeros_like(self.by)
        da_next = np.zeros_like(self.ba)
        for t in reversed(range(len(self.Y))):
            dy = self.y_hat[t].copy()
            dy[self.Y[t]] -= 1
            self.dWya += dy @ self.a[t].T
            self.dby += dy
            daraw = (1 - self.a[t] ** 2) * (self.Wya.T @ dy + da_next)
            self.dba += daraw
            self.dWax += daraw @ self.x[t].T
            self.dWaa += daraw @ self.a[t - 1].T
            da_next = self.Waa.T @ daraw
