"""One training step in the order torch users write it: loss and gradients, then the update.

    train_step   = loss_and_all_grads + apply_update
    apply_update = the non-finite screen, clip by value, clip by global norm, optimizer.step

reference.Trainer is train_step's fast twin (flat buffers, a fused forward + BPTT), bit for bit.
"""
from __future__ import annotations

from . import clip, loss


def train_step(params, optimizer, x, targets, h0=None, lengths=None, reduction: str = "sum",
               clip_value: float | None = None, clip_norm: float | None = None, dh_n=None):
    """Compute the loss and gradients, clip them (by value and/or by global norm), update params in place.

    Returns (loss, the gradients the update used, h_n). Feed h_n back as the next chunk's h0 for
    truncated BPTT, as min-char-rnn carries hprev. A non-finite gradient raises ValueError naming it,
    and params are left as they were.
    """
    value, grads, _, _, h_n = loss.loss_and_all_grads(params, x, targets, h0, lengths, reduction, dh_n,
                                                      need_dx=False)
    grads = apply_update(params, grads, optimizer, clip_value, clip_norm)
    return value, grads, h_n


def apply_update(params, grads, optimizer, clip_value: float | None = None, clip_norm: float | None = None):
    """Screen `grads` for NaN/Inf, clip them, take one optimizer step over params; returns the grads it used.

    The screen comes first: an overflowing gradient must stop training before it reaches the weights,
    and clipping would turn an Inf into +-c without a word.
    """
    clip.raise_if_nonfinite(grads, "train_step")
    if clip_value is not None:
        grads = clip.clip_value(grads, clip_value)
    if clip_norm is not None:
        grads, _ = clip.clip_norm(grads, clip_norm)
    optimizer.step(grads)
    return grads
