"""A names-generator style class (forward / loss / backward / clip) whose per-step activation and loss objects
come from a helper module that is not handed in with it, as tutorial ports often do."""
import numpy as np
from rnn_helpers import CrossEntropyLoss, Softmax, Tanh


class CharRNN:
    def __init__(self, input_dim, output_dim, hidden_dim):
        rng = np.random.default_rng(0)
        self.hidden_dim = hidden_dim
        self.Wax = rng.standard_normal((hidden_dim, input_dim)) * 0.01
        self.Waa = rng.standard_normal((hidden_dim, hidden_dim)) * 0.01
        self.Wya = rng.standard_normal((output_dim, hidden_dim)) * 0.01
        self.b = np.zeros((hidden_dim, 1))
        self.by = np.zeros((output_dim, 1))

    def forward(self, xs):
        self.xs = xs
        self.acts = [Tanh() for _ in xs]
        self.outs = [Softmax() for _ in xs]
        self.states = [np.zeros((self.hidden_dim, 1))]
        self.probs = []
        for x, act, out in zip(xs, self.acts, self.outs):
            a = act.forward(self.Wax @ x + self.Waa @ self.states[-1] + self.b)
            self.states.append(a)
            self.probs.append(out.forward(self.Wya @ a + self.by))
        return self.probs

    def loss(self, ys):
        self.losses = [CrossEntropyLoss() for _ in ys]
        return sum(f.forward(p, y) for f, p, y in zip(self.losses, self.probs, ys))

    def backward(self):
        self.dWax, self.dWaa, self.dWya = (np.zeros_like(w) for w in (self.Wax, self.Waa, self.Wya))
        self.db, self.dby = np.zeros_like(self.b), np.zeros_like(self.by)
        carry = np.zeros_like(self.b)
        for t in reversed(range(len(self.xs))):
            dlogits = self.losses[t].backward()
            self.dWya += dlogits @ self.states[t + 1].T
            self.dby += dlogits
            dz = self.acts[t].backward(self.Wya.T @ dlogits + carry)
            self.db += dz
            self.dWax += dz @ self.xs[t].T
            self.dWaa += dz @ self.states[t].T
            carry = self.Waa.T @ dz

    def clip(self, limit):
        for g in (self.dWax, self.dWaa, self.dWya, self.db, self.dby):
            np.clip(g, -limit, limit, out=g)
