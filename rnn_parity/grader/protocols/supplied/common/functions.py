"""Stand-in for the book's common/functions.py: the activations and the loss its layers use (NumPy only)."""
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)


def softmax(x):
    """Softmax over the last axis (a row per sample for 2-D input), shifted by the maximum for stability."""
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    """Mean over the batch of -log y[t]; t holds labels, or one-hot rows (turned into labels)."""
    y = y.reshape(1, -1) if y.ndim == 1 else y
    t = t.reshape(1, -1) if np.ndim(t) == 1 and np.size(t) == y.size else t
    labels = np.argmax(t, axis=1) if np.shape(t) == y.shape else np.reshape(t, -1)
    n = y.shape[0]
    return -np.sum(np.log(y[np.arange(n), labels] + 1e-7)) / n
