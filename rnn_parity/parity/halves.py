"""The two halves of each single-shot parity check, NumPy reference and torch, written to read alike:

    forward    logits, h_n (and the LSTM's c_n), the top layer's hidden states
    vjp        every parameter's gradient, dx, dh0 (and the LSTM's dc0) under random upstream gradients on
               logits and h_n (and c_n)
    loss       cross-entropy loss and every gradient, reduction "sum" or "mean"
    clip       clip_value vs clip_grad_value_, clip_norm vs clip_grad_norm_ (and its returned norm)
    gradcheck  the reference's finite-difference check (no torch)

``forward_numpy(setup)`` and ``forward_torch(setup)`` each return {quantity: array}; ``check_forward``
compares them with ``parity``. Reference functions are looked up on ``rnn_parity.reference`` at call
time, so a mutant patched into the reference in-process (rnn_parity.mutants) is what runs.
"""
from __future__ import annotations

import math

import numpy as np

from .. import reference as ref
from ..reference import tolerances
from ..reference.config import RNNConfig
from ..reference.tolerances import Tolerance
from .cases import Setup
from .compare import Comparison, compare, flag, missing


def _torch():
    import torch  # imported lazily: `rnn-parity --help` and the reference-only paths stay torch-free

    return torch


# ----------------------------------------------------------------------------------------------
# Comparing named quantities
# ----------------------------------------------------------------------------------------------

def parity(group: str, mine: dict, theirs: dict, tolerance, dtypes=None, step: int | None = None) -> list[Comparison]:
    """compare() every quantity the two sides report, named "<group> <key>" ("<group> step <n> <key>").

    tolerance: "forward" | "grad" | a Tolerance, or a dict of those per key with a default under None
    (LOSS_QUANTITIES). A key on one side only, or None on one side only, is a failed comparison;
    None on both sides (dx for token ids) is skipped. step: the optimizer step of a trajectory.
    """
    results = []
    prefix = group if step is None else f"{group} step {step}"
    for key in list(mine) + [k for k in theirs if k not in mine]:
        name = f"{prefix} {key}"
        a, b = mine.get(key), theirs.get(key)
        tol = tolerance.get(key, tolerance.get(None)) if isinstance(tolerance, dict) else tolerance
        if a is None and b is None and key in mine and key in theirs:
            continue
        where = dict(group=group, step=step, **_place(key, step))
        if a is None or b is None:
            side = "mine (reference)" if a is None else "theirs (torch)"
            results.append(missing(name, side, tol if isinstance(tol, Tolerance) else None, **where))
            continue
        results.append(compare(name, a, b, tol, dtypes, **where))
    return results


def _place(key: str, step: int | None) -> dict:
    """A key's quantity and member: "grad Whh" -> grads / Whh; a trajectory's "Whh" -> params / Whh."""
    if key.startswith("grad "):
        return dict(quantity="grads", member=key[5:])
    if step is not None and key != "loss":
        return dict(quantity="params", member=key)
    return dict(quantity=key, member="")


# A loss is a forward quantity, its gradients are gradients.
LOSS_QUANTITIES = {"loss": "forward", None: "grad"}


def grads_named(grads) -> dict:
    return {f"grad {name}": g for name, g in grads.items()}


def torch_grads(model) -> dict:
    """The model's .grad tensors under reference names (from_torch's key map); a missing grad is zeros."""
    from ..torch_impl import from_torch

    torch = _torch()
    sd = {name: p.grad if p.grad is not None else torch.zeros_like(p) for name, p in model.named_parameters()}
    return grads_named(from_torch(sd, model.config))


def time_major(out, config: RNNConfig):
    return out.transpose(0, 1) if config.batch_first else out


def parts(state) -> tuple:
    """A state as a tuple of its parts: (h,), or the LSTM's (h, c)."""
    return tuple(state) if isinstance(state, tuple) else (state,)


def state_named(labels: tuple, state) -> dict:
    """A state under its labels, each part compared on its own: {"h_n": h}, or {"h_n": h, "c_n": c} for an LSTM."""
    return dict(zip(labels, parts(state)))


FINAL_STATE = ("h_n", "c_n")
STATE_GRAD = ("dh0", "dc0")


