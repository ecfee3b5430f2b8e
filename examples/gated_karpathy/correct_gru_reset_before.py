"""A Karpathy-style batched GRU in the textbook convention, written for rnn-parity's examples: packed
WGRU (1 + D + H, 3H) with the bias row first, gate columns Z, R, N; the reset gate scales h_prev BEFORE
the recurrent product, N = tanh(x Wn + b + (R * h_prev) Un), and the update gate weights the new state,
h = Z * N + (1 - Z) * h_prev. A correct GRU: graded in its own convention.
"""
import numpy as np


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


class GRU:
    @staticmethod
    def forward(X, WGRU, h0=None):
        n, b, input_size = X.shape
        d = WGRU.shape[1] // 3
        Wx, Wh, bias = WGRU[1:1 + input_size], WGRU[1 + input_size:], WGRU[0]
        h_prev = np.zeros((b, d)) if h0 is None else h0
        Hout = np.zeros((n, b, d))
        steps = []
        for t in range(n):
            px = X[t] @ Wx + bias
            Z = sigmoid(px[:, :d] + h_prev @ Wh[:, :d])
            R = sigmoid(px[:, d:2 * d] + h_prev @ Wh[:, d:2 * d])
            N = np.tanh(px[:, 2 * d:] + (R * h_prev) @ Wh[:, 2 * d:])
            Hout[t] = Z * N + (1 - Z) * h_prev
            steps.append((X[t], h_prev, Z, R, N))
            h_prev = Hout[t]
        return Hout, Hout[n - 1], {"WGRU": WGRU, "steps": steps, "d": d}

    @staticmethod
    def backward(dHout_in, cache, dhn=None):
        WGRU, d = cache["WGRU"], cache["d"]
        input_size = WGRU.shape[0] - 1 - d
        Wx, Wh = WGRU[1:1 + input_size], WGRU[1 + input_size:]
        n = len(cache["steps"])
        dX = np.zeros((n,) + cache["steps"][0][0].shape)
        dWGRU = np.zeros_like(WGRU)
        dh = np.zeros_like(cache["steps"][0][1]) if dhn is None else dhn.copy()
        for t in reversed(range(n)):
            x, h_prev, Z, R, N = cache["steps"][t]
            dH = dHout_in[t] + dh
            dN = dH * Z * (1 - N ** 2)
            dZ = dH * (N - h_prev) * Z * (1 - Z)
            dRh = dN @ Wh[:, 2 * d:].T
            dR = dRh * h_prev * R * (1 - R)
            dP = np.hstack((dZ, dR, dN))
            dWGRU[0] += dP.sum(axis=0)
            dWGRU[1:1 + input_size] += x.T @ dP
            dWGRU[1 + input_size:] += np.hstack((h_prev.T @ dZ, h_prev.T @ dR, (R * h_prev).T @ dN))
            dX[t] = dP @ Wx.T
            dh = dH * (1 - Z) + dRh * R + np.hstack((dZ, dR)) @ Wh[:, :2 * d].T
        return dX, dWGRU, dh
