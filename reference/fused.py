"""Forward, loss and BPTT of a one-layer unidirectional RNN in one function: the Trainer's fast path.

Per-example training (the seeds' protocol: a batch of one, sequences of 1 to 8 tokens) spends its time
on fixed costs, about a microsecond per NumPy call whatever its size. `single_layer_grads` makes the
floating-point operations of model.forward, loss.softmax_cross_entropy and model.backward in the same
order (its cross_entropy is loss.softmax_cross_entropy's), so its results are bit-identical, minus the
generality over layers, directions and masks.
The mutation catalogue (rnn_parity.mutants) edits this file too, so its mistakes reach the Trainer.

Shapes: T steps, B batch, D input, H hidden, O output.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import model
from .params import Params
from .validate import all_finite, initial_state, nonfinite_error


class CheckedExample(NamedTuple):
    """A training example checked once by Trainer.prepare: read-only copies, x time-major."""

    x: np.ndarray  # (T, B) token ids or (T, B, D) floats, time-major even when batch_first
    targets: np.ndarray  # (B,) for output="last"; (T, B) for "all" ((B, T) if batch_first)
    token_ids: bool


def flat_views(flat: np.ndarray, shapes: dict[str, tuple[int, ...]]) -> dict[str, np.ndarray]:
    """Consecutive pieces of the 1-D `flat`, reshaped to `shapes` (views, no copies)."""
    views, start = {}, 0
    for name, shape in shapes.items():
        size = math.prod(shape)
        views[name] = flat[start:start + size].reshape(shape)
        start += size
    return views


def cross_entropy(logits: np.ndarray, targets: np.ndarray, reduction: str):
    """loss.softmax_cross_entropy without a mask, in fewer NumPy calls: the same operations in the same order.

    One position (a many-to-one batch of one) is plain indexing and needs no sum; ufunc.reduce is
    .max/.sum without their Python wrappers. Per-call overhead is most of a seed step's cost.
    """
    flat = logits.reshape(-1, logits.shape[-1])
    n = flat.shape[0]
    rows, cols = (0, int(targets.reshape(-1)[0])) if n == 1 else (np.arange(n), targets.reshape(-1))
    shifted = flat - np.maximum.reduce(flat, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.add.reduce(np.exp(shifted), axis=1, keepdims=True))
    picked = log_probs[rows, cols]  # log p(target) per position
    dlogits = np.exp(log_probs)  # softmax
    dlogits[rows, cols] -= 1.0  # softmax - one_hot(target)
    value = -(picked if n == 1 else np.add.reduce(picked, axis=None))
    if reduction == "mean":
        value = value / n
        dlogits /= n
    return float(value), dlogits.reshape(logits.shape)


def single_layer_grads(params: Params, grads: Params, example: CheckedExample, h0, reduction: str):
    """Loss of a one-layer unidirectional model on a checked example; its gradients are written into `grads`.

    h0: (1, B, H) or None. Returns (loss, logits in the caller's layout, h_n: (1, B, H)).
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
        hs[0] = initial_state(h0, config, B, dtype)[0][0]
        if not np.isfinite(hs[0]).all():
            raise nonfinite_error(params, x, (hs[:1],), ())
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
    if not all_finite((logits,)) and not np.isfinite(logits).all():
        # A non-finite h_n reaches every logit of its step, so the logits alone tell.
        raise nonfinite_error(params, x, (hs[:1],), (hs[1:],))
    if config.output == "all" and config.batch_first:
        logits = np.swapaxes(logits, 0, 1)

    value, dlogits = cross_entropy(logits, targets, reduction)
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
    dh = None if last else np.zeros((B, H), dtype=dtype)  # the gradient reaching h_t from step t+1
    for t in reversed(range(T)):
        incoming = (dhead if t == T - 1 else dh) if last else dhead[t] + dh  # "last": only h_T meets the head
        da = np.multiply(incoming, act_grad[t], out=dA[t])
        if t:  # training needs no dh0
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
    return value, logits, hs[T:]
