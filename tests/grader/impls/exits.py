"""Calls sys.exit in forward."""
import sys


def forward(params, inputs, h0):
    sys.exit(3)


def backward(params, cache, d_outputs):
    return {}
