"""The report of `rnn-parity check`: every check over the grid, folded into one row per config and quantity.

A row holds the largest absolute and relative difference over what it groups, the share of the
tolerance used, where that peaks, and PASS/FAIL. Comparisons are grouped by their structured fields
(group, quantity, member, step), never by parsing their names.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .cases import GRID, QUICK_GRID, Setup, case, setup
from .compare import Comparison
from .halves import CLIP_METHODS, check_clip, check_forward, check_gradcheck, check_loss, check_vjp
from .trajectory import RECIPES, TRAJECTORY_GRID, check_trajectory

@dataclass
class Row:
    """One line of the report: a config, a quantity, the worst differences over what it groups."""

    config: str
    quantity: str
    dtype: str
    max_abs: float = 0.0
    max_rel: float = 0.0
    used: float = 0.0  # the largest |diff| / (atol + rtol * |theirs|): the share of the tolerance used
    worst: str = ""  # where `used` peaks: a parameter, a step, an index
    passed: bool = True
    count: int = 0
    failures: list = field(default_factory=list)

    def add(self, r: Comparison, member: str) -> None:
        self.count += 1
        if not r.passed:
            self.passed = False
            self.failures.append(r)
        if r.kind == "flag":  # a yes/no condition: no numbers to fold in
            return
        where = " ".join(p for p in (member, _index(r)) if p)
        if _bigger(r.used, self.used):
            self.worst = where
        self.used = _max(self.used, r.used)
        self.max_abs = _max(self.max_abs, r.max_abs)
        self.max_rel = _max(self.max_rel, r.max_rel)


def _index(r: Comparison) -> str:
    return str(r.worst_index) if r.worst_index and r.used > 0 else ""


def row_quantity(r: Comparison) -> tuple[str, str]:
    """The report quantity a comparison belongs to, and the member it names there.

    vjp grads / Whh_l1; adam-clipnorm params (50 steps) / step 7 Whh; gradcheck (finite differences) / Whh.
    A flag joins the row of what it guards (clip-value grads, sgd-clipvalue params).
    """
    if r.group in RECIPES or r.step is not None:
        member = "" if r.step is None else f"step {r.step} {r.member or r.quantity}"
        return f"{r.group} {r.quantity} ({_steps_word(r.group)})", member
    if r.group == "gradcheck":
        return f"gradcheck ({r.quantity})", r.member
    return f"{r.group} {r.quantity}", r.member


def _steps_word(recipe_id: str) -> str:
    recipe = RECIPES.get(recipe_id)
    return f"{recipe.steps} steps" if recipe else "steps"


def rows_of(config_id: str, results: Iterable[Comparison], dtype: str) -> list[Row]:
    """Fold comparisons into report rows, one per quantity, in the order they first appear."""
    rows: dict[str, Row] = {}
    for r in results:
        quantity, member = row_quantity(r)
        rows.setdefault(quantity, Row(config_id, quantity, dtype)).add(r, member)
    return list(rows.values())


def _bigger(a: float, b: float) -> bool:
    return (a != a and b == b) or a > b


def _max(a: float, b: float) -> float:
    return b if _bigger(b, a) else a


@dataclass
class CheckGrid:
    """What `rnn-parity check` runs."""

    cases: list  # case ids: forward, vjp, loss (both reductions), clipping (value, norm, inf-norm)
    trajectories: list  # (recipe id, case id)
    gradcheck: list  # case ids


def check_grid(quick: bool = False) -> CheckGrid:
    if quick:
        return CheckGrid(QUICK_GRID, [("sgd-momentum-clipnorm", "L1-uni-tanh-last-emb"),
                                 ("adam-amsgrad-wd-clipvalue", "L2-bi-relu-all-lengths-h0-bf-torchbias")],
                    ["L1-uni-tanh-last-emb", "L2-bi-relu-all-lengths-h0-bf-torchbias"])
    return CheckGrid(GRID, TRAJECTORY_GRID, list(GRID))


def case_checks(numbers: Setup) -> list[Comparison]:
    """Every single-shot check on one case."""
    return (check_forward(numbers) + check_vjp(numbers) + check_loss(numbers, "sum") + check_loss(numbers, "mean")
            + [r for method in CLIP_METHODS for r in check_clip(numbers, method)])


def run_check(quick: bool = False, device: str = "cpu", progress: Callable[[str], None] | None = None,
              only: CheckGrid | None = None) -> list[Row]:
    """Every check over the grid (or the quick one, or `only`); one Row per (config, quantity)."""
    grid = only or check_grid(quick)
    rows: list[Row] = []
    for cid in grid.cases:
        if progress:
            progress(cid)
        numbers = setup(cid, device)
        results = case_checks(numbers)
        if cid in grid.gradcheck:
            results += check_gradcheck(numbers)
        rows += rows_of(cid, results, numbers.case.dtype)
    for cid in grid.gradcheck:
        if cid not in grid.cases:
            rows += rows_of(cid, check_gradcheck(setup(cid, device)), case(cid).dtype)
    for recipe_id, cid in grid.trajectories:
        if progress:
            progress(f"{cid} {recipe_id}")
        rows += rows_of(cid, check_trajectory(setup(cid, device), recipe_id), case(cid).dtype)
    return rows


def _fmt(v: float) -> str:
    return "-" if v != v else f"{v:.2e}"


def _used(used: float) -> str:
    """The share of the tolerance a row used: 1e-03 passes comfortably, above 1 fails."""
    return "-" if used != used else ("inf" if used == math.inf else f"{used:.0e}")


def summary(rows: list[Row]) -> dict:
    """(dtype, kind) -> (largest relative difference, largest share of the tolerance used).

    kind: forward (outputs and losses), grads (gradients, clipped or not), trajectory (every step),
    gradcheck (finite differences, always float64).
    """
    out: dict = {}
    for r in rows:
        q = r.quantity
        kind = ("gradcheck" if q.startswith("gradcheck") else "trajectory" if " steps)" in q
                else "forward" if q.startswith("forward") or q.endswith(" loss") else "grads")
        key = ("float64" if kind == "gradcheck" else r.dtype, kind)
        rel, used = out.get(key, (0.0, 0.0))
        out[key] = (_max(rel, r.max_rel), _max(used, r.used))
    return out


def format_report(rows: list[Row], seconds: float | None = None, device: str = "cpu") -> str:
    width = max([len("config")] + [len(r.config) for r in rows])
    qwidth = max([len("quantity")] + [len(r.quantity) for r in rows])
    header = (f"{'config':<{width}}  {'quantity':<{qwidth}}  {'max abs':>9}  {'max rel':>9}  {'of tol':>6}  "
              f"result  worst at")
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(f"{r.config:<{width}}  {r.quantity:<{qwidth}}  {_fmt(r.max_abs):>9}  {_fmt(r.max_rel):>9}  "
                     f"{_used(r.used):>6}  {'PASS' if r.passed else 'FAIL':<6}  {r.worst}".rstrip())
    failed = [r for r in rows if not r.passed]
    if failed:
        lines.append("")
    for r in failed:
        for c in r.failures[:3]:
            lines.append(f"FAIL [{r.config}] {c.message}")
        if len(r.failures) > 3:
            lines.append(f"FAIL [{r.config}] ... and {len(r.failures) - 3} more in {r.quantity}")
    n = sum(r.count for r in rows)
    n_bad = sum(len(r.failures) for r in rows)
    figures = summary(rows)
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    configs = len({r.config for r in rows})
    verdict = "PASS" if not failed else "FAIL"
    lines.append(f"{verdict}: {len(rows) - len(failed)} of {len(rows)} rows, {n - n_bad} of {n} comparisons passed "
                 f"over {configs} configs, torch on {device}{took}")
    kinds = ("forward", "grads", "trajectory", "gradcheck")
    for dtype in ("float64", "float32"):
        parts = [f"{kind} {_fmt(figures[(dtype, kind)][0])} ({_used(figures[(dtype, kind)][1])} of tol)"
                 for kind in kinds if (dtype, kind) in figures]
        if parts:
            lines.append(f"{dtype} largest rel diff: " + ", ".join(parts))
    return "\n".join(lines)


def main(quick: bool = False, device: str = "cpu", out=print) -> int:
    start = time.perf_counter()
    rows = run_check(quick, device)
    out(format_report(rows, time.perf_counter() - start, device))
    return 0 if all(r.passed for r in rows) else 1



__all__ = ["CheckGrid", "Row", "case_checks", "check_grid", "format_report", "main", "row_quantity", "rows_of",
           "run_check", "summary"]
