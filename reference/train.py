"""One training step in the order torch users write it: loss and gradients, clip, then update."""
from __future__ import annotations

from . import clip, loss


def train_step(params, optimizer, x, targets, h0=None, lengths=None, reduction: str = "sum",
               clip_value: float | None = None, clip_norm: float | None = None, dh_n=None):
    """Compute the loss and gradients, clip them (by value and/or by global norm), update params in place.

    Returns (loss, the gradients the update used, h_n). Feed h_n back as the next chunk's h0 for
    truncated BPTT, as min-char-rnn carries hprev. A non-finite gradient raises ValueError naming it,
    and params are left as they were.
    """
    value, grads, _, _, h_n = loss.loss_and_all_grads(params, x, targets, h0, lengths, reduction, dh_n)
    # An overflowing gradient must stop training before it reaches the weights: clipping would turn an
    # Inf into +-c without a word, and the update would write it into params.
    clip.raise_if_nonfinite(grads, "train_step")
    if clip_value is not None:
        grads = clip.clip_value(grads, clip_value)
    if clip_norm is not None:
        grads, _ = clip.clip_norm(grads, clip_norm)
    optimizer.step(grads)
    return value, grads, h_n
