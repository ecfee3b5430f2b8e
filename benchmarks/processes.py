"""Benchmark 6: the user's commands as whole processes, against what a user would run instead.

    classic     python -m rnn_parity.benchmarks.classic_loop --epochs N   (seed 000's script, benchmarks/classic_loop.py)
    torch loop  python -m rnn_parity.benchmarks.torch_loop --epochs N     (the plain PyTorch loop, benchmarks/torch_loop.py)
    train       rnn-parity train sentiment --framework numpy --epochs N --no-progress
    demo        rnn-parity demo --epochs N --no-progress --out TMP         (NumPy, torch and the control run)

Everything a user waits for counts: interpreter start, imports, data, checks, training, plots, files.
Targets: train <= 0.5x classic; demo <= 0.9x (classic twice + torch loop), the user's alternative to
the demo (seed 000's loop for NumPy and for the control, and a plain torch loop).
The four run interleaved, round after round in a rotating order, so a machine whose speed drifts
(shared cores) slows the members of a round alike; each round gives its own ratios, and the median over
rounds is the figure. CPU seconds (user + sys of the child, from getrusage) are recorded next to wall
seconds: other processes' load changes them less, so the targets are read on CPU time, wall beside it.
The rounds run under both OpenBLAS kernel settings (benchmarks/_env.blas_kernel_envs), the variables
changed in the children's environment alone.

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

from ._env import REPO, blas_kernel, blas_kernel_envs, load_average, with_changes

TARGETS = {"train": 0.5, "demo": 0.9}  # at most this many times its alternative (see ALTERNATIVES)
# what a user runs instead of each command: {command: count} of the baselines, their times added up
ALTERNATIVES = {"train": {"classic": 1}, "demo": {"classic": 2, "torch loop": 1}}


def commands(epochs: int, out: str) -> dict[str, list[str]]:
    py = sys.executable
    return {
        "classic": [py, "-m", "rnn_parity.benchmarks.classic_loop", "--epochs", str(epochs)],
        "torch loop": [py, "-m", "rnn_parity.benchmarks.torch_loop", "--epochs", str(epochs)],
        "train": [py, "-m", "rnn_parity", "train", "sentiment", "--framework", "numpy", "--epochs", str(epochs),
                  "--no-progress"],
        "demo": [py, "-m", "rnn_parity", "demo", "--epochs", str(epochs), "--no-progress", "--out", out],
    }


def _timed(cmd: list[str], env: dict | None = None) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "exit": proc.returncode,
            "tail": proc.stdout.strip().splitlines()[-1:] if proc.returncode == 0 else proc.stderr.strip()[-300:]}


PACKAGE_DIRS = ("reference", "torch_impl", "datasets", "rnn_parity", "benchmarks")


def byte_compile() -> bool:
    """Write the package's .pyc files (what pip install does); True when every module compiled."""
    return all(compileall.compile_dir(os.path.join(REPO, d), quiet=1) for d in PACKAGE_DIRS)


def _alternative(runs: dict, name: str, k: int, key: str) -> float:
    return sum(n * runs[base][k][key] for base, n in ALTERNATIVES[name].items())


def _rounds(cmds: dict, rounds: int, env: dict, log, label: str) -> dict[str, list[dict]]:
    runs: dict[str, list[dict]] = {name: [] for name in cmds}
    names = list(cmds)
    for k in range(rounds):
        load = load_average()
        shift = k % len(names)
        for name in names[shift:] + names[:shift]:
            row = _timed(cmds[name], env)
            row["round"], row["load_average_before"] = k + 1, load
            runs[name].append(row)
            log(f"  [{label}] round {k + 1} {name}: {row['wall_s']:.2f} s wall, {row['cpu_s']:.2f} s CPU, "
                f"exit {row['exit']}")
    return runs


def summarize(cmds: dict, runs: dict[str, list[dict]], out: str) -> tuple[list[dict], list[dict]]:
    """Rows per command (medians, ratios to its alternative per round) and the target checks."""
    rows, checks = [], []
    n = len(runs["classic"])
    for name in cmds:
        wall = [r["wall_s"] for r in runs[name]]
        cpu = [r["cpu_s"] for r in runs[name]]
        row = {"name": name, "command": " ".join(cmds[name][1:]).replace(out, "TMP"),
               "wall_s_median": statistics.median(wall), "cpu_s_median": statistics.median(cpu),
               "exits": [r["exit"] for r in runs[name]]}
        if name in ALTERNATIVES:
            row["alternative"] = " + ".join(f"{c} x {b}" if c > 1 else b for b, c in ALTERNATIVES[name].items())
            row["ratio_wall_all"] = [runs[name][k]["wall_s"] / _alternative(runs, name, k, "wall_s") for k in range(n)]
            row["ratio_cpu_all"] = [runs[name][k]["cpu_s"] / _alternative(runs, name, k, "cpu_s") for k in range(n)]
            row["ratio_wall_median"] = statistics.median(row["ratio_wall_all"])
            row["ratio_cpu_median"] = statistics.median(row["ratio_cpu_all"])
            checks.append({"target": f"{name} <= {TARGETS[name]:g}x ({row['alternative']}), whole processes, CPU time",
                           "figure": f"{row['ratio_cpu_median']:.2f}x (wall {row['ratio_wall_median']:.2f}x)",
                           "met": row["ratio_cpu_median"] <= TARGETS[name]
                           and all(e == 0 for e in row["exits"])})
        rows.append(row)
    return rows, checks


def run(opts: dict, log=print) -> dict:
    epochs = opts["process_epochs"]
    rounds = opts["process_rounds"]
    compiled = byte_compile()
    settings = {}
    checks = []
    with tempfile.TemporaryDirectory(prefix="rnn-parity-bench-demo-") as out:
        cmds = commands(epochs, out)
        for label, changes in blas_kernel_envs().items():
            env = with_changes(dict(os.environ), changes)
            kernel = blas_kernel(env)
            runs = _rounds(cmds, rounds, env, log, f"{label}, {kernel}")
            rows, env_checks = summarize(cmds, runs, out)
            for c in env_checks:
                c["target"] += f" [{label}: OpenBLAS {kernel}]"
            checks += env_checks
            settings[label] = {"kernel": kernel, "changes": changes, "rows": rows, "runs": runs}
    return {"title": "Whole processes against what a user would run instead", "epochs": epochs, "rounds": rounds,
            "blas_settings": settings, "checks": checks,
            "bytecode": "compiled before the rounds" if compiled else "byte-compiling failed: modules ran from source"}
