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
    _, clipped = _backward_and_update(model, optimizer, params, loss, logits, clip_value, clip_norm,
                                      measure_clipping, screen)
    return StepResult(loss, logits, h_n, clipped)


def _backward_and_update(model, optimizer, params, loss, logits, clip_value, clip_norm, measure_clipping: bool,
                         screen: bool) -> tuple[float, bool | None]:
    """train_step after the loss: its check, backward, the screen, clipping, the update: (loss, clipped)."""
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
    return value, clipped


class Prepared(NamedTuple):
    """A training example checked once by TorchTrainer.prepare."""

    x: torch.Tensor  # the model's input as TorchRNN builds it (token ids one-hot), checked
    targets: torch.Tensor  # int64, one per scored position, flat


class TorchTrainer:
    """train_step for a long run of small steps over examples prepared once: reference.Trainer's torch twin.

        trainer = TorchTrainer(model, torch.optim.SGD(params, lr=0.02), clip_value=1.0)
        examples = [trainer.prepare(x, y) for x, y in data]  # checked and one-hot encoded once
        for example in examples:
            loss, logits = trainer.step(example)

    A step makes train_step's operations in its order, so its numbers are train_step's bit for bit; it
    skips the per-step work whose answer cannot change: the input's checks and one-hot (done in prepare),
    and, for one direction without an embedding table or lengths, TorchRNN.forward's own checks around
    its two modules (.rnn, then .fc on the top layer's last state or on every step's output), which it
    calls directly. Other configurations go through TorchRNN.forward.
    """

    def __init__(self, model, optimizer, clip_value: float | None = None, clip_norm: float | None = None,
                 reduction: str = "sum", h0=None):
        if reduction not in ("sum", "mean"):
            raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
        config = model.config
        self.model, self.optimizer, self.config = model, optimizer, config
        self.clip_value, self.clip_norm, self.reduction = clip_value, clip_norm, reduction
        self.params = [p for group in optimizer.param_groups for p in group["params"]]
        if h0 is not None:  # one initial state for every example (checked against each one's batch in prepare)
            first = h0[0] if config.has_cell_state and isinstance(h0, (tuple, list)) else h0  # an LSTM's (h0, c0)
            shape = tuple(getattr(first, "shape", ()))
            h0 = model._as_h0(h0, shape[1] if len(shape) == 3 else 0)
        self.h0 = h0
        self.direct = config.num_directions == 1 and config.vocab_size is None
        self.last = config.output == "last"

    def prepare(self, x, targets) -> Prepared:
        """(x, targets) checked, x built into the model's input, once for every epoch that reuses them."""
        model, c = self.model, self.config
        if c.vocab_size is None:
            x = model._as_input(x)
        else:  # the embedding is trained: looked up at every step, so only its ids are checked here
            with torch.no_grad():
                model._as_input(x)
            x = torch.as_tensor(x, device=model.fc.weight.device)
        B, T = (x.shape[0], x.shape[1]) if c.batch_first else (x.shape[1], x.shape[0])
        if self.h0 is not None:
            model._as_h0(self.h0, B)
        targets = torch.as_tensor(targets, dtype=torch.int64, device=x.device).reshape(-1)
        scored = B if self.last else B * T
        if targets.numel() != scored or (scored and (int(targets.min()) < 0 or int(targets.max()) >= c.output_size)):
            raise ValueError(f"TorchTrainer.prepare: targets must be {scored} class ids in [0, {c.output_size}), "
                             f"got {targets.numel()} in [{int(targets.min()) if scored else '-'}, "
                             f"{int(targets.max()) if scored else '-'}]")
        return Prepared(x, targets)

    def forward(self, x):
        """TorchRNN.forward(x, h0) on a prepared input: (logits, h_n)."""
        if not self.direct:
            return self.model(x, self.h0)
        out, h_n = self.model.rnn(x, self.h0)
        h = h_n[0] if self.config.has_cell_state else h_n  # an LSTM's state is (h_n, c_n)
        return self.model.fc(h[-1] if self.last else out), h_n

    def step(self, example: Prepared, screen: bool = True) -> tuple[float, torch.Tensor]:
        """One training step: (loss before the update, logits). Raises ValueError as train_step does."""
        for p in self.params:
            p.grad = None
        logits, _ = self.forward(example.x)
        loss = torch.nn.functional.cross_entropy(logits if self.last else logits.reshape(-1, self.config.output_size),
                                                 example.targets, reduction=self.reduction)
        value, _ = _backward_and_update(self.model, self.optimizer, self.params, loss, logits, self.clip_value,
                                        self.clip_norm, False, screen)
        return value, logits


def _raise_nonfinite_grad(model):
    names = torch_key_map(model.config)
    named = ((f"gradient {names[key]!r}", p.grad.detach().cpu().numpy())
             for key, p in model.named_parameters() if p.grad is not None and names.get(key))
    bad = first_nonfinite_in(named)
    if bad:
        raise ValueError(bad)


__all__ = ["IGNORE_INDEX", "Prepared", "StepResult", "TorchTrainer", "cross_entropy", "train_step"]
