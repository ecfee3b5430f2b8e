"""A min-char-rnn port with a bug real ports have (written for rnn-parity): the states are kept in a list of
one slot per step, and `hs[-1] = hprev` is that list's last slot, which the last step overwrites. The forward
pass is right (hs[-1] still holds hprev when t = 0 reads it), but the backward pass reads hs[t - 1] at t = 0
after the overwrite: dWhh comes out wrong. The grader fails grad:Whh and its note points at the list.
"""
import numpy as np


class ListRNN:
    def __init__(self, vocab_size, hidden_size):
        self.vocab_size = vocab_size
        self.Wxh = np.random.randn(hidden_size, vocab_size) * 0.01
        self.Whh = np.random.randn(hidden_size, hidden_size) * 0.01
        self.Why = np.random.randn(vocab_size, hidden_size) * 0.01
        self.bh = np.zeros((hidden_size, 1))
        self.by = np.zeros((vocab_size, 1))

    def lossFun(self, inputs, targets, hprev):
        n = len(inputs)
        xs = [np.zeros((self.vocab_size, 1)) for _ in range(n)]
        hs = [None for _ in range(n)]
        hs[-1] = np.copy(hprev)
        ps, loss = [None] * n, 0.0
        for t in range(n):
            xs[t][inputs[t]] = 1
            hs[t] = np.tanh(self.Wxh @ xs[t] + self.Whh @ hs[t - 1] + self.bh)
            y = self.Why @ hs[t] + self.by
            ps[t] = np.exp(y - y.max()) / np.sum(np.exp(y - y.max()))
            loss -= np.log(ps[t][targets[t], 0])
        dWxh, dWhh, dWhy = np.zeros_like(self.Wxh), np.zeros_like(self.Whh), np.zeros_like(self.Why)
        dbh, dby, dhnext = np.zeros_like(self.bh), np.zeros_like(self.by), np.zeros_like(hprev)
        for t in reversed(range(n)):
            dy = ps[t].copy()
            dy[targets[t]] -= 1
            dWhy += dy @ hs[t].T
            dby += dy
            dhraw = (1 - hs[t] ** 2) * (self.Why.T @ dy + dhnext)
            dbh += dhraw
            dWxh += dhraw @ xs[t].T
            dWhh += dhraw @ hs[t - 1].T
            dhnext = self.Whh.T @ dhraw
        return loss, dWxh, dWhh, dWhy, dbh, dby, hs[n - 1]
