"""The one comparison helper of the parity suite, in the spirit of tinygrad's ``helper_test_op``.

``compare(name, mine, theirs, tolerance)`` checks, in this order,

1. shape: ``mine.shape == theirs.shape``;
2. dtype: both sides have the dtype they should have (by default: the same one);
3. values: ``|mine - theirs| <= atol + rtol * |theirs|`` element-wise, at the tolerance
   that ``rnn_parity.reference.tolerances`` gives the kind of quantity ("forward", "grad") and dtype,

and returns a :class:`Comparison` record (max abs diff, max rel diff, passed) for reports.
``assert_parity`` raises :class:`ParityError` with a message that names the quantity, the
worst index, both values and the relative error (numpy-ml's ``err_fmt`` idea)::

    grad Whh_l1_reverse: 3 of 16 values out of tolerance (rtol 1e-09, atol 1e-11);
    worst at index (2, 0): mine 0.0123456789 vs theirs 0.0123459 (abs diff 2.1e-07, rel diff 1.7e-05)

By convention "mine" is the NumPy reference and "theirs" the torch model. Accepts NumPy arrays,
torch tensors (detached, moved to the CPU) and Python scalars; this module never imports torch.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from ..reference.tolerances import Tolerance, parity_tolerance

__all__ = ["Comparison", "ParityError", "as_array", "compare", "assert_parity", "all_passed",
           "tolerance_for", "flag", "missing", "KINDS"]

# What a Comparison records: numbers compared ("values"), a yes/no condition ("flag"), or a quantity
# one side did not report at all ("missing").
KINDS = ("values", "flag", "missing")


class ParityError(AssertionError):
    """Raised by ``assert_parity``; the message names the first failing quantity and its worst element."""


@dataclass(frozen=True)
class Comparison:
    """The outcome of one comparison, for assertions and for the ``rnn-parity check`` report.

    max_abs / max_rel: the largest |mine - theirs| and |mine - theirs| / |theirs| over all elements
    (elements where theirs == 0 count as rel diff 0 if mine == 0 too, inf otherwise).
    used: the largest |mine - theirs| / (atol + rtol * |theirs|); the values pass when it is <= 1.
    problem: None when passed, else "shape", "dtype" or "values" (kind "values"), "flag" or "missing".

    Where it belongs, for reports (the name stays the readable label; nothing parses it back):
    group: the check that made it ("forward", "vjp", "loss-sum", "clip-norm", "gradcheck", a recipe id);
    quantity: what it compares ("logits", "grads", "params", "loss", "total norm", ...);
    member: which one of a quantity's members ("Whh_l1" of "grads"), "" for a single array;
    step: the optimizer step of a trajectory, None elsewhere.
    """

    name: str
    passed: bool
    max_abs: float
    max_rel: float
    used: float
    tol: Tolerance
    dtypes: tuple[str, str]
    shape: tuple[int, ...]
    problem: str | None = None
    worst_index: tuple[int, ...] | None = None
    mine: float | None = None
    theirs: float | None = None
    n_bad: int = 0
    detail: str = ""
    kind: str = "values"
    group: str = ""
    quantity: str = ""
    member: str = ""
    step: int | None = None

    @property
    def message(self) -> str:
        """One readable line (two when values fail) for a failing comparison; '<name>: ok' otherwise."""
        tol = f"rtol {self.tol.rtol:.0e}, atol {self.tol.atol:.0e}"
        if self.problem is None:
            return (f"{self.name}: ok (max abs diff {self.max_abs:.3g}, max rel diff {self.max_rel:.3g}; {tol})")
        if self.problem in ("shape", "dtype", "flag", "missing"):
            return f"{self.name}: {self.detail}"
        size = int(np.prod(self.shape)) if self.shape else 1
        where = f"index {self.worst_index}" if self.shape else "the scalar"
        rel = _rel(self.mine, self.theirs)
        diff = abs(self.mine - self.theirs)
        diff = diff if diff == diff else float("inf")
        return (f"{self.name}: {self.n_bad} of {size} value(s) out of tolerance ({tol}; dtype {self.dtypes[1]});\n"
                f"  worst at {where}: mine {self.mine!r} vs theirs {self.theirs!r} "
                f"(abs diff {diff:.3g}, rel diff {rel:.3g}; "
                f"max abs diff {self.max_abs:.3g}, max rel diff {self.max_rel:.3g})")


def _rel(mine: float, theirs: float) -> float:
    diff = abs(mine - theirs)
    if diff == 0:
        return 0.0
    if theirs == 0 or not np.isfinite(diff):
        return float("inf")
    return diff / abs(theirs)


def as_array(value) -> np.ndarray:
    """A NumPy view of an array, a torch tensor (any device, grad or not) or a Python scalar."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor, without importing torch
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def tolerance_for(quantity, dtype) -> Tolerance:
    """A Tolerance as given, or the policy's one for `quantity` ("forward" | "grad") at `dtype`."""
    if isinstance(quantity, Tolerance):
        return quantity
    return parity_tolerance(quantity, dtype)


