"""The pictures' arrays for a registered protocol's report (CS231n, deeplearning.ai, min-char-rnn, ...): what
checks.evidence gives the class and function protocols, in the student's own names and layout.

    evidence(specs, results, student, expected, tol) -> {"tolerance", "gradients", "per_step", "signal": None,
                                                          "per_step_label"}
gradients: {check name: {"student", "reference", "rel_error", "title", "rows", "cols"}} for every failing
    check whose values could be compared: the observation that departs most, as the student returned it (an
    array with a time axis drawn one row per time step).
per_step: {check name: [relative error at each time step t]} for the checks whose values have a time axis.
It also sets each failing check's departs_at: the first wrong step of a forward result, and for a gradient
the last wrong one (where the backpropagated error starts, walking back from the end).
"""
from __future__ import annotations

import numpy as np

from . import checks as C


def _steps(s, e, axis: int) -> list:
    floor = 1e-3 * float(np.linalg.norm(e))
    return [C.rel_error(np.take(s, t, axis), np.take(e, t, axis), floor) for t in range(e.shape[axis])]


def _picture(spec, key: str, s: np.ndarray, e: np.ndarray) -> dict:
    what = spec.what.format(key=key.split(":")[-1]) if spec.what else key
    if spec.time_axis is not None and s.shape == e.shape and s.ndim >= 2:
        rest = [n for i, n in enumerate(e.shape) if i != spec.time_axis]
        move = lambda a: np.moveaxis(a, spec.time_axis, 0).reshape(e.shape[spec.time_axis], -1)  # noqa: E731
        cols = " x ".join(map(str, rest))
        return {"student": move(s), "reference": move(e), "title": f"{what} {e.shape}",
                "rows": "time step t", "cols": f"the other axes ({cols}), flattened"}
    shape = e.shape if s.shape == e.shape else s.shape
    rows, cols = getattr(spec, "axes", None) or (f"axis 0 of {what.split(' of ')[0]}", "axis 1")
    return {"student": s, "reference": e, "title": f"{what} {shape}", "rows": rows,
            "cols": cols if len(shape) > 1 else ""}


def evidence(specs: list, results: list, student: dict, expected: dict, tol: float = C.TOLERANCE) -> dict:
    out = {"tolerance": tol, "gradients": {}, "per_step": {}, "signal": None,
           "per_step_label": "time step t of the probe sequence"}
    by_name = {r.name: r for r in results}
    for spec in specs:
        r = by_name.get(spec.name)
        keys = [k for k in spec.keys if k in student and k in expected]
        if r is None or not keys:
            continue
        pairs = [(k, np.asarray(student[k], dtype=np.float64), np.asarray(expected[k], dtype=np.float64)) for k in keys]
        if spec.time_axis is not None:
            for k, s, e in pairs:
                if s.shape == e.shape and e.ndim > spec.time_axis:
                    errors = _steps(s, e, spec.time_axis)
                    out["per_step"][spec.name] = errors
                    wrong = [t for t, x in enumerate(errors) if not x <= tol]
                    if r.status == "fail" and wrong:
                        r.departs_at = wrong[-1] if ":grad:" in ":" + spec.name else wrong[0]
                    break
        if r.status != "fail":
            continue
        scale = max(float(np.linalg.norm(e)) for _, _, e in pairs)
        k, s, e = max(pairs, key=lambda p: C.rel_error(p[1], p[2], 1e-3 * scale) if p[1].shape == p[2].shape
                      else float("inf"))
        item = _picture(spec, k, s, e)
        item["rel_error"] = r.rel_error
        out["gradients"][spec.name] = item
    return out
