"""DLFS2-style GRU layers in torch's convention, with one mistake (gru_interpolation_reversed_backward): written for rnn-parity's examples."""
import numpy as np


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


class GRU:
    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        H = Wh.shape[0]
        r = sigmoid(x @ Wx[:, :H] + h_prev @ Wh[:, :H] + b[:H])
        z = sigmoid(x @ Wx[:, H:2 * H] + h_prev @ Wh[:, H:2 * H] + b[H:2 * H])
        hn = h_prev @ Wh[:, 2 * H:]
        n = np.tanh(x @ Wx[:, 2 * H:] + r * hn + b[2 * H:])
        self.cache = (x, h_prev, r, z, n, hn)
        return (1 - z) * n + z * h_prev

    def backward(self, dh_next):
        Wx, Wh, b = self.params
        H = Wh.shape[0]
        x, h_prev, r, z, n, hn = self.cache
        dt_n = dh_next * z * (1 - n ** 2)
        dt_z = dh_next * (n - h_prev) * z * (1 - z)
        dt_r = dt_n * hn * r * (1 - r)
        dA = np.hstack((dt_r, dt_z, dt_n))
        dB = np.hstack((dt_r, dt_z, dt_n * r))
        self.grads[0][...] = x.T @ dA
        self.grads[1][...] = h_prev.T @ dB
        self.grads[2][...] = dA.sum(axis=0)
        dh_prev = dh_next * (1 - z) + dB @ Wh.T
        return dA @ Wx.T, dh_prev


class TimeGRU:
    def __init__(self, Wx, Wh, b, stateful=False):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.layers = None
        self.h = self.dh = None
        self.stateful = stateful

    def set_state(self, h):
        self.h = h

    def forward(self, xs):
        N, T, _ = xs.shape
        H = self.params[1].shape[0]
        self.layers = []
        hs = np.empty((N, T, H))
        if not self.stateful or self.h is None:
            self.h = np.zeros((N, H))
        for t in range(T):
            layer = GRU(*self.params)
            self.h = layer.forward(xs[:, t, :], self.h)
            hs[:, t, :] = self.h
            self.layers.append(layer)
        return hs

    def backward(self, dhs):
        N, T, _ = dhs.shape
        D = self.params[0].shape[0]
        dxs = np.empty((N, T, D))
        dh = 0
        total = [np.zeros_like(p) for p in self.params]
        for t in reversed(range(T)):
            layer = self.layers[t]
            dx, dh = layer.backward(dhs[:, t, :] + dh)
            dxs[:, t, :] = dx
            for k, grad in enumerate(layer.grads):
                total[k] += grad
        for k, grad in enumerate(total):
            self.grads[k][...] = grad
        self.dh = dh
        return dxs
