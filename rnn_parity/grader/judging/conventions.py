"""The answer key of the gated-cell protocols: the LSTM and the GRU in every convention a course writes.

Parent side only (it imports rnn_parity.reference). Built from the reference's cells, looked up at call time,
so a mutant of rnn_parity.mutants (or of a protocol's own catalogue) applies and the diagnosis can replay it.

One canonical layout, row vectors, time-major: x (T, B, D), h0 (B, H); gate columns side by side,
    LSTM  Wx (D, 4H), Wh (H, 4H), b (4H,)            gates i, f, g, o (torch's order)
    GRU   Wx (D, 3H), Wh (H, 3H), bx (3H,), bh (3H,)  gates r, z, n
Protocols permute columns into this layout (DLFS2's f, g, i, o; Karpathy's i, f, o, g) and back.

The four GRU conventions are all correct GRUs, (reset, update):
    reset "after":  n = tanh(x Wn + bxn + r * (h Whn + bhn))   torch, cuDNN, CMU 11-785
    reset "before": n = tanh(x Wn + bxn + (r * h) Whn + bhn)   DLFS2, Keras reset_after=False, textbooks
    update "old":   h' = (1 - z) * n + z * h                   torch
    update "new":   h' = z * n + (1 - z) * h                   DLFS2
"update new" is "update old" with the update gate's pre-activation negated (1 - sigmoid(a) = sigmoid(-a)):
it runs the reference with the z columns negated and negates their gradients back.
"""
from __future__ import annotations

import itertools

import numpy as np

from ...reference import activations as ref_act
from ...reference import gru as ref_gru
from ...reference import lstm as ref_lstm
from .checks import TOLERANCE

# A forward matches a convention within the grader's own tolerance: float32 buffers in a forward (DLFS2's
# dtype='f') round at ~6e-8, well inside it; two conventions differ by far more on the probes
FORWARD_TOL = TOLERANCE

GRU_CONVENTIONS = (("after", "old"), ("after", "new"), ("before", "old"), ("before", "new"))
LSTM_VARIANTS = ("standard", "no_cell_tanh")


def describe_gru(convention: tuple) -> str:
    reset, update = convention
    r = ("reset after the recurrent product, n = tanh(W x + r * (U h))" if reset == "after"
         else "reset before the recurrent product, n = tanh(W x + U (r * h))")
    u = "update gate on the old state, h = (1-z)*n + z*h_prev" if update == "old" else \
        "update gate on the new state, h = z*n + (1-z)*h_prev"
    owner = {("after", "old"): "torch's", ("before", "new"): "DLFS2's"}.get(convention, "")
    return f"{owner + ' convention: ' if owner else ''}{r}; {u}"


def describe_lstm(variant: str) -> str:
    return {"standard": "the standard LSTM, h = o * tanh(c)",
            "no_cell_tanh": "an LSTM without tanh on the cell output, h = o * c"}[variant]


def _f(a):
    return np.asarray(a, dtype=np.float64)


def _weight_grads(xs, hs_prev, dA) -> tuple:
    """(dWx, dWh, db) of A_t = x_t Wx + h_{t-1} Wh + b, from dA (T, B, G)."""
    G = dA.shape[-1]
    flat = dA.reshape(-1, G)
    return (xs.reshape(-1, xs.shape[-1]).T.dot(flat), hs_prev.reshape(-1, hs_prev.shape[-1]).T.dot(flat),
            flat.sum(axis=0))


# ---------------------------------------------------------------------------------------------- LSTM


def lstm(x, h0, c0, Wx, Wh, b, dh=None, dh_n=None, dc_n=None) -> dict:
    """The standard LSTM over x (T, B, D) from (h0, c0), through the reference's steps.

    Returns "h" (T, B, H), "c" (T, B, H), "h_n", "c_n"; with dh (T, B, H) (the upstream gradient on every h_t)
    and/or dh_n, dc_n (on the final state) also "dx", "dh0", "dc0", "dWx", "dWh", "db".
    """
    x, h0, c0, Wx, Wh, b = map(_f, (x, h0, c0, Wx, Wh, b))
    Whh = Wh.T
    xproj = x.dot(Wx) + b
    hs, c_n, caches = ref_lstm.recurrence_forward(xproj, h0, c0, Whh, None, None)
    out = {"h": hs[1:].copy(), "c": _cells(caches, c_n), "h_n": hs[-1].copy(), "c_n": c_n.copy()}
    if dh is None and dh_n is None and dc_n is None:
        return out
    dys = None if dh is None else _f(dh)
    dA, dh0, dc0, _ = ref_lstm.recurrence_backward(dys, _zeros_or(dh_n, h0), _zeros_or(dc_n, c0), caches, Whh,
                                                    None, None)
    dWx, dWh, db = _weight_grads(x, hs[:-1], dA)
    out.update(dx=dA.dot(Wx.T), dh0=dh0, dc0=dc0, dWx=dWx, dWh=dWh, db=db)
    return out


