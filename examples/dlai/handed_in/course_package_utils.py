"""Dinosaur Island's graded functions kept in a course folder of the student's repository, importing the
course helpers through that folder's package path (written for rnn-parity). The package is not handed in:
the grader supplies its own utils under that name, and says so. clip stores the clipped arrays back into
the dict (`gradients[key] = np.clip(...)`), the other correct way besides out=."""
import numpy as np
from deep_learning.sequence_models.utils import *


def clip(gradients, maxValue):
    for key in ["dWax", "dWaa", "dWya", "db", "dby"]:
        gradients[key] = np.clip(gradients[key], -maxValue, maxValue)
    return gradients


def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
    loss, cache = rnn_forward(X, Y, a_prev, parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    gradients = clip(gradients, maxValue=5)
    parameters = update_parameters(parameters, gradients, learning_rate)
    return loss, gradients, a[len(X) - 1]
