"""rnn-parity's stand-in for CS231n's cs231n/layers.py: the layers an rnn_layers.py may import with
`from cs231n.layers import *` (written from the math for the grader; NumPy only).

Shapes as in the course: x (N, d_1, ..., d_k) flattened to (N, D), w (D, M), b (M,).
"""
import numpy as np


def affine_forward(x, w, b):
    """out = x.reshape(N, D) @ w + b; returns (out, cache)."""
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    """Returns (dx, dw, db) for affine_forward's cache."""
    x, w, _ = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    return dx, dw, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def sigmoid(x):
    """1 / (1 + exp(-x)), computed without overflow for large |x|."""
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def softmax_loss(x, y):
    """Mean cross-entropy of the rows of x against labels y; returns (loss, dx)."""
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = x.shape[0]
    loss = -log_probs[np.arange(n), y].mean()
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1
    return loss, dx / n
