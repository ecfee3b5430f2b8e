"""A vanilla RNN in the CS231n rnn_layers.py style, time-major (T, N, D) as some courses use it: written
for rnn-parity's grader.

Shapes: N batch, T steps, D input, H hidden, V vocabulary, M affine output.
"""
import numpy as np


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """x (N, D), prev_h (N, H), Wx (D, H), Wh (H, H), b (H,) -> next_h (N, H), cache."""
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    dtanh = dnext_h * (1 - next_h ** 2)  # tanh'(a) = 1 - tanh(a)^2
    dx = dtanh @ Wx.T
    dprev_h = dtanh @ Wh.T
    dWx = x.T @ dtanh
    dWh = prev_h.T @ dtanh
    db = dtanh.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    """Time-major: x (T, N, D), h0 (N, H) -> h (T, N, H), cache (one step cache per t)."""
    T = x.shape[0]
    h = np.zeros((T,) + h0.shape)
    caches = []
    prev_h = h0
    for t in range(T):
        prev_h, step_cache = rnn_step_forward(x[t], prev_h, Wx, Wh, b)
        h[t] = prev_h
        caches.append(step_cache)
    return h, caches


def rnn_backward(dh, cache):
    """dh (T, N, H) -> dx (T, N, D), dh0 (N, H), dWx, dWh, db; the step loop runs backwards over t."""
    T, N, H = dh.shape
    x0 = cache[0][0]
    dx = np.zeros((T, N, x0.shape[1]))
    dWx, dWh, db = 0.0, 0.0, 0.0
    dprev_h = np.zeros((N, H))
    t = T - 1
    while t >= 0:
        dx[t], dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[t] + dprev_h, cache[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
        t -= 1
    return dx, dprev_h, dWx, dWh, db


def word_embedding_forward(x, W):
    """x (N, T) word ids, W (V, D) -> out (N, T, D)."""
    return W[x], (x, W.shape)


def word_embedding_backward(dout, cache):
    x, shape = cache
    dW = np.zeros(shape)
    np.add.at(dW, x, dout)  # a word used twice collects both gradients
    return dW


def temporal_affine_forward(x, w, b):
    """x (N, T, D), w (D, M), b (M,) -> out (N, T, M)."""
    return x @ w + b, (x, w)


def temporal_affine_backward(dout, cache):
    x, w = cache
    N, T, D = x.shape
    dx = dout @ w.T
    dw = x.reshape(N * T, D).T @ dout.reshape(N * T, -1)
    db = dout.sum(axis=(0, 1))
    return dx, dw, db


def temporal_softmax_loss(x, y, mask):
    """x (N, T, V) scores, y (N, T) targets, mask (N, T) -> loss (summed over T, mean over N), dx."""
    N, T, V = x.shape
    flat = x.reshape(N * T, V)
    y_flat, m = y.reshape(N * T), mask.reshape(N * T)
    shifted = flat - flat.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -np.sum(m * log_probs[np.arange(N * T), y_flat]) / N
    dx = np.exp(log_probs)
    dx[np.arange(N * T), y_flat] -= 1
    dx *= m[:, None] / N
    return loss, dx.reshape(N, T, V)

