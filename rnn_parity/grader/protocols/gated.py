"""What the gated-cell protocols (dlfs2's LSTM/GRU layers, karpathy, cmu) share.

Child side (NumPy only): `own_check` records the finite differences of the student's own forward next to
what its backward returned. Parent side (imports rnn_parity.grader.judging.conventions lazily): `settle` reads from
the student's forward which gate order and convention (GRU) or variant (LSTM) it implements, so that its
backward is judged in that same convention, and says so.

Gate orders are tuples of canonical gate indices, one per block of the student's packed columns:
LSTM canonical i, f, g, o (DLFS2's f, g, i, o is (1, 2, 0, 3); Karpathy's IFOG is (0, 1, 3, 2));
GRU canonical r, z, n (DLFS2's z, r, n is (1, 0, 2)).
"""
from __future__ import annotations

import numpy as np

from .engine import CheckSpec
from ..judging.own_gradient import own_projections, project
from .student import GradeError

LSTM_GATES, GRU_GATES = "ifgo", "rzn"
OWN = "own:"  # observation prefix of the finite differences of the student's own forward


def gate_names(order, cell: str) -> str:
    names = LSTM_GATES if cell == "lstm" else GRU_GATES
    return ", ".join(names[g] for g in order)


# ------------------------------------------------------------------------------------------ child side


def returned(probe, value, n: int, fn: str) -> tuple:
    """The n values a student function returned; None (a template's `pass`) is "not written yet"."""
    if value is None:
        probe.fail(f"{fn} returned None: not written yet (the template's `pass` is still there?)")
    return probe.unpack(value, n, fn) if n > 1 else (value,)


def own_check(probe, fn: str, prefix: str, forward, arrays: dict, upstream: list, keys: dict):
    """Record, next to the gradients the backward gave (probe.obs[prefix + "dx"], ...), the directional
    derivatives of the student's own forward (judging.own_gradient.own_projections) and the backward's gradients
    projected on the same directions: keys "proj:" + prefix + "dx" and OWN + "proj:" + prefix + "dx".

    forward(arrays) -> list of outputs, calling the student's code (constructors included) afresh; keys: array
    name -> key suffix ("x" -> "dx"). fn: the backward whose gradients are checked.
    """
    # under the per-call time limit like any call of student code; a failure here fails the own-gradient check
    # only: the backward's checks against the answer key still stand
    try:
        found, prec = probe.call_as(fn, own_projections, forward, arrays, upstream, label=f"{fn} (finite differences)")
    except GradeError as e:
        for suffix in keys.values():
            probe.info.setdefault("unusable", {})[f"proj:{prefix}{suffix}"] = \
                f"the finite differences of the forward could not be taken: {e.message}"
        return
    for name, suffix in keys.items():
        grad = probe.obs.get(prefix + suffix)
        if grad is None:
            continue
        V, derivs = found[name]
        projected = project(grad, V)
        key = f"proj:{prefix}{suffix}"
        if projected is None:
            probe.info.setdefault("unusable", {})[key] = (f"{suffix} has {np.size(grad)} elements where {name} has "
                                                          f"{V.shape[1]}: not comparable with the finite differences")
            continue
        probe.obs[key] = projected
        probe.obs[OWN + key] = derivs
    probe.info.setdefault("own_precision", {})[prefix] = prec


def own_spec(cell_prefix: str, fn: str, prefix: str, keys: list, info: dict) -> CheckSpec:
    """The check of a backward against the finite differences of the same class's forward (directional
    derivatives along a few random directions per input)."""
    from ...reference.tolerances import OWN_DIFFERENCES_REL_ERROR  # parent side: checks() runs in the grader

    prec = info.get("own_precision", {}).get(prefix, "float64")
    return CheckSpec(f"{cell_prefix}own-gradient", fn, [f"proj:{prefix}{k}" for k in keys],
                     f"{{key}} of {fn} (along random directions)", against=OWN, tol=OWN_DIFFERENCES_REL_ERROR[prec])


# ----------------------------------------------------------------------------------------- parent side


