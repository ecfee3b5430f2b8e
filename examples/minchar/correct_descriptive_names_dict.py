"""A correct min-char-rnn port with descriptive names everywhere (written for rnn-parity): the weights are
input_weights, recurrent_weights, output_weights, hidden_bias, output_bias, the sizes numHidden and numChars,
the function is `step`, and it returns a dict. None of these names is min-char-rnn's, so the grader tells the
weights apart by how they are built (the one square matrix is the recurrent one, (hidden, chars) the input
one, ...) and reads the dict's keys against those names.
"""
import numpy as np

text = open("corpus.txt").read()  # never read by the grader
alphabet = sorted(set(text))
numChars, numHidden = len(alphabet), 128

input_weights = np.random.normal(0, 0.01, size=(numHidden, numChars))
recurrent_weights = np.random.normal(0, 0.01, size=(numHidden, numHidden))
output_weights = np.random.normal(0, 0.01, size=(numChars, numHidden))
hidden_bias = np.zeros((numHidden, 1))
output_bias = np.zeros((numChars, 1))


def step(inputs, targets, state):
    onehot, states, probs = {}, {-1: state.copy()}, {}
    loss = 0.0
    for t in range(len(inputs)):
        onehot[t] = np.zeros((numChars, 1))
        onehot[t][inputs[t]] = 1
        states[t] = np.tanh(input_weights @ onehot[t] + recurrent_weights @ states[t - 1] + hidden_bias)
        scores = output_weights @ states[t] + output_bias
        probs[t] = np.exp(scores - scores.max()) / np.exp(scores - scores.max()).sum()
        loss -= np.log(probs[t][targets[t], 0])
    d_input, d_recurrent, d_output = (np.zeros_like(w) for w in (input_weights, recurrent_weights, output_weights))
    d_hidden_bias, d_output_bias = np.zeros_like(hidden_bias), np.zeros_like(output_bias)
    carry = np.zeros((numHidden, 1))
    for t in reversed(range(len(inputs))):
        d_scores = probs[t].copy()
        d_scores[targets[t]] -= 1
        d_output += d_scores @ states[t].T
        d_output_bias += d_scores
        d_raw = (1 - states[t] ** 2) * (output_weights.T @ d_scores + carry)
        d_hidden_bias += d_raw
        d_input += d_raw @ onehot[t].T
        d_recurrent += d_raw @ states[t - 1].T
        carry = recurrent_weights.T @ d_raw
    return {"loss": loss, "d_input_weights": d_input, "d_recurrent_weights": d_recurrent,
            "d_output_weights": d_output, "d_hidden_bias": d_hidden_bias, "d_output_bias": d_output_bias,
            "last_state": states[len(inputs) - 1]}


state = np.zeros((numHidden, 1))
for epoch in range(50):
    ids = [alphabet.index(c) for c in text[:33]]
    result = step(ids[:-1], ids[1:], state)
