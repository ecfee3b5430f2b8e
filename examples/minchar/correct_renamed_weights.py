"""A correct min-char-rnn port that renames everything (written for rnn-parity): the function is
loss_function, the weights are U (input to hidden), W (hidden to hidden), V (hidden to output), b_h and b_y,
and the function takes the vocabulary size as a fourth argument. The grader reads these names from the code,
sets U W V b_h b_y itself and passes vocab_size; the checks use the names: grad:U, grad:W, grad:V, ...

    rnn-parity grade examples/minchar/correct_renamed_weights.py
"""
import numpy as np

corpus = open("shakespeare.txt").read()  # never read by the grader
alphabet = sorted(set(corpus))
hidden_size, seq_length, learning_rate = 64, 16, 0.05

U = np.random.randn(hidden_size, len(alphabet)) * 0.01
W = np.random.randn(hidden_size, hidden_size) * 0.01
V = np.random.randn(len(alphabet), hidden_size) * 0.01
b_h = np.zeros((hidden_size, 1))
b_y = np.zeros((len(alphabet), 1))


def loss_function(inputs, targets, h_prev, vocab_size):
    states, probs, onehots = {-1: h_prev.copy()}, {}, {}
    total = 0.0
    for t in range(len(inputs)):
        onehots[t] = np.zeros((vocab_size, 1))
        onehots[t][inputs[t]] = 1.0
        states[t] = np.tanh(np.dot(U, onehots[t]) + np.dot(W, states[t - 1]) + b_h)
        o = np.dot(V, states[t]) + b_y
        probs[t] = np.exp(o - np.max(o)) / np.sum(np.exp(o - np.max(o)))
        total += -np.log(probs[t][targets[t], 0])
    dU, dW, dV = np.zeros_like(U), np.zeros_like(W), np.zeros_like(V)
    db_h, db_y = np.zeros_like(b_h), np.zeros_like(b_y)
    dh_next = np.zeros((hidden_size, 1))
    for t in reversed(range(len(inputs))):
        do = np.copy(probs[t])
        do[targets[t]] -= 1
        dV += np.dot(do, states[t].T)
        db_y += do
        dz = (1 - states[t] * states[t]) * (np.dot(V.T, do) + dh_next)
        db_h += dz
        dU += np.dot(dz, onehots[t].T)
        dW += np.dot(dz, states[t - 1].T)
        dh_next = np.dot(W.T, dz)
    return total, dU, dW, dV, db_h, db_y, states[len(inputs) - 1]


position, h = 0, np.zeros((hidden_size, 1))
for step in range(100000):
    ids = [alphabet.index(c) for c in corpus[position:position + seq_length + 1]]
    loss, dU, dW, dV, db_h, db_y, h = loss_function(ids[:-1], ids[1:], h, len(alphabet))
    for param, grad in zip((U, W, V, b_h, b_y), (dU, dW, dV, db_h, db_y)):
        param -= learning_rate * np.clip(grad, -5, 5)
    position = (position + seq_length) % (len(corpus) - seq_length - 1)
