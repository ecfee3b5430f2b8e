"""deeplearning.ai "Step by Step" cells moved into a student's own package (written for rnn-parity): softmax
comes from `from my_nn import activations as act` and is called as act.softmax. The package is not handed
in; the grader stands in for it, and the helper taken from it by name is rnn-parity's softmax (said in the
report)."""
import numpy as np
from my_nn import activations as act


def rnn_cell_forward(xt, a_prev, parameters):
    z = np.dot(parameters["Wax"], xt) + np.dot(parameters["Waa"], a_prev) + parameters["ba"]
    a_next = np.tanh(z)
    yt_pred = act.softmax(np.dot(parameters["Wya"], a_next) + parameters["by"])
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)


def rnn_forward(x, a0, parameters):
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wya"].shape
    a, y_pred, caches = np.zeros((n_a, m, T_x)), np.zeros((n_y, m, T_x)), []
    a_t = a0
    for t in range(T_x):
        a_t, y_pred[:, :, t], cache = rnn_cell_forward(x[:, :, t], a_t, parameters)
        a[:, :, t] = a_t
        caches.append(cache)
    return a, y_pred, (caches, x)
