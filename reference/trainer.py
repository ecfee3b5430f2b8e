"""Trainer: train_step for a long run of small steps, with the fixed costs paid once.

Per-example training (the seeds' protocol: a batch of one, sequences of 1 to 8 tokens) spends its
time on fixed costs, not arithmetic: about a microsecond per NumPy call, whatever the call's size.
Trainer makes fewer calls than train_step and computes the same numbers, bit for bit:

- params and gradients each live in one contiguous buffer (the arrays in `params` become views of
  it), so the non-finite check, clipping and the optimizer's update are one array operation each
  instead of one per tensor; torch's fused and foreach optimizers do the same;
- the configuration, the optimizer and the clipping settings are checked once, not every step, and
  Trainer.prepare checks a training example once for all the epochs that reuse it;
- for one unidirectional layer without lengths (every seed's model), `single_layer_grads` runs
  forward and BPTT in one function: the floating-point operations of model.forward/backward in the
  same order, minus the generality over layers, directions and masks. Other configurations run the
  general model.forward/backward and copy their gradients into the buffer.

Shapes: T steps, B batch, D input, H hidden, O output.
"""
from __future__ import annotations

import math
import operator
from typing import NamedTuple

import numpy as np

from . import clip, loss, model
from .optim import FLAT_STATE_KEY, Optimizer
from .params import Params
from .validate import check_params, check_targets, initial_state, nonfinite_error, time_major_input


class Example(NamedTuple):
    """A training example checked once by Trainer.prepare: read-only copies, x time-major."""

    x: np.ndarray  # (T, B) token ids or (T, B, D) floats, time-major even when batch_first
    targets: np.ndarray  # (B,) for output="last"; (T, B) for "all" ((B, T) if batch_first)
    token_ids: bool


