"""A correct min-char-rnn class port that takes its inputs and targets one-hot (written for rnn-parity):
inputs[t] and targets[t] are (V, 1) columns, the data set having encoded them; the target ids come from
np.argmax. The grader first calls it on token ids, as min-char-rnn takes them; that fails, so it calls it on
one-hot columns (T, V, 1) and grades that, saying so.
"""
import numpy as np


class CharNet:
    def __init__(self, hidden_size, vocab_size):
        self.Wxh = np.random.randn(hidden_size, vocab_size) * 0.01
        self.Whh = np.random.randn(hidden_size, hidden_size) * 0.01
        self.Why = np.random.randn(vocab_size, hidden_size) * 0.01
        self.bh = np.zeros((hidden_size, 1))
        self.by = np.zeros((vocab_size, 1))

    def forward(self, inputs, labels, hs):
        ps, loss = {}, 0.0
        for t in range(len(inputs)):
            hs[t] = np.tanh(self.Wxh @ inputs[t] + self.Whh @ hs[t - 1] + self.bh)
            y = self.Why @ hs[t] + self.by
            ps[t] = np.exp(y - y.max()) / np.sum(np.exp(y - y.max()))
            loss -= np.log(ps[t][labels[t], 0])
        return loss, ps

    def backward(self, inputs, labels, hs, ps):
        dWxh, dWhh, dWhy = np.zeros_like(self.Wxh), np.zeros_like(self.Whh), np.zeros_like(self.Why)
        dbh, dby = np.zeros_like(self.bh), np.zeros_like(self.by)
        dhnext = np.zeros_like(hs[0])
        for t in reversed(range(len(inputs))):
            dy = ps[t].copy()
            dy[labels[t]] -= 1
            dWhy += dy @ hs[t].T
            dby += dy
            dhraw = (1 - hs[t] ** 2) * (self.Why.T @ dy + dhnext)
            dbh += dhraw
            dWxh += dhraw @ inputs[t].T
            dWhh += dhraw @ hs[t - 1].T
            dhnext = self.Whh.T @ dhraw
        return dWxh, dWhh, dWhy, dbh, dby

    def lossFun(self, inputs, targets, hprev):
        labels = [int(i) for i in np.argmax(targets, axis=1).ravel()]
        hs = {-1: np.copy(hprev)}
        loss, ps = self.forward(inputs, labels, hs)
        return (loss, *self.backward(inputs, labels, hs, ps), hs[len(inputs) - 1])
