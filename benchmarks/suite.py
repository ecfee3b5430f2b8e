"""Benchmark 4: the parity suite's own wall time, each command timed as a subprocess.

- `make test` (pytest over tests/ and parity_tests/, one worker per core plus one). When the Makefile's
  install stamp is out of date, `make test` would reinstall first; then it runs with the stamp taken as up
  to date (`make -o`), and the record says so. Skipped under --quick: it is the whole suite.
- `make test` in a fresh clone of HEAD (committed work only), as on a new machine: the venv's creation and
  the install are in its time. Skipped under --quick.
- `rnn-parity check --quick`, skipped when the check command is not there yet.
"""
from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ._env import REPO

STAMP = ".venv/.installed-stamp"  # the Makefile's install stamp


def _tail(text: str, lines: int = 3, width: int = 160) -> str:
    """The failing tests' names (pytest's FAILED/ERROR summary lines, up to 5) and the last lines of output."""
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()]
    failures = [line.split(" - ")[0] for line in kept if line.startswith(("FAILED ", "ERROR "))][:5]
    rest = [line for line in kept if not line.startswith(("make", "FAILED ", "ERROR ", "===", "---"))
            and not re.fullmatch(r"[.sFExX]+(\s*\[\s*\d+%\])?", line)]  # pytest -q progress dots
    picked = failures + rest[-lines:]
    return " / ".join(line if len(line) <= width else line[:width - 3] + "..." for line in picked)


def _timed(cmd: list[str], cwd: Path, timeout: float) -> dict:
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"command": " ".join(cmd), "status": "timed out", "wall_s": time.perf_counter() - start,
                "exit": None, "summary": f"killed after {timeout:.0f} s"}
    wall = time.perf_counter() - start
    # stderr first: pytest's summary ends stdout, and a fresh install's pip warnings fill stderr
    return {"command": " ".join(cmd), "status": "ok" if proc.returncode == 0 else "failed", "wall_s": wall,
            "exit": proc.returncode, "summary": _tail(proc.stderr + "\n" + proc.stdout)}


def _make_test(timeout: float) -> dict:
    make = shutil.which("make")
    if make is None or not (REPO / "Makefile").exists():
        return {"command": "make test", "status": "skipped", "summary": "make or the Makefile is missing"}
    # the stamp itself: `install` also depends on the phony `bytecode`, so `make -q install` is never up to date
    stale = subprocess.run([make, "-q", STAMP], cwd=REPO, capture_output=True).returncode != 0
    if not stale:
        return _timed([make, "test"], REPO, timeout)
    row = _timed([make, "-o", STAMP, "test"], REPO, timeout)
    row["command"] = "make test"
    row["note"] = "install stamp out of date: timed as `make -o STAMP test`, without reinstalling"
    return row


def _fresh_make_test(timeout: float) -> dict:
    """`make test` in a clone of HEAD in a new folder: venv, install and suite, as a new machine runs it."""
    make, git = shutil.which("make"), shutil.which("git")
    if make is None or git is None or not (REPO / ".git").exists():
        return {"command": "make test (fresh clone)", "status": "skipped", "summary": "needs make, git and a checkout"}
    with tempfile.TemporaryDirectory(prefix="rnn-parity-fresh-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run([git, "clone", "-q", str(REPO), str(clone)], check=True, capture_output=True)
        head = subprocess.run([git, "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True,
                              text=True).stdout.strip()
        row = _timed([make, "test"], clone, timeout)
    row["command"] = "make test (fresh clone)"
    row["note"] = f"commit {head}; the venv's creation and the install included"
    return row


def _check_quick(timeout: float) -> dict:
    if importlib.util.find_spec("rnn_parity.commands.check") is None:
        return {"command": "rnn-parity check --quick", "status": "skipped",
                "summary": "rnn_parity/commands/check.py does not exist yet"}
    row = _timed([sys.executable, "-m", "rnn_parity", "check", "--quick"], REPO, timeout)
    row["command"] = "rnn-parity check --quick"
    return row


def run(opts: dict, log=print) -> dict:
    rows = []
    if opts["quick"]:
        rows.append({"command": "make test", "status": "skipped", "summary": "not run under --quick"})
    else:
        log("  suite: make test (the whole suite; this takes a while)")
        rows.append(_make_test(opts.get("suite_timeout", 3600)))
        log("  suite: make test in a fresh clone (venv, install and suite)")
        rows.append(_fresh_make_test(opts.get("suite_timeout", 3600)))
    log("  suite: rnn-parity check --quick")
    rows.append(_check_quick(opts.get("suite_timeout", 3600)))
    for row in rows:
        wall = f"{row['wall_s']:.1f} s" if "wall_s" in row else "-"
        log(f"  suite: {row['command']}: {row['status']} {wall}")
    return {
        "title": "Benchmark 4: the parity suite's wall time",
        "settings": {"repeats": 1, "how": "each command once, as a subprocess, from the repository root"},
        "rows": rows,
        "checks": [],
    }
