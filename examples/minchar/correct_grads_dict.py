"""A correct min-char-rnn class port that returns its gradients in a dict (written for rnn-parity):
loss_and_grads(self, inputs, targets, h_prev) -> (loss, {"Wxh": dWxh, ..., "by": dby}, last state), with
the update step reading the dict by the weights' names. The grader finds the method by the weights it reads
and its name (it has "loss" in it), and reads the dict's keys against the weights' names.
"""
import numpy as np


class CharLevelRNN:
    def __init__(self, vocab_size, hidden_size=64, learning_rate=0.1):
        self.vocab_size, self.hidden_size, self.learning_rate = vocab_size, hidden_size, learning_rate
        self.Wxh = np.random.randn(hidden_size, vocab_size) * 0.01
        self.Whh = np.random.randn(hidden_size, hidden_size) * 0.01
        self.Why = np.random.randn(vocab_size, hidden_size) * 0.01
        self.bh = np.zeros((hidden_size, 1))
        self.by = np.zeros((vocab_size, 1))

    def loss_and_grads(self, inputs, targets, h_prev):
        xs, hs, ps = {}, {-1: np.copy(h_prev)}, {}
        loss = 0.0
        for t in range(len(inputs)):
            xs[t] = np.zeros((self.vocab_size, 1))
            xs[t][inputs[t]] = 1
            hs[t] = np.tanh(self.Wxh @ xs[t] + self.Whh @ hs[t - 1] + self.bh)
            scores = self.Why @ hs[t] + self.by
            ps[t] = np.exp(scores - scores.max()) / np.sum(np.exp(scores - scores.max()))
            loss -= np.log(ps[t][targets[t], 0])
        grads = {name: np.zeros_like(getattr(self, name)) for name in ("Wxh", "Whh", "Why", "bh", "by")}
        dh_next = np.zeros_like(hs[0])
        for t in reversed(range(len(inputs))):
            dy = ps[t].copy()
            dy[targets[t]] -= 1
            grads["Why"] += dy @ hs[t].T
            grads["by"] += dy
            dh_raw = (1 - hs[t] ** 2) * (self.Why.T @ dy + dh_next)
            grads["bh"] += dh_raw
            grads["Wxh"] += dh_raw @ xs[t].T
            grads["Whh"] += dh_raw @ hs[t - 1].T
            dh_next = self.Whh.T @ dh_raw
        return loss, grads, hs[len(inputs) - 1]

    def update_parameters(self, grads):
        for name, grad in grads.items():
            setattr(self, name, getattr(self, name) - self.learning_rate * np.clip(grad, -5, 5))
