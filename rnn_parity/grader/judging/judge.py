"""The parent side of the protocol engine: a registered protocol's observations against its expected values.

Generic for every protocol of rnn_parity.grader.protocols (see its docstring): crashed functions fail
their checks with the exception, shapes are compared before values, and the diagnosis replays the
protocol's `expected` under the mutants of rnn_parity.mutants.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ... import mutants as M
from . import checks as C
from .diagnosis import search
from ..protocols.engine import Protocol


def judge(proto, plan: dict, info: dict, student: dict, tol: float = C.TOLERANCE,
          diagnose_mistakes: bool = True, evidence: dict | None = None) -> tuple[list, list]:
    """(check results, diagnosis findings) for one graded file. evidence: a dict to fill with the pictures'
    arrays (grader.judging.protocol_evidence), which also sets each failing check's departs_at."""
    if "settled" not in info:  # what the answer key depends on, read from the student's forward (once)
        info["settled"] = proto.settle(plan, info, student)
    specs = proto.checks(plan, info)
    expected = proto.expected(plan, info)
    crashed, not_run = info.get("crashed", {}), info.get("not_run", {})
    results = []
    comparable = C.Groups()
    for spec in specs:
        if spec.function in crashed:
            results.append(C.CheckResult(spec.name, "fail", None, crashed[spec.function],
                                         None, spec.name))
            continue
        if spec.function in not_run:
            results.append(C.CheckResult(spec.name, "fail", None, not_run[spec.function], None, spec.name))
            continue
        # one output the child could not use (None from a stub): its own checks fail, the function's others run
        unusable = [k for k in spec.keys if k in info.get("unusable", {})]
        if unusable:
            results.append(C.CheckResult(spec.name, "fail", None, info["unusable"][unusable[0]], None, spec.name))
            continue
        missing = [k for k in spec.keys if k not in student]
        if missing:
            results.append(C.CheckResult(spec.name, "fail", None, f"{spec.function} did not produce {missing[0]}",
                                         None, spec.name))
            continue
        if spec.against:  # the student's backward against the finite differences of the student's forward
            own = {k: student.get(spec.against + k) for k in spec.keys}
            if any(v is None for v in own.values()):
                results.append(C.CheckResult(spec.name, "fail", None, f"{spec.function} did not run its forward "
                                             "for the finite differences", None, spec.name))
            else:
                results.append(_compare(spec, student, own, tol if spec.tol is None else spec.tol))
            continue
        for k in spec.keys:
            comparable.add(spec.name, k)
        results.append(_compare(spec, student, expected, tol))
    # functions whose failures the child already explained (info["explained"]: function -> why), e.g. an
    # optimize that calls a clip which clips nothing: they say why, and no catalogued mistake is guessed
    explained = dict(info.get("explained", {}))
    if evidence is not None:
        try:  # pictures only: never let them stop a grade
            from .protocol_evidence import evidence as build

            evidence.update(build(specs, results, student, expected, tol))
        except Exception:  # noqa: BLE001
            pass
    refine = getattr(proto, "refine", None)  # e.g. functions that pass only at the course's own sizes
    refined = refine(results, specs, plan, info, student, expected, tol) if refine is not None else {}
    explained.update(refined)
    function_of = {spec.name: spec.function for spec in specs}
    for r in results:
        if r.status == "fail" and function_of.get(r.group) in explained and (
                r.rel_error is not None or function_of.get(r.group) in refined):
            r.detail = f"{r.detail} ({explained[function_of[r.group]]})"
            r.rel_error = None  # said in its detail, as a crash is: no mistake to look for in the catalogue
    findings = []
    failing = {r.group for r in results if r.status == "fail" and function_of.get(r.group) not in explained}
    if diagnose_mistakes and failing & set(comparable.keys):
        scopes = getattr(proto, "scopes", None) or [("",)]
        candidates = [Scoped(m, tuple(scope)) for m in catalog(proto) for scope in scopes]
        replays = ScopedReplay(proto, plan, info, expected)
        findings = search(replays, comparable, student, expected, {}, tol, catalog=candidates, failing=failing,
                          phrasing=proto.phrasing, order=[s.name for s in specs].index,
                          compatible=Scoped.compatible, unwrap=lambda c: c.mutant)
    return results, findings


def catalog(proto) -> list:
    """The mutants the diagnosis tries: rnn_parity.mutants.CATALOG and the protocol's own (proto.mutants). A
    protocol's own mutant replaces a shared one of the same id: it is written for that protocol's answer key
    (the gated protocols' conventions.py, the LSTM protocols' lstm_mistakes.py), one mistake keeping one name."""
    own = tuple(getattr(proto, "mutants", ()))
    return [m for m in M.CATALOG if m.id not in {o.id for o in own}] + list(own)


