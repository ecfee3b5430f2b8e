"""deeplearning.ai "Step by Step" handed in before the optional backward part was done (written for
rnn-parity): rnn_cell_backward still stores the template's None placeholders in its dict. Its checks fail,
saying so; the forward cell is graded and passes."""
import numpy as np
from rnn_utils import *


def rnn_cell_forward(xt, a_prev, parameters):
    a_next = np.tanh(np.dot(parameters["Wax"], xt) + np.dot(parameters["Waa"], a_prev) + parameters["ba"])
    yt_pred = softmax(np.dot(parameters["Wya"], a_next) + parameters["by"])
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)


def rnn_cell_backward(da_next, cache):
    (a_next, a_prev, xt, parameters) = cache
    ### START CODE HERE ###
    dtanh = None
    dxt = None
    dWax = None
    da_prev = None
    dWaa = None
    dba = None
    ### END CODE HERE ###
    gradients = {"dxt": dxt, "da_prev": da_prev, "dWax": dWax, "dWaa": dWaa, "dba": dba}
    return gradients
