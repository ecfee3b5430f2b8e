"""A correct RNN in seed document 002's function style whose rnn_forward builds its own cache (written for
rnn-parity): (step_caches, xs, hs, probs, Y), with the per-step states stacked in arrays, h0 kept in each
step's cache. rnn_backward reads only that cache, so it must be handed the one its own rnn_forward returned.

    rnn_step_forward(parameters, a_prev, x) -> (a_next, p_t)
    rnn_forward(X, Y, a0, parameters, n_x) -> (loss, (step_caches, xs, hs, probs, Y))
    rnn_backward(X, Y, parameters, cache) -> gradients        dWax dWaa dWya dba dby da0
"""
import numpy as np


def rnn_step_forward(parameters, a_prev, x):
    h = np.tanh(parameters["Wax"].dot(x) + parameters["Waa"].dot(a_prev) + parameters["ba"])
    z = parameters["Wya"].dot(h) + parameters["by"]
    p = np.exp(z - z.max())
    return h, p / p.sum()


def rnn_forward(X, Y, a0, parameters, n_x):
    steps, xs, hs, probs = [], np.zeros((len(X), n_x, 1)), [], []
    h, loss = a0, 0.0
    for t, ix in enumerate(X):
        xs[t, ix] = 1.0
        h_prev = h
        h, p = rnn_step_forward(parameters, h_prev, xs[t])
        steps.append((h_prev, h))
        hs.append(h)
        probs.append(p)
        loss += -np.log(p[Y[t], 0])
    return loss, (steps, xs, np.array(hs), np.array(probs), list(Y))


def rnn_backward(X, Y, parameters, cache):
    steps, xs, _, probs, targets = cache
    grads = {"d" + k: np.zeros_like(parameters[k]) for k in ("Wax", "Waa", "Wya", "ba", "by")}
    dh_next = np.zeros_like(steps[0][1])
    for t in range(len(steps) - 1, -1, -1):
        h_prev, h = steps[t]
        dz = probs[t].copy()
        dz[targets[t]] -= 1.0
        grads["dWya"] += dz.dot(h.T)
        grads["dby"] += dz
        draw = (1.0 - h * h) * (parameters["Wya"].T.dot(dz) + dh_next)
        grads["dba"] += draw
        grads["dWax"] += draw.dot(xs[t].T)
        grads["dWaa"] += draw.dot(h_prev.T)
        dh_next = parameters["Waa"].T.dot(draw)
    grads["da0"] = dh_next
    return grads


def update_parameters(parameters, gradients, lr):
    return {k: v - lr * gradients["d" + k] for k, v in parameters.items()}