# ----------------------------------------------------------------------------------------------
# forward: logits, h_n, the top layer's hidden states
# ----------------------------------------------------------------------------------------------

def forward_numpy(s: Setup) -> dict:
    logits, h_n, cache = ref.forward(s.params, s.x, s.h0, s.lengths)
    return {"logits": logits, **state_named(FINAL_STATE, h_n), "hidden states": cache.outputs[-1]}


def forward_torch(s: Setup) -> dict:
    model = s.model()
    logits, h_n = model(s.tensor(s.x), s.tensor(s.h0), s.lengths)
    hidden, _ = model.hidden_states(s.tensor(s.x), s.tensor(s.h0), s.lengths)
    return {"logits": logits, **state_named(FINAL_STATE, h_n), "hidden states": time_major(hidden, s.config)}


def check_forward(s: Setup) -> list[Comparison]:
    return parity("forward", forward_numpy(s), forward_torch(s), "forward", s.dtypes)


# ----------------------------------------------------------------------------------------------
# vjp: gradients of every parameter, dx and dh0 (dc0) under random upstream gradients on logits and h_n (c_n)
# ----------------------------------------------------------------------------------------------

def vjp_numpy(s: Setup, scale: float = 1.0) -> dict:
    logits, h_n, cache = ref.forward(s.params, s.x, s.h0, s.lengths)
    grads, dx, dh0 = ref.backward(s.params, cache, s.dlogits * scale, _scaled(s.dh_n, scale))
    return {**grads_named(grads), "dx": dx, **state_named(STATE_GRAD, dh0)}


def vjp_torch(s: Setup, scale: float = 1.0) -> dict:
    model = s.model()
    x = s.tensor(s.x, requires_grad=not s.case.ids_input)
    h0 = s.tensor(s.zeros_h0() if s.h0 is None else s.h0, requires_grad=True)  # h0=None's dh0: an explicit zero h0
    _backward_from(s, model, x, h0, scale)
    dh0 = tuple(part.grad for part in parts(h0))
    return {**torch_grads(model), "dx": None if s.case.ids_input else x.grad, **state_named(STATE_GRAD, dh0)}


def _scaled(state, scale: float):
    scaled = tuple(part * scale for part in parts(state))
    return scaled if isinstance(state, tuple) else scaled[0]


def _backward_from(s: Setup, model, x, h0, scale: float) -> None:
    """torch's half of a vjp: run the model, then backward from the upstream gradients on logits and h_n (c_n)."""
    logits, h_n = model(x, h0, s.lengths)
    upstream = (s.dlogits * scale,) + parts(_scaled(s.dh_n, scale))
    _torch().autograd.backward([logits, *parts(h_n)], [s.tensor(u) for u in upstream])


def check_vjp(s: Setup) -> list[Comparison]:
    return parity("vjp", vjp_numpy(s), vjp_torch(s), "grad", s.dtypes)


# ----------------------------------------------------------------------------------------------
# loss: cross-entropy (sum or mean over the scored positions) and every gradient
# ----------------------------------------------------------------------------------------------

def loss_numpy(s: Setup, reduction: str) -> dict:
    loss, grads = ref.loss_and_grads(s.params, s.x, s.targets, s.h0, s.lengths, reduction)
    return {"loss": np.asarray(loss, s.ref_dtype), **grads_named(grads)}


def loss_torch(s: Setup, reduction: str) -> dict:
    model = s.model()
    logits, _ = model(s.tensor(s.x), s.tensor(s.h0), s.lengths)
    from ..torch_impl.train import cross_entropy

    loss = cross_entropy(logits, s.targets, s.lengths, s.config, reduction)
    loss.backward()
    return {"loss": loss, **torch_grads(model)}


def check_loss(s: Setup, reduction: str = "sum") -> list[Comparison]:
    return parity(f"loss-{reduction}", loss_numpy(s, reduction), loss_torch(s, reduction), LOSS_QUANTITIES, s.dtypes)


# ----------------------------------------------------------------------------------------------
# clip: clip_value vs clip_grad_value_, clip_norm vs clip_grad_norm_, with clipping active
# ----------------------------------------------------------------------------------------------

