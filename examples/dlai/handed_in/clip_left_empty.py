"""Dinosaur Island handed in with clip's loop body still the template's placeholder (written for
rnn-parity). Its values are those of the unclipped gradients, as when a clipped copy is dropped, but nothing
here clips at all: clip fails saying so, not with the rebinding mistake. optimize clips through it too."""
import numpy as np
from utils import *


def clip(gradients, maxValue):
    dWaa, dWax, dWya, db, dby = gradients['dWaa'], gradients['dWax'], gradients['dWya'], gradients['db'], gradients['dby']
    ### START CODE HERE ###
    # clip to mitigate exploding gradients, loop over [dWax, dWaa, dWya, db, dby]. (≈2 lines)
    for gradient in [dWax, dWaa, dWya, db, dby]:
        None
    ### END CODE HERE ###
    return {"dWaa": dWaa, "dWax": dWax, "dWya": dWya, "db": db, "dby": dby}


def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    gradients = clip(gradients, 5)
    parameters = update_parameters(parameters, gradients, learning_rate)
    return loss, gradients, a[len(X) - 1]