def _cells(caches, c_n) -> np.ndarray:
    """c_t of every step: each step's c_prev is the one before it, the last is c_n."""
    return np.stack([cache.c_prev for cache in caches[1:]] + [c_n])


def _zeros_or(value, like) -> np.ndarray:
    return np.zeros_like(like) if value is None else _f(value)


def lstm_variant_forward(x, h0, c0, Wx, Wh, b, variant: str) -> np.ndarray:
    """h (T, B, H) of an LSTM variant (forward only: which variant a forward is, never an answer)."""
    if variant == "standard":
        return lstm(x, h0, c0, Wx, Wh, b)["h"]
    x, h, c = _f(x), _f(h0), _f(c0)
    H = h.shape[-1]
    out = []
    for t in range(x.shape[0]):
        a = x[t].dot(Wx) + h.dot(Wh) + b
        i, f, o = (ref_act.sigmoid(a[:, k * H:(k + 1) * H]) for k in (0, 1, 3))
        c = f * c + i * np.tanh(a[:, 2 * H:3 * H])
        h = o * c  # no_cell_tanh
        out.append(h)
    return np.stack(out)


# ----------------------------------------------------------------------------------------------- GRU


def gru(x, h0, Wx, Wh, bx, bh, convention=("after", "old"), dh=None, dh_n=None) -> dict:
    """The GRU over x (T, B, D) from h0 in `convention` (see the module docstring).

    Returns "h" (T, B, H), "h_n"; with dh (T, B, H) and/or dh_n also "dx", "dh0", "dWx", "dWh", "dbx", "dbh".
    """
    reset, update = convention
    x, h0, Wx, Wh, bx, bh = map(_f, (x, h0, Wx, Wh, bx, bh))
    flip = _z_flip(h0.shape[-1]) if update == "new" else 1.0
    Wx, Wh, bx, bh = Wx * flip, Wh * flip, bx * flip, bh * flip
    run = _gru_after if reset == "after" else _gru_before
    out = run(x, h0, Wx, Wh, bx, bh, None if dh is None else _f(dh), dh_n)
    for k in ("dWx", "dWh", "dbx", "dbh"):
        if k in out:
            out[k] = out[k] * flip
    return out


def _z_flip(H: int) -> np.ndarray:
    """+1 on the r and n columns, -1 on the z columns: sigmoid(-a) = 1 - sigmoid(a)."""
    return np.concatenate([np.ones(H), -np.ones(H), np.ones(H)])


def _gru_after(x, h0, Wx, Wh, bx, bh, dh, dh_n) -> dict:
    """torch's GRU, the reference's own recurrence."""
    Whh = Wh.T
    hs, caches = ref_gru.recurrence_forward(x.dot(Wx) + bx, h0, Whh, bh, None)
    out = {"h": hs[1:].copy(), "h_n": hs[-1].copy()}
    if dh is None and dh_n is None:
        return out
    dP, dQ, dh0 = ref_gru.recurrence_backward(dh, _zeros_or(dh_n, h0), caches, Whh, None)
    dWx, _, dbx = _weight_grads(x, hs[:-1], dP)
    _, dWh, dbh = _weight_grads(x, hs[:-1], dQ)
    out.update(dx=dP.dot(Wx.T), dh0=dh0, dWx=dWx, dWh=dWh, dbx=dbx, dbh=dbh)
    return out


