"""What the numbers were measured on, and the thread controls.

Thread control: every timed benchmark runs in a worker process started with OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS and MKL_NUM_THREADS set (thread_env), and the worker also calls
torch.set_num_threads. The thread counts actually in force are read back and recorded: numpy's BLAS
through threadpoolctl when it is installed, else through the OpenBLAS library numpy loaded (found in
/proc/self/maps, its `*openblas_get_num_threads*` entry point called through ctypes).
"""
from __future__ import annotations

import ctypes
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


class _OpenBLAS:
    """numpy's OpenBLAS through ctypes (scipy-openblas wheels prefix and suffix the symbols)."""

    PREFIXES = ("scipy_openblas", "openblas")
    SUFFIXES = ("64_", "_64_", "")

    def __init__(self):
        self.path = None
        self._get = self._config = None
        import numpy  # noqa: F401  (the library is loaded with numpy)

        for line in open("/proc/self/maps", encoding="utf-8", errors="replace"):
            path = line.split()[-1] if line.strip() else ""
            base = os.path.basename(path).lower()
            if "openblas" in base and ".so" in base:
                self.path = path
                break
        if self.path is None:
            return
        lib = ctypes.CDLL(self.path)
        for prefix in self.PREFIXES:
            for sfx in self.SUFFIXES:
                if self._get is None:
                    self._get = getattr(lib, f"{prefix}_get_num_threads{sfx}", None)
                if self._config is None:
                    self._config = getattr(lib, f"{prefix}_get_config{sfx}", None)
        if self._get is not None:
            self._get.restype = ctypes.c_int
        if self._config is not None:
            self._config.restype = ctypes.c_char_p

    @property
    def usable(self) -> bool:
        return self._get is not None

    def get(self) -> int | None:
        return int(self._get()) if self._get is not None else None

    def config(self) -> str | None:
        return self._config().decode(errors="replace").strip() if self._config is not None else None


_openblas: _OpenBLAS | None = None


def _blas() -> _OpenBLAS | None:
    global _openblas
    if _openblas is None:
        try:
            _openblas = _OpenBLAS()
        except OSError:
            return None
    return _openblas


def blas_control_method() -> str:
    """How the BLAS thread count was set and how it was read back."""
    how = "OMP/OPENBLAS/MKL_NUM_THREADS set in a fresh worker process, torch.set_num_threads"
    try:
        import threadpoolctl  # noqa: F401

        return how + "; read back with threadpoolctl"
    except ImportError:
        pass
    blas = _blas()
    if blas is not None and blas.usable:
        return how + f"; read back from {os.path.basename(blas.path)} via ctypes (threadpoolctl not installed)"
    return how + "; BLAS count not readable (threadpoolctl not installed, no OpenBLAS entry point found)"


def blas_threads() -> int | None:
    try:
        import threadpoolctl

        infos = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
        return infos[0]["num_threads"] if infos else None
    except ImportError:
        pass
    blas = _blas()
    return blas.get() if blas is not None and blas.usable else None


THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def thread_env(threads: int | None) -> dict:
    """The environment of a worker process whose BLAS and OpenMP pools have `threads` threads (None: all cores).

    Set before numpy and torch load, these fix the pools' sizes at start-up; OpenBLAS then starts no
    worker threads at all for 1. (Changing the count later through ctypes left an OpenBLAS worker
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

    blas = _blas()
    return {
        "date": now_utc(),
        "host_cpu": _cpu_model(),
        "cores": cpu_count(),
        "memory_gib": _memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "numpy_blas": (blas.config() if blas is not None else None) or "unknown",
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
