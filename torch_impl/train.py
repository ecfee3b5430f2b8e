"""One torch training step, the mirror of reference/train.py: loss and gradients, screen, clip, update.

    torch side:     TorchRNN -> F.cross_entropy -> backward -> clip_grad_value_ / clip_grad_norm_ -> optimizer.step
    reference side: loss_and_grads -> apply_update (finite screen -> clip_value / clip_norm -> optimizer.step)

It takes plain arguments (a TorchRNN, a torch.optim optimizer, arrays or tensors), so that the parity
trajectories (rnn_parity.parity.trajectory) and the training engine (rnn_parity.training.runners) run
the same step.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch

from ..reference.config import RNNConfig
from ..reference.validate import all_finite, first_nonfinite_in
from .keymap import torch_key_map

IGNORE_INDEX = -100  # F.cross_entropy's default: the target of a padded step


def cross_entropy(logits: torch.Tensor, targets, lengths, config: RNNConfig, reduction: str = "sum"):
    """F.cross_entropy over the scored positions: padded steps of output="all" get IGNORE_INDEX.

    logits: (B, O) for output="last", (T, B, O) for "all" ((B, T, O) if batch_first); targets alike without O.
    """
    targets = torch.as_tensor(targets, dtype=torch.int64, device=logits.device)
    if config.output == "all" and lengths is not None:
        t_axis = 1 if config.batch_first else 0
        steps = torch.arange(targets.shape[t_axis], device=logits.device)
        lengths_t = torch.as_tensor(lengths, device=logits.device)
        padded = steps[None, :] >= lengths_t[:, None]  # (B, T)
        targets = targets.masked_fill(padded if config.batch_first else padded.T, IGNORE_INDEX)
    return torch.nn.functional.cross_entropy(logits.reshape(-1, config.output_size), targets.reshape(-1),
                                             reduction=reduction, ignore_index=IGNORE_INDEX)


class StepResult(NamedTuple):
    loss: torch.Tensor  # 0-d, before the update
    logits: torch.Tensor
    h_n: torch.Tensor  # (L * dirs, B, H), still attached to the graph: detach it to carry it on
    clipped: bool | None  # whether clipping changed a gradient; None unless measure_clipping


def train_step(model, optimizer, x, targets, h0=None, lengths=None, reduction: str = "sum",
               clip_value: float | None = None, clip_norm: float | None = None,
               measure_clipping: bool = False, screen: bool = True) -> StepResult:
    """Loss, backward, the non-finite screen, clipping (by value, then by global norm), optimizer.step().

    Clipping acts on the gradients of the tensors the optimizer updates (build it over all trainable ones).

    A non-finite loss raises ValueError before backward, a non-finite gradient one that names it
    (reference names: "gradient 'Whh' holds nan at index (1, 2)"), both before anything is updated:
    clip_grad_value_ would turn an Inf into +-c without a word.
    screen=False skips the gradient screen (a NumPy view and a product per tensor, every step), for a
    caller that screens the same step elsewhere and can replay it screened (the training engine).
    """
    # The tensors the optimizer updates (bias="single" leaves bias_hh out: frozen, it never has a gradient).
    # Read from the optimizer, and their .grad reset by hand: model.parameters() and zero_grad() cost ~50 us a
    # step together, a tenth of a seed's per-example step.
    params = [p for group in optimizer.param_groups for p in group["params"]]
    for p in params:
        p.grad = None  # optimizer.zero_grad(set_to_none=True)
    logits, h_n = model(x, h0, lengths)
    loss = cross_entropy(logits, targets, lengths, model.config, reduction)
    value = loss.item()
    if not math.isfinite(value):
        overflowed = "" if bool(torch.isfinite(logits.detach()).all()) else " (the logits overflowed)"
        raise ValueError(f"the loss is {value}{overflowed}")
    loss.backward()
    trainable = [p for p in params if p.grad is not None]
    if screen and not all_finite([p.grad.detach().cpu().numpy() for p in trainable]):
        _raise_nonfinite_grad(model)
    clipped = None
    if measure_clipping:
        clipped = False
        if clip_value is not None:
            clipped |= max(float(g.abs().max()) for g in (p.grad for p in trainable)) > clip_value
    if clip_value is not None:
        torch.nn.utils.clip_grad_value_(trainable, clip_value)
    if clip_norm is not None:
        norm = torch.nn.utils.clip_grad_norm_(trainable, clip_norm)
        if measure_clipping:
            clipped |= float(norm) > clip_norm
    optimizer.step()
    return StepResult(loss, logits, h_n, clipped)


def _raise_nonfinite_grad(model):
    names = torch_key_map(model.config)
    named = ((f"gradient {names[key]!r}", p.grad.detach().cpu().numpy())
             for key, p in model.named_parameters() if p.grad is not None and names.get(key))
    bad = first_nonfinite_in(named)
    if bad:
        raise ValueError(bad)


__all__ = ["IGNORE_INDEX", "StepResult", "cross_entropy", "train_step"]
