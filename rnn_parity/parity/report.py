"""The report of `rnn-parity check`: every check over the grid, folded into one row per config and quantity.

Each row names its cell (rnn, lstm, gru) beside its config. A row holds the largest absolute and relative
difference over what it groups, the share of the tolerance used, where that peaks, and PASS/FAIL.
Comparisons are grouped by their structured fields (group, quantity, member, step), never by parsing
their names.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .cases import GRIDS, QUICK_GRIDS, Setup, case, cells_of, setup
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
    cell: str = ""  # rnn, lstm or gru: read from the config id when not given

    def __post_init__(self):
        if not self.cell:
            self.cell = cell_of(self.config)

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


def cell_of(config_id: str) -> str:
    """The cell a case id names ("rnn" for the Elman ids, which name their nonlinearity); "" if it names none."""
    try:
        return case(config_id).cell
    except ValueError:
        return ""


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
    cell = cell_of(config_id)
    for r in results:
        quantity, member = row_quantity(r)
        rows.setdefault(quantity, Row(config_id, quantity, dtype, cell=cell)).add(r, member)
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


# --quick, per cell: the first two quick cases get a trajectory (SGD with momentum, Adam with amsgrad and weight
# decay) and a gradcheck; the quick cases alone already touch every option of their cell.
QUICK_RECIPES = ("sgd-momentum-clipnorm", "adam-amsgrad-wd-clipvalue")


def check_grid(quick: bool = False, cell: str = "all") -> CheckGrid:
    """The grid of `rnn-parity check [--quick] [--cell CELL]`; cell "all" (the default) runs every cell's."""
    cells = cells_of(cell)
    if quick:
        cases = [c for name in cells for c in QUICK_GRIDS[name]]
        firsts = [c for name in cells for c in QUICK_GRIDS[name][:2]]
        return CheckGrid(cases, [(r, c) for name in cells for r, c in zip(QUICK_RECIPES, QUICK_GRIDS[name])], firsts)
    cases = [c for name in cells for c in GRIDS[name]]
    return CheckGrid(cases, [(r, c) for r, c in TRAJECTORY_GRID if case(c).cell in cells], list(cases))


def case_checks(numbers: Setup) -> list[Comparison]:
    """Every single-shot check on one case."""
    return (check_forward(numbers) + check_vjp(numbers) + check_loss(numbers, "sum") + check_loss(numbers, "mean")
            + [r for method in CLIP_METHODS for r in check_clip(numbers, method)])


def run_check(quick: bool = False, device: str = "cpu", progress: Callable[[str], None] | None = None,
              only: CheckGrid | None = None, cell: str = "all") -> list[Row]:
    """Every check over the grid of `cell` (or the quick one, or `only`); one Row per (config, quantity)."""
    grid = only or check_grid(quick, cell)
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


SUMMARY_KINDS = ("forward", "grads", "trajectory", "gradcheck")


def summary_kind(quantity: str) -> str:
    """forward (outputs and losses), grads (gradients, clipped or not), trajectory (every step), gradcheck."""
    if quantity.startswith("gradcheck"):
        return "gradcheck"
    if " steps)" in quantity:
        return "trajectory"
    return "forward" if quantity.startswith("forward") or quantity.endswith(" loss") else "grads"


def summary(rows: list[Row]) -> dict:
    """(cell, dtype, kind) -> (largest absolute difference, largest relative difference, largest share of the
    tolerance used). gradcheck (finite differences) is always float64: its relative difference is check_grad's
    relative error.
    """
    out: dict = {}
    for r in rows:
        kind = summary_kind(r.quantity)
        key = (r.cell, "float64" if kind == "gradcheck" else r.dtype, kind)
        big, rel, used = out.get(key, (0.0, 0.0, 0.0))
        out[key] = (_max(big, r.max_abs), _max(rel, r.max_rel), _max(used, r.used))
    return out


def summary_lines(rows: list[Row]) -> list[str]:
    """One line per cell and dtype: the largest difference of each kind, absolute / relative, and its share of
    the tolerance. A trajectory's tolerance is absolute; gradcheck's figure is check_grad's relative error."""
    figures = summary(rows)
    lines = []
    for cell in dict.fromkeys(r.cell for r in rows):
        for dtype in ("float64", "float32"):
            parts = []
            for kind in SUMMARY_KINDS:
                if (cell, dtype, kind) not in figures:
                    continue
                big, rel, used = figures[(cell, dtype, kind)]
                numbers = f"rel {_fmt(rel)}" if kind == "gradcheck" else f"{_fmt(big)} / {_fmt(rel)}"
                parts.append(f"{kind} {numbers} ({_used(used)} of tol)")
            if parts:
                lines.append(f"{cell or '?'} {dtype} largest abs / rel diff: " + ", ".join(parts))
    return lines


def format_report(rows: list[Row], seconds: float | None = None, device: str = "cpu") -> str:
    width = max([len("config")] + [len(r.config) for r in rows])
    qwidth = max([len("quantity")] + [len(r.quantity) for r in rows])
    header = (f"{'cell':<4}  {'config':<{width}}  {'quantity':<{qwidth}}  {'max abs':>9}  {'max rel':>9}  "
              f"{'of tol':>6}  result  worst at")
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(f"{r.cell:<4}  {r.config:<{width}}  {r.quantity:<{qwidth}}  {_fmt(r.max_abs):>9}  "
                     f"{_fmt(r.max_rel):>9}  {_used(r.used):>6}  {'PASS' if r.passed else 'FAIL':<6}  "
                     f"{r.worst}".rstrip())
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
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    configs = len({r.config for r in rows})
    cells = ", ".join(dict.fromkeys(r.cell for r in rows))
    verdict = "PASS" if not failed else "FAIL"
    lines.append(f"{verdict}: {len(rows) - len(failed)} of {len(rows)} rows, {n - n_bad} of {n} comparisons passed "
                 f"over {configs} configs ({cells}), torch on {device}{took}")
    return "\n".join(lines + summary_lines(rows))


def main(quick: bool = False, device: str = "cpu", out=print, cell: str = "all") -> int:
    start = time.perf_counter()
    rows = run_check(quick, device, cell=cell)
    out(format_report(rows, time.perf_counter() - start, device))
    return 0 if all(r.passed for r in rows) else 1


__all__ = ["CheckGrid", "QUICK_RECIPES", "Row", "case_checks", "cell_of", "check_grid", "format_report", "main",
           "row_quantity", "rows_of", "run_check", "summary", "summary_kind", "summary_lines"]
