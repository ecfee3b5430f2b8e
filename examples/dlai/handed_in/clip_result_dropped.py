"""Dinosaur Island with the 2021 notebook's clip, which clips a deep copy, and an optimize written for the
older in-place clip (written for rnn-parity): `clip(gradients, 5)` on a line of its own drops the clipped
copy, so the update uses unclipped gradients. clip passes; optimize fails saying why, not as the
loop-variable mistake."""
import copy

import numpy as np
from utils import *


def clip(gradients, maxValue):
    gradients = copy.deepcopy(gradients)
    for name in ["dWax", "dWaa", "dWya", "db", "dby"]:
        np.clip(gradients[name], -maxValue, maxValue, out=gradients[name])
    return gradients


def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    clip(gradients, 5)
    parameters = update_parameters(parameters, gradients, learning_rate)
    return loss, gradients, a[len(X) - 1]
