"""The two runners of the training engine: one training step per example, in NumPy or in torch.

    NumpyRunner: reference.Trainer.step (train_step's fast twin: flat buffers, fused forward + BPTT)
    TorchRunner: torch_impl.train.TorchTrainer (train_step's operations over examples prepared once: TorchRNN,
                 F.cross_entropy, clip_grad_*_, torch.optim.SGD)

Both refuse a step that would write a NaN or Inf into the weights (StepRefused, before the update);
run_epoch adds which step of the epoch it was, the engine where.

The NumPy runner's non-finite screen of the gradients is one call on its flat gradient buffer, so it
screens every step. The torch runner's costs a NumPy view and a product per tensor, so beside a NumPy
runner in lockstep (which screens the same step's numbers) it screens nothing per step: the loss is still
checked every step, the weights once per epoch, and a refusal or non-finite weights send the engine back
to the epoch's start to replay it screened, which names the first bad step as the screened run would have.
"""
from __future__ import annotations

import math

import numpy as np

from ..reference import SGD, Params, Trainer, forward
from ..reference.validate import first_nonfinite_in
from .tasks import Batch, Example, repeat_state


class StepRefused(Exception):
    """Raised by a runner's step before it updates anything: the numbers went non-finite.
    `.step`: the step of the epoch (1-based), set by run_epoch."""

    step: int | None = None


def run_epoch(step, items: list, order, keep_going: bool = False) -> tuple[float, list]:
    """items[i] for i in `order` through `step` (a runner's bound step): (summed loss, [(i, logits)] per step taken).

    The hits are counted from the logits once per epoch (tally_hits), not at every step. A StepRefused
    leaves with its .step set; with keep_going the refused step is skipped and the epoch goes on (the
    control run: its own divergence stops nothing).
    """
    total, taken = 0.0, []
    for k, i in enumerate(order, 1):
        try:
            loss, logits = step(items[i])
        except StepRefused as e:
            if keep_going:
                continue
            e.step = k
            raise
        total += loss
        taken.append((i, logits))
    return total, taken


def tally_hits(logits: np.ndarray, targets: np.ndarray) -> tuple[int, int]:
    """(correct argmax count, scored count) of stacked logits (N, O) against targets (N,)."""
    return int(np.count_nonzero(logits.argmax(axis=-1) == targets)), targets.size


