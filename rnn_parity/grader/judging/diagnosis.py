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

from ... import mutants as M
from . import checks as C
from .expect import Replay
from .plan import CHECK_ORDER

MAX_MUTANTS = 4


@dataclass
class Finding:
    mutant: M.Mutant
    explains: list = field(default_factory=list)  # check names this mutant turned from mismatch to match
    full: bool = True  # the whole set of findings explains every failing check
    notation: tuple | None = None  # (wrong, correct) in the protocol's own notation, where it has one

    @property
    def wrong(self) -> str:
        return self.notation[0] if self.notation else self.mutant.math_wrong

    @property
    def correct(self) -> str:
        return self.notation[1] if self.notation else self.mutant.math_correct

    def to_json(self) -> dict:
        m = self.mutant
        return {
            "mistake": m.mistake,
            "explanation": m.explanation,
            "id": m.id,
            "match": "full" if self.full else "partial",
            "explains": self.explains,
            "wrong_math": self.wrong,
            "correct_math": self.correct,
            "wrong_line": m.wrong_line(),
            "correct_line": m.correct_line(),
            "where": m.module,
        }


class _Matches:
    """matches(expected) -> the groups whose observations `expected` reproduces within tol.

    A group's error is remembered by the identity of its expected arrays: a mutant scoped to some functions
    leaves the others' arrays the very objects of an earlier replay, so most groups are measured once per
    search instead of once per candidate. The memo holds the arrays, so no id is reused while it lives."""

    def __init__(self, groups: C.Groups, student: dict, tol: float):
        self.groups, self.student, self.tol = groups, student, tol
        self.memo: dict = {}

    def __call__(self, expected: dict) -> set:
        ok = set()
        for group, keys in self.groups.keys.items():
            arrays = tuple(expected.get(k) for k in keys)
            memo_key = (group, tuple(map(id, arrays)))
            hit = self.memo.get(memo_key)
            if hit is None:
                hit = self.memo[memo_key] = (C.group_error(self.student, expected, keys), arrays)
            err = hit[0]
            if err == err and err <= self.tol:
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
    return search(lambda mutants: _replay(plan, probs, clip, skip_update, mutants), groups, student_view,
                  reference_view, names, tol, catalog, failing)


def search(replay, groups: C.Groups, student_view: dict, reference_view: dict, names: dict,
           tol: float = C.TOLERANCE, catalog=None, failing=None, phrasing=None, order=None,
           compatible=M.compatible, unwrap=lambda m: m) -> list:
    """The greedy search, for any protocol. replay(candidates) -> the expected observations under those
    mutants (None when they crash); phrasing: mutant id -> (wrong, correct) in the protocol's notation;
    order(group) -> sort key of the check groups a finding explains (default: the report order).
    catalog: the candidates (default: the mutants of the catalog); unwrap(candidate) -> its Mutant, and
    compatible(a, b): whether two candidates can hold together (for candidates that are not bare mutants)."""
    catalog = M.CATALOG if catalog is None else catalog
    phrasing = phrasing or {}
    order = order or _order
    everything = set(groups.keys)
    current: list = []
    matches = _Matches(groups, student_view, tol)
    matched = matches(reference_view)
    if matched == everything:
        return []
    explained: dict = {}
    while len(current) < MAX_MUTANTS:
        best = None
        for mutant in catalog:
            if mutant in current or not all(compatible(mutant, other) for other in current):
                continue
            expected = replay(current + [mutant])
            if expected is None:
                continue
            now = matches(expected)
            if not matched <= now:
                continue
            gain = len(now) - len(matched)
            if gain > 0 and (best is None or gain > best[0]):
                best = (gain, mutant, now)
        if best is None:
            break
        _, mutant, now = best
        explained[mutant.id] = sorted((now - matched) & (everything if failing is None else set(failing)),
                                      key=order)
        current.append(mutant)
        matched = now
        if matched == everything:
            break
    full = matched == everything
    return [Finding(unwrap(m), [names.get(g, g) for g in explained[m.id]], full, phrasing.get(unwrap(m).id))
            for m in current]


def _order(group: str) -> int:
    """The report's order: forward, hidden, the gradients in canonical order, clip, update."""
    return CHECK_ORDER.index(group) if group in CHECK_ORDER else len(CHECK_ORDER)
