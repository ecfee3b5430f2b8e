"""A correct rnn_backward in seed document 002's style (written for rnn-parity) whose rnn_forward has another
signature, rnn_forward(X, a0, parameters) -> (y_hat, a, x, z), with no loss: only rnn_backward (and
update_parameters) are graded, and rnn_backward must be handed the 4-part cache that forward builds.

    rnn_backward(X, Y, parameters, cache) -> (gradients, a)     cache = (y_hat, a, x, z), z the pre-tanh sums
"""
import numpy as np


def rnn_forward(X, a0, parameters):
    n_x = parameters["Wax"].shape[1]
    y_hat, a, x, z = {}, {-1: np.copy(a0)}, {}, []
    for t, ix in enumerate(X):
        x[t] = np.zeros((n_x, 1))
        x[t][ix] = 1
        z.append(parameters["Wax"] @ x[t] + parameters["Waa"] @ a[t - 1] + parameters["ba"])
        a[t] = np.tanh(z[t])
        s = parameters["Wya"] @ a[t] + parameters["by"]
        y_hat[t] = np.exp(s - s.max()) / np.exp(s - s.max()).sum()
    return y_hat, a, x, z


def rnn_backward(X, Y, parameters, cache):
    y_hat, a, x, z = cache
    gradients = {"d" + k: np.zeros_like(v) for k, v in parameters.items()}
    da_next = np.zeros_like(a[-1])
    for t in reversed(range(len(X))):
        dy = np.copy(y_hat[t])
        dy[Y[t]] -= 1
        gradients["dWya"] += dy @ a[t].T
        gradients["dby"] += dy
        dz = (1 - np.tanh(z[t]) ** 2) * (parameters["Wya"].T @ dy + da_next)
        gradients["dba"] += dz
        gradients["dWax"] += dz @ x[t].T
        gradients["dWaa"] += dz @ a[t - 1].T
        da_next = parameters["Waa"].T @ dz
    return gradients, a


def update_parameters(parameters, gradients, lr):
    for k in parameters:
        parameters[k] -= lr * gradients["d" + k]
    return parameters
