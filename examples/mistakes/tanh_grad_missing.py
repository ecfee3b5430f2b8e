"""Mistake: the backward pass never multiplies by tanh' (treats the layer as linear).
Class protocol, loss(Y) + backward() form, many-to-many, deeplearning.ai names with a single bias `b`."""
import numpy as np


class RNNModel:
    def __init__(self, input_dim, output_dim, hidden_dim):
        rng = np.random.default_rng(3)
        self.Wax = rng.normal(0, 0.01, (hidden_dim, input_dim))
        self.Waa = rng.normal(0, 0.01, (hidden_dim, hidden_dim))
        self.Wya = rng.normal(0, 0.01, (output_dim, hidden_dim))
        self.b = np.zeros((hidden_dim, 1))
        self.by = np.zeros((output_dim, 1))

    def forward(self, input_X):
        self.X = input_X
        self.a = [np.zeros((self.Waa.shape[0], 1))]
        self.p = []
        for x in input_X:
            self.a.append(np.tanh(self.Wax @ x + self.Waa @ self.a[-1] + self.b))
            z = self.Wya @ self.a[-1] + self.by
            e = np.exp(z - z.max())
            self.p.append(e / e.sum())
        return self.p

    def loss(self, Y):
        self.Y = Y
        return -sum(float(np.log(p[y.argmax(), 0])) for p, y in zip(self.p, Y))

    def backward(self):
        self.dWax, self.dWaa, self.dWya = (np.zeros_like(self.Wax), np.zeros_like(self.Waa),
                                           np.zeros_like(self.Wya))
        self.db, self.dby = np.zeros_like(self.b), np.zeros_like(self.by)
        da_next = np.zeros_like(self.a[0])
        for t in reversed(range(len(self.X))):
            dy = self.p[t] - self.Y[t]
            self.dWya += dy @ self.a[t + 1].T
            self.dby += dy
            dtanh = self.Wya.T @ dy + da_next      # the mistake: times (1 - a[t+1]**2) is missing
            self.db += dtanh
            self.dWax += dtanh @ self.X[t].T
            self.dWaa += dtanh @ self.a[t].T
            da_next = self.Waa.T @ dtanh
