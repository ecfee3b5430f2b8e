"""An unfinished min-char-rnn homework (written for rnn-parity): the loss function has its own name,
compute_loss, the forward pass is written and the backward pass is still a TODO, so it returns None. The
grader finds it by its name and the weights it reads, and fails it saying nothing came back, rather than
answering that the file defines nothing it knows.
"""
import numpy as np

text = open("inputs.txt").read()  # never read by the grader
vocab = sorted(set(text))
vocab_size, h_dim = len(vocab), 16

W_in = np.random.normal(size=(h_dim, vocab_size)) * 0.01
W_h = np.random.normal(size=(h_dim, h_dim)) * 0.01
W_op = np.random.normal(size=(vocab_size, h_dim)) * 0.01
b_h = np.zeros((h_dim, 1))
b_out = np.zeros((vocab_size, 1))


def compute_loss(inputs, targets, h_prev):
    hs, loss = {-1: h_prev}, 0.0
    for t in range(len(inputs)):
        x = np.zeros((vocab_size, 1))
        x[inputs[t]] = 1
        hs[t] = np.tanh(W_in @ x + W_h @ hs[t - 1] + b_h)
        y = W_op @ hs[t] + b_out
        p = np.exp(y) / np.sum(np.exp(y))
        loss -= np.log(p[targets[t], 0])
    # TODO: backward pass


while True:
    loss, dW_in, dW_h, dW_op, db_h, db_out, h = compute_loss([0, 1], [1, 2], np.zeros((h_dim, 1)))
