"""A CS231n rnn_layers.py handed in half done (written for rnn-parity): the step functions and rnn_forward
are filled in, rnn_backward still returns the template's `None` placeholders. Its gradient checks fail,
saying the value is None; the rest is graded and passes."""
import numpy as np


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    dpre = dnext_h * (1.0 - next_h * next_h)
    return dpre.dot(Wx.T), dpre.dot(Wh.T), x.T.dot(dpre), prev_h.T.dot(dpre), dpre.sum(axis=0)


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    caches, prev_h = [], h0
    for t in range(T):
        prev_h, step_cache = rnn_step_forward(x[:, t, :], prev_h, Wx, Wh, b)
        h[:, t, :] = prev_h
        caches.append(step_cache)
    return h, caches


def rnn_backward(dh, cache):
    dx, dh0, dWx, dWh, db = None, None, None, None, None
    ##############################################################################
    # TODO: Implement the backward pass for a vanilla RNN running an entire      #
    # sequence of data.                                                          #
    ##############################################################################
    pass
    return dx, dh0, dWx, dWh, db
