"""WildML-style RNNNumpy with one mistake (loss_grad_missing_one): The softmax gradient forgets to subtract 1 at the target.

Written for rnn-parity; `rnn-parity grade` fails it and names the mistake.
"""
import numpy as np


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


class RNNNumpy:
    def __init__(self, word_dim, hidden_dim=100, bptt_truncate=4):
        self.word_dim, self.hidden_dim, self.bptt_truncate = word_dim, hidden_dim, bptt_truncate
        self.U = np.random.uniform(-np.sqrt(1. / word_dim), np.sqrt(1. / word_dim), (hidden_dim, word_dim))
        self.V = np.random.uniform(-np.sqrt(1. / hidden_dim), np.sqrt(1. / hidden_dim), (word_dim, hidden_dim))
        self.W = np.random.uniform(-np.sqrt(1. / hidden_dim), np.sqrt(1. / hidden_dim), (hidden_dim, hidden_dim))


def forward_propagation(self, x):
    T = len(x)
    s = np.zeros((T + 1, self.hidden_dim))  # s[-1], the start state, stays zero
    o = np.zeros((T, self.word_dim))
    for t in range(T):
        s[t] = np.tanh(self.U[:, x[t]] + self.W.dot(s[t - 1]))
        o[t] = softmax(self.V.dot(s[t]))
    return [o, s]


RNNNumpy.forward_propagation = forward_propagation


def calculate_total_loss(self, X, Y):
    total = 0.0
    for x, y in zip(X, Y):
        o, _ = self.forward_propagation(x)
        total -= np.sum(np.log(o[np.arange(len(y)), y]))
    return total


RNNNumpy.calculate_total_loss = calculate_total_loss


def bptt(self, x, y):
    T = len(y)
    o, s = self.forward_propagation(x)
    dLdU, dLdV, dLdW = np.zeros(self.U.shape), np.zeros(self.V.shape), np.zeros(self.W.shape)
    delta_o = o
    for t in reversed(range(T)):
        dLdV += np.outer(delta_o[t], s[t])
        delta_t = self.V.T.dot(delta_o[t]) * (1 - s[t] ** 2)
        for step in reversed(range(max(0, t - self.bptt_truncate), t + 1)):
            dLdW += np.outer(delta_t, s[step - 1])
            dLdU[:, x[step]] += delta_t
            delta_t = self.W.T.dot(delta_t) * (1 - s[step - 1] ** 2)
    return [dLdU, dLdV, dLdW]


RNNNumpy.bptt = bptt


def sgd_step(self, x, y, learning_rate):
    dLdU, dLdV, dLdW = self.bptt(x, y)
    self.U -= learning_rate * dLdU
    self.V -= learning_rate * dLdV
    self.W -= learning_rate * dLdW


RNNNumpy.sgd_step = sgd_step

model = RNNNumpy(8000)
for epoch in range(100):  # the tutorial's training loop: never run by the grader
    for i in range(10 ** 6):
        model.sgd_step([0, 1, 2], [1, 2, 3], 0.005)
