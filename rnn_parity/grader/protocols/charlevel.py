"""Shared by the column-vector character-model protocols (minchar, classes, seed_styles): the answer key of one
sequence of token ids through a many-to-many RNN with a softmax cross-entropy loss summed over the steps.

Parent side only (the child never calls `answer`): the reference is imported inside the function, looked up
through its modules at call time, so the mutants of rnn_parity.mutants apply and the diagnosis can replay a
mistake. `one_hot` and `column` are plain NumPy helpers both sides may use.
"""
from __future__ import annotations

import numpy as np


def one_hot(ids, n: int) -> np.ndarray:
    """(T, n, 1) column one-hot vectors of a list of token ids (the courses' x_t)."""
    out = np.zeros((len(ids), n, 1))
    out[np.arange(len(ids)), np.asarray(ids), 0] = 1.0
    return out


def column(v) -> np.ndarray:
    return np.asarray(v, dtype=np.float64).reshape(-1, 1)


def weights(rng, V: int, H: int, scale: float = 0.3) -> dict:
    """Column-vector weights Wxh (H, V), Whh (H, H), Why (V, H), bh (H, 1), by (V, 1) for a probe plan."""
    g = rng.normal
    return {"Wxh": g(0, scale, (H, V)), "Whh": g(0, scale, (H, H)), "Why": g(0, scale, (V, H)),
            "bh": g(0, scale / 3, (H, 1)), "by": g(0, scale / 3, (V, 1))}


def given_states(w: dict, ids, h0) -> tuple[list, list]:
    """(probs, states) of the tanh recurrence, per step as columns: the correct inputs a backward function is
    handed (so that it is graded on its own, whatever the student's forward did). Child side, NumPy only;
    never graded (seed_styles compares a student's forward states with them only to pick rnn_backward's cache)."""
    h, probs, states = np.asarray(h0, dtype=np.float64).reshape(-1, 1), [], []
    for i in ids:
        h = np.tanh(w["Wxh"][:, [i]] + w["Whh"] @ h + w["bh"])
        z = w["Why"] @ h + w["by"]
        e = np.exp(z - z.max())
        probs.append(e / e.sum())
        states.append(h)
    return probs, states


def per_step(value, T: int) -> list:
    """A per-step sequence as a list of T items: a dict {0..T-1: ...} (keys -1 and beyond ignored), a list or
    tuple, or an array with T rows; None when it is none of these."""
    if isinstance(value, dict):
        keys = [t for t in range(T) if t in value]
        return [value[t] for t in keys] if len(keys) == T else None
    if isinstance(value, (list, tuple)) and len(value) == T:
        return list(value)
    arr = np.asarray(value) if isinstance(value, np.ndarray) else None
    return list(arr) if arr is not None and arr.ndim >= 1 and arr.shape[0] == T else None


def clip_bound_from_ties(grads) -> float | None:
    """The bound gradients were clipped to, told from the results: several entries exactly at the largest
    magnitude (which only clipping makes), or None."""
    values = [np.abs(np.asarray(g, dtype=np.float64)).ravel() for g in grads]
    flat = np.concatenate(values) if values else np.zeros(0)
    if flat.size == 0 or not np.all(np.isfinite(flat)):
        return None
    top = float(flat.max())
    return top if top > 0 and np.count_nonzero(flat >= top * (1 - 1e-12)) >= 2 else None


def answer(Wxh, Whh, bh, Why, by, inputs, targets, h0) -> dict:
    """Everything one sequence yields, in column-vector conventions: Wxh (H, V) x_t + Whh (H, H) h_{t-1} + bh.

    inputs, targets: lists of token ids (length T); h0 (H,) or (H, 1); biases (n,) or (n, 1).
    Returns loss (summed over the steps), probs (T, V), logits (T, V), h (T, H) the states h_0..h_{T-1},
    h_last (H,), and the gradients dWxh dWhh dbh dWhy dby (biases (n,)), dh0 (H,).
    """
    from ...reference import config as ref_config
    from ...reference import loss as ref_loss
    from ...reference import model as ref_model
    from ...reference import params as ref_params

    H, V = np.shape(Wxh)
    config = ref_config.RNNConfig(V, H, np.shape(Why)[0], output="all")
    arrays = {"Wxh": Wxh, "Whh": Whh, "bh": np.reshape(bh, -1), "Why": Why, "by": np.reshape(by, -1)}
    params = ref_params.Params({k: np.array(v, dtype=np.float64) for k, v in arrays.items()}, config)
    x = np.asarray(inputs, dtype=np.int64)[:, None]  # (T, 1) token ids: one-hot columns, never built
    y = np.asarray(targets, dtype=np.int64)[:, None]
    h0 = np.asarray(h0, dtype=np.float64).reshape(1, 1, H)
    with np.errstate(all="ignore"):  # a replayed mistake may overflow: its values then match nothing
        logits, _, cache = ref_model.forward(params, x, h0=h0)
        loss, grads, _, dh0, h_n = ref_loss.loss_and_all_grads(params, x, y, h0=h0)
    z = logits[:, 0, :]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return {"loss": np.float64(loss), "logits": z, "probs": e / e.sum(axis=1, keepdims=True),
            "h": cache.outputs[-1][:, 0, :].copy(), "h_last": h_n[0, 0].copy(), "dh0": dh0[0, 0].copy(),
            **{"d" + k: np.array(grads[k]) for k in ("Wxh", "Whh", "bh", "Why", "by")}}


def clipped(grads: dict, c: float) -> dict:
    """The gradients clipped element-wise to [-c, c], through the reference (its mutants apply)."""
    from ...reference import clip as ref_clip

    return dict(ref_clip.clip_value(dict(grads), c))


def same_steps(value, right: list) -> bool:
    """Whether a per-step value from the student's cache holds the right columns (child side: only to choose
    which cache a backward function is handed; never graded)."""
    steps = per_step(value, len(right))
    try:
        return steps is not None and all(np.allclose(np.asarray(v, dtype=np.float64).reshape(-1), r.reshape(-1),
                                                     rtol=1e-7, atol=1e-12) for v, r in zip(steps, right))
    except (TypeError, ValueError):
        return False


def find_in_cache(cache, T: int, V: int, H: int) -> tuple:
    """(y_hat, a) from rnn_forward's cache, whatever its layout: by name in a dict, else by content among its
    parts (a tuple, list or dict, searched one level into nested tuples): y_hat's steps are V-long probability
    columns that are not one-hot, a's are H-long. (None, None) when not found."""
    if isinstance(cache, dict) and not all(isinstance(k, int) for k in cache):
        named = [cache.get(k) for k in ("y_hat", "a")]
        if all(v is not None for v in named):
            return tuple(named)
    parts = list(cache.values()) if isinstance(cache, dict) else list(cache) if isinstance(cache, (tuple, list)) \
        else []
    parts += [q for p in parts if isinstance(p, (tuple, list)) for q in p]
    y_hat = a = None
    for part in parts:
        steps = per_step(part, T)
        try:
            cols = [np.asarray(v, dtype=np.float64).reshape(-1) for v in steps] if steps else None
        except (TypeError, ValueError):
            continue
        if not cols or any(c.shape != cols[0].shape for c in cols):
            continue
        if y_hat is None and cols[0].size == V and not all(set(np.unique(c)) <= {0.0, 1.0} for c in cols) \
                and all(abs(c.sum() - 1) < 1e-6 for c in cols):
            y_hat = part
        elif a is None and cols[0].size == H:
            a = part
    return y_hat, a
