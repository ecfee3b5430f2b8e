"""The answer key for LSTM homework: the reference's LSTM (torch's gate order i, f, g, o), row convention.

Parent side only. The step and the BPTT loop are looked up in rnn_parity.reference.lstm at call time, so a
mutant of that module (rnn_parity.mutants, or a protocol's own) changes what these return and the diagnosis
can replay an LSTM mistake in any course's notation. Courses convert into these conventions in one place
each (GATE_ORDER below and their own protocol module).

    lstm(x (T, B, D), h0 (B, H), c0 (B, H), Wxh (4H, D), Whh (4H, H), b (4H,), dh (T, B, H), dc_n (B, H))
      -> {"h" (T, B, H), "c" (T, B, H), "dx", "dh0", "dc0", "dWxh", "dWhh", "db"}
"""
from __future__ import annotations

import numpy as np

from ...reference import lstm as ref_lstm

TORCH = "ifgo"  # the reference's order of the four gate blocks


def reorder(w, order: str, axis: int = 0) -> np.ndarray:
    """The four gate blocks of w along `axis`, from the order `order` (e.g. CS231n's "ifog") into torch's.
    The same call with the arguments' roles swapped (from_torch) goes back."""
    w = np.asarray(w, dtype=np.float64)
    blocks = np.split(w, 4, axis=axis)
    return np.concatenate([blocks[order.index(g)] for g in TORCH], axis=axis)


def from_torch(w, order: str, axis: int = 0) -> np.ndarray:
    """The inverse of reorder: torch's i, f, g, o blocks into `order`."""
    w = np.asarray(w, dtype=np.float64)
    blocks = np.split(w, 4, axis=axis)
    return np.concatenate([blocks[TORCH.index(g)] for g in order], axis=axis)


def lstm(x, h0, c0, Wxh, Whh, b, dh=None, dc_n=None) -> dict:
    x, h0, c0 = (np.asarray(a, dtype=np.float64) for a in (x, h0, c0))
    Wxh, Whh, b = (np.asarray(a, dtype=np.float64) for a in (Wxh, Whh, b))
    T = x.shape[0]
    xproj = x @ Wxh.T + b
    hs, _, caches = ref_lstm.recurrence_forward(xproj, h0, c0, Whh, None, None)
    # c_t of every step, from the caches (the reference keeps only the last one outside them)
    cs = np.stack([cache.f * cache.c_prev + cache.i * cache.g for cache in caches]) if T else np.zeros((0,) + c0.shape)
    out = {"h": hs[1:].copy(), "c": cs}
    if dh is None:
        return out
    dh = np.asarray(dh, dtype=np.float64)
    dc_n = np.zeros_like(c0) if dc_n is None else np.asarray(dc_n, dtype=np.float64)
    # the upstream gradient on h_T enters as dys[T-1]; dh_last is zero (as CS231n's lstm_backward)
    dA, dh0, dc0, _ = ref_lstm.recurrence_backward(dh, np.zeros_like(h0), dc_n, caches, Whh, None, None)
    h_prev = np.stack([cache.h_prev for cache in caches])  # what the caches hold, as a student's backward reads it
    out.update(dx=dA @ Wxh, dh0=dh0, dc0=dc0, dWxh=np.einsum("tbg,tbd->gd", dA, x),
               dWhh=np.einsum("tbg,tbh->gh", dA, h_prev), db=dA.sum(axis=(0, 1)))
    return out


def step(x, h_prev, c_prev, Wxh, Whh, b, dh=None, dc=None) -> dict:
    """One step (x (B, D)): {"h", "c"} and with dh, dc the gradients {"dx", "dh_prev", "dc_prev", "dWxh",
    "dWhh", "db"}, through reference.lstm.step_forward / step_backward."""
    Wxh, Whh, b = (np.asarray(a, dtype=np.float64) for a in (Wxh, Whh, b))
    x, h_prev, c_prev = (np.asarray(a, dtype=np.float64) for a in (x, h_prev, c_prev))
    h, c, cache = ref_lstm.step_forward(x @ Wxh.T + b, h_prev, c_prev, Whh)
    out = {"h": h, "c": c}
    if dh is None:
        return out
    da, dh_prev, dc_prev = ref_lstm.step_backward(np.asarray(dh, dtype=np.float64), np.asarray(dc, dtype=np.float64),
                                                  cache, Whh)
    out.update(dx=da @ Wxh, dh_prev=dh_prev, dc_prev=dc_prev, dWxh=da.T @ x, dWhh=da.T @ h_prev, db=da.sum(axis=0))
    return out
