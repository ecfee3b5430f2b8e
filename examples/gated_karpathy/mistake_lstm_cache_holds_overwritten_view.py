"""Karpathy-style batched LSTM and GRU (GRU in torch's convention), with one mistake (lstm_cache_holds_overwritten_view): written for rnn-parity's examples."""
import numpy as np


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


class LSTM:
    @staticmethod
    def init(input_size, hidden_size):
        W = np.random.randn(1 + input_size + hidden_size, 4 * hidden_size) / np.sqrt(input_size + hidden_size)
        W[0, :] = 0.0
        return W

    @staticmethod
    def forward(X, WLSTM, c0=None, h0=None):
        n, b, input_size = X.shape
        d = WLSTM.shape[1] // 4
        c = np.zeros((b, d)) if c0 is None else c0  # updated in place below: the cache keeps this array
        h_prev = np.zeros((b, d)) if h0 is None else h0
        Hin = np.zeros((n, b, 1 + input_size + d))
        IFOGf = np.zeros((n, b, 4 * d))
        C = np.zeros((n, b, d))
        Ct = np.zeros((n, b, d))
        Hout = np.zeros((n, b, d))
        for t in range(n):
            Hin[t, :, 0] = 1.0
            Hin[t, :, 1:1 + input_size] = X[t]
            Hin[t, :, 1 + input_size:] = h_prev
            pre = Hin[t] @ WLSTM
            IFOGf[t, :, :3 * d] = sigmoid(pre[:, :3 * d])
            IFOGf[t, :, 3 * d:] = np.tanh(pre[:, 3 * d:])
            c *= IFOGf[t, :, d:2 * d]
            c += IFOGf[t, :, :d] * IFOGf[t, :, 3 * d:]
            C[t] = c
            Ct[t] = np.tanh(C[t])
            Hout[t] = IFOGf[t, :, 2 * d:3 * d] * Ct[t]
            h_prev = Hout[t]
        cache = {"Cs": [c] * n, "WLSTM": WLSTM, "Hin": Hin, "IFOGf": IFOGf, "C": C, "Ct": Ct, "c0": c, "h0": h0, "d": d}
        return Hout, C[n - 1], Hout[n - 1], cache

    @staticmethod
    def backward(dHout_in, cache, dcn=None, dhn=None):
        WLSTM, Hin, IFOGf, C, Ct = cache["WLSTM"], cache["Hin"], cache["IFOGf"], cache["C"], cache["Ct"]
        d = cache["d"]
        n, b, _ = Hin.shape
        input_size = WLSTM.shape[0] - d - 1
        c0 = np.zeros((b, d)) if cache["c0"] is None else cache["c0"]
        dHout = dHout_in.copy()
        dC = np.zeros_like(C)
        if dcn is not None:
            dC[n - 1] += dcn
        if dhn is not None:
            dHout[n - 1] += dhn
        dIFOGf = np.zeros_like(IFOGf)
        dIFOG = np.zeros_like(IFOGf)
        dHin = np.zeros_like(Hin)
        dWLSTM = np.zeros_like(WLSTM)
        dc0 = np.zeros((b, d))
        for t in reversed(range(n)):
            o = IFOGf[t, :, 2 * d:3 * d]
            dIFOGf[t, :, 2 * d:3 * d] = Ct[t] * dHout[t]
            dC[t] += (1 - Ct[t] ** 2) * (o * dHout[t])
            c_prev = cache["Cs"][t - 1] if t > 0 else c0
            dIFOGf[t, :, d:2 * d] = c_prev * dC[t]
            if t > 0:
                dC[t - 1] += IFOGf[t, :, d:2 * d] * dC[t]
            else:
                dc0 = IFOGf[t, :, d:2 * d] * dC[t]
            dIFOGf[t, :, :d] = IFOGf[t, :, 3 * d:] * dC[t]
            dIFOGf[t, :, 3 * d:] = IFOGf[t, :, :d] * dC[t]
            y = IFOGf[t, :, :3 * d]
            dIFOG[t, :, :3 * d] = y * (1 - y) * dIFOGf[t, :, :3 * d]
            dIFOG[t, :, 3 * d:] = (1 - IFOGf[t, :, 3 * d:] ** 2) * dIFOGf[t, :, 3 * d:]
            dWLSTM += Hin[t].T @ dIFOG[t]
            dHin[t] = dIFOG[t] @ WLSTM.T
            if t > 0:
                dHout[t - 1] += dHin[t, :, 1 + input_size:]
        dX = dHin[:, :, 1:1 + input_size]
        dh0 = dHin[0, :, 1 + input_size:]
        return dX, dWLSTM, dc0, dh0


class GRU:
    @staticmethod
    def init(input_size, hidden_size):
        return np.random.randn(1 + input_size + hidden_size, 3 * hidden_size) / np.sqrt(input_size + hidden_size)

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
            ph = h_prev @ Wh
            R = sigmoid(px[:, :d] + ph[:, :d])
            Z = sigmoid(px[:, d:2 * d] + ph[:, d:2 * d])
            N = np.tanh(px[:, 2 * d:] + R * ph[:, 2 * d:])
            Hout[t] = (1 - Z) * N + Z * h_prev
            steps.append((X[t], h_prev, R, Z, N, ph[:, 2 * d:]))
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
            x, h_prev, R, Z, N, hn = cache["steps"][t]
            dH = dHout_in[t] + dh
            dN = dH * (1 - Z) * (1 - N ** 2)
            dZ = dH * (h_prev - N) * Z * (1 - Z)
            dR = dN * hn * R * (1 - R)
            dPx = np.hstack((dR, dZ, dN))
            dPh = np.hstack((dR, dZ, dN * R))
            dWGRU[0] += dPx.sum(axis=0)
            dWGRU[1:1 + input_size] += x.T @ dPx
            dWGRU[1 + input_size:] += h_prev.T @ dPh
            dX[t] = dPx @ Wx.T
            dh = dH * Z + dPh @ Wh.T
        return dX, dWGRU, dh
