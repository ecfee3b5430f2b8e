"""One interface over the three cells, so the layer stacking in model.py is written once for all of them.

A direction's state is a tuple: (h,) for the RNN and the GRU, (h, c) for the LSTM. Each cell's
run_forward / run_backward wraps its module's recurrence (layers.py, lstm.py, gru.py):

    run_forward(xproj, state0, rec, mask) -> (hs, state_n, cache)
        xproj (T, B, G*H) input projection in processing order; hs (T+1, B, S) with hs[0] = h0.
    run_backward(dys, dstate_n, cache, rec, mask) -> (dxproj, dstate0, grads)
        dxproj (T, B, G*H), the gradient on the input projection; grads: "Whh", "b" (the gradient of a bias
        added to xproj), "bhh" for the GRU (its b_hh sits inside the recurrence) and "Whr" for a projection.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from . import gru, layers, lstm


class Recurrent(NamedTuple):
    """One direction's recurrent weights."""

    Whh: np.ndarray  # (G*H, S)
    bhh: np.ndarray | None = None  # (3H,): the GRU's b_hh, which the reset gate scales; None otherwise
    Whr: np.ndarray | None = None  # (P, H): the LSTM's projection; None without one
    nonlinearity: str = "tanh"  # the RNN's


class Cell(NamedTuple):
    run_forward: Callable
    run_backward: Callable
    folds_bhh: bool  # b_hh can be added to the input projection (not for the GRU, whose reset gate scales it)


def _rnn_forward(xproj, state0, rec: Recurrent, mask):
    hs = layers.recurrence_forward(xproj, state0[0], rec.Whh, rec.nonlinearity, mask)
    return hs, (hs[-1],), hs


def _rnn_backward(dys, dstate_n, hs, rec: Recurrent, mask):
    dA, dh0 = layers.recurrence_backward(dys, dstate_n[0], hs, rec.Whh, rec.nonlinearity, mask)
    dWhh, db = layers.recurrent_weight_grads(dA, hs)
    return dA, (dh0,), {"Whh": dWhh, "b": db}


def _lstm_forward(xproj, state0, rec: Recurrent, mask):
    hs, c_n, caches = lstm.recurrence_forward(xproj, state0[0], state0[1], rec.Whh, rec.Whr, mask)
    return hs, (hs[-1], c_n), (hs, caches)


def _lstm_backward(dys, dstate_n, cache, rec: Recurrent, mask):
    hs, caches = cache
    dA, dh0, dc0, dWhr = lstm.recurrence_backward(dys, dstate_n[0], dstate_n[1], caches, rec.Whh, rec.Whr, mask)
    dWhh, db = layers.recurrent_weight_grads(dA, hs)  # a_t = ... + h_{t-1} Whh^T, as in the RNN
    grads = {"Whh": dWhh, "b": db}
    if dWhr is not None:
        grads["Whr"] = dWhr
    return dA, (dh0, dc0), grads


def _gru_forward(xproj, state0, rec: Recurrent, mask):
    hs, caches = gru.recurrence_forward(xproj, state0[0], rec.Whh, rec.bhh, mask)
    return hs, (hs[-1],), (hs, caches)


def _gru_backward(dys, dstate_n, cache, rec: Recurrent, mask):
    hs, caches = cache
    dP, dQ, dh0 = gru.recurrence_backward(dys, dstate_n[0], caches, rec.Whh, mask)
    dWhh, dbhh = layers.recurrent_weight_grads(dQ, hs)  # q_t = h_{t-1} Whh^T + b_hh
    db = dP.sum(axis=(0, 1))  # p_t = x_t Wxh^T + b_ih
    return dP, (dh0,), {"Whh": dWhh, "b": db, "bhh": dbhh}


CELLS = {
    "rnn": Cell(_rnn_forward, _rnn_backward, folds_bhh=True),
    "lstm": Cell(_lstm_forward, _lstm_backward, folds_bhh=True),
    "gru": Cell(_gru_forward, _gru_backward, folds_bhh=False),
}
