"""One direction of one recurrent layer: the step functions and the explicit BPTT loop.

Row-vector convention, as in torch: x_t is (B, D), h_t is (B, H) and
    a_t = x_t Wxh^T + b + h_{t-1} Whh^T,    h_t = act(a_t).
The input projection x_t Wxh^T + b of every step is computed in one product before the loop
(see model.py); the loop only carries the recurrence.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np


class StepCache(NamedTuple):
    """What one step's backward needs: the state it started from and the state it produced."""

    h_prev: np.ndarray  # (B, H)
    h: np.ndarray  # (B, H), post-activation


def activation(a: np.ndarray, nonlinearity: str) -> np.ndarray:
    if nonlinearity == "tanh":
        return np.tanh(a)
    return np.maximum(a, 0.0)


def activation_grad(h: np.ndarray, nonlinearity: str) -> np.ndarray:
    """act'(a_t), written in terms of the post-activation h_t = act(a_t), which is what the cache keeps."""
    if nonlinearity == "tanh":
        return 1.0 - h * h  # tanh'(a) = 1 - tanh(a)^2 = 1 - h^2
    return (h > 0).astype(h.dtype)


def step_forward(xproj_t: np.ndarray, h_prev: np.ndarray, Whh: np.ndarray, nonlinearity: str):
    """One time step.

    xproj_t: (B, H) input projection x_t Wxh^T + b; h_prev: (B, H); Whh: (H, H).
    Returns h: (B, H) and a StepCache.
    """
    # ndarray.dot makes the same BLAS call as @ (bit-identical results) at a third of the call overhead,
    # which is most of a step's cost at B=1.
    a = xproj_t + h_prev.dot(Whh.T)
    h = activation(a, nonlinearity)
    return h, StepCache(h_prev, h)


def step_backward(dh: np.ndarray, cache: StepCache, Whh: np.ndarray, nonlinearity: str):
    """Backward through one time step.

    dh: (B, H) gradient on h_t (from the output at t and from step t+1).
    Returns da: (B, H), the gradient on the pre-activation a_t, and dh_prev: (B, H), the gradient on h_{t-1}.
    """
    da = dh * activation_grad(cache.h, nonlinearity)
    dh_prev = da.dot(Whh)
    return da, dh_prev


def recurrence_forward(xproj: np.ndarray, h0: np.ndarray, Whh: np.ndarray, nonlinearity: str,
                       mask: np.ndarray | None) -> np.ndarray:
    """Run the recurrence over T steps in processing order.

    xproj: (T, B, H); h0: (B, H); mask: (T, B, 1) bool, False on padded steps, or None.
    Returns hs: (T+1, B, H) with hs[0] = h0 and hs[t+1] = h_t. A padded step keeps the state unchanged,
    which is what pack_padded_sequence does.
    """
    T = xproj.shape[0]
    hs = np.empty((T + 1,) + h0.shape, dtype=xproj.dtype)
    hs[0] = h0
    for t in range(T):
        h, _ = step_forward(xproj[t], hs[t], Whh, nonlinearity)
        hs[t + 1] = h if mask is None else np.where(mask[t], h, hs[t])
    return hs


def recurrence_backward(dys: np.ndarray, dh_last: np.ndarray, hs: np.ndarray, Whh: np.ndarray,
                        nonlinearity: str, mask: np.ndarray | None):
    """Backpropagation through time over the steps of recurrence_forward, in reverse processing order.

    dys: (T, B, H) gradient on each step's output, or None when no step's output is used (many-to-one);
    dh_last: (B, H) gradient on the final state (h_n).
    hs: (T+1, B, H) from recurrence_forward. Returns dA: (T, B, H), the gradient on every pre-activation
    (zero on padded steps), and dh0: (B, H).
    """
    T = hs.shape[0] - 1
    dA = np.empty(hs[1:].shape, dtype=hs.dtype)
    dh_next = dh_last
    for t in reversed(range(T)):
        dh = dh_next if dys is None else dys[t] + dh_next
        da, dh_prev = step_backward(dh, StepCache(hs[t], hs[t + 1]), Whh, nonlinearity)
        if mask is not None:
            # A padded step passed the state through untouched: its gradient does the same.
            da = np.where(mask[t], da, 0.0)
            dh_prev = np.where(mask[t], dh_prev, dh)
        dA[t] = da
        dh_next = dh_prev
    return dA, dh_next


def recurrent_weight_grads(dA: np.ndarray, hs: np.ndarray):
    """dWhh: (G*H, S) and db: (G*H,) from dA: (T, B, G*H) and hs: (T+1, B, S); G = S/H = 1 for the RNN.

    One product over all T steps at once rather than T small ones. The LSTM's and the GRU's recurrent
    products have the same form (cells.py), with G gates and S = P under an LSTM projection.
    """
    dA_flat = dA.reshape(-1, dA.shape[-1])
    h_prev = hs[:-1]  # a_t depends on h_{t-1}, not h_t
    dWhh = dA_flat.T @ h_prev.reshape(-1, hs.shape[-1])
    db = dA.sum(axis=(0, 1))  # the bias acts at every step and batch element
    return dWhh, db


def input_weight_grad(dA: np.ndarray, x_in: np.ndarray, input_size: int, token_ids: bool) -> np.ndarray:
    """dWxh: (H, D) from dA: (T, B, H) and the layer input x_in: (T, B, D) dense or (T, B) token ids."""
    H = dA.shape[-1]
    dA_flat = dA.reshape(-1, H)
    if token_ids:
        dWxh = np.zeros((H, input_size), dtype=dA.dtype)
        np.add.at(dWxh.T, x_in.reshape(-1), dA_flat)  # scatter-add into the columns the ids selected
        return dWxh
    return dA_flat.T @ x_in.reshape(-1, input_size)