def settle(info: dict, where: str, label: str, student_h, candidates: dict, default, cell: str,
           tol: float, columns: bool = True) -> list:
    """Choose, among `candidates` ({label tuple: zero-argument callable -> the output it predicts}), the one
    the student's output `student_h` matches within tol; info["conventions"][where] = that label, or
    `default` when none matches. Returns the report's note (one line)."""
    from ..judging import conventions as CV

    chosen = info.setdefault("conventions", {})
    if student_h is None:
        chosen[where] = list(default)
        return []
    outs = {}
    # the course's own convention first: a forward that matches it ends the search at once
    for key, predict in sorted(candidates.items(), key=lambda kv: tuple(kv[0]) != tuple(default)):
        try:
            outs[key] = predict()
        except Exception:  # noqa: BLE001 - a candidate that cannot run on these shapes is not the one
            continue
        if CV.closest(student_h, {key: outs[key]}, tol)[0] is not None:
            break
    found, err = CV.closest(student_h, outs, tol)
    chosen[where] = list(found if found is not None else default)
    if found is None:
        what = "an LSTM" if cell == "lstm" else "a GRU in any of the four conventions"
        near, near_err = CV.closest(student_h, outs, float("inf"))
        judged = describe(tuple(default), cell, columns)
        if near is not None and tuple(near) == tuple(default):
            return [f"{label}: the forward is not {what}; nearest, off by {near_err:.1e}: {judged}, against which "
                    "its backward is judged"]
        nearest = f"; nearest: {describe(near, cell, columns)} (off by {near_err:.1e})" if near is not None else ""
        return [f"{label}: the forward is not {what}{nearest}; its backward is judged against {judged}"]
    return [f"{label}: the forward is {describe(found, cell, columns)}; judged in that convention"
            if cell == "gru" else f"{label}: the forward is {describe(found, cell, columns)}"]


def describe(label, cell: str, columns: bool = True) -> str:
    from ..judging import conventions as CV

    gates = f", gate columns {gate_names(tuple(label[0]), cell)}" if columns else ""
    if cell == "lstm":
        return f"{CV.describe_lstm(label[1])}{gates}"
    return f"a GRU, {CV.describe_gru((label[1], label[2]))}{gates}"


def label_of(info: dict, where: str, default) -> tuple:
    """The settled label as a tuple (its order a tuple too), or the default."""
    label = info.get("conventions", {}).get(where) or list(default)
    return (tuple(label[0]),) + tuple(label[1:])


def lstm_candidates(predict, default_order) -> dict:
    """{(order, variant): callable} for every gate order and LSTM variant; predict(order, variant) -> h."""
    from ..judging import conventions as CV

    orders = [tuple(default_order)] + [o for o in CV.permutations(4) if o != tuple(default_order)]
    return {(o, v): (lambda o=o, v=v: predict(o, v)) for o in orders for v in CV.LSTM_VARIANTS}


def gru_candidates(predict, default_order) -> dict:
    """{(order, reset, update): callable} for every gate order and GRU convention."""
    from ..judging import conventions as CV

    orders = [tuple(default_order)] + [o for o in CV.permutations(3) if o != tuple(default_order)]
    return {(o, r, u): (lambda o=o, r=r, u=u: predict(o, (r, u))) for o in orders for r, u in CV.GRU_CONVENTIONS}


def forward_tol() -> float:
    from ..judging import conventions as CV  # parent side only (it holds the answer key)

    return CV.FORWARD_TOL


def own_gradient_notes(results: list) -> list:
    """One line per class whose own-gradient check and forward check disagree: which half is wrong."""
    by_name = {r.name: r for r in results}
    notes = []
    for r in results:
        if not r.name.endswith("own-gradient") or r.rel_error is None:
            continue
        prefix = r.name[: -len("own-gradient")]
        fwd = by_name.get(prefix + "forward")
        if fwd is None:
            continue
        cell = "the standard LSTM" if prefix.startswith("lstm") else "a GRU" if prefix.startswith("gru") else "right"
        part = prefix.rstrip(":")
        if r.status == "pass" and fwd.status == "fail":
            notes.append(f"{part}: your backward is the exact gradient of your forward, but your forward is not "
                         f"{cell} ({prefix}forward)")
        elif r.status == "fail" and fwd.status == "pass":
            notes.append(f"{part}: your forward is {cell}, but your backward is not its gradient "
                         f"({prefix}own-gradient)")
    return notes
