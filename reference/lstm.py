"""One direction of one LSTM layer: torch's nn.LSTM cell, its step functions and the BPTT loop.

Row-vector convention, as in torch. x_t is (B, D), c_t is (B, H), h_t is (B, S) with S = P when the layer
has a projection (proj_size) and S = H otherwise. The gates are stacked in torch's order i, f, g, o along
the 4H rows of Wxh (4H, D) and Whh (4H, S):

    a_t = x_t Wxh^T + b + h_{t-1} Whh^T                     (B, 4H), a = [a_i, a_f, a_g, a_o]
    i, f, o = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o);  g = tanh(a_g)
    c_t = f * c_{t-1} + i * g
    m_t = o * tanh(c_t)
    h_t = m_t Whr^T   with a projection Whr (P, H);   h_t = m_t   without one

The input projection x_t Wxh^T + b of every step is computed in one product before the loop (model.py);
the loop only carries the recurrence.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .activations import sigmoid


class StepCache(NamedTuple):
    """What one step's backward needs, everything the forward step computed."""

    h_prev: np.ndarray  # (B, S)
    c_prev: np.ndarray  # (B, H)
    a: np.ndarray  # (B, 4H) pre-activations
    i: np.ndarray  # (B, H) input gate
    f: np.ndarray  # (B, H) forget gate
    g: np.ndarray  # (B, H) candidate, tanh(a_g)
    o: np.ndarray  # (B, H) output gate
    tanh_c: np.ndarray  # (B, H) tanh(c_t)
    m: np.ndarray  # (B, H) o * tanh(c_t), h_t before the projection


def step_forward(xproj_t: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray, Whh: np.ndarray,
                 Whr: np.ndarray | None = None):
    """One time step.

    xproj_t: (B, 4H) input projection x_t Wxh^T + b; h_prev: (B, S); c_prev: (B, H); Whh: (4H, S);
    Whr: (P, H) or None. Returns h: (B, S), c: (B, H) and a StepCache.
    """
    H = c_prev.shape[-1]
    a = xproj_t + h_prev.dot(Whh.T)
    gates = sigmoid(a)  # i, f and o; the g quarter is replaced by tanh below
    i, f, o = gates[:, :H], gates[:, H:2 * H], gates[:, 3 * H:]
    g = np.tanh(a[:, 2 * H:3 * H])
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    m = o * tanh_c
    h = m if Whr is None else m.dot(Whr.T)
    return h, c, StepCache(h_prev, c_prev, a, i, f, g, o, tanh_c, m)


def step_backward(dh: np.ndarray, dc: np.ndarray, cache: StepCache, Whh: np.ndarray,
                  Whr: np.ndarray | None = None):
    """Backward through one time step.

    dh: (B, S) gradient on h_t (from the output at t and from step t+1); dc: (B, H) gradient on c_t from
    step t+1. Returns da: (B, 4H), the gradient on the pre-activations a_t, dh_prev: (B, S) and
    dc_prev: (B, H).
    """
    i, f, g, o, tanh_c = cache.i, cache.f, cache.g, cache.o, cache.tanh_c
    dm = dh if Whr is None else dh.dot(Whr)
    do = dm * tanh_c
    dc = dc + dm * o * (1.0 - tanh_c * tanh_c)  # h_t reaches c_t through tanh: tanh'(c) = 1 - tanh(c)^2
    di = dc * g
    df = dc * cache.c_prev
    dg = dc * i
    dc_prev = dc * f
    # sigmoid'(a) = s (1 - s) and tanh'(a) = 1 - t^2, from the gates' values, in torch's order i, f, g, o
    da = np.concatenate((di * i * (1.0 - i), df * f * (1.0 - f), dg * (1.0 - g * g), do * o * (1.0 - o)), axis=1)
    dh_prev = da.dot(Whh)
    return da, dh_prev, dc_prev


def recurrence_forward(xproj: np.ndarray, h0: np.ndarray, c0: np.ndarray, Whh: np.ndarray,
                       Whr: np.ndarray | None, mask: np.ndarray | None):
    """Run the recurrence over T steps in processing order.

    xproj: (T, B, 4H); h0: (B, S); c0: (B, H); mask: (T, B, 1) bool, False on padded steps, or None.
    Returns hs: (T+1, B, S) with hs[0] = h0 and hs[t+1] = h_t, c_T: (B, H) and the T step caches.
    A padded step keeps h and c unchanged, which is what pack_padded_sequence does.
    """
    T = xproj.shape[0]
    hs = np.empty((T + 1,) + h0.shape, dtype=xproj.dtype)
    hs[0] = h0
    c = c0
    caches = []
    for t in range(T):
        h, c_new, cache = step_forward(xproj[t], hs[t], c, Whh, Whr)
        if mask is None:
            hs[t + 1], c = h, c_new
        else:
            hs[t + 1], c = np.where(mask[t], h, hs[t]), np.where(mask[t], c_new, c)
        caches.append(cache)
    return hs, c, caches


def recurrence_backward(dys: np.ndarray | None, dh_last: np.ndarray, dc_last: np.ndarray, caches: list,
                        Whh: np.ndarray, Whr: np.ndarray | None, mask: np.ndarray | None):
    """Backpropagation through time over the steps of recurrence_forward, in reverse processing order.

    dys: (T, B, S) gradient on each step's output, or None when no step's output is used (many-to-one);
    dh_last: (B, S) and dc_last: (B, H), the gradients on the final state (h_n, c_n).
    Returns dA: (T, B, 4H), the gradient on every pre-activation (zero on padded steps), dh0: (B, S),
    dc0: (B, H) and dWhr: (P, H) (None without a projection).
    """
    T = len(caches)
    dA = np.empty((T,) + caches[0].a.shape, dtype=caches[0].a.dtype)
    dWhr = None if Whr is None else np.zeros_like(Whr)
    dh_next, dc_next = dh_last, dc_last
    for t in reversed(range(T)):
        cache = caches[t]
        dh = dh_next if dys is None else dys[t] + dh_next
        da, dh_prev, dc_prev = step_backward(dh, dc_next, cache, Whh, Whr)
        if mask is not None:
            # A padded step passed h and c through untouched: their gradients do the same.
            keep = mask[t]
            da = np.where(keep, da, 0.0)
            dh_prev = np.where(keep, dh_prev, dh)
            dc_prev = np.where(keep, dc_prev, dc_next)
            dh = np.where(keep, dh, 0.0)  # what reached this step's projection: nothing when padded
        if dWhr is not None:
            dWhr += dh.T.dot(cache.m)  # h_t = m_t Whr^T
        dA[t] = da
        dh_next, dc_next = dh_prev, dc_prev
    return dA, dh_next, dc_next, dWhr
