"""Mistake: the forward step multiplies h_{t-1} by the transposed recurrent weight.
Function protocol, karpathy names."""
import numpy as np


def forward(params, inputs, h0):
    Wxh, Whh, Why, bh, by = params["Wxh"], params["Whh"], params["Why"], params["bh"], params["by"]
    hs, logits = [h0], []
    for x in inputs:
        hs.append(np.tanh(Wxh @ x + Whh.T @ hs[-1] + bh))   # the mistake: Whh @ hs[-1]
        logits.append(Why @ hs[-1] + by)
    return logits, (inputs, hs)


def backward(params, cache, d_outputs):
    inputs, hs = cache
    grads = {"d" + k: np.zeros_like(v) for k, v in params.items()}
    carry = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        grads["dWhy"] += d_outputs[t] @ hs[t + 1].T
        grads["dby"] += d_outputs[t]
        dz = (1 - hs[t + 1] ** 2) * (params["Why"].T @ d_outputs[t] + carry)
        grads["dWxh"] += dz @ inputs[t].T
        grads["dWhh"] += dz @ hs[t].T
        grads["dbh"] += dz
        carry = params["Whh"].T @ dz
    return grads