def _flat_views(flat: np.ndarray, shapes: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    """Consecutive pieces of the 1-D `flat`, reshaped to `shapes` (views, no copies)."""
    views, start = {}, 0
    for name, shape in shapes.items():
        size = math.prod(shape)
        views[name] = flat[start:start + size].reshape(shape)
        start += size
    return views


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
    Trainer drives it (optimizer.step would refuse, since its state is kept as flat buffers).
    `grads` returned by step is the Trainer's gradient buffer: it is overwritten by the next step.
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
        views = _flat_views(self.flat_params, shapes)
        params.update(views)
        self._names, self._views = tuple(views), tuple(views.values())
        self.flat_grads = np.zeros_like(self.flat_params)
        self.grads = params.like(_flat_views(self.flat_grads, shapes))
        self._state = optimizer.state[FLAT_STATE_KEY] = {}
        # The fused path has no embedding table: configs with one take the general path.
        self.single_layer = (self.config.num_layers == 1 and not self.config.bidirectional
                             and self.config.vocab_size is None)

    def prepare(self, x, targets) -> Example:
        """(x, targets) checked once, as read-only copies, for steps that then skip the checks.

        Training over a fixed set for many epochs checks every example once instead of once per epoch:
            examples = [trainer.prepare(x, y) for x, y in data]
            for x_and_y in examples: trainer.step(x_and_y)
        """
        checked = self._checked(x, targets)
        x, targets = np.array(checked.x), np.array(checked.targets)  # copies, C-contiguous
        x.flags.writeable = targets.flags.writeable = False
        return Example(x, targets, checked.token_ids)

    def _checked(self, x, targets) -> Example:
        """x and targets validated as forward and the loss validate them (no copies)."""
        config = self.config
        x, token_ids = time_major_input(x, config, self.dtype)
        if not (token_ids or np.isfinite(x).all()):
            raise nonfinite_error(self.params, x, np.zeros(0), ())
        T, B = x.shape[:2]
        scored = (B,) if config.output == "last" else (B, T) if config.batch_first else (T, B)
        return Example(x, check_targets(targets, scored + (config.output_size,), config.output_size), token_ids)

    def step(self, x, targets=None, h0=None, lengths=None, dh_n=None):
        """One training step on (x, targets); arguments as for train_step. x may instead be an Example
        from prepare (and targets None), whose checks are then not repeated.

        Returns (loss, grads: the clipped gradients the update used, h_n: (L*dirs, B, H)).
        A non-finite gradient raises ValueError naming it, and params are left as they were.
        """
        if isinstance(x, Example):
            if targets is not None:
                raise ValueError("Trainer.step: an Example carries its targets; pass targets=None")
            example = x
        else:
            example = None
        if not all(map(operator.is_, map(self.params.get, self._names), self._views)):
            name = next(n for n, v in zip(self._names, self._views) if self.params.get(n) is not v)
            raise ValueError(f"Trainer: params[{name!r}] was replaced after the Trainer was built; "
                             f"write into it instead (params[{name!r}][...] = new)")
        with np.errstate(over="ignore", invalid="ignore"):  # non-finite values get their own ValueError
            if self.single_layer and lengths is None and dh_n is None:
                example = example or self._checked(x, targets)
                value, h_n = single_layer_grads(self.params, self.grads, example, h0, self.reduction)
            else:
                if example is not None:  # back to the caller's layout for the general path
                    x = np.swapaxes(example.x, 0, 1) if self.config.batch_first else example.x
                    targets = example.targets
                value, grads, _, _, h_n = loss.loss_and_all_grads(self.params, x, targets, h0, lengths,
                                                                  self.reduction, dh_n)
                for name, view in self.grads.items():
                    np.copyto(view, grads[name])
            g = self.flat_grads
            # One dot product screens every gradient: a NaN or Inf makes it non-finite. A finite sum that
            # overflows is a false alarm, which the exact per-tensor scan then clears.
            if not _finite_screen(g):
                clip.raise_if_nonfinite(self.grads, "Trainer.step")
            if self.clip_value is not None:
                g.clip(-self.clip_value, self.clip_value, out=g)
            if self.clip_norm is not None:
                g *= clip.norm_clip_coef(clip.total_norm(self.grads), self.clip_norm)
            self.optimizer.update(self.flat_params, g, self._state)
        return value, self.grads, h_n


def _finite_screen(a: np.ndarray) -> bool:
    """True when a holds no NaN or Inf, in one dot product. False can be a false alarm (a finite sum of
    squares above 1e308): callers then scan exactly."""
    v = a.ravel()
    return math.isfinite(v.dot(v))


def single_layer_grads(params: Params, grads: Params, example: Example, h0, reduction: str):
    """Loss of a one-layer unidirectional model on a checked example; its gradients are written into `grads`.

    The same floating-point operations as loss.loss_and_all_grads (model.forward, softmax_cross_entropy,
    model.backward) in the same order, so the results are bit-identical; only the bookkeeping for other
    layers, directions and masks is gone. h0: (1, B, H) or None. Returns (loss, h_n: (1, B, H)).
    """
    config = params.config
    dtype = params["Why"].dtype
    x, targets, token_ids = example
    T, B = x.shape[:2]
    H, O = config.hidden_size, config.output_size
    if h0 is None:
        hs = np.zeros((T + 1, B, H), dtype=dtype)  # hs[0] = h0, hs[t+1] = h_t
    else:
        hs = np.empty((T + 1, B, H), dtype=dtype)
        hs[0] = initial_state(h0, config, B, dtype)[0]
        if not np.isfinite(hs[0]).all():
            raise nonfinite_error(params, x, hs[:1], ())
    keys = model.keys_by_layer(config)[0][0]
    Whh, Why = params[keys.Whh], params["Why"]
    tanh = config.nonlinearity == "tanh"

    # Forward: all input projections in one product, then the recurrence (layers.recurrence_forward).
    xproj = model.input_projection(params, keys, x, token_ids)  # (T, B, H)
    WhhT = Whh.T
    for t in range(T):
        a = xproj[t] + hs[t].dot(WhhT)
        if tanh:
            np.tanh(a, out=hs[t + 1])
        else:
            np.maximum(a, 0.0, out=hs[t + 1])
    last = config.output == "last"
    head_input = hs[T] if last else hs[1:]  # (B, H) or (T, B, H)
    # ndarray.dot is @ with less call overhead for 2-D operands (the same BLAS call); for 3-D it is not a
    # batched product, so "all" keeps @.
    logits = (head_input.dot(Why.T) if last else head_input @ Why.T) + params["by"]
    if not _finite_screen(logits) and not np.isfinite(logits).all():
        # A non-finite h_n reaches every logit of its step, so the logits alone tell.
        raise nonfinite_error(params, x, hs[:1], (hs[1:],))
    if config.output == "all" and config.batch_first:
        logits = np.swapaxes(logits, 0, 1)

    value, dlogits = loss.softmax_cross_entropy(logits, targets, None, reduction)
    if config.output == "all" and config.batch_first:
        dlogits = np.swapaxes(dlogits, 0, 1)

    # Backward: the head, then BPTT from the last step (layers.recurrence_backward), then the weights.
    dlogits_flat = dlogits.reshape(-1, O)
    dlogits_flat.T.dot(head_input.reshape(-1, H), out=grads["Why"])
    np.add.reduce(dlogits_flat, axis=0, out=grads["by"])
    dhead = dlogits.dot(Why) if last else dlogits @ Why  # (B, H) for "last", (T, B, H) for "all"
    h = hs[1:]
    act_grad = 1.0 - h * h if tanh else (h > 0).astype(dtype)  # act'(a_t) for every t
    dA = np.empty((T, B, H), dtype=dtype)
    if last:
        dh = dhead  # only h_T reaches the head
        for t in reversed(range(T)):
            da = np.multiply(dh, act_grad[t], out=dA[t])
            if t:  # training needs no dh0
                dh = da.dot(Whh)
    else:
        dh = np.zeros((B, H), dtype=dtype)
        for t in reversed(range(T)):
            da = np.multiply(dhead[t] + dh, act_grad[t], out=dA[t])
            if t:
                dh = da.dot(Whh)

    dA_flat = dA.reshape(-1, H)
    dA_flat.T.dot(hs[:-1].reshape(-1, H), out=grads[keys.Whh])  # a_t depends on h_{t-1}
    if keys.bh:
        np.add.reduce(dA, axis=(0, 1), out=grads[keys.bh])
    if keys.bhh:  # both torch biases get the same gradient: copy it rather than reduce again
        np.copyto(grads[keys.bhh], grads[keys.bh])
    if token_ids:
        dWxh = grads[keys.Wxh]
        dWxh.fill(0.0)
        np.add.at(dWxh.T, x.reshape(-1), dA_flat)  # scatter-add into the columns the ids selected
    else:
        dA_flat.T.dot(x.reshape(-1, config.input_size), out=grads[keys.Wxh])
    return value, hs[T:]
