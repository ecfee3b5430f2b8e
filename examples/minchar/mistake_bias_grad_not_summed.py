"""min-char-rnn with one mistake (bias_grad_not_summed): The hidden-bias gradient is assigned, not summed, over the steps.

Written for rnn-parity; `rnn-parity grade` fails it and names the mistake.
"""
import numpy as np

text = open("input.txt").read()  # never read by the grader
symbols = sorted(set(text))
vocab_size = len(symbols)
hidden_size = 100
seq_length = 25
learning_rate = 1e-1

Wxh = np.random.randn(hidden_size, vocab_size) * 0.01
Whh = np.random.randn(hidden_size, hidden_size) * 0.01
Why = np.random.randn(vocab_size, hidden_size) * 0.01
bh = np.zeros((hidden_size, 1))
by = np.zeros((vocab_size, 1))


def lossFun(inputs, targets, hprev):
    """inputs, targets: lists of ints; hprev (H, 1). Returns the loss, the gradients and the last state."""
    xs, hs, ps = {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0.0
    for t, token in enumerate(inputs):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][token] = 1
        hs[t] = np.tanh(Wxh @ xs[t] + Whh @ hs[t - 1] + bh)
        scores = Why @ hs[t] + by
        e = np.exp(scores - scores.max())
        ps[t] = e / e.sum()
        loss -= np.log(ps[t][targets[t], 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    carry = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dscores = ps[t].copy()
        dscores[targets[t]] -= 1
        dWhy += dscores @ hs[t].T
        dby += dscores
        dh = Why.T @ dscores + carry
        dpre = (1 - hs[t] ** 2) * dh
        dbh = dpre
        dWxh += dpre @ xs[t].T
        dWhh += dpre @ hs[t - 1].T
        carry = Whh.T @ dpre
    for grad in (dWxh, dWhh, dWhy, dbh, dby):
        np.clip(grad, -5, 5, out=grad)
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]


n, p = 0, 0
hprev = np.zeros((hidden_size, 1))
while True:  # trains forever, as the original does
    if p + seq_length + 1 >= len(text) or n == 0:
        hprev, p = np.zeros((hidden_size, 1)), 0
    ids = [symbols.index(c) for c in text[p:p + seq_length + 1]]
    loss, dWxh, dWhh, dWhy, dbh, dby, hprev = lossFun(ids[:-1], ids[1:], hprev)
    for param, dparam in zip((Wxh, Whh, Why, bh, by), (dWxh, dWhh, dWhy, dbh, dby)):
        param -= learning_rate * dparam
    p += seq_length
    n += 1
