"""A correct min-char-rnn port that builds everything inside main() (written for rnn-parity): the weights are
local variables of main() and lossFun and sample are defined inside it, closing over them. The grader takes
lossFun out of main() as a module-level function and sets Wxh ... by (and vocab_size) as globals for it.
"""
import sys

import numpy as np


def main(path):
    data = open(path).read()
    chars = sorted(set(data))
    vocab_size, hidden_size, seq_length, learning_rate = len(chars), 100, 25, 0.1
    Wxh = np.random.randn(hidden_size, vocab_size) * 0.01
    Whh = np.random.randn(hidden_size, hidden_size) * 0.01
    Why = np.random.randn(vocab_size, hidden_size) * 0.01
    bh, by = np.zeros((hidden_size, 1)), np.zeros((vocab_size, 1))

    def lossFun(inputs, targets, hprev):
        xs, hs, ps = {}, {-1: np.copy(hprev)}, {}
        loss = 0
        for t in range(len(inputs)):
            xs[t] = np.zeros((vocab_size, 1))
            xs[t][inputs[t]] = 1
            hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
            ys = np.dot(Why, hs[t]) + by
            ps[t] = np.exp(ys - ys.max()) / np.sum(np.exp(ys - ys.max()))
            loss += -np.log(ps[t][targets[t], 0])
        dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
        dbh, dby, dhnext = np.zeros_like(bh), np.zeros_like(by), np.zeros_like(hs[0])
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

    def sample(h, seed_ix, n):
        x = np.zeros((vocab_size, 1))
        x[seed_ix] = 1
        out = []
        for _ in range(n):
            h = np.tanh(np.dot(Wxh, x) + np.dot(Whh, h) + bh)
            p = np.exp(np.dot(Why, h) + by)
            ix = np.random.choice(vocab_size, p=(p / p.sum()).ravel())
            x = np.zeros((vocab_size, 1))
            x[ix] = 1
            out.append(ix)
        return out

    p, hprev = 0, np.zeros((hidden_size, 1))
    mems = [np.zeros_like(w) for w in (Wxh, Whh, Why, bh, by)]
    while True:
        ids = [chars.index(c) for c in data[p:p + seq_length + 1]]
        loss, *grads, hprev = lossFun(ids[:-1], ids[1:], hprev)
        for param, dparam, mem in zip((Wxh, Whh, Why, bh, by), grads, mems):
            mem += dparam * dparam
            param += -learning_rate * dparam / np.sqrt(mem + 1e-8)
        p = (p + seq_length) % (len(data) - seq_length - 1)


if __name__ == "__main__":
    main(sys.argv[1])
