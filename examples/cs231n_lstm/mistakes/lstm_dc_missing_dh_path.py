"""A CS231n-style LSTM with one mistake, written for rnn-parity's examples: the gradient on the cell state leaves out the path through next_h."""
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    pre = x @ Wx + prev_h @ Wh + b
    i = sigmoid(pre[:, :H])
    f = sigmoid(pre[:, H:2 * H])
    o = sigmoid(pre[:, 2 * H:3 * H])
    g = np.tanh(pre[:, 3 * H:])
    next_c = f * prev_c + i * g
    tc = np.tanh(next_c)
    next_h = o * tc
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, tc)


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, tc = cache
    dc = dnext_c
    d_i = dc * g * i * (1 - i)
    d_f = dc * prev_c * f * (1 - f)
    d_o = dnext_h * tc * o * (1 - o)
    d_g = dc * i * (1 - g ** 2)
    dpre = np.hstack([d_i, d_f, d_o, d_g])
    dx = dpre @ Wx.T
    dprev_h = dpre @ Wh.T
    dprev_c = dc * f
    dWx = x.T @ dpre
    dWh = prev_h.T @ dpre
    db = dpre.sum(axis=0)
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    h = np.zeros((N, T, H))
    prev_h, prev_c = h0, np.zeros_like(h0)
    caches = []
    for t in range(T):
        prev_h, prev_c, cache = lstm_step_forward(x[:, t, :], prev_h, prev_c, Wx, Wh, b)
        h[:, t, :] = prev_h
        caches.append(cache)
    return h, caches


def lstm_backward(dh, cache):
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.zeros((N, T, D))
    dWx, dWh, db = np.zeros((D, 4 * H)), np.zeros((H, 4 * H)), np.zeros(4 * H)
    dprev_h, dprev_c = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t, :], dprev_h, dprev_c, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t, :] + dprev_h, dprev_c,
                                                                                cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db
