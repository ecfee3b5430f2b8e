"""Is a student's backward the gradient of the student's OWN forward? Central finite differences, for any protocol.

Child side (runs next to the student's code, NumPy only) records; parent side judges:

    from rnn_parity.grader.judging import own_gradient as OG

    # child, inside the block that called the forward and the backward:
    OG.record(probe, "lstm_backward",                          # the backward being judged
              lambda a: probe.call("lstm_forward", a["x"], a["h0"], a["Wx"], a["Wh"], a["b"])[0],
              inputs={"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b},   # what the forward was given
              upstream=[dh],                                   # the gradient on each forward output, in order
              grads={"x": dx, "h0": dh0, "Wx": dWx, "Wh": dWh, "b": db})   # the backward's answer per input
    # run_forward(inputs) returns one output array or a tuple of them (same order as upstream).

    # parent: OG.verdicts(info, tol) -> {backward: {input: rel_error}}; OG.sentence(...) words it.

For each input X with a gradient G, a few seeded random directions V give the directional derivative of
L = sum(upstream * forward(X)) twice: <G, V> from the backward, (L(X + eps V) - L(X - eps V)) / (2 eps)
from the forward. Their relative error is near 1e-9 for an exact gradient and 1e-3 or more for a wrong one.
The child records the pairs in info["own_gradient"][backward][input] = {"analytic": [...], "numeric": [...]},
or {"error": why} (the forward crashed, the gradient has the wrong shape); the parent compares them against
rnn_parity.reference.tolerances.OWN_GRADIENT_REL_ERROR.
"""
from __future__ import annotations

import numpy as np

EPS = 1e-5  # central differences: truncation ~eps^2, rounding ~1e-16/eps, both far below the tolerance
DIRECTIONS = 3


def directional(run_forward, inputs: dict, upstream: list, grads: dict, seed: int = 0) -> dict:
    """{input: {"analytic": [...], "numeric": [...]} or {"error": why}} for every input that has a gradient."""
    rng = np.random.default_rng([seed, 7919])
    base = {k: np.array(v, dtype=np.float64) for k, v in inputs.items()}
    up = [np.asarray(u, dtype=np.float64) for u in upstream]

    def loss(arrays: dict) -> float:
        out = run_forward({k: v.copy() for k, v in arrays.items()})
        out = list(out) if isinstance(out, (tuple, list)) else [out]
        return float(sum(np.sum(u * np.asarray(o, dtype=np.float64)) for u, o in zip(up, out)))

    result = {}
    for name, g in grads.items():
        x = base[name]
        g = np.asarray(g, dtype=np.float64) if g is not None else None
        if g is None or g.shape != x.shape or not np.all(np.isfinite(g)):
            result[name] = {"error": f"shape {None if g is None else g.shape}, expected {x.shape}"
                            if g is None or g.shape != x.shape else "not finite"}
            continue
        analytic, numeric = [], []
        try:
            for _ in range(DIRECTIONS):
                v = rng.normal(size=x.shape)
                plus, minus = dict(base), dict(base)
                plus[name], minus[name] = x + EPS * v, x - EPS * v
                numeric.append((loss(plus) - loss(minus)) / (2 * EPS))
                analytic.append(float(np.sum(g * v)))
        except Exception as e:  # noqa: BLE001 - the student's forward may refuse a perturbed input
            result[name] = {"error": f"the forward failed on a perturbed {name}: {type(e).__name__}"}
            continue
        result[name] = {"analytic": analytic, "numeric": numeric}
    return result


def record(probe, backward: str, run_forward, inputs: dict, upstream: list, grads: dict, seed: int = 0) -> None:
    """directional(...) stored in probe.info["own_gradient"][backward]; never fails the probe."""
    try:
        found = directional(run_forward, inputs, upstream, grads, seed)
    except Exception:  # noqa: BLE001 - a second opinion only: the checks against the reference still stand
        return
    probe.info.setdefault("own_gradient", {})[backward] = found


# ---------------------------------------------------------------------------------------------- parent side


def rel_error(entry: dict) -> float:
    """The relative error of one input's directional derivatives; inf for an error entry."""
    if "error" in entry:
        return float("inf")
    a, n = np.asarray(entry["analytic"]), np.asarray(entry["numeric"])
    den = max(float(np.linalg.norm(n)), float(np.linalg.norm(a)), 1e-12)
    return float(np.linalg.norm(a - n)) / den


def verdicts(info: dict) -> dict:
    """{backward: {input: relative error}} from the child's info."""
    return {fn: {k: rel_error(e) for k, e in per.items()} for fn, per in info.get("own_gradient", {}).items()}


def sentence(backward: str, forward: str, errors: dict, tol: float, forward_ok: bool | None,
             backward_ok: bool | None, what: str = "an LSTM") -> str:
    """One line for the report: is `backward` the gradient of the student's own `forward`, and what follows.

    forward_ok / backward_ok: whether they matched the reference (None: not checked)."""
    bad = [k for k, e in errors.items() if not e <= tol]
    worst = max(errors.values(), default=0.0)
    if not bad:
        head = f"{backward} is the exact gradient of your {forward} (finite differences agree to {worst:.0e})"
        if forward_ok is False:
            return head + f", but your {forward} is not {what}: fix the forward, and the backward with it"
        return head
    names = ", ".join("d" + k for k in bad)
    verb = "disagrees" if len(bad) == 1 else "disagree"
    head = f"{backward} is not the gradient of your {forward} ({names} {verb} with finite differences)"
    if forward_ok and backward_ok is False:
        return head + f": your {forward} is right, the mistake is in {backward}"
    if forward_ok is False and backward_ok:
        return head + f", yet it is {what}'s gradient: the mistake is in {forward}"
    return head
