"""A correct many-to-many RNN in the function protocol (deeplearning.ai names Wax Waa Wya ba by).

    outputs, cache = forward(params, inputs, h0)    # outputs: per-step logits (n_y, 1)
    grads = backward(params, cache, d_outputs)      # d_outputs: dL/d(logits) per step; grads keyed d<name>

`rnn-parity grade examples/correct_functions.py` passes.
"""
import numpy as np


def forward(params, inputs, h0):
    Wax, Waa, Wya, ba, by = (params[k] for k in ("Wax", "Waa", "Wya", "ba", "by"))
    a_prev = h0
    states, logits = [h0], []
    for x in inputs:
        a = np.tanh(np.dot(Wax, x) + np.dot(Waa, a_prev) + ba)
        logits.append(np.dot(Wya, a) + by)
        states.append(a)
        a_prev = a
    return logits, {"x": list(inputs), "a": states}


def backward(params, cache, d_outputs):
    Waa, Wya = params["Waa"], params["Wya"]
    xs, a = cache["x"], cache["a"]
    grads = {"d" + k: np.zeros_like(v) for k, v in params.items()}
    da_next = np.zeros_like(a[0])
    for t in reversed(range(len(xs))):
        dy = d_outputs[t]
        grads["dWya"] += np.dot(dy, a[t + 1].T)
        grads["dby"] += dy
        da = np.dot(Wya.T, dy) + da_next
        dz = (1 - a[t + 1] ** 2) * da
        grads["dWax"] += np.dot(dz, xs[t].T)
        grads["dWaa"] += np.dot(dz, a[t].T)
        grads["dba"] += dz
        da_next = np.dot(Waa.T, dz)
    return grads