@dataclass(frozen=True)
class Scoped:
    """A mutant applied only to the observations whose keys start with one of `prefixes`: the student's
    mistake sits in some functions (rnn_forward's loop) and not in others (rnn_step_forward)."""

    mutant: M.Mutant
    prefixes: tuple

    @property
    def id(self) -> str:
        return f"{self.mutant.id}@{'+'.join(self.prefixes)}"

    @staticmethod
    def compatible(a: "Scoped", b: "Scoped") -> bool:
        return M.compatible(a.mutant, b.mutant)


class ScopedReplay:
    """replay(candidates): each key takes the expected value under the mutants whose scope covers it."""

    def __init__(self, proto, plan, info, reference: dict):
        self.proto, self.plan, self.info = proto, plan, info
        self.cache = {(): reference}

    def _under(self, mutants: tuple):
        ids = tuple(sorted(m.id for m in mutants))
        if ids not in self.cache:
            self.cache[ids] = _replay(self.proto, self.plan, self.info, list(mutants))
        return self.cache[ids]

    def __call__(self, candidates: list) -> dict | None:
        out, under = {}, {}  # under: the active mutants -> their replay, looked up once per call
        for key in self.cache[()]:
            active = tuple(c.mutant for c in candidates if key.startswith(c.prefixes))
            if active not in under:
                under[active] = self._under(active)
            expected = under[active]
            if expected is None:
                return None
            if key in expected:  # absent: that part raised under these mutants (no match there)
                out[key] = expected[key]
        return out


def _compare(spec, student: dict, expected: dict, tol: float) -> C.CheckResult:
    for k in spec.keys:  # shape before values
        s, e = np.shape(student[k]), np.shape(expected[k])
        if s != e:
            what = _what(spec, k)
            return C.CheckResult(spec.name, "fail", None, f"{what} has shape {s}, expected {e}{_shape_hint(s, e)}",
                                 None, spec.name)
    err = C.group_error(student, expected, spec.keys)
    if err <= tol:
        return C.CheckResult(spec.name, "pass", err, "", None, spec.name)
    worst = max(spec.keys, key=lambda k: C.rel_error(student[k], expected[k],
                                                      1e-3 * max(float(np.linalg.norm(expected[j])) for j in spec.keys)))
    right = "the finite differences of your own forward" if spec.against else "the right values"
    detail = f"{_what(spec, worst)} differs from {right}"
    if not np.all(np.isfinite(student[worst])):
        detail = f"{_what(spec, worst)} holds NaN or Inf"
    steps = _wrong_steps(spec, student[worst], expected[worst], tol)
    if steps:
        detail += steps
    return C.CheckResult(spec.name, "fail", err, detail, None, spec.name)


def _shape_hint(s: tuple, e: tuple) -> str:
    """Why a gradient gained an axis of 1: db of shape (1, 4H) where (4H,) belongs (a sum with keepdims=True)."""
    if len(e) == 1 and s == (1,) + e:
        return " (summed over the batch with keepdims=True, or kept as a row: it needs the 1 dropped)"
    if len(e) == 2 and e[1] == 1 and s == e[:1]:
        return " (summed without keepdims=True: a column bias's gradient is a column too)"
    return ""


def _wrong_steps(spec, s, e, tol: float) -> str:
    """' at steps t = 0, 1, 2 of 4' for values with a time axis (what BPTT mistakes look like), else ''."""
    if spec.time_axis is None:
        return ""
    s, e = np.asarray(s), np.asarray(e)
    floor = 1e-3 * float(np.linalg.norm(e))
    T = e.shape[spec.time_axis]
    wrong = [t for t in range(T)
             if C.rel_error(np.take(s, t, spec.time_axis), np.take(e, t, spec.time_axis), floor) > tol]
    if not wrong or len(wrong) == T:
        return f" at every step (T = {T})" if wrong else ""
    return f" at steps t = {', '.join(map(str, wrong))} of {T}"


def _what(spec, key: str) -> str:
    return spec.what.format(key=key.split(":")[-1]) if spec.what else key


def _replay(proto, plan, info, mutants) -> dict | None:
    try:
        with M.applied(*mutants), np.errstate(all="ignore"):
            if type(proto).expected is Protocol.expected:  # built from expected_parts: a part may fail alone
                return proto.expected(plan, info, lenient=True)
            return proto.expected(plan, info)  # a protocol that overrides expected() itself
    except M.CatalogDriftError:
        raise
    except Exception:  # noqa: BLE001 - a mutant may crash on these inputs; then it explains nothing
        return None
