"""A correct RNN in seed document 002's function style (written for rnn-parity) whose rnn_forward hands back
extras after (loss, cache), and whose update_parameters updates the dictionary in place and returns nothing,
as a training loop that ignores its return value allows.

    rnn_forward(X, Y, a0, parameters, n_x) -> (loss, cache, y_hat, Y)     cache = (y_hat, a, x)
    rnn_backward(X, Y, parameters, cache) -> (gradients, a)               gradients: dWax dWaa dWya dba dby
    update_parameters(parameters, gradients, lr) -> None                  parameters updated in place
"""
import numpy as np


def rnn_step_forward(parameters, a_prev, x):
    a_next = np.tanh(np.dot(parameters["Wax"], x) + np.dot(parameters["Waa"], a_prev) + parameters["ba"])
    logits = np.dot(parameters["Wya"], a_next) + parameters["by"]
    p_t = np.exp(logits - np.max(logits))
    return a_next, p_t / np.sum(p_t)


def rnn_forward(X, Y, a0, parameters, n_x):
    x, a, y_hat = {}, {-1: np.copy(a0)}, {}
    loss = 0.0
    for t, ix in enumerate(X):
        x[t] = np.zeros((n_x, 1))
        x[t][ix, 0] = 1.0
        a[t], y_hat[t] = rnn_step_forward(parameters, a[t - 1], x[t])
        loss = loss - np.log(y_hat[t][Y[t], 0])
    return loss, (y_hat, a, x), y_hat, Y


def rnn_backward(X, Y, parameters, cache):
    y_hat, a, x = cache
    grads = {g: np.zeros_like(parameters[g[1:]]) for g in ("dWax", "dWaa", "dWya", "dba", "dby")}
    da_next = np.zeros_like(a[0])
    for t in reversed(range(len(X))):
        dy = y_hat[t] - np.eye(len(y_hat[t]))[:, [Y[t]]]
        grads["dWya"] += np.dot(dy, a[t].T)
        grads["dby"] += dy
        dz = (1 - np.square(a[t])) * (np.dot(parameters["Wya"].T, dy) + da_next)
        grads["dba"] += dz
        grads["dWax"] += np.dot(dz, x[t].T)
        grads["dWaa"] += np.dot(dz, a[t - 1].T)
        da_next = np.dot(parameters["Waa"].T, dz)
    return grads, a


def update_parameters(parameters, gradients, lr):
    for name in ("Wax", "Waa", "Wya", "ba", "by"):
        parameters[name] += -lr * gradients["d" + name]
