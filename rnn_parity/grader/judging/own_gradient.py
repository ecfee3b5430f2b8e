"""Is a student's backward the gradient of the student's OWN forward? Central finite differences, for any
protocol: the one home of the grader's own-gradient check. Child side (runs next to the student's code, NumPy
only) measures; parent side judges.

The loss is L = sum_k <forward(arrays)[k], upstream[k]>, so dL/d(input) is exactly what a backward given
`upstream` returns. Rather than one difference per element (thousands of forward calls for a TimeLSTM), each
input is probed along DIRECTIONS random unit directions v (torch.autograd.gradcheck's fast mode does the same):
the central difference (L(a + eps v) - L(a - eps v)) / 2 eps must equal <dL/da, v>, the backward's gradient
projected on v. A gradient that differs from the true one differs along a random direction (almost surely).

A forward that keeps float32 somewhere (DLFS2's `np.empty(..., dtype='f')`) rounds L at ~1e-7: the step is then
1e-2, where rounding (~1e-6 / 2e-2) and truncation (step^2 / 6 |f'''|) both stay near 1e-4, and the tolerance
follows (reference/tolerances.py OWN_DIFFERENCES_REL_ERROR["float32"]).

Two views of the same measurement:
- function protocols (cs231n, dlai): `record(probe, backward, run_forward, inputs, upstream, grads)` stores
  {input: {"analytic", "numeric", "precision"} | {"error"}} in probe.info["own_gradient"][backward]; the parent's
  `verdicts` and `tolerance` judge it and `sentence` words it:

      OG.record(probe, "lstm_backward",
                lambda a: probe.call("lstm_forward", a["x"], a["h0"], a["Wx"], a["Wh"], a["b"])[0],
                inputs={"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b}, upstream=[dh],
                grads={"x": dx, "h0": dh0, "Wx": dWx, "Wh": dWh, "b": db})

- class protocols (gated.own_check): `own_projections` gives (V, derivatives) per input and `project` the
  backward's gradient on V; they become checks of their own.
"""
from __future__ import annotations

import numpy as np

STEPS = {"float64": 1e-6, "float32": 1e-2}
DIRECTIONS = 4


def precision(outputs) -> str:
    """float64 when every output is float64, else float32 (a lower precision somewhere in the forward)."""
    return "float64" if all(np.asarray(o).dtype == np.float64 for o in outputs) else "float32"


def directions(shape: tuple, seed: int) -> np.ndarray:
    """(K, size) unit directions for an input of `shape`: the identity's rows when size <= K (every element
    exactly), else K Gaussian directions. A pure function of the seed and the shape."""
    size = int(np.prod(shape))
    if size <= DIRECTIONS:
        return np.eye(size)
    v = np.random.default_rng([seed, size, 7]).normal(size=(DIRECTIONS, size))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _outputs(out) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def own_projections(forward, arrays: dict, upstream: list, seed: int = 0, only=None,
                    failed: dict | None = None) -> tuple[dict, str]:
    """({name: (V (K, size), the forward's directional derivatives (K,))}, precision) for
    L = sum_k <forward(arrays)[k], upstream[k]>, for each name in `only` (default: every array). With a
    `failed` dict, a forward that raises on one perturbed input puts the exception there and the others go on.

    forward(arrays) -> one output array or a list of them; it is given fresh float64 copies each time (the
    student's code may keep or change what it gets). arrays: name -> array, not changed.
    """
    base = {k: np.array(v, dtype=np.float64) for k, v in arrays.items()}
    ups = [np.asarray(u, dtype=np.float64) for u in upstream]

    def loss(values):
        outs = _outputs(forward({k: v.copy() for k, v in values.items()}))
        return sum(float(np.sum(np.asarray(o, dtype=np.float64) * u)) for o, u in zip(outs, ups)), outs

    _, outs = loss(base)
    prec = precision(outs)
    eps = STEPS[prec]
    out = {}
    for name in (base if only is None else only):
        a = base[name]
        V = directions(a.shape, seed)
        d = np.empty(len(V))
        try:
            for j, v in enumerate(V):
                step = eps * v.reshape(a.shape)
                up, _ = loss({**base, name: a + step})
                down, _ = loss({**base, name: a - step})
                d[j] = (up - down) / (2 * eps)
        except Exception as e:  # noqa: BLE001 - the student's forward may refuse a perturbed input
            if failed is None:
                raise
            failed[name] = e
            continue
        out[name] = (V, d)
    return out, prec


def project(grad, V: np.ndarray):
    """The student's gradient projected on the directions V, or None when it has the wrong number of elements."""
    g = np.asarray(grad, dtype=np.float64)
    return V.dot(g.ravel()) if g.size == V.shape[1] else None


def directional(run_forward, inputs: dict, upstream: list, grads: dict, seed: int = 0) -> dict:
    """{input: {"analytic": [...], "numeric": [...], "precision": ...} or {"error": why}} for every input that
    has a gradient."""
    result, usable = {}, []
    for name, g in grads.items():
        shape = np.shape(inputs[name])
        g = np.asarray(g, dtype=np.float64) if g is not None else None
        if g is None or g.shape != shape:
            result[name] = {"error": f"shape {None if g is None else g.shape}, expected {shape}"}
        elif not np.all(np.isfinite(g)):
            result[name] = {"error": "not finite"}
        else:
            usable.append(name)
    if not usable:
        return result
    failed = {}  # a forward that refuses one perturbed input spoils only that input's entry
    found, prec = own_projections(run_forward, inputs, upstream, seed, only=usable, failed=failed)
    for name in usable:
        if name in failed:
            result[name] = {"error": f"the forward failed on a perturbed {name}: {type(failed[name]).__name__}"}
            continue
        V, numeric = found[name]
        result[name] = {"analytic": project(grads[name], V).tolist(), "numeric": numeric.tolist(),
                        "precision": prec}
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


def tolerance(info: dict, backward: str) -> float:
    """The relative error allowed for `backward`: float64's, or float32's when its forward rounds to float32."""
    from ...reference.tolerances import OWN_DIFFERENCES_REL_ERROR, OWN_GRADIENT_REL_ERROR

    entries = info.get("own_gradient", {}).get(backward, {}).values()
    if any(e.get("precision") == "float32" for e in entries):
        return OWN_DIFFERENCES_REL_ERROR["float32"]
    return OWN_GRADIENT_REL_ERROR


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
