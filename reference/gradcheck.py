"""Finite-difference checks of the hand-written BPTT with scipy.optimize.check_grad.

Always on float64 copies: forward differences with a sqrt(eps) step are meaningless in float32.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from . import loss as loss_module
from .params import Params
from .tolerances import GRADCHECK_EPSILON, GRADCHECK_REL_ERROR
from .validate import check_targets

DIRECTIONS = ("all", "random", "auto")
AUTO_RANDOM_ABOVE = 2000  # elements; "auto" switches to one random direction above this size


class GradcheckRow(NamedTuple):
    name: str  # a parameter name, "h0", "c0" (LSTM) or "x"
    error: float  # check_grad's value: || analytic - finite difference ||_2
    rel_error: float  # error / || analytic ||_2 (random direction: / (||analytic|| ||v|| / sqrt(n)))
    passed: bool
    direction: str  # "all" or "random"


def gradcheck(params: Params, x, targets, h0=None, lengths=None, reduction: str = "sum", *,
              direction: str = "all", tol: float = GRADCHECK_REL_ERROR, epsilon: float = GRADCHECK_EPSILON,
              seed: int = 0, wrt=None, grad_fn: Callable | None = None) -> list[GradcheckRow]:
    """Check every gradient of the loss, one row per parameter, then h0 (and c0 for the LSTM) and x (dense input).

    grad_fn(params, x, targets, h0, lengths, reduction) -> (loss, grads, dx, dh0) replaces the analytic side
    (default: the reference's BPTT), so any implementation's gradients can be checked against the loss.
    wrt: names to check (default all). h0 is checked as zeros when not given.

    check_grad uses forward differences (step `epsilon`, GRADCHECK_EPSILON = 1e-6 by default; see
    tolerances.py for why not scipy's sqrt(eps)), so its error has an absolute floor. A tensor whose
    gradient norm is itself near that floor (dead ReLUs, a weight far from the output) cannot meet a
    relative bound; its row fails honestly rather than being waved through.
    """
    from scipy.optimize import check_grad  # here, not at the top: importing it takes ~0.3 s, training needs none of it

    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    p64 = Params({k: np.array(v, dtype=np.float64) for k, v in params.items()}, params.config)
    x = np.asarray(x)
    dense = np.issubdtype(x.dtype, np.floating)
    if dense:
        x = x.astype(np.float64)
    c = params.config
    lstm = c.has_cell_state
    if h0 is None:
        B = x.shape[0] if c.batch_first else x.shape[1]
        n = c.num_layers * c.num_directions
        h0 = (np.zeros((n, B, c.state_size)), np.zeros((n, B, c.hidden_size))) if lstm else np.zeros((n, B, c.hidden_size))
    # The LSTM's initial state is the pair (h0, c0): each part is checked as its own row.
    states = {"h0": np.asarray(h0[0] if lstm else h0, dtype=np.float64)}
    if lstm:
        states["c0"] = np.asarray(h0[1], dtype=np.float64)
    if grad_fn is None:
        def grad_fn(p, x_, t_, h0_, len_, red_):
            value, grads, dx, dh0, _ = loss_module.loss_and_all_grads(p, x_, t_, h0_, len_, red_)
            return value, grads, dx, dh0

        def loss_fn(p, x_, t_, h0_, len_, red_):
            # check_grad evaluates f once per element and g once: f needs no backward pass (half the cost).
            logits, _, cache = loss_module.model.forward(p, x_, h0_, len_)
            targets_ = check_targets(t_, logits.shape, p.config.output_size)
            mask = loss_module.scored_positions(p, cache)
            return loss_module.softmax_cross_entropy(logits, targets_, mask, red_)[0]
    else:
        def loss_fn(*args):
            return grad_fn(*args)[0]

    # Each checked quantity: name -> (its array in the inputs, how to read its gradient).
    inputs = {"params": p64, "x": x, **states}
    targets_of = {name: ("params", name) for name in p64}
    for name in states:
        targets_of[name] = (name, None)
    if dense:
        targets_of["x"] = ("x", None)
    names = list(targets_of) if wrt is None else list(wrt)
    unknown = sorted(set(names) - set(targets_of))
    if unknown:
        raise ValueError(f"gradcheck: cannot check {unknown}; choose from {sorted(targets_of)}")

    def evaluate(name, flat, want_grad):
        kind, key = targets_of[name]
        trial = {"params": p64.copy(), "x": x, **states}
        shape = (trial[kind][key] if key else trial[kind]).shape
        if key:
            trial["params"][key] = flat.reshape(shape)
        else:
            trial[kind] = flat.reshape(shape)
        state = (trial["h0"], trial["c0"]) if lstm else trial["h0"]
        if not want_grad:
            return loss_fn(trial["params"], trial["x"], targets, state, lengths, reduction)
        value, grads, dx, dh0 = grad_fn(trial["params"], trial["x"], targets, state, lengths, reduction)
        dstate = {"h0": dh0[0], "c0": dh0[1]} if lstm else {"h0": dh0}
        grad = grads[key] if kind == "params" else dx if kind == "x" else dstate[kind]
        return np.asarray(grad, dtype=np.float64).ravel()

    rows = []
    for name in names:
        kind, key = targets_of[name]
        x0 = np.array(inputs[kind][key] if key else inputs[kind], dtype=np.float64).ravel()
        mode = direction if direction != "auto" else ("random" if x0.size > AUTO_RANDOM_ABOVE else "all")
        f = lambda flat, n=name: evaluate(n, flat, False)  # noqa: E731
        g = lambda flat, n=name: evaluate(n, flat, True)  # noqa: E731
        kwargs = {"epsilon": epsilon}
        analytic = g(x0)
        if mode == "random":
            # check_grad draws v from the generator it is given; draw the same v to normalise.
            v = np.random.default_rng(seed).standard_normal(x0.shape)
            error = check_grad(f, g, x0, direction="random", rng=np.random.default_rng(seed), **kwargs)
            # |analytic . v| can vanish by chance; its typical size is ||analytic|| ||v|| / sqrt(n).
            scale = float(np.linalg.norm(analytic) * np.linalg.norm(v) / np.sqrt(v.size))
        else:
            error = check_grad(f, g, x0, **kwargs)
            scale = float(np.linalg.norm(analytic))
        rel = error / scale if scale > 0 else (0.0 if error == 0 else np.inf)
        rows.append(GradcheckRow(name, float(error), float(rel), bool(rel < tol), mode))
    return rows


def format_report(rows: list[GradcheckRow]) -> str:
    """The rows as an aligned text table with a summary line."""
    width = max([len("quantity")] + [len(r.name) for r in rows])
    lines = [f"{'quantity':<{width}}  {'check_grad error':>16}  {'relative error':>14}  result"]
    for r in rows:
        lines.append(f"{r.name:<{width}}  {r.error:>16.3e}  {r.rel_error:>14.3e}  {'PASS' if r.passed else 'FAIL'}")
    failed = sum(not r.passed for r in rows)
    lines.append(f"{len(rows) - failed} passed, {failed} failed (relative error < {GRADCHECK_REL_ERROR:g})")
    return "\n".join(lines)
