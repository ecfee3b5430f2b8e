"""The two runners of the training engine: one training step per example, in NumPy or in torch.

    NumpyRunner: reference.Trainer.step (train_step's fast twin: flat buffers, fused forward + BPTT)
    TorchRunner: torch_impl.train.train_step (TorchRNN, F.cross_entropy, clip_grad_*_, torch.optim.SGD)

Both refuse a step that would write a NaN or Inf into the weights (StepRefused, before the update);
the engine adds where it happened.
"""
from __future__ import annotations

import math

import numpy as np

from ..reference import SGD, Params, Trainer, forward
from ..reference.validate import first_nonfinite_in
from .tasks import Batch, Example, repeat_state


class StepRefused(Exception):
    """Raised by a runner's step before it updates anything: the numbers went non-finite."""


class NumpyRunner:
    """The reference: per-example Trainer.step (forward, summed softmax cross-entropy, BPTT, clip, SGD)."""

    name = "numpy"

    def __init__(self, params: Params, lr: float, clip_value: float | None, clip_norm: float | None, h0=None):
        self.params = params
        self.trainer = Trainer(params, SGD(params, lr=lr), clip_value, clip_norm, reduction="sum")
        self.h0 = h0

    def prepare(self, examples: list[Example]):
        """Each example as (T, 1) ids and its targets, checked once for all epochs."""
        return [self.trainer.prepare(e.x[:, None], e.y[None] if e.y.ndim == 0 else e.y[:, None]) for e in examples]

    def step(self, item) -> tuple[float, int, int]:
        """One SGD step on a prepared example: (loss, correct argmax count, scored count), before the update."""
        try:
            loss, logits, _, _ = self.trainer.run_step(item, None, self.h0)
        except ValueError as e:
            # The inputs were checked when the task was built, so what the reference refuses here is
            # numerical: non-finite weights, an overflow, or a non-finite gradient.
            bad = self.first_nonfinite_weight()
            raise StepRefused(f"the weights went non-finite ({bad})" if bad
                              else str(e).removeprefix("Trainer.step: ")) from None
        if not math.isfinite(loss):
            raise StepRefused(f"the loss is {loss}")
        y = item.targets
        return loss, np.count_nonzero(logits.argmax(axis=-1) == y), y.size

    def finite(self) -> bool:
        return bool(np.isfinite(self.trainer.flat_params).all())

    def first_nonfinite_weight(self) -> str | None:
        return first_nonfinite_in((f"params[{name!r}]", p) for name, p in self.params.items())

    def snapshot(self) -> Params:
        return self.params.copy()

    def logits(self, batch: Batch) -> np.ndarray:
        h0 = repeat_state(self.h0, batch.x.shape[1])
        with np.errstate(all="ignore"):
            logits, _, _ = forward(self.params, batch.x, h0, batch.lengths)
        return logits

    def numpy_params(self) -> Params:
        return self.params


class TorchRunner:
    """torch: TorchRNN (from to_torch) trained by torch_impl.train.train_step with torch.optim.SGD."""

    name = "torch"

    def __init__(self, params: Params, lr: float, clip_value: float | None, clip_norm: float | None, h0=None):
        import torch

        from ..torch_impl import to_torch, torch_key_map
        from ..torch_impl.train import train_step

        self.torch, self.train_step = torch, train_step
        self.model = to_torch(params)
        self.config = params.config
        trainable = [p for p in self.model.parameters() if p.requires_grad]
        # foreach: the same update (p += -lr * g) in one call for all tensors; ~10% faster per step on CPU
        self.optimizer = torch.optim.SGD(trainable, lr=lr, foreach=True)
        self.clip_value, self.clip_norm = clip_value, clip_norm
        # An LSTM's state is the pair (h0, c0), as nn.LSTM takes it.
        self.h0 = None if h0 is None else tuple(map(torch.from_numpy, map(np.array, h0))) if isinstance(h0, tuple) \
            else torch.from_numpy(np.array(h0))
        # reference name -> the live torch parameter (SGD updates it in place)
        self._named = [(ref, self.model.get_parameter(key)) for key, ref in torch_key_map(self.config).items() if ref]

    def _one_hot(self, x: np.ndarray):
        # The model one-hots integer ids itself; doing it once per example up front saves the work per step.
        return self.torch.nn.functional.one_hot(self.torch.from_numpy(x), self.config.input_size).to(self.model.dtype)

    def prepare(self, examples: list[Example]):
        return [(self._one_hot(e.x[:, None]), self.torch.from_numpy(np.atleast_1d(e.y)), np.atleast_1d(e.y))
                for e in examples]

    def step(self, item) -> tuple[float, int, int]:
        x, y, y_numpy = item
        try:
            loss, logits, _, _ = self.train_step(self.model, self.optimizer, x, y, self.h0, None, "sum",
                                                 self.clip_value, self.clip_norm)
        except ValueError as e:
            bad = self.first_nonfinite_weight()
            raise StepRefused(f"the weights went non-finite ({bad})" if bad else str(e)) from None
        # The hits counted in NumPy: a (T, 1, O) argmax costs a fifth of torch's argmax + == + sum there.
        hits = np.count_nonzero(logits.detach().numpy().argmax(axis=-1).reshape(-1) == y_numpy)
        return float(loss.detach()), hits, y_numpy.size

    def finite(self) -> bool:
        return all(bool(self.torch.isfinite(p).all()) for _, p in self._named)

    def first_nonfinite_weight(self) -> str | None:
        return first_nonfinite_in((f"params[{ref!r}]", p.detach().numpy()) for ref, p in self._named)

    def snapshot(self) -> Params:
        return Params({ref: p.detach().numpy().copy() for ref, p in self._named}, self.config)

    def logits(self, batch: Batch) -> np.ndarray:
        torch = self.torch
        B = batch.x.shape[1]
        h0 = None if self.h0 is None else tuple(s.repeat(1, B, 1) for s in self.h0) if isinstance(self.h0, tuple) \
            else self.h0.repeat(1, B, 1)
        with torch.no_grad():
            logits, _ = self.model(self._one_hot(batch.x), h0, batch.lengths)
        return logits.numpy()

    def numpy_params(self) -> Params:
        """The torch weights as reference Params (from_torch: copies, bit for bit)."""
        from ..torch_impl import from_torch

        return from_torch(self.model)

    def max_abs_diff(self, params: Params) -> float:
        return max(float(np.max(np.abs(params[ref] - p.detach().numpy()))) for ref, p in self._named)
