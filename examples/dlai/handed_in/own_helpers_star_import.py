"""deeplearning.ai "Step by Step" cells exported to a .py next to a helper module of the student's own
(`from course_helpers import *`) that was not handed in (written for rnn-parity). The grader stands in for
the missing module; the softmax the file uses without defining comes from rnn-parity's definitions, and
the report says so. The backward loop keeps the course's `(caches, x)` pair."""
import numpy as np
from course_helpers import *


def rnn_cell_forward(xt, a_prev, parameters):
    ### START CODE HERE ### (≈2 lines)
    a_next = np.tanh(parameters["Waa"] @ a_prev + parameters["Wax"] @ xt + parameters["ba"])
    yt_pred = softmax(parameters["Wya"] @ a_next + parameters["by"])
    ### END CODE HERE ###
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)


def rnn_forward(x, a0, parameters):
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wya"].shape
    a, y_pred = np.zeros((n_a, m, T_x)), np.zeros((n_y, m, T_x))
    caches, a_next = [], a0
    for t in range(T_x):
        a_next, y_pred[:, :, t], cache = rnn_cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t] = a_next
        caches.append(cache)
    return a, y_pred, (caches, x)


def rnn_cell_backward(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    dz = (1 - a_next ** 2) * da_next
    return {"dxt": parameters["Wax"].T @ dz, "da_prev": parameters["Waa"].T @ dz, "dWax": dz @ xt.T,
            "dWaa": dz @ a_prev.T, "dba": dz.sum(axis=1, keepdims=True)}


def rnn_backward(da, caches):
    caches, x = caches
    n_x, m, T_x = x.shape
    n_a = da.shape[0]
    dx = np.zeros((n_x, m, T_x))
    dWax, dWaa, dba = np.zeros((n_a, n_x)), np.zeros((n_a, n_a)), np.zeros((n_a, 1))
    da_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        g = rnn_cell_backward(da[:, :, t] + da_prevt, caches[t])
        dx[:, :, t], da_prevt = g["dxt"], g["da_prev"]
        dWax, dWaa, dba = dWax + g["dWax"], dWaa + g["dWaa"], dba + g["dba"]
    return {"dx": dx, "da0": da_prevt, "dWax": dWax, "dWaa": dWaa, "dba": dba}