def _lower_precision(a: np.dtype, b: np.dtype) -> np.dtype:
    floats = [d for d in (a, b) if d.kind == "f"]
    if not floats:
        return np.dtype("float64")
    return min(floats, key=lambda d: d.itemsize)


def compare(name: str, mine, theirs, tolerance="forward", dtype=None, **where) -> Comparison:
    """Compare `mine` (reference) with `theirs` (torch): shape, then dtype, then values.

    tolerance: "forward" or "grad" (the policy's tolerance for that kind of quantity at the compared
    dtype), or a Tolerance.
    dtype: what each side must hold; None means "the same dtype on both sides", a single dtype
    means both sides have that one, a pair (mine_dtype, theirs_dtype) allows e.g. a float64
    reference against a float32 CUDA model, judged at the lower precision's tolerance.
    where: the record's group / quantity / member / step (see Comparison).
    Never raises for a mismatch; see ``assert_parity``.
    """
    a, b = as_array(mine), as_array(theirs)
    dtypes = (a.dtype.name, b.dtype.name)
    tol = tolerance_for(tolerance, _lower_precision(a.dtype, b.dtype))
    common = dict(name=name, tol=tol, dtypes=dtypes, shape=tuple(b.shape), **where)
    nan = float("nan")
    if a.shape != b.shape:
        return Comparison(passed=False, max_abs=nan, max_rel=nan, used=nan, problem="shape",
                          detail=f"shape mismatch: mine {tuple(a.shape)} vs theirs {tuple(b.shape)}", **common)
    if dtype is None:
        ok = a.dtype == b.dtype
        want = "the same dtype on both sides"
    else:
        pair = dtype if isinstance(dtype, (tuple, list)) else (dtype, dtype)
        want_a, want_b = np.dtype(pair[0]), np.dtype(pair[1])
        ok = a.dtype == want_a and b.dtype == want_b
        want = f"{want_a.name} vs {want_b.name}"
    if not ok:
        return Comparison(passed=False, max_abs=nan, max_rel=nan, used=nan, problem="dtype",
                          detail=f"dtype mismatch: mine {a.dtype.name} vs theirs {b.dtype.name} (expected {want})",
                          **common)
    if a.size == 0:
        return Comparison(passed=True, max_abs=0.0, max_rel=0.0, used=0.0, **common)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        diff = np.abs(a64 - b64)
        diff = np.where(a64 == b64, 0.0, diff)  # equal infinities count as equal
        diff = np.where(np.isnan(diff), np.inf, diff)  # any NaN is a mismatch
        rel = np.where(diff == 0, 0.0, diff / np.abs(b64))
        rel = np.where(np.isnan(rel), np.inf, rel)
        allowed = tol.atol + tol.rtol * np.abs(b64)
        used = np.where(diff == 0, 0.0, diff / allowed)
        used = np.where(np.isnan(used), np.inf, used)
    bad = used > 1.0
    worst = np.unravel_index(int(np.argmax(used)), used.shape) if a.ndim else ()
    worst = tuple(int(i) for i in worst)
    passed = not bool(bad.any())
    return Comparison(passed=passed, max_abs=float(diff.max()), max_rel=float(rel.max()), used=float(used.max()),
                      problem=None if passed else "values", worst_index=worst,
                      mine=float(a64[worst]), theirs=float(b64[worst]), n_bad=int(bad.sum()), **common)


def flag(name: str, ok: bool, why: str, **where) -> Comparison:
    """A yes/no condition as a record (passes when ok): no numbers, no tolerance."""
    return Comparison(name=name, passed=bool(ok), max_abs=0.0, max_rel=0.0, used=0.0 if ok else math.inf,
                      tol=Tolerance(0.0, 0.0), dtypes=("", ""), shape=(), problem=None if ok else "flag",
                      detail="" if ok else why, kind="flag", **where)


def missing(name: str, side: str, tol: Tolerance | None = None, **where) -> Comparison:
    """A quantity that one side (`side`) did not report: always a failure."""
    nan = float("nan")
    return Comparison(name=name, passed=False, max_abs=nan, max_rel=nan, used=nan, tol=tol or Tolerance(nan, nan),
                      dtypes=("", ""), shape=(), problem="missing", detail=f"missing on {side}", kind="missing",
                      **where)


def all_passed(results: Iterable[Comparison]) -> bool:
    return all(r.passed for r in results)


def assert_parity(results, *more) -> list[Comparison]:
    """Raise ParityError for the failing comparisons in `results` (a Comparison or an iterable of them).

    The message lists every failing quantity, the worst first. Returns the results when all pass.
    """
    if isinstance(results, Comparison):
        results = [results]
    results = list(results) + list(more)
    failed = [r for r in results if not r.passed]
    if failed:
        failed.sort(key=lambda r: -(r.used if r.problem == "values" else np.inf))
        lines = [r.message for r in failed]
        raise ParityError(f"{len(failed)} of {len(results)} comparison(s) failed:\n" + "\n".join(lines))
    return results
