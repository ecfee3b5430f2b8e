"""DLFS2-style LSTM / GRU layers (book's conventions), with one mistake (lstm_candidate_tanh_grad_missing): written for rnn-parity's examples."""
import numpy as np


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


class LSTM:
    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev, c_prev):
        Wx, Wh, b = self.params
        H = h_prev.shape[1]
        A = x @ Wx + h_prev @ Wh + b
        f = sigmoid(A[:, :H])
        g = np.tanh(A[:, H:2 * H])
        i = sigmoid(A[:, 2 * H:3 * H])
        o = sigmoid(A[:, 3 * H:])
        c_next = f * c_prev + g * i
        tanh_c = np.tanh(c_next)
        h_next = o * tanh_c
        self.cache = (x, h_prev, c_prev, f, g, i, o, tanh_c)
        return h_next, c_next

    def backward(self, dh_next, dc_next):
        Wx, Wh, b = self.params
        x, h_prev, c_prev, f, g, i, o, tanh_c = self.cache
        ds = dc_next + dh_next * o * (1 - tanh_c ** 2)
        dc_prev = ds * f
        df = ds * c_prev * f * (1 - f)
        dg = ds * i
        di = ds * g * i * (1 - i)
        do = dh_next * tanh_c * o * (1 - o)
        dA = np.hstack((df, dg, di, do))
        self.grads[0][...] = x.T @ dA
        self.grads[1][...] = h_prev.T @ dA
        self.grads[2][...] = dA.sum(axis=0)
        return dA @ Wx.T, dA @ Wh.T, dc_prev


class TimeLSTM:
    def __init__(self, Wx, Wh, b, stateful=False):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.layers = None
        self.h = self.c = self.dh = None
        self.stateful = stateful

    def set_state(self, h, c=None):
        self.h, self.c = h, c

    def forward(self, xs):
        N, T, _ = xs.shape
        H = self.params[1].shape[0]
        self.layers = []
        hs = np.empty((N, T, H))
        if not self.stateful or self.h is None:
            self.h = np.zeros((N, H))
        if not self.stateful or self.c is None:
            self.c = np.zeros((N, H))
        for t in range(T):
            layer = LSTM(*self.params)
            self.h, self.c = layer.forward(xs[:, t, :], self.h, self.c)
            hs[:, t, :] = self.h
            self.layers.append(layer)
        return hs

    def backward(self, dhs):
        N, T, _ = dhs.shape
        D = self.params[0].shape[0]
        dxs = np.empty((N, T, D))
        dh, dc = 0, 0
        total = [np.zeros_like(p) for p in self.params]
        for t in reversed(range(T)):
            layer = self.layers[t]
            dx, dh, dc = layer.backward(dhs[:, t, :] + dh, dc)
            dxs[:, t, :] = dx
            for k, grad in enumerate(layer.grads):
                total[k] += grad
        for k, grad in enumerate(total):
            self.grads[k][...] = grad
        self.dh = dh
        return dxs


class GRU:
    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        H = Wh.shape[0]
        z = sigmoid(x @ Wx[:, :H] + h_prev @ Wh[:, :H] + b[:H])
        r = sigmoid(x @ Wx[:, H:2 * H] + h_prev @ Wh[:, H:2 * H] + b[H:2 * H])
        h_hat = np.tanh(x @ Wx[:, 2 * H:] + (r * h_prev) @ Wh[:, 2 * H:] + b[2 * H:])
        self.cache = (x, h_prev, z, r, h_hat)
        return (1 - z) * h_prev + z * h_hat

    def backward(self, dh_next):
        Wx, Wh, b = self.params
        H = Wh.shape[0]
        x, h_prev, z, r, h_hat = self.cache
        dt_h = dh_next * z * (1 - h_hat ** 2)
        dt_z = dh_next * (h_hat - h_prev) * z * (1 - z)
        d_rh = dt_h @ Wh[:, 2 * H:].T
        dt_r = d_rh * h_prev * r * (1 - r)
        dA = np.hstack((dt_z, dt_r, dt_h))
        self.grads[0][...] = x.T @ dA
        self.grads[1][...] = np.hstack((h_prev.T @ dt_z, h_prev.T @ dt_r, (r * h_prev).T @ dt_h))
        self.grads[2][...] = dA.sum(axis=0)
        dh_prev = dh_next * (1 - z) + d_rh * r + np.hstack((dt_z, dt_r)) @ Wh[:, :2 * H].T
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
