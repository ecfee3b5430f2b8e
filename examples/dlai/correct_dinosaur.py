"""The graded functions of deeplearning.ai's "Dinosaur Island" character model: written for rnn-parity.

utils (rnn_forward, rnn_backward, update_parameters, ...) is not in this folder: the grader supplies its
own definitions (and says so).
"""
import numpy as np
from utils import *  # noqa: F401,F403 - the course's helpers: rnn_forward, rnn_backward, update_parameters


def clip(gradients, maxValue):
    """Clip every gradient to [-maxValue, maxValue] in place."""
    dWaa, dWax, dWya = gradients["dWaa"], gradients["dWax"], gradients["dWya"]
    db, dby = gradients["db"], gradients["dby"]
    for gradient in [dWax, dWaa, dWya, db, dby]:
        np.clip(gradient, -maxValue, maxValue, out=gradient)
    return {"dWaa": dWaa, "dWax": dWax, "dWya": dWya, "db": db, "dby": dby}


def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
    """One training step: forward, backward through time, clip at 5, update."""
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    gradients = clip(gradients, 5)
    parameters = update_parameters(parameters, gradients, learning_rate)
    return loss, gradients, a[len(X) - 1]
