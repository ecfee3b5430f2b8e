#!/usr/bin/env python
# coding: utf-8

# A Step by Step notebook exported with `jupyter nbconvert --to script` (written for rnn-parity): its
# magics became get_ipython() calls and its test cells run at import, calling the course's test helpers.

# # Building your Recurrent Neural Network - Step by Step
#
# Written for rnn-parity: a notebook as handed in, test cells and all.


# In[1]:

import numpy as np
from rnn_utils import *
from public_tests import *
get_ipython().run_line_magic('matplotlib', 'inline')
get_ipython().run_line_magic('load_ext', 'autoreload')
get_ipython().run_line_magic('autoreload', '2')


# In[2]:

# GRADED FUNCTION: rnn_cell_forward

def rnn_cell_forward(xt, a_prev, parameters):
    ### START CODE HERE ### (≈2 lines)
    a_next = np.tanh(parameters["Waa"] @ a_prev + parameters["Wax"] @ xt + parameters["ba"])
    yt_pred = softmax(parameters["Wya"] @ a_next + parameters["by"])
    ### END CODE HERE ###
    return a_next, yt_pred, (a_next, a_prev, xt, parameters)


# In[3]:

np.random.seed(1)
xt_tmp = np.random.randn(3, 10)
a_prev_tmp = np.random.randn(5, 10)
parameters_tmp = {'Waa': np.random.randn(5, 5), 'Wax': np.random.randn(5, 3),
                  'Wya': np.random.randn(2, 5), 'ba': np.random.randn(5, 1), 'by': np.random.randn(2, 1)}
a_next_tmp, yt_pred_tmp, cache_tmp = rnn_cell_forward(xt_tmp, a_prev_tmp, parameters_tmp)
print("a_next[4] = \n", a_next_tmp[4])

# UNIT TESTS
rnn_cell_forward_tests(rnn_cell_forward)


# In[4]:

# GRADED FUNCTION: rnn_forward

def rnn_forward(x, a0, parameters):
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wya"].shape
    a, y_pred = np.zeros((n_a, m, T_x)), np.zeros((n_y, m, T_x))
    caches, a_next = [], a0
    for t in range(T_x):
        a_next, y_pred[:, :, t], cache = rnn_cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t] = a_next
        caches.append(cache)
    return a, y_pred, (caches, x)


# In[5]:

rnn_forward_test(rnn_forward)


# In[6]:

# GRADED FUNCTION: rnn_cell_backward

def rnn_cell_backward(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    dz = (1 - a_next ** 2) * da_next
    return {"dxt": parameters["Wax"].T @ dz, "da_prev": parameters["Waa"].T @ dz, "dWax": dz @ xt.T,
            "dWaa": dz @ a_prev.T, "dba": dz.sum(axis=1, keepdims=True)}


# In[7]:

gradients_tmp = rnn_cell_backward(np.random.randn(5, 10), cache_tmp)
print(gradients_tmp['dxt'].shape)


# In[8]:

# GRADED FUNCTION: rnn_backward

def rnn_backward(da, caches):
    caches, x = caches
    n_x, m, T_x = x.shape
    n_a = da.shape[0]
    dx = np.zeros((n_x, m, T_x))
    dWax, dWaa, dba = np.zeros((n_a, n_x)), np.zeros((n_a, n_a)), np.zeros((n_a, 1))
    da_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        g = rnn_cell_backward(da[:, :, t] + da_prevt, caches[t])
        dx[:, :, t], da_prevt = g["dxt"], g["da_prev"]
        dWax, dWaa, dba = dWax + g["dWax"], dWaa + g["dWaa"], dba + g["dba"]
    return {"dx": dx, "da0": da_prevt, "dWax": dWax, "dWaa": dWaa, "dba": dba}


# In[9]:
