"""A correct min-char-rnn port that keeps the biases and the hidden state flat, (n,) instead of (n, 1)
(written for rnn-parity). The grader reads that from `bh = np.zeros(hidden_size)`, probes with flat vectors
and expects dbh, dby and the last hidden state flat.
"""
import numpy as np

data = open("input.txt").read()  # never read by the grader
chars = sorted(set(data))
vocab_size, hidden_size, seq_length = len(chars), 50, 20

Wxh = np.random.randn(hidden_size, vocab_size) * 0.01
Whh = np.random.randn(hidden_size, hidden_size) * 0.01
Why = np.random.randn(vocab_size, hidden_size) * 0.01
bh = np.zeros(hidden_size)
by = np.zeros(vocab_size)


def lossFun(inputs, targets, hprev):
    hs = {-1: np.array(hprev, dtype=float)}
    ps = {}
    loss = 0.0
    for t, ix in enumerate(inputs):
        hs[t] = np.tanh(Wxh[:, ix] + Whh @ hs[t - 1] + bh)  # a column of Wxh: the one-hot product
        y = Why @ hs[t] + by
        ps[t] = np.exp(y - y.max()) / np.exp(y - y.max()).sum()
        loss -= np.log(ps[t][targets[t]])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros(hidden_size)
    for t in reversed(range(len(inputs))):
        dy = ps[t].copy()
        dy[targets[t]] -= 1
        dWhy += np.outer(dy, hs[t])
        dby += dy
        dhraw = (1 - hs[t] ** 2) * (Why.T @ dy + dhnext)
        dbh += dhraw
        dWxh[:, inputs[t]] += dhraw
        dWhh += np.outer(dhraw, hs[t - 1])
        dhnext = Whh.T @ dhraw
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]


hprev, p = np.zeros(hidden_size), 0
while True:
    ids = [chars.index(c) for c in data[p:p + seq_length + 1]]
    loss, dWxh, dWhh, dWhy, dbh, dby, hprev = lossFun(ids[:-1], ids[1:], hprev)
    for param, dparam in zip((Wxh, Whh, Why, bh, by), (dWxh, dWhh, dWhy, dbh, dby)):
        param -= 0.1 * np.clip(dparam, -5, 5)
    p = (p + seq_length) % (len(data) - seq_length - 1)
