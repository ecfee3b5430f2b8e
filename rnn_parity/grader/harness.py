"""Runs the child process that imports the implementation: time limit, output cap, clean reports.

The grader never imports student code itself. The child gets its own session (process group), so
a time limit kills it together with anything it started; its stdout and stderr are read into a
bounded buffer (the rest is counted and dropped), so a file that prints megabytes cannot flood the
grader; it runs with one BLAS thread, no stdin and an address-space limit.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

import numpy as np

DEFAULT_TIMEOUT = 30.0
DEFAULT_OUTPUT_CAP = 64 * 1024  # bytes kept from each of stdout and stderr
MEMORY_LIMIT = 4 * 1024 ** 3  # address space of the child


@dataclass
class ChildResult:
    info: dict = field(default_factory=dict)
    obs: dict = field(default_factory=dict)
    error: dict | None = None  # {"kind": ..., "message": ...}
    notes: list = field(default_factory=list)
    output_chars: int = 0  # what the implementation printed (Python-level and fd-level, in bytes/chars)
    output_head: str = ""
    seconds: float = 0.0


class _CappedReader(threading.Thread):
    """Drains a pipe, keeping the first `cap` bytes and counting the rest."""

    def __init__(self, pipe, cap: int):
        super().__init__(daemon=True)
        self.pipe, self.cap = pipe, cap
        self.kept = bytearray()
        self.total = 0

    def run(self):
        try:
            while True:
                chunk = self.pipe.read1(65536) if hasattr(self.pipe, "read1") else self.pipe.read(65536)
                if not chunk:
                    break
                self.total += len(chunk)
                room = self.cap - len(self.kept)
                if room > 0:
                    self.kept += chunk[:room]
        except (OSError, ValueError):
            pass


def _limits():  # runs in the child between fork and exec
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass


def run_child(impl: str, seed: int = 0, class_name: str | None = None, protocol: str = "auto",
              timeout: float = DEFAULT_TIMEOUT, output_cap: int = DEFAULT_OUTPUT_CAP,
              zero_h0: bool = False, cwd: str | None = None) -> ChildResult:
    """Run the child on `impl`. cwd: its working directory, also put on its sys.path after the file's
    own folder (default: the file's folder; a notebook's generated file runs from the notebook's)."""
    impl = os.path.abspath(impl)
    cwd = os.path.abspath(cwd) if cwd else os.path.dirname(impl)
    with tempfile.TemporaryDirectory(prefix="rnn-parity-grade-") as work:
        job = {"impl": impl, "seed": seed, "class": class_name, "protocol": protocol, "output_cap": output_cap,
               "zero_h0": zero_h0, "cwd": cwd}
        with open(os.path.join(work, "job.json"), "w") as f:
            json.dump(job, f)
        env = dict(os.environ)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
            env[var] = "1"
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONHASHSEED"] = "0"
        env["MPLBACKEND"] = "Agg"  # a plt.show() in the file must not open a window
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "rnn_parity.grader.child", work],
            cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, start_new_session=True, preexec_fn=_limits if os.name == "posix" else None)
        readers = [_CappedReader(proc.stdout, output_cap), _CappedReader(proc.stderr, output_cap)]
        for r in readers:
            r.start()
        timed_out = False
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(proc)
        for r in readers:
            r.join(timeout=5)
        for pipe in (proc.stdout, proc.stderr):
            try:
                pipe.close()
            except OSError:
                pass
        res = ChildResult(seconds=time.monotonic() - start)
        res.output_chars = readers[0].total + readers[1].total
        res.output_head = (bytes(readers[0].kept) + bytes(readers[1].kept)).decode("utf-8", "replace")[:2000]
        result_path = os.path.join(work, "result.json")
        if os.path.exists(result_path) and not timed_out:
            with open(result_path) as f:
                data = json.load(f)
            res.info, res.error, res.notes = data.get("info", {}), data.get("error"), data.get("notes", [])
            out = data.get("output", {})
            res.output_chars += int(out.get("chars", 0))
            res.output_head = (out.get("head", "") + res.output_head)[:2000]
            with np.load(os.path.join(work, "observations.npz"), allow_pickle=False) as z:
                res.obs = {k: z[k] for k in z.files}
            return res
        stage = _read(os.path.join(work, "progress.txt")) or "starting"
        if timed_out:
            res.error = {"kind": "timeout", "message": f"time limit of {timeout:g} s reached while {_while(stage)}"
                                                       " (an endless loop, or heavy work at import time?)"}
        else:
            rc = proc.returncode
            how = f"was killed by signal {-rc} ({_signame(-rc)})" if rc < 0 else f"exited with status {rc}"
            hint = " (os._exit, or out of memory?)" if rc >= 0 else " (out of memory, or a crash in native code?)"
            res.error = {"kind": "exit" if rc >= 0 else "crash",
                         "message": f"the process running the implementation {how} while {_while(stage)}{hint}"}
            tail = res.output_head.strip().splitlines()[-3:]
            if tail:
                res.error["message"] += "; its last output: " + " | ".join(tail)[:300]
        return res


def _while(stage: str) -> str:
    return stage if stage.startswith(("importing", "looking", "starting")) else f"running {stage}"


def _read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def _signame(num: int) -> str:
    try:
        return signal.Signals(num).name
    except ValueError:
        return "unknown"


def _kill_group(proc: subprocess.Popen):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
