"""min-char-rnn's LSTM variant, in outline (written for rnn-parity): lossFun(inputs, targets, hprev, cprev)
carries the cell state too, and Wxh stacks the four gates. minchar grades the vanilla tanh RNN: the grader
refuses this file in one line naming the cell-state argument, instead of calling it with three arguments.
"""
import numpy as np

hidden_size = 32


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def lossFun(inputs, targets, hprev, cprev):
    H = hidden_size
    hs, cs, ps = {-1: np.copy(hprev)}, {-1: np.copy(cprev)}, {}
    loss = 0.0
    for t in range(len(inputs)):
        x = np.zeros((vocab_size, 1))
        x[inputs[t]] = 1
        z = np.dot(Wxh, x) + np.dot(Whh, hs[t - 1]) + bh
        i, f, o, g = sigmoid(z[:H]), sigmoid(z[H:2 * H]), sigmoid(z[2 * H:3 * H]), np.tanh(z[3 * H:])
        cs[t] = f * cs[t - 1] + i * g
        hs[t] = o * np.tanh(cs[t])
        y = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(y) / np.sum(np.exp(y))
        loss += -np.log(ps[t][targets[t], 0])
    return loss, hs[len(inputs) - 1], cs[len(inputs) - 1]
