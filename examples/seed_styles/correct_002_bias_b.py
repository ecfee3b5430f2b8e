"""A correct RNN in seed document 002's function style with the deeplearning.ai assignment's own key for the
hidden bias, 'b' (gradient 'db'), where seed 002 writes 'ba' (written for rnn-parity).

    rnn_step_forward(parameters, a_prev, x) -> (a_next, p_t)
    rnn_forward(X, Y, a0, parameters, vocab_size) -> (loss, (y_hat, a, x))
    rnn_backward(X, Y, parameters, cache) -> (gradients, a)     gradients: dWax dWaa dWya db dby da_next
    update_parameters(parameters, gradients, lr) -> parameters
"""
import numpy as np

NAMES = ("Wax", "Waa", "Wya", "b", "by")


def rnn_step_forward(parameters, a_prev, x):
    Wax, Waa, Wya, b, by = (parameters[k] for k in NAMES)
    a_next = np.tanh(Wax @ x + Waa @ a_prev + b)
    scores = Wya @ a_next + by
    e = np.exp(scores - scores.max())
    return a_next, e / e.sum(axis=0)


def rnn_forward(X, Y, a0, parameters, vocab_size=27):
    y_hat, a, x = {}, {-1: a0.copy()}, {}
    loss = 0.0
    for t in range(len(X)):
        x[t] = np.eye(vocab_size)[:, [X[t]]]
        a[t], y_hat[t] = rnn_step_forward(parameters, a[t - 1], x[t])
        loss += -np.log(y_hat[t][Y[t], 0])
    return loss, (y_hat, a, x)


def rnn_backward(X, Y, parameters, cache):
    y_hat, a, x = cache
    gradients = {"d" + k: np.zeros_like(parameters[k]) for k in NAMES}
    gradients["da_next"] = np.zeros_like(a[0])
    for t in range(len(X) - 1, -1, -1):
        dy = y_hat[t].copy()
        dy[Y[t]] -= 1
        gradients["dWya"] += np.outer(dy, a[t])
        gradients["dby"] += dy
        daraw = (1 - a[t] ** 2) * (parameters["Wya"].T @ dy + gradients["da_next"])
        gradients["db"] += daraw
        gradients["dWax"] += np.outer(daraw, x[t])
        gradients["dWaa"] += np.outer(daraw, a[t - 1])
        gradients["da_next"] = parameters["Waa"].T @ daraw
    return gradients, a


def update_parameters(parameters, gradients, lr):
    for k in NAMES:
        parameters[k] = parameters[k] - lr * gradients["d" + k]
    return parameters