CLIP_UPSTREAM_SCALE = 1.0  # the vjp test's upstream gradients: float32 errors stay at their usual size
CLIP_METHODS = {"value": 0.05, "norm": 0.1, "norm-inf": 0.05}  # thresholds well inside the gradients


def clip_numpy(s: Setup, method: str) -> dict:
    grads = {k[5:]: v for k, v in vjp_numpy(s, CLIP_UPSTREAM_SCALE).items() if k.startswith("grad ")}
    grads = s.params.like(grads)
    if method == "value":
        return grads_named(ref.clip_value(grads, CLIP_METHODS[method]))
    clipped, norm = ref.clip_norm(grads, CLIP_METHODS[method], norm_type=_norm_type(method))
    return {**grads_named(clipped), "total norm": np.asarray(norm, s.ref_dtype)}


def clip_torch(s: Setup, method: str) -> dict:
    torch = _torch()
    model = s.model()
    _backward_from(s, model, s.tensor(s.x), s.tensor(s.h0), CLIP_UPSTREAM_SCALE)
    if method == "value":
        torch.nn.utils.clip_grad_value_(model.parameters(), CLIP_METHODS[method])
        return torch_grads(model)
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP_METHODS[method], norm_type=_norm_type(method))
    return {**torch_grads(model), "total norm": norm}


def _norm_type(method: str) -> float:
    return math.inf if method == "norm-inf" else 2.0


def clipping_active(s: Setup, method: str) -> bool:
    """Whether the raw gradients exceed the threshold (else a clip comparison proves nothing)."""
    grads = [v for k, v in vjp_numpy(s, CLIP_UPSTREAM_SCALE).items() if k.startswith("grad ")]
    if method == "value":
        return max(float(np.abs(g).max()) for g in grads) > CLIP_METHODS[method]
    flat = np.concatenate([np.ravel(g) for g in grads])
    return float(np.linalg.norm(flat, ord=_norm_type(method))) > CLIP_METHODS[method]


def check_clip(s: Setup, method: str = "value") -> list[Comparison]:
    mine, theirs = clip_numpy(s, method), clip_torch(s, method)
    return parity(f"clip-{method}", mine, theirs, "grad", s.dtypes) + [
        flag(f"clip-{method} active", clipping_active(s, method), "the raw gradients never exceed the threshold",
             group=f"clip-{method}", quantity="grads")]


# ----------------------------------------------------------------------------------------------
# gradcheck: the reference against finite differences (scipy.optimize.check_grad)
# ----------------------------------------------------------------------------------------------

# The finite-difference step lives with the other numbers of the tolerance policy (why: see there).
GRADCHECK_EPSILON = tolerances.GRADCHECK_EPSILON


def check_gradcheck(s: Setup, reduction: str = "sum") -> list[Comparison]:
    """One row per gradcheck row, passing when its relative error is below GRADCHECK_REL_ERROR."""
    rows = ref.gradcheck(s.params, s.x, s.targets, s.h0, s.lengths, reduction=reduction, epsilon=GRADCHECK_EPSILON)
    limit = tolerances.GRADCHECK_REL_ERROR
    return [Comparison(name=f"gradcheck {row.name}", passed=bool(row.passed), max_abs=float(row.error),
                       max_rel=float(row.rel_error), used=float(row.rel_error) / limit,
                       tol=Tolerance(rtol=limit, atol=0.0), dtypes=("float64", "float64"), shape=(),
                       problem=None if row.passed else "values", worst_index=(), mine=float(row.rel_error),
                       theirs=0.0, n_bad=0 if row.passed else 1,
                       detail="" if row.passed else f"relative error {row.rel_error:.3g} >= {limit:g}",
                       group="gradcheck", quantity="finite differences", member=row.name)
            for row in rows]


__all__ = ["CLIP_METHODS", "GRADCHECK_EPSILON", "LOSS_QUANTITIES", "check_clip", "check_forward", "check_gradcheck",
           "check_loss", "check_vjp", "clip_numpy", "clip_torch", "clipping_active", "forward_numpy",
           "forward_torch", "grads_named", "loss_numpy", "loss_torch", "parity", "parts", "state_named", "time_major",
           "torch_grads", "vjp_numpy", "vjp_torch"]
