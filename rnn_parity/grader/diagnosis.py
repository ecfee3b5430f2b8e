"""Naming the mistake: which catalogued mutants of the reference reproduce the implementation's results.

Every check groups some observations (forward outputs, one parameter's gradients, the clipping
probe, ...). A hypothesis (the reference with some mutants applied) explains a check when its
replay matches the implementation's observations there within the tolerance. The search is
greedy: start from the plain reference, add the mutant that explains the most further checks
(without losing any), and stop when everything is explained or nothing helps. Two or three
independent mistakes in one file are found this way, one after the other.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import mutants as M
from . import checks as C
from .expect import Replay
from .plan import CHECK_ORDER

MAX_MUTANTS = 4


@dataclass
class Finding:
    mutant: M.Mutant
    explains: list = field(default_factory=list)  # check names this mutant turned from mismatch to match
    full: bool = True  # the whole set of findings explains every failing check

    def to_json(self) -> dict:
        m = self.mutant
        return {
            "mistake": m.mistake,
            "explanation": m.explanation,
            "id": m.id,
            "match": "full" if self.full else "partial",
            "explains": self.explains,
            "wrong_math": m.math_wrong,
            "correct_math": m.math_correct,
            "wrong_line": m.wrong_line(),
            "correct_line": m.correct_line(),
            "where": m.module,
        }


def _matches(groups: C.Groups, student: dict, expected: dict, tol: float) -> set:
    ok = set()
    for group, keys in groups.keys.items():
        err = C.group_error(student, expected, keys)
        if err == err and err <= tol:
            ok.add(group)
    return ok


def _replay(plan, probs, clip, skip_update, mutants) -> dict | None:
    try:
        with M.applied(*mutants):
            expected = Replay(plan, probs, clip, skip_update).run()
    except M.CatalogDriftError:
        raise
    except Exception:  # noqa: BLE001 - a mutant may crash on these inputs; then it explains nothing
        return None
    return C.hidden_view(plan, expected, probs)


def diagnose(plan, student_view: dict, groups: C.Groups, reference_view: dict, probs: bool, clip,
             skip_update: bool, names: dict, tol: float = C.TOLERANCE, catalog=None, failing=None) -> list:
    """Findings, most important first; [] when nothing in the catalog helps.

    failing: the groups whose checks failed; a finding lists the ones it reproduces (default: all groups).
    """
    catalog = M.CATALOG if catalog is None else catalog
    everything = set(groups.keys)
    current: list = []
    matched = _matches(groups, student_view, reference_view, tol)
    if matched == everything:
        return []
    explained: dict = {}
    while len(current) < MAX_MUTANTS:
        best = None
        for mutant in catalog:
            if mutant in current or not all(M.compatible(mutant, other) for other in current):
                continue
            expected = _replay(plan, probs, clip, skip_update, current + [mutant])
            if expected is None:
                continue
            now = _matches(groups, student_view, expected, tol)
            if not matched <= now:
                continue
            gain = len(now) - len(matched)
            if gain > 0 and (best is None or gain > best[0]):
                best = (gain, mutant, now)
        if best is None:
            break
        _, mutant, now = best
        explained[mutant.id] = sorted((now - matched) & (everything if failing is None else set(failing)),
                                      key=_order)
        current.append(mutant)
        matched = now
        if matched == everything:
            break
    full = matched == everything
    return [Finding(m, [names.get(g, g) for g in explained[m.id]], full) for m in current]


def _order(group: str) -> int:
    """The report's order: forward, hidden, the gradients in canonical order, clip, update."""
    return CHECK_ORDER.index(group) if group in CHECK_ORDER else len(CHECK_ORDER)
