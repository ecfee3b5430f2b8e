"""A correct RNNNumpy as the WildML tutorial hands it out, Python 2 and all (written for rnn-parity):
`print "..."` statements, xrange, `import operator`, softmax from the tutorial's own utils module (star
import), and a helper from it that rnn-parity does not define (save_model_parameters_numpy). The grader
converts the file from Python 2, puts a stand-in in place of that utils module (its star import gets
softmax from rnn-parity's definitions) and grades the methods attached after the class.
"""
import operator
import numpy as np
from utils import *
from utils import save_model_parameters_numpy


class RNNNumpy:

    def __init__(self, word_dim, hidden_dim=100, bptt_truncate=4):
        self.word_dim = word_dim
        self.hidden_dim = hidden_dim
        self.bptt_truncate = bptt_truncate
        self.U = np.random.uniform(-np.sqrt(1./word_dim), np.sqrt(1./word_dim), (hidden_dim, word_dim))
        self.V = np.random.uniform(-np.sqrt(1./hidden_dim), np.sqrt(1./hidden_dim), (word_dim, hidden_dim))
        self.W = np.random.uniform(-np.sqrt(1./hidden_dim), np.sqrt(1./hidden_dim), (hidden_dim, hidden_dim))


def forward_propagation(self, x):
    T = len(x)
    s = np.zeros((T + 1, self.hidden_dim))
    s[-1] = np.zeros(self.hidden_dim)
    o = np.zeros((T, self.word_dim))
    for t in xrange(T):
        s[t] = np.tanh(self.U[:, x[t]] + self.W.dot(s[t-1]))
        o[t] = softmax(self.V.dot(s[t]))
    return [o, s]

RNNNumpy.forward_propagation = forward_propagation


def predict(self, x):
    o, s = self.forward_propagation(x)
    return np.argmax(o, axis=1)

RNNNumpy.predict = predict


def bptt(self, x, y):
    T = len(y)
    o, s = self.forward_propagation(x)
    dLdU = np.zeros(self.U.shape)
    dLdV = np.zeros(self.V.shape)
    dLdW = np.zeros(self.W.shape)
    delta_o = o
    delta_o[np.arange(len(y)), y] -= 1.
    for t in np.arange(T)[::-1]:
        dLdV += np.outer(delta_o[t], s[t].T)
        delta_t = self.V.T.dot(delta_o[t]) * (1 - (s[t] ** 2))
        for bptt_step in np.arange(max(0, t - self.bptt_truncate), t + 1)[::-1]:
            dLdW += np.outer(delta_t, s[bptt_step - 1])
            dLdU[:, x[bptt_step]] += delta_t
            delta_t = self.W.T.dot(delta_t) * (1 - s[bptt_step - 1] ** 2)
    return [dLdU, dLdV, dLdW]

RNNNumpy.bptt = bptt


def gradient_check(self, x, y, h=0.001, error_threshold=0.01):
    bptt_gradients = self.bptt(x, y)
    for pidx, pname in enumerate(['U', 'V', 'W']):
        parameter = operator.attrgetter(pname)(self)
        print "Performing gradient check for parameter %s with size %d." % (pname, np.prod(parameter.shape))
    return bptt_gradients

RNNNumpy.gradient_check = gradient_check


def sgd_step(self, x, y, learning_rate):
    dLdU, dLdV, dLdW = self.bptt(x, y)
    self.U -= learning_rate * dLdU
    self.V -= learning_rate * dLdV
    self.W -= learning_rate * dLdW

RNNNumpy.sgd_step = sgd_step

model = RNNNumpy(8000)
print "Training..."
