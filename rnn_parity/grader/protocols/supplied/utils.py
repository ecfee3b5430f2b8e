"""rnn-parity's stand-in for a course's utils module (the "Dinosaur Island" character-model helpers).

Written from the math for the grader; NumPy only. Column vectors: x_t (vocab, 1), a_t (n_a, 1).
Parameters: Wax (n_a, n_x), Waa (n_a, n_a), Wya (n_y, n_a), b (n_a, 1), by (n_y, 1).
Sequences are lists of character ids; None stands for the zero input vector of the first step.
"""
import numpy as np


def softmax(x):
    """Softmax over axis 0, shifted by the maximum so exp never overflows."""
    z = np.exp(x - np.max(x, axis=0, keepdims=True))
    return z / np.sum(z, axis=0, keepdims=True)


def smooth(loss, cur_loss):
    """Exponential moving average of the loss, weight 0.999 on the past."""
    return 0.999 * loss + 0.001 * cur_loss


def get_initial_loss(vocab_size, seq_length):
    """The loss of a uniform guess over the vocabulary, over seq_length characters."""
    return float(seq_length * np.log(vocab_size))


def print_sample(sample_ix, ix_to_char):
    """Print the sampled ids as text, capitalised."""
    text = "".join(ix_to_char[i] for i in sample_ix)
    print(text[0].upper() + text[1:] if text else text, end="")


def initialize_parameters(n_a, n_x, n_y):
    """Small random weights, zero biases."""
    return {"Wax": np.random.randn(n_a, n_x) * 0.01, "Waa": np.random.randn(n_a, n_a) * 0.01,
            "Wya": np.random.randn(n_y, n_a) * 0.01, "b": np.zeros((n_a, 1)), "by": np.zeros((n_y, 1))}


def rnn_step_forward(parameters, a_prev, x):
    """a_t = tanh(Wax x_t + Waa a_{t-1} + b), y_t = softmax(Wya a_t + by); returns (a_t, y_t)."""
    a_next = np.tanh(parameters["Wax"] @ x + parameters["Waa"] @ a_prev + parameters["b"])
    return a_next, softmax(parameters["Wya"] @ a_next + parameters["by"])


def rnn_step_backward(dy, gradients, parameters, x, a, a_prev):
    """Add one step's contribution to the gradients; gradients["da_next"] carries dL/da_t back one step."""
    gradients["dWya"] += dy @ a.T
    gradients["dby"] += dy
    da = parameters["Wya"].T @ dy + gradients["da_next"]
    draw = (1.0 - a * a) * da  # tanh'(z) = 1 - tanh(z)^2 = 1 - a^2
    gradients["db"] += draw
    gradients["dWax"] += draw @ x.T
    gradients["dWaa"] += draw @ a_prev.T
    gradients["da_next"] = parameters["Waa"].T @ draw
    return gradients


def update_parameters(parameters, gradients, lr):
    """One gradient-descent step, in place; returns parameters."""
    for name in ("Wax", "Waa", "Wya", "b", "by"):
        parameters[name] -= lr * gradients["d" + name]
    return parameters


def rnn_forward(X, Y, a0, parameters, vocab_size=27):
    """Forward over the ids X (None: a zero input), cross-entropy against Y; returns (loss, cache)."""
    xs, a, y_hat = {}, {-1: np.copy(a0)}, {}
    loss = 0.0
    for t, ix in enumerate(X):
        xs[t] = np.zeros((vocab_size, 1))
        if ix is not None:
            xs[t][ix] = 1.0
        a[t], y_hat[t] = rnn_step_forward(parameters, a[t - 1], xs[t])
        loss -= np.log(y_hat[t][Y[t], 0])
    return loss, (y_hat, a, xs)


def rnn_backward(X, Y, parameters, cache):
    """Backpropagation through time for rnn_forward's loss; returns (gradients, a)."""
    y_hat, a, xs = cache
    gradients = {"d" + name: np.zeros_like(parameters[name]) for name in ("Wax", "Waa", "Wya", "b", "by")}
    gradients["da_next"] = np.zeros_like(a[0])
    for t in reversed(range(len(X))):
        dy = np.copy(y_hat[t])
        dy[Y[t]] -= 1.0  # softmax - one_hot(target)
        gradients = rnn_step_backward(dy, gradients, parameters, xs[t], a[t], a[t - 1])
    return gradients, a
