"""Seed 002 function style with one mistake (one_hot_from_position): The one-hot input encodes the position t, not the token.

Written for rnn-parity; `rnn-parity grade` fails it and names the mistake.
"""
import numpy as np


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum(axis=0)


def one_hot_encode(number, n_x):
    x = np.zeros((n_x, 1))
    x[number] = 1
    return x


def rnn_step_forward(parameters, a_prev, x):
    Waa, Wax, Wya = parameters["Waa"], parameters["Wax"], parameters["Wya"]
    a_next = np.tanh(Wax @ x + Waa @ a_prev + parameters["ba"])
    return a_next, softmax(Wya @ a_next + parameters["by"])


def rnn_forward(X, Y, a0, parameters, n_x):
    x, a, y_hat = {}, {-1: np.copy(a0)}, {}
    loss = 0.0
    for t, token in enumerate(X):
        x[t] = one_hot_encode(t, n_x)
        a[t], y_hat[t] = rnn_step_forward(parameters, a[t - 1], x[t])
        loss -= np.log(y_hat[t][Y[t], 0])
    return loss, (y_hat, a, x)


def rnn_backward(X, Y, parameters, cache):
    y_hat, a, x = cache
    g = {"d" + k: np.zeros_like(v) for k, v in parameters.items()}
    g["da_next"] = np.zeros_like(a[0])
    for t in reversed(range(len(X))):
        dy = np.copy(y_hat[t])
        dy[Y[t]] -= 1
        g["dWya"] += dy @ a[t].T
        g["dby"] += dy
        draw = (1 - a[t] ** 2) * (parameters["Wya"].T @ dy + g["da_next"])
        g["dba"] += draw
        g["dWax"] += draw @ x[t].T
        g["dWaa"] += draw @ a[t - 1].T
        g["da_next"] = parameters["Waa"].T @ draw
    return g, a


def update_parameters(parameters, gradients, lr):
    for name in ("Wax", "Waa", "Wya", "ba", "by"):
        parameters[name] -= lr * gradients["d" + name]
    return parameters
