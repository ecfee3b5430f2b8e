"""Mistake: dWhh pairs the step's gradient with h_t instead of h_{t-1}.
Function protocol, karpathy names."""
import numpy as np


def forward(params, inputs, h0):
    hs, ys = {-1: h0}, []
    for t, x in enumerate(inputs):
        hs[t] = np.tanh(params["Wxh"] @ x + params["Whh"] @ hs[t - 1] + params["bh"])
        ys.append(params["Why"] @ hs[t] + params["by"])
    return ys, (inputs, hs)


def backward(params, cache, d_outputs):
    inputs, hs = cache
    g = {"d" + k: np.zeros_like(v) for k, v in params.items()}
    dh_next = np.zeros_like(hs[-1])
    for t in reversed(range(len(inputs))):
        g["dWhy"] += d_outputs[t] @ hs[t].T
        g["dby"] += d_outputs[t]
        dh = params["Why"].T @ d_outputs[t] + dh_next
        draw = (1 - hs[t] * hs[t]) * dh
        g["dbh"] += draw
        g["dWxh"] += draw @ inputs[t].T
        g["dWhh"] += draw @ hs[t].T          # the mistake: hs[t - 1]
        dh_next = params["Whh"].T @ draw
    return g
