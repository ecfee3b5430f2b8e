"""Dinosaur Island run outside Coursera (written for rnn-parity): the student pasted working copies of the
course's helpers into the file instead of `from utils import *`, so rnn_forward(X, Y, a0, parameters),
rnn_backward(X, Y, parameters, cache) and update_parameters(parameters, gradients, lr) sit beside clip and
optimize. The file is still Dinosaur Island: clip and optimize are graded, through these helpers."""
import numpy as np


def softmax(x):
    e = np.exp(x - np.max(x))
    return e / e.sum(axis=0)


def rnn_step_forward(parameters, a_prev, x):
    a_next = np.tanh(np.dot(parameters["Wax"], x) + np.dot(parameters["Waa"], a_prev) + parameters["b"])
    return a_next, softmax(np.dot(parameters["Wya"], a_next) + parameters["by"])


def rnn_forward(X, Y, a0, parameters, vocab_size=27):
    x, a, y_hat = {}, {-1: np.copy(a0)}, {}
    loss = 0
    for t in range(len(X)):
        x[t] = np.zeros((vocab_size, 1))
        if X[t] is not None:
            x[t][X[t]] = 1
        a[t], y_hat[t] = rnn_step_forward(parameters, a[t - 1], x[t])
        loss -= np.log(y_hat[t][Y[t], 0])
    return loss, (y_hat, a, x)


def rnn_backward(X, Y, parameters, cache):
    y_hat, a, x = cache
    gradients = {"d" + k: np.zeros_like(parameters[k]) for k in ("Wax", "Waa", "Wya", "b", "by")}
    da_next = np.zeros_like(a[0])
    for t in reversed(range(len(X))):
        dy = np.copy(y_hat[t])
        dy[Y[t]] -= 1
        gradients["dWya"] += np.dot(dy, a[t].T)
        gradients["dby"] += dy
        da = np.dot(parameters["Wya"].T, dy) + da_next
        dz = (1 - a[t] ** 2) * da
        gradients["db"] += dz
        gradients["dWax"] += np.dot(dz, x[t].T)
        gradients["dWaa"] += np.dot(dz, a[t - 1].T)
        da_next = np.dot(parameters["Waa"].T, dz)
    return gradients, a


def update_parameters(parameters, gradients, lr):
    for k in ("Wax", "Waa", "Wya", "b", "by"):
        parameters[k] += -lr * gradients["d" + k]
    return parameters


def clip(gradients, maxValue):
    for key, value in gradients.items():
        np.clip(value, -maxValue, maxValue, out=value)
    return gradients


def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    gradients = clip(gradients, 5)
    parameters = update_parameters(parameters, gradients, learning_rate)
    return loss, gradients, a[len(X) - 1]
