"""A correct min-char-rnn port that passes everything to lossFun as arguments (written for rnn-parity):
lossFun(inputs, targets, hprev, vocab_size, Wxh, Whh, Why, bh, by), kept as a plain function inside a class
that is only a namespace (called as Model.lossFun, no self). The grader passes the weights and the size by
their parameter names.
"""
import numpy as np


class Model:

    def lossFun(inputs, targets, hprev, vocab_size, Wxh, Whh, Why, bh, by):
        xs, hs, ps = {}, {-1: np.copy(hprev)}, {}
        loss = 0.0
        for t in range(len(inputs)):
            xs[t] = np.zeros((vocab_size, 1))
            xs[t][inputs[t]] = 1
            hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
            ys = np.dot(Why, hs[t]) + by
            ps[t] = np.exp(ys - np.max(ys)) / np.sum(np.exp(ys - np.max(ys)))
            loss += -np.log(ps[t][targets[t], 0])
        dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
        dbh, dby = np.zeros_like(bh), np.zeros_like(by)
        dhnext = np.zeros_like(hs[0])
        for t in reversed(range(len(inputs))):
            dy = np.copy(ps[t])
            dy[targets[t]] -= 1
            dWhy += np.dot(dy, hs[t].T)
            dby += dy
            dhraw = (1 - hs[t] * hs[t]) * (np.dot(Why.T, dy) + dhnext)
            dbh += dhraw
            dWxh += np.dot(dhraw, xs[t].T)
            dWhh += np.dot(dhraw, hs[t - 1].T)
            dhnext = np.dot(Whh.T, dhraw)
        for dparam in [dWxh, dWhh, dWhy, dbh, dby]:
            np.clip(dparam, -5, 5, out=dparam)
        return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]


if __name__ == "__main__":
    text = open("input.txt").read()
    chars = sorted(set(text))
    V, H = len(chars), 100
    weights = [np.random.randn(H, V) * 0.01, np.random.randn(H, H) * 0.01, np.random.randn(V, H) * 0.01,
               np.zeros((H, 1)), np.zeros((V, 1))]
    ids = [chars.index(c) for c in text[:26]]
    print(Model.lossFun(ids[:-1], ids[1:], np.zeros((H, 1)), V, *weights)[0])
