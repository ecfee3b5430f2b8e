"""Trainer: train_step's fast twin for a long run of small steps, the same numbers bit for bit.

- params and gradients each live in one contiguous buffer (the arrays in `params` become views of
  it), so the non-finite screen, clipping and the optimizer's update are one array operation each
  instead of one per tensor; torch's fused and foreach optimizers do the same;
- the configuration, the optimizer and the clipping settings are checked once, and Trainer.prepare
  checks a training example once for all the epochs that reuse it;
- one unidirectional Elman layer without lengths (every seed's model) runs fused.single_layer_grads;
  other configurations, the LSTM and the GRU among them, run model.forward/backward and copy their
  gradients into the buffer.
"""
from __future__ import annotations

import contextlib
import operator
from typing import NamedTuple

import numpy as np

from . import clip, fused, loss, model
from .optim import SGD, Optimizer
from .params import Params
from .validate import all_finite, check_params, check_targets, nonfinite_error, time_major_input

CheckedExample = fused.CheckedExample
# np.clip's ufunc (the one its Python wrapper calls); min then max where a NumPy build lacks it
_clip = getattr(np._core.umath, "clip", None) if hasattr(np, "_core") else None
if _clip is None:  # pragma: no cover - NumPy < 2 names the module np.core
    def _clip(g, low, high, out):
        np.minimum(g, high, out=out)
        return np.maximum(out, low, out=out)


class TrainerStep(NamedTuple):
    loss: float
    logits: np.ndarray  # before the update, in the caller's layout
    grads: Params  # the clipped gradients the update used: the Trainer's buffer, overwritten next step
    h_n: np.ndarray  # (L * dirs, B, H)


