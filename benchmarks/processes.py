"""Benchmark 6: the user's commands as whole processes, against seed 000's own loop as a whole process.

    classic  python -m rnn_parity.benchmarks.classic_loop --epochs N    (seed 000's script, benchmarks/classic_loop.py)
    train    rnn-parity train sentiment --framework numpy --epochs N --no-progress
    demo     rnn-parity demo --epochs N --no-progress --out TMP         (NumPy, torch and the control run)

Everything a user waits for counts: interpreter start, imports, data, checks, training, plots, files.
The three run interleaved, round after round (classic, train, demo, classic, ...), so a machine whose
speed drifts (shared cores) slows the members of a round alike; each round gives a ratio to its own
classic run, and the median over rounds is the figure. CPU seconds (user + sys of the child, from
getrusage) are recorded next to wall seconds: another process's load changes them less.

The package is byte-compiled first, as `pip install` does and as any second run of an editable install
finds it: under PYTHONDONTWRITEBYTECODE=1 (set in some shells and containers) nothing else writes the
.pyc files, and every run would compile rnn_parity's modules from source again (~20-40 ms a process).
"""
from __future__ import annotations

import compileall
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from ._env import REPO, load_average

TARGETS = {"train": 0.5, "demo": 4.0}  # at most this many times the classic loop's wall time


def commands(epochs: int, out: str) -> dict[str, list[str]]:
    py = sys.executable
    return {
        "classic": [py, "-m", "rnn_parity.benchmarks.classic_loop", "--epochs", str(epochs)],
        "train": [py, "-m", "rnn_parity", "train", "sentiment", "--framework", "numpy", "--epochs", str(epochs),
                  "--no-progress"],
        "demo": [py, "-m", "rnn_parity", "demo", "--epochs", str(epochs), "--no-progress", "--out", out],
    }


def _timed(cmd: list[str]) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "exit": proc.returncode,
            "tail": proc.stdout.strip().splitlines()[-1:] if proc.returncode == 0 else proc.stderr.strip()[-300:]}


PACKAGE_DIRS = ("reference", "torch_impl", "datasets", "rnn_parity", "benchmarks")


def byte_compile() -> bool:
    """Write the package's .pyc files (what pip install does); True when every module compiled."""
    return all(compileall.compile_dir(os.path.join(REPO, d), quiet=1) for d in PACKAGE_DIRS)


def run(opts: dict, log=print) -> dict:
    epochs = opts["process_epochs"]
    rounds = opts["process_rounds"]
    runs: dict[str, list[dict]] = {}
    compiled = byte_compile()
    with tempfile.TemporaryDirectory(prefix="rnn-parity-bench-demo-") as out:
        cmds = commands(epochs, out)
        for k in range(rounds):
            load = load_average()
            for name, cmd in cmds.items():
                row = _timed(cmd)
                row["round"], row["load_average_before"] = k + 1, load
                runs.setdefault(name, []).append(row)
                log(f"  round {k + 1} {name}: {row['wall_s']:.2f} s wall, {row['cpu_s']:.2f} s CPU, exit {row['exit']}")
    rows, checks = [], []
    for name in cmds:
        wall = [r["wall_s"] for r in runs[name]]
        cpu = [r["cpu_s"] for r in runs[name]]
        ratio = [r["wall_s"] / c["wall_s"] for r, c in zip(runs[name], runs["classic"])]
        cpu_ratio = [r["cpu_s"] / c["cpu_s"] for r, c in zip(runs[name], runs["classic"])]
        rows.append({"name": name, "command": " ".join(cmds[name][1:]).replace(out, "TMP"),
                     "wall_s_median": statistics.median(wall), "cpu_s_median": statistics.median(cpu),
                     "ratio_wall_median": statistics.median(ratio), "ratio_cpu_median": statistics.median(cpu_ratio),
                     "ratio_wall_all": ratio, "exits": [r["exit"] for r in runs[name]]})
        if name in TARGETS:
            got = statistics.median(ratio)
            checks.append({"target": f"{name} <= {TARGETS[name]:g}x the classic loop (whole process, wall)",
                           "figure": f"{got:.2f}x (CPU time {statistics.median(cpu_ratio):.2f}x)",
                           "met": got <= TARGETS[name]})
    return {"title": "Whole processes against seed 000's loop", "epochs": epochs, "rounds": rounds,
            "rows": rows, "runs": runs, "checks": checks,
            "bytecode": "compiled before the rounds" if compiled else "byte-compiling failed: modules ran from source"}
