"""deeplearning.ai "Step by Step", the backward half handed in alone (the forward lives in another file).

The grader builds the cache the course's rnn_cell_forward template returns, (a_next, a_prev, xt, parameters),
and caches = (list of those, x), and grades the backward on it (and says so). Written for rnn-parity.
"""
import numpy as np


def rnn_cell_backward(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    dz = da_next * (1 - np.square(a_next))
    grads = {"dxt": np.dot(parameters["Wax"].T, dz), "dWax": np.dot(dz, xt.T),
             "da_prev": np.dot(parameters["Waa"].T, dz), "dWaa": np.dot(dz, a_prev.T)}
    grads["dba"] = np.sum(dz, axis=1, keepdims=True)
    return grads


def rnn_backward(da, caches):
    caches, x = caches
    n_x, m, T_x = x.shape
    n_a = da.shape[0]
    dx = np.zeros((n_x, m, T_x))
    totals = {"dWax": np.zeros((n_a, n_x)), "dWaa": np.zeros((n_a, n_a)), "dba": np.zeros((n_a, 1))}
    da_prevt = np.zeros((n_a, m))
    for t in range(T_x - 1, -1, -1):
        g = rnn_cell_backward(da[:, :, t] + da_prevt, caches[t])
        dx[:, :, t], da_prevt = g["dxt"], g["da_prev"]
        for k in totals:
            totals[k] += g[k]
    return {"dx": dx, "da0": da_prevt, **totals}