def _gru_before(x, h0, Wx, Wh, bx, bh, dh, dh_n) -> dict:
    """The reset gate applied to h before the product; the rest is the reference's arithmetic, rearranged."""
    H = h0.shape[-1]
    hs, caches = [h0], []
    for t in range(x.shape[0]):
        h, cache = gru_before_step_forward(x[t].dot(Wx) + bx, hs[-1], Wh, bh)
        hs.append(h)
        caches.append(cache)
    hs = np.stack(hs)
    out = {"h": hs[1:].copy(), "h_n": hs[-1].copy()}
    if dh is None and dh_n is None:
        return out
    T, B = x.shape[0], h0.shape[0]
    dP, dWh = np.empty((T, B, 3 * H)), np.zeros_like(Wh)
    dh_next = _zeros_or(dh_n, h0)
    for t in reversed(range(T)):
        dht = dh_next if dh is None else dh[t] + dh_next
        dp, dWh_t, dh_next = gru_before_step_backward(dht, caches[t], Wh)
        dP[t] = dp
        dWh += dWh_t
    dWx, _, dbx = _weight_grads(x, hs[:-1], dP)
    out.update(dx=dP.dot(Wx.T), dh0=dh_next, dWx=dWx, dWh=dWh, dbx=dbx, dbh=dP.reshape(-1, 3 * H).sum(axis=0))
    return out


def gru_before_step_forward(p, h_prev, Wh, bh):
    """One step, reset before the product. p: (B, 3H) = x Wx + bx. Returns h and the cache."""
    H = h_prev.shape[-1]
    rz = ref_act.sigmoid(p[:, :2 * H] + h_prev.dot(Wh[:, :2 * H]) + bh[:2 * H])
    r, z = rz[:, :H], rz[:, H:]
    rh = r * h_prev
    n = np.tanh(p[:, 2 * H:] + rh.dot(Wh[:, 2 * H:]) + bh[2 * H:])
    h = n + z * (h_prev - n)  # (1 - z) * n + z * h_prev
    return h, (h_prev, r, z, n, rh)


def gru_before_step_backward(dh, cache, Wh):
    """Backward through one reset-before step: (dp (B, 3H), dWh (H, 3H), dh_prev)."""
    h_prev, r, z, n, rh = cache
    H = h_prev.shape[-1]
    dn = dh * (1.0 - z)
    dz = dh * (h_prev - n)
    dan = dn * (1.0 - n * n)  # tanh'
    drh = dan.dot(Wh[:, 2 * H:].T)
    dr = drh * h_prev
    dar = dr * r * (1.0 - r)  # sigmoid'(a) = s (1 - s)
    daz = dz * z * (1.0 - z)
    dp = np.concatenate((dar, daz, dan), axis=1)
    dWh = np.concatenate((h_prev.T.dot(dar), h_prev.T.dot(daz), rh.T.dot(dan)), axis=1)
    dh_prev = dh * z + drh * r + np.concatenate((dar, daz), axis=1).dot(Wh[:, :2 * H].T)
    return dp, dWh, dh_prev


# ---------------------------------------------------------------------------------------- probing


def permutations(gates: int) -> list:
    """Every order of `gates` gate blocks: a tuple of canonical gate indices per student block."""
    return list(itertools.permutations(range(gates)))


def to_canonical(W, order: tuple, H: int) -> np.ndarray:
    """Columns of a student's packed weight, whose block k holds canonical gate order[k], in canonical order."""
    W = _f(W)
    blocks = [W[..., k * H:(k + 1) * H] for k in range(len(order))]
    canonical = [None] * len(order)
    for k, gate in enumerate(order):
        canonical[gate] = blocks[k]
    return np.concatenate(canonical, axis=-1)


def from_canonical(W, order: tuple, H: int) -> np.ndarray:
    """The inverse of to_canonical: canonical columns back in the student's block order."""
    W = _f(W)
    return np.concatenate([W[..., gate * H:(gate + 1) * H] for gate in order], axis=-1)


def closest(student: np.ndarray, candidates: dict, tol: float):
    """(key, error) of the candidate output nearest the student's, if within tol; else (None, best error)."""
    best, best_err = None, float("inf")
    student = _f(student)
    for key, value in candidates.items():
        value = _f(value)
        if value.shape != student.shape or not np.all(np.isfinite(student)):
            continue
        err = float(np.linalg.norm(student - value)) / max(float(np.linalg.norm(value)), 1e-300)
        if err < best_err:
            best, best_err = key, err
    return (best, best_err) if best_err <= tol else (None, best_err)
