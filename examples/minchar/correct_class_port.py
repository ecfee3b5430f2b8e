"""A correct min-char-rnn port that wraps lossFun in a class (written for rnn-parity).

__init__ reads the text: the grader never runs it. It makes a bare instance, sets self.Wxh ... self.by and
the sizes on it, and calls its lossFun. Clipping happens in train(), not in lossFun: clip is not graded.
"""
import numpy as np


class CharRNN:
    def __init__(self, path, hidden_size=100, seq_length=25, learning_rate=1e-1):
        self.text = open(path).read()
        self.symbols = sorted(set(self.text))
        self.vocab_size, self.hidden_size = len(self.symbols), hidden_size
        self.seq_length, self.learning_rate = seq_length, learning_rate
        self.Wxh = np.random.randn(hidden_size, self.vocab_size) * 0.01
        self.Whh = np.random.randn(hidden_size, hidden_size) * 0.01
        self.Why = np.random.randn(self.vocab_size, hidden_size) * 0.01
        self.bh = np.zeros((hidden_size, 1))
        self.by = np.zeros((self.vocab_size, 1))

    def lossFun(self, inputs, targets, hprev):
        hs, ps, xs = {-1: hprev.copy()}, {}, {}
        loss = 0.0
        for t in range(len(inputs)):
            xs[t] = np.zeros((self.vocab_size, 1))
            xs[t][inputs[t], 0] = 1.0
            hs[t] = np.tanh(self.Wxh.dot(xs[t]) + self.Whh.dot(hs[t - 1]) + self.bh)
            logits = self.Why.dot(hs[t]) + self.by
            shifted = np.exp(logits - np.max(logits))
            ps[t] = shifted / shifted.sum()
            loss += -np.log(ps[t][targets[t], 0])
        grads = [np.zeros_like(w) for w in (self.Wxh, self.Whh, self.Why, self.bh, self.by)]
        dWxh, dWhh, dWhy, dbh, dby = grads
        back = np.zeros((self.hidden_size, 1))
        for t in reversed(range(len(inputs))):
            dy = ps[t].copy()
            dy[targets[t], 0] -= 1.0
            dWhy += dy.dot(hs[t].T)
            dby += dy
            draw = (1.0 - hs[t] ** 2) * (self.Why.T.dot(dy) + back)
            dbh += draw
            dWxh += draw.dot(xs[t].T)
            dWhh += draw.dot(hs[t - 1].T)
            back = self.Whh.T.dot(draw)
        return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]

    def train(self, steps):
        hprev, p = np.zeros((self.hidden_size, 1)), 0
        for _ in range(steps):
            if p + self.seq_length + 1 >= len(self.text):
                hprev, p = np.zeros((self.hidden_size, 1)), 0
            ids = [self.symbols.index(c) for c in self.text[p:p + self.seq_length + 1]]
            loss, *grads, hprev = self.lossFun(ids[:-1], ids[1:], hprev)
            for param, dparam in zip((self.Wxh, self.Whh, self.Why, self.bh, self.by), grads):
                np.clip(dparam, -5, 5, out=dparam)
                param -= self.learning_rate * dparam
            p += self.seq_length


if __name__ == "__main__":
    CharRNN("input.txt").train(10 ** 9)
