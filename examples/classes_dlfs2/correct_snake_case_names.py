"""Correct RNN and TimeRNN layers in the book's shape with the weights spelled W_x, W_h (written for
rnn-parity). The grader recognises the constructor however the two weights are spelled and names the
checks after the student's parameters: step:grad:W_x, grad:W_h, ...
"""
import numpy as np


class RNN:
    def __init__(self, W_x, W_h, b):
        self.params = [W_x, W_h, b]
        self.grads = [np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev):
        W_x, W_h, b = self.params
        h_next = np.tanh(x @ W_x + h_prev @ W_h + b)
        self.cache = (x, h_prev, h_next)
        return h_next

    def backward(self, dh_next):
        W_x, W_h, _ = self.params
        x, h_prev, h_next = self.cache
        da = dh_next * (1.0 - h_next * h_next)
        for slot, grad in zip(self.grads, (x.T @ da, h_prev.T @ da, da.sum(axis=0))):
            slot[...] = grad
        return da @ W_x.T, da @ W_h.T


class TimeRNN:
    def __init__(self, W_x, W_h, b, stateful=False):
        self.params = [W_x, W_h, b]
        self.grads = [np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b)]
        self.layers, self.h, self.dh, self.stateful = [], None, None, stateful

    def set_state(self, h):
        self.h = h

    def forward(self, xs):
        N, T, _ = xs.shape
        H = self.params[1].shape[0]
        if not self.stateful or self.h is None:
            self.h = np.zeros((N, H))
        self.layers, hs = [], np.empty((N, T, H))
        for t in range(T):
            layer = RNN(*self.params)
            self.h = hs[:, t, :] = layer.forward(xs[:, t, :], self.h)
            self.layers.append(layer)
        return hs

    def backward(self, dhs):
        N, T, _ = dhs.shape
        dxs = np.empty((N, T, self.params[0].shape[0]))
        dh, total = 0, [0, 0, 0]
        for t in reversed(range(T)):
            dxs[:, t, :], dh = self.layers[t].backward(dhs[:, t, :] + dh)
            total = [a + g for a, g in zip(total, self.layers[t].grads)]
        for slot, grad in zip(self.grads, total):
            slot[...] = grad
        self.dh = dh
        return dxs
