"""A correct RNNNumpy whose constructor requires bptt_truncate (written for rnn-parity):
RNNNumpy(word_dim, hidden_dim, bptt_truncate) with no defaults. The grader builds it with bptt_truncate >= T
and says there is no default truncation to compare with.
"""
import numpy as np


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


class RNNNumpy:
    def __init__(self, word_dim, hidden_dim, bptt_truncate):
        self.word_dim, self.hidden_dim, self.bptt_truncate = word_dim, hidden_dim, bptt_truncate
        self.U = np.random.uniform(-0.1, 0.1, (hidden_dim, word_dim))
        self.V = np.random.uniform(-0.1, 0.1, (word_dim, hidden_dim))
        self.W = np.random.uniform(-0.1, 0.1, (hidden_dim, hidden_dim))

    def forward_propagation(self, x):
        s = np.zeros((len(x) + 1, self.hidden_dim))
        o = np.zeros((len(x), self.word_dim))
        for t in range(len(x)):
            s[t] = np.tanh(self.U[:, x[t]] + self.W.dot(s[t - 1]))
            o[t] = softmax(self.V.dot(s[t]))
        return [o, s]

    def bptt(self, x, y):
        o, s = self.forward_propagation(x)
        dLdU, dLdV, dLdW = np.zeros(self.U.shape), np.zeros(self.V.shape), np.zeros(self.W.shape)
        delta_o = o
        delta_o[np.arange(len(y)), y] -= 1.0
        for t in np.arange(len(y))[::-1]:
            dLdV += np.outer(delta_o[t], s[t])
            delta_t = self.V.T.dot(delta_o[t]) * (1 - s[t] ** 2)
            for step in np.arange(max(0, t - self.bptt_truncate), t + 1)[::-1]:
                dLdW += np.outer(delta_t, s[step - 1])
                dLdU[:, x[step]] += delta_t
                delta_t = self.W.T.dot(delta_t) * (1 - s[step - 1] ** 2)
        return [dLdU, dLdV, dLdW]
