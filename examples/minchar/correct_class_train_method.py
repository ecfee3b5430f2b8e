"""A correct min-char-rnn port whose loss method is called `train` and takes the vocabulary size too
(written for rnn-parity): train(self, inputs, targets, vocab_size, hidden_initial). The grader finds it by
what it does (it reads the five weights and returns the loss, five gradients and the state), not its name.
"""
import numpy as np


class TextModel:
    def __init__(self, vocab_size, hidden_size, learning_rate):
        self.learning_rate = learning_rate
        self.Wxh = np.random.randn(hidden_size, vocab_size) * 0.01
        self.Whh = np.random.randn(hidden_size, hidden_size) * 0.01
        self.Why = np.random.randn(vocab_size, hidden_size) * 0.01
        self.bh = np.zeros((hidden_size, 1))
        self.by = np.zeros((vocab_size, 1))
        self.memory = [np.zeros_like(p) for p in self.parameters()]

    def parameters(self):
        return [self.Wxh, self.Whh, self.Why, self.bh, self.by]

    def train(self, inputs, targets, vocab_size, hidden_initial):
        n = len(inputs)
        xs = [np.eye(vocab_size)[:, [i]] for i in inputs]
        hs = {-1: hidden_initial.copy()}
        ps = {}
        loss = 0.0
        for t in range(n):
            hs[t] = np.tanh(self.Wxh @ xs[t] + self.Whh @ hs[t - 1] + self.bh)
            scores = self.Why @ hs[t] + self.by
            ps[t] = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
            loss += -np.log(ps[t][targets[t], 0])
        grads = [np.zeros_like(p) for p in self.parameters()]
        dWxh, dWhh, dWhy, dbh, dby = grads
        dh_next = np.zeros_like(hs[0])
        for t in reversed(range(n)):
            dy = ps[t].copy()
            dy[targets[t]] -= 1.0
            dWhy += dy @ hs[t].T
            dby += dy
            draw = (1.0 - hs[t] ** 2) * (self.Why.T @ dy + dh_next)
            dbh += draw
            dWxh += draw @ xs[t].T
            dWhh += draw @ hs[t - 1].T
            dh_next = self.Whh.T @ draw
        return loss, dWxh, dWhh, dWhy, dbh, dby, hs[n - 1]

    def update(self, grads):
        for param, dparam, mem in zip(self.parameters(), grads, self.memory):
            mem += dparam * dparam
            param += -self.learning_rate * dparam / np.sqrt(mem + 1e-8)
