"""Loops forever in forward."""
import numpy as np


def forward(params, inputs, h0):
    while True:
        pass


def backward(params, cache, d_outputs):
    return {}
