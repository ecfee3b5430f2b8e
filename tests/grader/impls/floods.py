"""A correct function-protocol RNN that prints megabytes (Python-level and straight to the file descriptors)."""
import os
import sys

import numpy as np

print("x" * 3_000_000)
os.write(1, b"y" * 2_000_000)
os.write(2, b"z" * 1_000_000)


def forward(params, inputs, h0):
    print("forward called " * 10_000)
    hs, ys = [h0], []
    for x in inputs:
        hs.append(np.tanh(params["Wxh"] @ x + params["Whh"] @ hs[-1] + params["bh"]))
        ys.append(params["Why"] @ hs[-1] + params["by"])
    return ys, (inputs, hs)


def backward(params, cache, d_outputs):
    sys.stderr.write("backward called\n" * 10_000)
    inputs, hs = cache
    g = {"d" + k: np.zeros_like(v) for k, v in params.items()}
    dnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        g["dWhy"] += d_outputs[t] @ hs[t + 1].T
        g["dby"] += d_outputs[t]
        dz = (1 - hs[t + 1] ** 2) * (params["Why"].T @ d_outputs[t] + dnext)
        g["dWxh"] += dz @ inputs[t].T
        g["dWhh"] += dz @ hs[t].T
        g["dbh"] += dz
        dnext = params["Whh"].T @ dz
    return g
