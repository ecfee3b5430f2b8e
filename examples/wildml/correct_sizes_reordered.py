"""A correct RNNNumpy whose constructor takes the sizes the other way round (written for rnn-parity):
RNNNumpy(hidden_size, vocab_size, bptt_truncate=4), the methods written inside the class. The grader builds
it by the parameters' names, so self.vocab_size and self.hidden_size hold the sizes it probes with.
"""
import numpy as np


class RNNNumpy:
    def __init__(self, hidden_size, vocab_size, bptt_truncate=4):
        self.hidden_size, self.vocab_size, self.bptt_truncate = hidden_size, vocab_size, bptt_truncate
        self.U = np.random.normal(0, 0.01, (hidden_size, vocab_size))
        self.V = np.random.normal(0, 0.01, (vocab_size, hidden_size))
        self.W = np.random.normal(0, 0.01, (hidden_size, hidden_size))

    def forward_propagation(self, x):
        s = np.zeros((len(x) + 1, self.hidden_size))
        o = np.zeros((len(x), self.vocab_size))
        for t, word in enumerate(x):
            s[t] = np.tanh(self.U[:, word] + self.W @ s[t - 1])
            z = self.V @ s[t]
            o[t] = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        return o, s

    def bptt(self, x, y):
        o, s = self.forward_propagation(x)
        dU, dV, dW = np.zeros_like(self.U), np.zeros_like(self.V), np.zeros_like(self.W)
        delta_o = o.copy()
        delta_o[np.arange(len(y)), y] -= 1
        for t in range(len(y) - 1, -1, -1):
            dV += np.outer(delta_o[t], s[t])
            delta = (self.V.T @ delta_o[t]) * (1 - s[t] ** 2)
            for step in range(t, max(0, t - self.bptt_truncate) - 1, -1):
                dW += np.outer(delta, s[step - 1])
                dU[:, x[step]] += delta
                delta = (self.W.T @ delta) * (1 - s[step - 1] ** 2)
        return dU, dV, dW
