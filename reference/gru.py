"""One direction of one GRU layer: torch's nn.GRU cell, its step functions and the BPTT loop.

Row-vector convention, as in torch: x_t is (B, D), h_t is (B, H). The gates are stacked in torch's order
r, z, n along the 3H rows of Wxh (3H, D) and Whh (3H, H), and the reset gate acts AFTER the recurrent
product (torch, cuDNN, Keras reset_after=True):

    p_t = x_t Wxh^T + b_ih                 (B, 3H), the input projection [p_r, p_z, p_n]
    q_t = h_{t-1} Whh^T + b_hh             (B, 3H), the recurrent projection [q_r, q_z, q_n]
    r = sigmoid(p_r + q_r);  z = sigmoid(p_z + q_z)
    n = tanh(p_n + r * q_n)                the reset gate scales q_n, b_hn included
    h_t = (1 - z) * n + z * h_{t-1}

Resetting before the product, tanh(p_n + (r * h_{t-1}) Whn^T), is a different function, not a different
layout of the same one. p_t of every step is computed in one product before the loop (model.py).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .activations import sigmoid


class StepCache(NamedTuple):
    """What one step's backward needs, everything the forward step computed."""

    h_prev: np.ndarray  # (B, H)
    r: np.ndarray  # (B, H) reset gate
    z: np.ndarray  # (B, H) update gate
    n: np.ndarray  # (B, H) candidate
    q_n: np.ndarray  # (B, H) h_{t-1} Whn^T + b_hn, the product the reset gate scales


def step_forward(xproj_t: np.ndarray, h_prev: np.ndarray, Whh: np.ndarray, bhh: np.ndarray | None = None):
    """One time step.

    xproj_t: (B, 3H) input projection x_t Wxh^T + b_ih; h_prev: (B, H); Whh: (3H, H); bhh: (3H,) or None.
    Returns h: (B, H) and a StepCache.
    """
    H = h_prev.shape[-1]
    q = h_prev.dot(Whh.T)
    if bhh is not None:
        q += bhh
    rz = sigmoid(xproj_t[:, :2 * H] + q[:, :2 * H])
    r, z = rz[:, :H], rz[:, H:]
    q_n = q[:, 2 * H:]
    n = np.tanh(xproj_t[:, 2 * H:] + r * q_n)
    h = n + z * (h_prev - n)  # (1 - z) * n + z * h_prev
    return h, StepCache(h_prev, r, z, n, q_n)


def step_backward(dh: np.ndarray, cache: StepCache, Whh: np.ndarray):
    """Backward through one time step.

    dh: (B, H) gradient on h_t (from the output at t and from step t+1).
    Returns dp: (B, 3H), the gradient on the input projection p_t, dq: (B, 3H), the gradient on the
    recurrent projection q_t, and dh_prev: (B, H).
    """
    r, z, n = cache.r, cache.z, cache.n
    dn = dh * (1.0 - z)
    dz = dh * (cache.h_prev - n)
    dan = dn * (1.0 - n * n)  # tanh'
    dr = dan * cache.q_n
    dar = dr * r * (1.0 - r)  # sigmoid'(a) = s (1 - s)
    daz = dz * z * (1.0 - z)
    dp = np.concatenate((dar, daz, dan), axis=1)
    dq = np.concatenate((dar, daz, dan * r), axis=1)  # q_n reaches n scaled by r
    dh_prev = dh * z + dq.dot(Whh)
    return dp, dq, dh_prev


def recurrence_forward(xproj: np.ndarray, h0: np.ndarray, Whh: np.ndarray, bhh: np.ndarray | None,
                       mask: np.ndarray | None):
    """Run the recurrence over T steps in processing order.

    xproj: (T, B, 3H); h0: (B, H); bhh: (3H,) or None; mask: (T, B, 1) bool, False on padded steps, or None.
    Returns hs: (T+1, B, H) with hs[0] = h0 and hs[t+1] = h_t, and the T step caches. A padded step keeps
    the state unchanged, which is what pack_padded_sequence does.
    """
    T = xproj.shape[0]
    hs = np.empty((T + 1,) + h0.shape, dtype=xproj.dtype)
    hs[0] = h0
    caches = []
    for t in range(T):
        h, cache = step_forward(xproj[t], hs[t], Whh, bhh)
        hs[t + 1] = h if mask is None else np.where(mask[t], h, hs[t])
        caches.append(cache)
    return hs, caches


def recurrence_backward(dys: np.ndarray | None, dh_last: np.ndarray, caches: list, Whh: np.ndarray,
                        mask: np.ndarray | None):
    """Backpropagation through time over the steps of recurrence_forward, in reverse processing order.

    dys: (T, B, H) gradient on each step's output, or None (many-to-one); dh_last: (B, H) gradient on h_n.
    Returns dP: (T, B, 3H) and dQ: (T, B, 3H), the gradients on every step's input and recurrent
    projections (zero on padded steps), and dh0: (B, H).
    """
    T = len(caches)
    B, H = dh_last.shape
    dP = np.empty((T, B, 3 * H), dtype=dh_last.dtype)
    dQ = np.empty_like(dP)
    dh_next = dh_last
    for t in reversed(range(T)):
        dh = dh_next if dys is None else dys[t] + dh_next
        dp, dq, dh_prev = step_backward(dh, caches[t], Whh)
        if mask is not None:
            # A padded step passed the state through untouched: its gradient does the same.
            dp, dq = np.where(mask[t], dp, 0.0), np.where(mask[t], dq, 0.0)
            dh_prev = np.where(mask[t], dh_prev, dh)
        dP[t], dQ[t] = dp, dq
        dh_next = dh_prev
    return dP, dQ, dh_next