class NumpyRunner:
    """The reference: per-example Trainer.step (forward, summed softmax cross-entropy, BPTT, clip, SGD)."""

    name = "numpy"
    screens_every_step = True

    def __init__(self, params: Params, lr: float, clip_value: float | None, clip_norm: float | None, h0=None):
        self.params = params
        self.trainer = Trainer(params, SGD(params, lr=lr), clip_value, clip_norm, reduction="sum")
        self.h0 = h0

    def prepare(self, examples: list[Example]):
        """Each example as (T, 1) ids and its targets, checked once for all epochs."""
        return [self.trainer.prepare(e.x[:, None], e.y[None] if e.y.ndim == 0 else e.y[:, None]) for e in examples]

    def epoch(self, items: list, order, keep_going: bool = False) -> tuple[float, int, int]:
        """Every item once in `order`: (summed loss, correct argmax count, scored count), each before its update."""
        # Trainer.prepared_steps: run_step's per-call checks and NumPy's error state once for the epoch
        with self.trainer.prepared_steps(self.h0) as self._run_step:
            try:
                total, taken = run_epoch(self.step, items, order, keep_going)
            finally:
                self._run_step = None
        if not taken:
            return total, 0, 0
        out = self.params.config.output_size
        return (total, *tally_hits(np.concatenate([logits.reshape(-1, out) for _, logits in taken]),
                                   np.concatenate([items[i].targets.reshape(-1) for i, _ in taken])))

    _run_step = None  # the epoch's step function, inside epoch()

    def step(self, item) -> tuple[float, np.ndarray]:
        """One SGD step on a prepared example: (loss, logits), both before the update."""
        try:
            if self._run_step is None:
                loss, logits, _, _ = self.trainer.run_step(item, None, self.h0)
            else:
                loss, logits, _, _ = self._run_step(item)
        except ValueError as e:
            # The inputs were checked when the task was built, so what the reference refuses here is
            # numerical: non-finite weights, an overflow, or a non-finite gradient.
            bad = self.first_nonfinite_weight()
            raise StepRefused(f"the weights went non-finite ({bad})" if bad
                              else str(e).removeprefix("Trainer.step: ")) from None
        if not math.isfinite(loss):
            raise StepRefused(f"the loss is {loss}")
        return loss, logits

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
    """torch: TorchRNN (from to_torch) trained by torch_impl.train.TorchTrainer with torch.optim.SGD.

    screens_every_step: the per-step non-finite screen of the gradients (train_step's screen); False
    beside a NumPy runner, whose screen covers the same step (see the module's docstring).
    """

    name = "torch"

    def __init__(self, params: Params, lr: float, clip_value: float | None, clip_norm: float | None, h0=None,
                 screens_every_step: bool = True):
        import torch

        from ..torch_impl import to_torch, torch_key_map
        from ..torch_impl.train import TorchTrainer

        self.torch = torch
        self.screens_every_step = screens_every_step
        self.model = to_torch(params)
        self.config = params.config
        trainable = [p for p in self.model.parameters() if p.requires_grad]
        # foreach: the same update (p += -lr * g) in one call for all tensors; ~10% faster per step on CPU
        self.optimizer = torch.optim.SGD(trainable, lr=lr, foreach=True)
        # An LSTM's state is the pair (h0, c0), as nn.LSTM takes it.
        self.h0 = None if h0 is None else tuple(map(torch.from_numpy, map(np.array, h0))) if isinstance(h0, tuple) \
            else torch.from_numpy(np.array(h0))
        # train_step's operations, with each example checked and one-hot encoded once (prepare)
        self.trainer = TorchTrainer(self.model, self.optimizer, clip_value, clip_norm, "sum", self.h0)
        # reference name -> the live torch parameter (SGD updates it in place)
        self._named = [(ref, self.model.get_parameter(key)) for key, ref in torch_key_map(self.config).items() if ref]

    def prepare(self, examples: list[Example]):
        """Each example checked and built into the model's input once, with its targets also as NumPy."""
        return [(self.trainer.prepare(e.x[:, None], np.atleast_1d(e.y)), np.atleast_1d(e.y).reshape(-1))
                for e in examples]

    def epoch(self, items: list, order, keep_going: bool = False) -> tuple[float, int, int]:
        """Every item once in `order`: (summed loss, correct argmax count, scored count), each before its update."""
        total, taken = run_epoch(self.step, items, order, keep_going)
        if not taken:
            return total, 0, 0
        out = self.config.output_size
        logits = self.torch.cat([logits.reshape(-1, out) for _, logits in taken]).numpy()
        return (total, *tally_hits(logits, np.concatenate([items[i][1] for i, _ in taken])))

    def step(self, item) -> tuple[float, object]:
        """One training step on a prepared example: (loss, logits), both before the update."""
        try:
            loss, logits = self.trainer.step(item[0], self.screens_every_step)
        except ValueError as e:
            bad = self.first_nonfinite_weight()
            raise StepRefused(f"the weights went non-finite ({bad})" if bad else str(e)) from None
        return loss, logits.detach()  # kept until the epoch's hits are counted: without its graph

    def finite(self) -> bool:
        return all(bool(self.torch.isfinite(p).all()) for _, p in self._named)

    def first_nonfinite_weight(self) -> str | None:
        return first_nonfinite_in((f"params[{ref!r}]", p.detach().numpy()) for ref, p in self._named)

    def snapshot(self) -> Params:
        return Params({ref: p.detach().numpy().copy() for ref, p in self._named}, self.config)

    def restore(self, snapshot: Params) -> None:
        """Back to `snapshot`'s weights, bit for bit (the engine's replay). SGD without momentum keeps no state."""
        if self.optimizer.state:
            raise RuntimeError("TorchRunner.restore: the optimizer keeps state, which a snapshot does not hold")
        with self.torch.no_grad():
            for ref, p in self._named:
                p.copy_(self.torch.from_numpy(snapshot[ref]))

    def logits(self, batch: Batch) -> np.ndarray:
        torch = self.torch
        B = batch.x.shape[1]
        h0 = None if self.h0 is None else tuple(s.repeat(1, B, 1) for s in self.h0) if isinstance(self.h0, tuple) \
            else self.h0.repeat(1, B, 1)
        with torch.no_grad():
            logits, _ = self.model(torch.from_numpy(batch.x), h0, batch.lengths)
        return logits.numpy()

    def numpy_params(self) -> Params:
        """The torch weights as reference Params (from_torch: copies, bit for bit)."""
        from ..torch_impl import from_torch

        return from_torch(self.model)

    def max_abs_diff(self, params: Params) -> float:
        return max(float(np.max(np.abs(params[ref] - p.detach().numpy()))) for ref, p in self._named)
