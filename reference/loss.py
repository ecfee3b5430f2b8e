"""Softmax cross-entropy through log-sum-exp, and the loss-and-gradients entry point."""
from __future__ import annotations

import numpy as np

from . import model
from .params import Params
from .validate import check_targets

REDUCTIONS = ("sum", "mean")


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log softmax over the last axis, through log-sum-exp: exp never overflows."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """softmax(logits / temperature) over the last axis, shifted by the maximum so exp never overflows."""
    z = logits / temperature
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray, mask: np.ndarray | None = None,
                          reduction: str = "sum"):
    """Cross-entropy of logits (..., O) against integer targets (...).

    mask (...) bool marks the scored positions (None: all). "mean" divides by their count.
    Returns (loss, dlogits) with dlogits the gradient of the loss, zero at unscored positions.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    flat = logits.reshape(-1, logits.shape[-1])  # (N, O): one row per position
    rows, cols = np.arange(flat.shape[0]), targets.reshape(-1)
    log_probs = log_softmax(flat)
    picked = log_probs[rows, cols]  # log p(target) per position
    dlogits = np.exp(log_probs)  # softmax
    dlogits[rows, cols] -= 1.0  # softmax - one_hot(target)
    if mask is not None:
        weights = mask.reshape(-1).astype(logits.dtype)
        picked = picked * weights
        dlogits *= weights[:, None]
    loss = -picked.sum()
    if reduction == "mean":
        count = flat.shape[0] if mask is None else weights.sum()
        loss = loss / count
        dlogits /= count
    return float(loss), dlogits.reshape(logits.shape)


def scored_positions(params: Params, cache: model.ForwardCache):
    """The mask of positions the loss scores, in the layout of the logits; None for all."""
    if params.config.output == "last" or cache.mask is None:
        return None
    mask = cache.mask[:, :, 0]
    return mask.T if params.config.batch_first else mask


def loss_and_all_grads(params: Params, x, targets, h0=None, lengths=None, reduction: str = "sum", dh_n=None,
                       need_dx: bool = True):
    """Like loss_and_grads, also returning dx, dh0 and h_n (for gradcheck and truncated BPTT); need_dx as
    model.backward's (False: dx is None)."""
    logits, h_n, cache = model.forward(params, x, h0=h0, lengths=lengths)
    targets = check_targets(targets, logits.shape, params.config.output_size)
    loss, dlogits = softmax_cross_entropy(logits, targets, scored_positions(params, cache), reduction)
    grads, dx, dh0 = model.backward(params, cache, dlogits, dh_n, need_dx)
    return loss, grads, dx, dh0, h_n


def loss_and_grads(params: Params, x, targets, h0=None, lengths=None, reduction: str = "sum"):
    """Cross-entropy loss of the model on (x, targets) and the gradient of every parameter.

    targets: (B,) for output="last"; (T, B) for "all" ((B, T) if batch_first), padded steps ignored.
    Returns (loss: float, grads: Params).
    """
    loss, grads, _, _, _ = loss_and_all_grads(params, x, targets, h0, lengths, reduction, need_dx=False)
    return loss, grads
