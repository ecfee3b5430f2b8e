"""What the numbers were measured on, and the thread controls.

Thread control, in order of preference:
- numpy's BLAS: threadpoolctl when it is installed; otherwise the OpenBLAS that numpy loaded is found in
  /proc/self/maps and its own `*openblas_set_num_threads*` entry point is called through ctypes (the
  same call threadpoolctl makes). If neither works the BLAS thread count is reported as unknown.
- torch: torch.set_num_threads (intra-op OpenMP/MKL threads).
"""
from __future__ import annotations

import contextlib
import ctypes
import datetime as _dt
import os
import platform
import subprocess
import sys
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
        self._set = self._get = self._config = None
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
                if self._set is None:
                    self._set = getattr(lib, f"{prefix}_set_num_threads{sfx}", None)
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
        return self._set is not None and self._get is not None

    def get(self) -> int | None:
        return int(self._get()) if self._get is not None else None

    def set(self, n: int) -> None:
        self._set(ctypes.c_int(n))

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
    try:
        import threadpoolctl  # noqa: F401

        return "threadpoolctl"
    except ImportError:
        pass
    blas = _blas()
    if blas is not None and blas.usable:
        return f"ctypes: {os.path.basename(blas.path)} *_set_num_threads (threadpoolctl is not installed)"
    return "none (threadpoolctl not installed and no OpenBLAS entry point found)"


def blas_threads() -> int | None:
    try:
        import threadpoolctl

        infos = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
        return infos[0]["num_threads"] if infos else None
    except ImportError:
        pass
    blas = _blas()
    return blas.get() if blas is not None and blas.usable else None


def set_blas_threads(n: int) -> None:
    try:
        import threadpoolctl

        threadpoolctl.threadpool_limits(limits=n, user_api="blas")
        return
    except ImportError:
        pass
    blas = _blas()
    if blas is not None and blas.usable:
        blas.set(n)


@contextlib.contextmanager
def threads(n: int | None):
    """numpy BLAS and torch intra-op threads set to n (None or 0: all cores) inside the block."""
    import torch

    n = n or cpu_count()
    old_torch, old_blas = torch.get_num_threads(), blas_threads()
    torch.set_num_threads(n)
    set_blas_threads(n)
    try:
        yield {"torch": torch.get_num_threads(), "numpy_blas": blas_threads()}
    finally:
        torch.set_num_threads(old_torch)
        if old_blas is not None:
            set_blas_threads(old_blas)


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


def machine_info() -> dict:
    import numpy
    import scipy
    import torch

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
        "scipy": scipy.__version__,
        "torch": torch.__version__,
        "torch_blas": "MKL" if torch.backends.mkl.is_available() else "not MKL",
        "torch_default_threads": torch.get_num_threads(),
        "numpy_blas_default_threads": blas_threads(),
        "blas_thread_control": blas_control_method(),
        "env_threads": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")},
        "cuda_available": bool(torch.cuda.is_available()),
        "load_average_start": load_average(),
        "git": _git(),
        "argv": sys.argv[1:],
    }
