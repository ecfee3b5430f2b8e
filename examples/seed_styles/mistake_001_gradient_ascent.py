"""Seed 001 function style with one mistake (gradient_ascent): The update climbs the gradient.

Written for rnn-parity; `rnn-parity grade` fails it and names the mistake.
"""
import numpy as np


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


def forward_propagation(x, params, hidden_size):
    U, V, W, bh, by = params
    h = np.zeros((hidden_size, 1))
    outputs, hidden_states = [], []
    for x_t in x:
        h = np.tanh(U @ x_t + V @ h + bh)
        outputs.append(softmax(W @ h + by))
        hidden_states.append(h)
    return outputs, hidden_states


def clip_gradients(gradients, threshold=1.0):
    for g in gradients:
        np.clip(g, -threshold, threshold, out=g)


def backward_propagation(inputs, targets, outputs, hidden_states, params, learning_rate=0.01):
    U, V, W, bh, by = params
    dU, dV, dW, dbh, dby = (np.zeros_like(p) for p in params)
    loss = 0.0
    dh_next = np.zeros_like(hidden_states[0])
    for t in reversed(range(len(outputs))):
        loss -= float(np.sum(targets[t] * np.log(outputs[t])))
        dy = outputs[t] - targets[t]
        dW += dy @ hidden_states[t].T
        dby += dy
        dh = W.T @ dy + dh_next
        dh_raw = (1 - hidden_states[t] ** 2) * dh
        h_prev = hidden_states[t - 1] if t > 0 else np.zeros_like(dh_raw)
        dU += dh_raw @ inputs[t].T
        dV += dh_raw @ h_prev.T
        dbh += dh_raw
        dh_next = V.T @ dh_raw
    gradients = (dU, dV, dW, dbh, dby)
    clip_gradients(gradients)
    for p, g in zip(params, gradients):
        p += learning_rate * g
    return params, loss


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    params = tuple(rng.normal(0, 0.1, s) for s in ((50, 26), (50, 50), (26, 50), (50, 1), (26, 1)))
    for epoch in range(200):
        ids = rng.integers(0, 26, 6)
        x = np.eye(26)[ids[:-1]][:, :, None]
        y = np.eye(26)[ids[1:]][:, :, None]
        outputs, states = forward_propagation(x, params, 50)
        params, loss = backward_propagation(x, y, outputs, states, params, 1e-3)
