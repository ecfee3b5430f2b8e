"""Gradient clipping with torch's exact semantics (clip_grad_value_, clip_grad_norm_)."""
from __future__ import annotations

import numpy as np

from .validate import all_finite, first_nonfinite_in


def raise_if_nonfinite(grads, what: str):
    """ValueError naming the first gradient, and index, that holds a NaN or Inf."""
    if all_finite(grads.values()):  # the cheap screen; the exact scan only when it says so
        return
    bad = first_nonfinite_in((f"gradient {name!r}", np.asarray(g)) for name, g in grads.items())
    if bad:
        raise ValueError(f"{what}: {bad}")


def _same_kind(grads, arrays):
    return grads.like(arrays) if hasattr(grads, "like") else dict(arrays)


def clip_value(grads, clip_value: float, error_if_nonfinite: bool = False):
    """Clip every gradient element to [-clip_value, clip_value]; returns new arrays."""
    if not clip_value > 0:
        raise ValueError(f"clip_value must be > 0, got {clip_value}")
    if error_if_nonfinite:
        raise_if_nonfinite(grads, "clip_value")
    return _same_kind(grads, {name: g.clip(-clip_value, clip_value) for name, g in grads.items()})


def total_norm(grads, norm_type: float = 2.0) -> float:
    """The norm of all gradients as one vector: the norm of the per-tensor norms, as torch computes it."""
    norms = np.array([np.linalg.norm(np.ravel(g), ord=norm_type) for g in grads.values()])
    return float(np.linalg.norm(norms, ord=norm_type))


def clip_norm(grads, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False):
    """Scale all gradients by min(1, max_norm / (total_norm + 1e-6)).

    Returns (new grads, total_norm before clipping). norm_type 2.0 (default) or np.inf.
    """
    if not max_norm > 0:
        raise ValueError(f"max_norm must be > 0, got {max_norm}")
    norm = total_norm(grads, norm_type)
    if error_if_nonfinite and not np.isfinite(norm):
        raise_if_nonfinite(grads, "clip_norm")
    clip_coef = norm_clip_coef(norm, max_norm)
    return _same_kind(grads, {name: g * clip_coef for name, g in grads.items()}), norm


def norm_clip_coef(norm: float, max_norm: float) -> float:
    """The factor clip_grad_norm_ multiplies every gradient by (1.0 when not clipping: torch always multiplies)."""
    return min(max_norm / (norm + 1e-6), 1.0)
