"""Mistake: the gradient on the hidden state is not carried back to the previous step.
Function protocol, deeplearning.ai names."""
import numpy as np


def forward(params, inputs, h0):
    a = [h0]
    y = []
    for x in inputs:
        a.append(np.tanh(params["Wax"] @ x + params["Waa"] @ a[-1] + params["ba"]))
        y.append(params["Wya"] @ a[-1] + params["by"])
    return y, {"a": a, "x": inputs}


def backward(params, cache, d_outputs):
    a, xs = cache["a"], cache["x"]
    grads = {"d" + k: np.zeros_like(v) for k, v in params.items()}
    for t in reversed(range(len(xs))):
        grads["dWya"] += d_outputs[t] @ a[t + 1].T
        grads["dby"] += d_outputs[t]
        da = params["Wya"].T @ d_outputs[t]      # the mistake: + the gradient from step t+1 is missing
        dz = (1 - a[t + 1] ** 2) * da
        grads["dWax"] += dz @ xs[t].T
        grads["dWaa"] += dz @ a[t].T
        grads["dba"] += dz
    return grads
