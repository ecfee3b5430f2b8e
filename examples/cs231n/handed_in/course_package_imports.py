"""A CS231n rnn_layers.py in the shape the 2017-2019 assignments hand out (written for rnn-parity): Python 2
compatible imports, `from cs231n.layers import *` (the course package, not beside the file: the grader
supplies its own cs231n.layers), dict caches keyed by step, the temporal affine layer built on the course's
affine_forward/affine_backward, and an LSTM step the grader lists as not graded."""
from __future__ import print_function, division
from builtins import range
import numpy as np

from cs231n.layers import *


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(np.dot(x, Wx) + np.dot(prev_h, Wh) + b)
    cache = {"x": x, "prev_h": prev_h, "Wx": Wx, "Wh": Wh, "next_h": next_h}
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    da = dnext_h * (1 - cache["next_h"] ** 2)
    dx = np.dot(da, cache["Wx"].T)
    dprev_h = np.dot(da, cache["Wh"].T)
    dWx = np.dot(cache["x"].T, da)
    dWh = np.dot(cache["prev_h"].T, da)
    db = np.sum(da, axis=0)
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    cache = {}
    h_t = h0
    for t in range(T):
        h_t, cache[t] = rnn_step_forward(x[:, t, :], h_t, Wx, Wh, b)
        h[:, t, :] = h_t
    return h, cache


def rnn_backward(dh, cache):
    N, T, H = dh.shape
    D = cache[0]["x"].shape[1]
    dx = np.zeros((N, T, D))
    dWx, dWh, db = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t, :], dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t, :] + dprev_h, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db


def temporal_affine_forward(x, w, b):
    N, T, D = x.shape
    out, affine_cache = affine_forward(x.reshape(N * T, D), w, b)
    return out.reshape(N, T, -1), (affine_cache, N, T)


def temporal_affine_backward(dout, cache):
    affine_cache, N, T = cache
    dx, dw, db = affine_backward(dout.reshape(N * T, -1), affine_cache)
    return dx.reshape(N, T, -1), dw, db


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = np.dot(x, Wx) + np.dot(prev_h, Wh) + b
    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c, (x, prev_h, prev_c, i, f, o, g, next_c)
