"""What the numbers were measured on, and the thread controls.

Thread control: every timed benchmark runs in a worker process started with OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS and MKL_NUM_THREADS set (thread_env), and the worker also calls
torch.set_num_threads. The thread counts actually in force are read back and recorded; numpy's BLAS
pool through threadpoolctl (a dependency), which also names the library and its build.
"""
from __future__ import annotations

import importlib.metadata
import datetime as _dt
import os
import platform
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def now_utc() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


# ---------------------------------------------------------------------------------------------
# BLAS threads


def _numpy_blas() -> dict | None:
    """threadpoolctl's record of the BLAS library numpy loaded (library, version, threads), or None."""
    import numpy  # noqa: F401  (the library is loaded with numpy)
    import threadpoolctl

    infos = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
    return infos[0] if infos else None


def blas_control_method() -> str:
    """How the BLAS thread count was set and how it was read back."""
    return ("OMP/OPENBLAS/MKL_NUM_THREADS set in a fresh worker process, torch.set_num_threads; "
            "read back with threadpoolctl")


def blas_threads() -> int | None:
    info = _numpy_blas()
    return info["num_threads"] if info else None


def _blas_description() -> str:
    info = _numpy_blas()
    if not info:
        return "unknown"
    return " ".join(str(info[k]) for k in ("internal_api", "version", "threading_layer", "architecture")
                    if info.get(k))


THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def thread_env(threads: int | None) -> dict:
    """The environment of a worker process whose BLAS and OpenMP pools have `threads` threads (None: all cores).

    Set before numpy and torch load, these fix the pools' sizes at start-up; OpenBLAS then starts no
    worker threads at all for 1. (Changing the count later at run time left an OpenBLAS worker
    thread spinning on this machine and slowed the reference up to 20x, so the benchmarks never do that.)
    """
    env = dict(os.environ)
    n = str(threads or cpu_count())
    for var in THREAD_VARS:
        env[var] = n
    return env


# ---------------------------------------------------------------------------------------------
# Machine and versions


def _cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in open("/proc/meminfo", encoding="utf-8"):
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return None


def _git() -> dict:
    def run(*args):
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    commit = run("rev-parse", "--short", "HEAD")
    dirty = bool(run("status", "--porcelain", "--untracked-files=no"))
    return {"commit": commit or None, "dirty": dirty}


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine_info() -> dict:
    """The machine and the library versions (cheap: torch is not imported here; see runtime_info)."""
    import numpy

    return {
        "date": now_utc(),
        "host_cpu": _cpu_model(),
        "cores": cpu_count(),
        "memory_gib": _memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "numpy_blas": _blas_description(),
        "scipy": _version("scipy"),
        "torch": _version("torch"),
        "threadpoolctl": _version("threadpoolctl"),
        "blas_thread_control": blas_control_method(),
        "load_average_start": load_average(),
        "git": _git(),
    }


def runtime_info() -> dict:
    """What a worker process actually runs with: thread counts in force, torch's BLAS, CUDA."""
    import torch

    return {
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
        "numpy_blas_threads": blas_threads(),
        "torch_blas": "MKL" if torch.backends.mkl.is_available() else "not MKL",
        "cuda_available": bool(torch.cuda.is_available()),
        "env": {k: os.environ.get(k) for k in THREAD_VARS},
    }


# ---------------------------------------------------------------------------------------------
# OpenBLAS kernel variables

BLAS_KERNEL_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
FORCED_CORETYPE = "Haswell"  # what machines that set OPENBLAS_CORETYPE force here


def blas_kernel_envs() -> dict[str, dict[str, str | None]]:
    """The two settings NumPy is measured under, as changes to this process's environment (None: unset).

    Some machines force an older OpenBLAS kernel through OPENBLAS_CORETYPE (and OPENBLAS_L2_SIZE); a current
    numpy picks a faster one by itself. So the figures are taken both ways, the variables changed in the
    benchmark's child processes alone: "as set" (this machine's own setting) and "unset" (both removed).
    Where this machine sets neither, the second way is OPENBLAS_CORETYPE=Haswell instead, the forced kernel.
    """
    if any(os.environ.get(v) for v in BLAS_KERNEL_VARS):
        return {"as set": {}, "unset": {v: None for v in BLAS_KERNEL_VARS}}
    return {"as set (neither variable set)": {}, f"OPENBLAS_CORETYPE={FORCED_CORETYPE}":
            {"OPENBLAS_CORETYPE": FORCED_CORETYPE}}


def with_changes(env: dict[str, str], changes: dict[str, str | None]) -> dict[str, str]:
    out = {k: v for k, v in env.items() if changes.get(k, "") is not None}
    out.update({k: v for k, v in changes.items() if v is not None})
    return out


def blas_kernel(env: dict[str, str]) -> str:
    """The OpenBLAS kernel numpy runs under `env`, as threadpoolctl reads it in a child process."""
    import sys

    code = ("import numpy, threadpoolctl; i = [x for x in threadpoolctl.threadpool_info() if x.get('user_api') == "
            "'blas']; print(i[0].get('architecture') if i else 'unknown')")
    try:
        proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as e:
        return f"unknown ({e})"
    return proc.stdout.strip() or f"unknown ({proc.stderr.strip()[-100:]})"
