"""A correct many-to-many RNN in the class protocol, loss(Y) + backward() form (names U V W bh by).

    model = SequenceModel(input_size, output_size, hidden_size)
    probs = model.forward(inputs)     # per-step softmax probabilities, (output_size, 1) each
    model.loss(Y)                     # Y: per-step one-hot targets (output_size, 1); returns the summed loss
    model.backward()                  # leaves dU dV dW dbh dby
    model.clip(1.0)                   # optional: element-wise clipping of those gradients
    model.update(0.01)                # optional: one SGD step

`rnn-parity grade examples/correct_class_loss.py` passes.
"""
import numpy as np


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


class SequenceModel:
    def __init__(self, input_size, output_size, hidden_size):
        rng = np.random.default_rng(1)
        self.U = rng.normal(0, 0.1, (hidden_size, input_size))
        self.V = rng.normal(0, 0.1, (hidden_size, hidden_size))
        self.W = rng.normal(0, 0.1, (output_size, hidden_size))
        self.bh = np.zeros((hidden_size, 1))
        self.by = np.zeros((output_size, 1))

    def forward(self, inputs):
        self.inputs = inputs
        self.hs = [np.zeros((self.V.shape[0], 1))]
        self.ps = []
        for x in inputs:
            h = np.tanh(self.U @ x + self.V @ self.hs[-1] + self.bh)
            self.hs.append(h)
            self.ps.append(softmax(self.W @ h + self.by))
        return self.ps

    def loss(self, Y):
        self.Y = Y
        return float(sum(-np.log(p[y.argmax(), 0]) for p, y in zip(self.ps, Y)))

    def backward(self):
        for name in ("U", "V", "W", "bh", "by"):
            setattr(self, "d" + name, np.zeros_like(getattr(self, name)))
        carry = np.zeros_like(self.hs[0])
        for t in reversed(range(len(self.inputs))):
            dy = self.ps[t] - self.Y[t]
            self.dW += dy @ self.hs[t + 1].T
            self.dby += dy
            dz = (1 - self.hs[t + 1] ** 2) * (self.W.T @ dy + carry)
            self.dU += dz @ self.inputs[t].T
            self.dV += dz @ self.hs[t].T
            self.dbh += dz
            carry = self.V.T @ dz

    def clip(self, value):
        for name in ("dU", "dV", "dW", "dbh", "dby"):
            np.clip(getattr(self, name), -value, value, out=getattr(self, name))

    def update(self, learn_rate):
        for name in ("U", "V", "W", "bh", "by"):
            setattr(self, name, getattr(self, name) - learn_rate * getattr(self, "d" + name))
