"""Softmax cross-entropy through log-sum-exp, and the loss-and-gradients entry point."""
from __future__ import annotations

import numpy as np

from . import model
from .params import Params
from .validate import check_targets

REDUCTIONS = ("sum", "mean")


def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray, mask: np.ndarray | None = None,
                          reduction: str = "sum"):
    """Cross-entropy of logits (..., O) against integer targets (...).

    mask (...) bool marks the scored positions (None: all). "mean" divides by their count.
    Returns (loss, dlogits) with dlogits the gradient of the loss, zero at unscored positions.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    O = logits.shape[-1]
    flat = logits.reshape(-1, O)
    n = flat.shape[0]
    if n == 1:  # one position (a batch of one, many-to-one): plain indexing; index arrays cost more than the math
        rows, cols = 0, int(targets.reshape(-1)[0])
    else:
        rows, cols = np.arange(n), targets.reshape(-1)
    # log-sum-exp: exp never overflows. (ufunc.reduce is .max/.sum without their Python wrappers: this runs
    # once per training step, where per-call overhead is most of the cost.)
    shifted = flat - np.maximum.reduce(flat, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.add.reduce(np.exp(shifted), axis=1, keepdims=True))
    picked = log_probs[rows, cols]  # log p(target) per position
    dlogits = np.exp(log_probs)  # softmax
    dlogits[rows, cols] -= 1.0  # softmax - one_hot(target)
    if mask is not None:
        weights = mask.reshape(-1).astype(logits.dtype)
        picked = picked * weights
        dlogits *= weights[:, None]
    # Negation is exact, so -sum equals the sum of the negated terms; one position needs no reduction.
    loss = -(picked if n == 1 and mask is None else np.add.reduce(picked, axis=None))
    if reduction == "mean":
        count = n if mask is None else weights.sum()
        loss = loss / count
        dlogits /= count
    return float(loss), dlogits.reshape(logits.shape)


def scored_positions(params: Params, cache: model.ForwardCache):
    """The mask of positions the loss scores, in the layout of the logits; None for all."""
    if params.config.output == "last" or cache.mask is None:
        return None
    mask = cache.mask[:, :, 0]
    return mask.T if params.config.batch_first else mask


def loss_and_all_grads(params: Params, x, targets, h0=None, lengths=None, reduction: str = "sum", dh_n=None):
    """Like loss_and_grads, also returning dx, dh0 and h_n (for gradcheck and truncated BPTT)."""
    logits, h_n, cache = model.forward(params, x, h0=h0, lengths=lengths)
    targets = check_targets(targets, logits.shape, params.config.output_size)
    loss, dlogits = softmax_cross_entropy(logits, targets, scored_positions(params, cache), reduction)
    grads, dx, dh0 = model.backward(params, cache, dlogits, dh_n)
    return loss, grads, dx, dh0, h_n


def loss_and_grads(params: Params, x, targets, h0=None, lengths=None, reduction: str = "sum"):
    """Cross-entropy loss of the model on (x, targets) and the gradient of every parameter.

    targets: (B,) for output="last"; (T, B) for "all" ((B, T) if batch_first), padded steps ignored.
    Returns (loss: float, grads: Params).
    """
    loss, grads, _, _, _ = loss_and_all_grads(params, x, targets, h0, lengths, reduction)
    return loss, grads