class Trainer:
    """Loss, gradients, clipping and one optimizer step per call, like train_step, in fewer NumPy calls.

        trainer = Trainer(params, SGD(params, lr=0.02), clip_value=1.0)
        for x, y in examples:
            loss, grads, h_n = trainer.step(x, y)

    Building a Trainer packs `params` into one buffer in place: every array in `params` is replaced by
    a view of it holding the same values, so `params` keeps showing the current weights. Arrays taken
    out of `params` before that are no longer updated. Replacing an entry of `params` afterwards is an
    error at the next step (write into it instead: params["Whh"][...] = new).

    The optimizer must have been built over `params` and have taken no step yet; from then on the
    Trainer drives it (optimizer.driver), and optimizer.step refuses: its state is the Trainer's.
    """

    def __init__(self, params: Params, optimizer: Optimizer, clip_value: float | None = None,
                 clip_norm: float | None = None, reduction: str = "sum"):
        self.config = check_params(params)
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"Trainer needs a reference optimizer (SGD or Adam), got {type(optimizer).__name__}")
        if optimizer.params is not params:
            raise ValueError("Trainer: the optimizer was built over a different params object")
        if optimizer.state:
            raise ValueError("Trainer: the optimizer has already taken steps; build the Trainer before the first")
        if optimizer.driver is not None:
            raise ValueError(f"Trainer: the optimizer is already driven by a {optimizer.driver}; build a new one")
        if clip_value is not None and not clip_value > 0:
            raise ValueError(f"clip_value must be > 0, got {clip_value}")
        if clip_norm is not None and not clip_norm > 0:
            raise ValueError(f"max_norm must be > 0, got {clip_norm}")
        if reduction not in loss.REDUCTIONS:
            raise ValueError(f"reduction must be one of {loss.REDUCTIONS}, got {reduction!r}")
        self.params, self.optimizer, self.dtype = params, optimizer, params["Why"].dtype
        self.clip_value, self.clip_norm, self.reduction = clip_value, clip_norm, reduction

        shapes = {name: params[name].shape for name in params}
        self.flat_params = np.concatenate([np.ravel(params[name]) for name in shapes])
        views = fused.flat_views(self.flat_params, shapes)
        params.update(views)
        self._names, self._views = tuple(views), tuple(views.values())
        self.flat_grads = np.zeros_like(self.flat_params)
        self.grads = params.like(fused.flat_views(self.flat_grads, shapes))
        optimizer.driver = "Trainer"
        self.optimizer_state: dict = {}  # the optimizer's state for the flat buffer
        self._scratch = np.empty_like(self.flat_params)  # lr * g of a plain SGD step (see _update)
        # The fused path is the Elman RNN's one layer without an embedding table; every other config (the
        # LSTM and the GRU included) takes the general path: model.forward/backward, then the same update.
        self.single_layer = (self.config.cell == "rnn" and self.config.num_layers == 1
                             and not self.config.bidirectional and self.config.vocab_size is None)

    def prepare(self, x, targets) -> CheckedExample:
        """(x, targets) checked once, as read-only copies, for steps that then skip the checks.

        Training over a fixed set for many epochs checks every example once instead of once per epoch:
            examples = [trainer.prepare(x, y) for x, y in data]
            for x_and_y in examples: trainer.step(x_and_y)
        """
        checked = self._checked(x, targets)
        x, targets = np.array(checked.x), np.array(checked.targets)  # copies, C-contiguous
        x.flags.writeable = targets.flags.writeable = False
        return CheckedExample(x, targets, checked.token_ids)

    def _checked(self, x, targets) -> CheckedExample:
        """x and targets validated as forward and the loss validate them (no copies)."""
        config = self.config
        x, token_ids = time_major_input(x, config, self.dtype)
        if not (token_ids or np.isfinite(x).all()):
            raise nonfinite_error(self.params, x, (), ())
        T, B = x.shape[:2]
        scored = (B,) if config.output == "last" else (B, T) if config.batch_first else (T, B)
        return CheckedExample(x, check_targets(targets, scored + (config.output_size,), config.output_size),
                              token_ids)

    def step(self, x, targets=None, h0=None, lengths=None, dh_n=None):
        """One training step on (x, targets); arguments as for train_step. x may instead be a
        CheckedExample from prepare (and targets None), whose checks are then not repeated.

        Returns (loss, grads: the clipped gradients the update used, h_n: (L*dirs, B, H)).
        A non-finite gradient raises ValueError naming it, and params are left as they were.
        """
        value, _, grads, h_n = self.run_step(x, targets, h0, lengths, dh_n)
        return value, grads, h_n

    def run_step(self, x, targets=None, h0=None, lengths=None, dh_n=None) -> TrainerStep:
        """step, also returning the logits the loss was computed from (a training run counts hits with them)."""
        if isinstance(x, CheckedExample):
            if targets is not None:
                raise ValueError("Trainer.step: an Example carries its targets; pass targets=None")
            example = x
        else:
            example = None
        self._check_kept()
        with np.errstate(over="ignore", invalid="ignore"):  # non-finite values get their own ValueError
            if self.single_layer and lengths is None and dh_n is None:
                example = example or self._checked(x, targets)
                value, logits, h_n = fused.single_layer_grads(self.params, self.grads, example, h0, self.reduction)
            else:
                if example is not None:  # back to the caller's layout for the general path
                    x = np.swapaxes(example.x, 0, 1) if self.config.batch_first else example.x
                    targets = example.targets
                value, logits, h_n = self._general_grads(x, targets, h0, lengths, dh_n)
            self._update()
        return TrainerStep(value, logits, self.grads, h_n)

    @contextlib.contextmanager
    def prepared_steps(self, h0=None):
        """run_step on prepared examples (from prepare) with this h0, for a run of many: run_step's numbers,
        with its per-call costs paid once for the block (the check that params were not replaced, the
        example's type, NumPy's error state), about a tenth of a seed's per-example step.

            with trainer.prepared_steps() as step:
                for example in examples:
                    loss, logits, grads, h_n = step(example)

        Inside the block, NumPy's overflow and invalid warnings are off, as inside run_step: non-finite
        values get their own ValueError.
        """
        self._check_kept()
        params, grads, reduction, update = self.params, self.grads, self.reduction, self._update
        if self.single_layer:
            single_layer_grads = fused.single_layer_grads

            def step(example: CheckedExample) -> TrainerStep:
                value, logits, h_n = single_layer_grads(params, grads, example, h0, reduction)
                update()
                return TrainerStep(value, logits, grads, h_n)
        else:
            def step(example: CheckedExample) -> TrainerStep:
                x = np.swapaxes(example.x, 0, 1) if self.config.batch_first else example.x
                value, logits, h_n = self._general_grads(x, example.targets, h0, None, None)
                update()
                return TrainerStep(value, logits, grads, h_n)
        with np.errstate(over="ignore", invalid="ignore"):
            yield step

    def _check_kept(self) -> None:
        """The arrays of params are still the buffer's views (an entry replaced would train nothing)."""
        if not all(map(operator.is_, map(self.params.get, self._names), self._views)):
            name = next(n for n, v in zip(self._names, self._views) if self.params.get(n) is not v)
            raise ValueError(f"Trainer: params[{name!r}] was replaced after the Trainer was built; "
                             f"write into it instead (params[{name!r}][...] = new)")

    def _update(self) -> None:
        """apply_update's order on the gradient buffer: the finite screen, clip by value, clip by norm, one
        optimizer step."""
        g = self.flat_grads
        if not all_finite((g,)):
            clip.raise_if_nonfinite(self.grads, "Trainer.step")
        if self.clip_value is not None:
            # clip_value's g.clip in one pass, without its Python wrapper: on finite values (screened above)
            # max(min(g, c), -c) exactly
            _clip(g, -self.clip_value, self.clip_value, out=g)
        if self.clip_norm is not None:
            g *= clip.norm_clip_coef(clip.total_norm(self.grads), self.clip_norm)
        o = self.optimizer
        if type(o) is SGD and o.momentum == 0 and o.weight_decay == 0:
            # SGD.update's p -= lr * g, the product written into a buffer kept for it (no allocation per step)
            np.subtract(self.flat_params, np.multiply(g, o.lr, out=self._scratch), out=self.flat_params)
        else:
            self.optimizer.update(self.flat_params, g, self.optimizer_state)

    def _general_grads(self, x, targets, h0, lengths, dh_n):
        """loss.loss_and_all_grads, keeping the logits, with the gradients copied into the buffer."""
        params = self.params
        logits, h_n, cache = model.forward(params, x, h0=h0, lengths=lengths)
        targets = check_targets(targets, logits.shape, self.config.output_size)
        value, dlogits = loss.softmax_cross_entropy(logits, targets, loss.scored_positions(params, cache),
                                                    self.reduction)
        grads, _, _ = model.backward(params, cache, dlogits, dh_n, need_dx=False)
        for name, view in self.grads.items():
            np.copyto(view, grads[name])
        return value, logits, h_n
