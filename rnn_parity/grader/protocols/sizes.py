"""Hard-coded sizes: a function that fails at the grader's probe sizes but passes at a course notebook's own.

Child side: run_at_course_sizes(probe, runs) calls the same probing code again at each of the course's
sizes, into a scratch Probe whose observations come back under "<prefix>course<k>:" (its crashes stay its
own), and size_literals(fn) lists the lines of a function that hold an integer literal, for naming the line.
Parent side: hardcoded(...) says which failing functions pass at some course size, and where.
"""
from __future__ import annotations

import ast
import inspect
import textwrap

import numpy as np

from .engine import Probe

SMALL = {0, 1}  # indices and axes, never sizes


def course_key(prefix: str, k: int, key: str) -> str:
    """"lstm:step:next_h" at course size k -> "lstm:course<k>:step:next_h"."""
    return prefix + f"course{k}:" + key[len(prefix):]


def run_at_course_sizes(probe, prefix: str, runs: list) -> None:
    """runs: [(k, fn(scratch_probe))]: each fn probes at course size k, recording the usual keys; they come
    back renamed with course_key. Failures there are silent: they only keep a function from passing."""
    for k, run in runs:
        scratch = Probe(probe.module, probe.file, probe.progress)
        scratch.info.update({key: probe.info[key] for key in ("functions", "forward_only") if key in probe.info})
        try:
            run(scratch)
        except Exception:  # noqa: BLE001 - a second chance only
            continue
        for key, value in scratch.obs.items():
            if key.startswith(prefix):
                probe.obs[course_key(prefix, k, key)] = value


def size_literals(fn, sizes: set) -> list:
    """[(line, source text)] of the lines of fn that hold an integer literal in sizes (not 0 or 1, not an
    axis= argument, not a factor of a name such as 2 * H): where a size may be hard-coded."""
    try:
        lines, first = inspect.getsourcelines(fn)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError):
        return []
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "axis":
            skip.update(id(n) for n in ast.walk(node.value))
        if isinstance(node, ast.BinOp) and any(isinstance(s, (ast.Name, ast.Attribute, ast.Subscript, ast.Call))
                                               for s in (node.left, node.right)):
            skip.update(id(s) for s in (node.left, node.right) if isinstance(s, ast.Constant))
    found = {}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Constant) and type(node.value) is int and node.value in sizes - SMALL
                and id(node) not in skip):
            line = first + node.lineno - 1
            found[line] = lines[node.lineno - 1].strip()
    return sorted(found.items())


def hardcoded(results: list, specs: list, course_sets: int, prefix: str, student: dict, expected: dict,
              tol: float, literals: dict, callees: dict | None = None) -> dict:
    """{function: why} for the functions whose checks fail at the probe sizes and all pass at one course size.
    literals: {function: [(line, text)]} from size_literals (child side); callees: {function: the function it
    calls} (lstm_forward -> lstm_step_forward), where a size may sit instead. A function that failed only
    because one before it did ("not run: ...") is left as it is."""
    failing = {s.function for s, r in zip(specs, results) if r.status == "fail"}
    not_run = {s.function for s, r in zip(specs, results) if r.detail.startswith("not run: ")}
    out = {}
    for fn in sorted(failing - not_run):
        keys = [k for s in specs if s.function == fn for k in s.keys]
        for k in range(course_sets):
            ck = [course_key(prefix, k, key) for key in keys]
            if ck and all(c in student and c in expected and _close(student[c], expected[c], tol) for c in ck):
                where, owner = literals.get(fn) or [], ""
                callee = (callees or {}).get(fn)
                if not where and callee in failing and literals.get(callee):
                    where, owner = literals[callee], f"in {callee}, "
                line = f" ({owner}line {where[0][0]}: `{where[0][1]}`)" if where else ""
                out[fn] = f"works only at the notebook's sizes: a size is hard-coded{line}"
                break
    return out


def _close(s, e, tol: float) -> bool:
    """checks.rel_error within tol (written here: the child side never imports checks, which reads the reference)."""
    s, e = np.asarray(s, dtype=np.float64), np.asarray(e, dtype=np.float64)
    if s.shape != e.shape or not np.all(np.isfinite(s)):
        return False
    diff, den = float(np.linalg.norm(s - e)), float(np.linalg.norm(e))
    return diff == 0.0 or (den > 0 and diff / den <= tol)
