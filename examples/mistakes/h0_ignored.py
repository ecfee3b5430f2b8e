"""Mistake: the initial hidden state h0 is ignored; the recurrence always starts from zeros.
Function protocol, U V W names."""
import numpy as np


def forward(params, inputs, h0):
    h_prev = np.zeros_like(h0)          # the mistake: h_prev = h0
    cache = {"x": [], "h_prev": [], "h": []}
    outputs = []
    for x in inputs:
        h = np.tanh(params["U"] @ x + params["V"] @ h_prev + params["bh"])
        cache["x"].append(x)
        cache["h_prev"].append(h_prev)
        cache["h"].append(h)
        outputs.append(params["W"] @ h + params["by"])
        h_prev = h
    return outputs, cache


def backward(params, cache, d_outputs):
    g = {"d" + k: np.zeros_like(v) for k, v in params.items()}
    dh_next = np.zeros_like(cache["h"][0])
    for t in reversed(range(len(cache["x"]))):
        g["dW"] += d_outputs[t] @ cache["h"][t].T
        g["dby"] += d_outputs[t]
        dz = (1 - cache["h"][t] ** 2) * (params["W"].T @ d_outputs[t] + dh_next)
        g["dU"] += dz @ cache["x"][t].T
        g["dV"] += dz @ cache["h_prev"][t].T
        g["dbh"] += dz
        dh_next = params["V"].T @ dz
    return g
