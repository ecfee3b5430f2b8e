"""Mistake: tanh' taken as 1 - tanh(h)**2 of the stored activation h (tanh applied twice).
Function protocol, U V W names."""
import numpy as np


def tanh(x, derivative=False):
    if derivative:
        return 1 - np.tanh(x) ** 2
    return np.tanh(x)


def forward(params, inputs, h0):
    U, V, W, bh, by = (params[k] for k in ("U", "V", "W", "bh", "by"))
    states, outs = [h0], []
    for x in inputs:
        states.append(tanh(U @ x + V @ states[-1] + bh))
        outs.append(W @ states[-1] + by)
    return outs, (inputs, states)


def backward(params, cache, d_outputs):
    inputs, states = cache
    U, V, W = params["U"], params["V"], params["W"]
    dU, dV, dW = np.zeros_like(U), np.zeros_like(V), np.zeros_like(W)
    dbh, dby = np.zeros_like(params["bh"]), np.zeros_like(params["by"])
    dh_next = np.zeros_like(states[0])
    for t in reversed(range(len(inputs))):
        dy = d_outputs[t]
        dW += dy @ states[t + 1].T
        dby += dy
        dh = W.T @ dy + dh_next
        dh_raw = dh * tanh(states[t + 1], derivative=True)   # the mistake: states[t+1] is already tanh(...)
        dU += dh_raw @ inputs[t].T
        dV += dh_raw @ states[t].T
        dbh += dh_raw
        dh_next = V.T @ dh_raw
    return {"dU": dU, "dV": dV, "dW": dW, "dbh": dbh, "dby": dby}
