"""Runs the child process that imports the implementation: sandbox, time limit, output cap, clean reports.

The grader never imports student code itself. The child runs either under bubblewrap (own PID, user,
network namespaces; see sandbox.py) or, without it, under a small subreaper (reaper.py) in its own
session: either way a time limit kills it together with everything it started, and after the grade a
sweep finds and kills whatever is left (same session, same group, or carrying this grade's token in its
environment). Its stdout and stderr are read into a bounded buffer (the rest is counted and dropped), so
a file that prints megabytes cannot flood the grader; it runs with one BLAS thread, no stdin and an
address-space limit.
"""
from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field

import numpy as np

from . import reaper, sandbox
from ..options import DEFAULT_OUTPUT_CAP, DEFAULT_TIMEOUT, MEMORY_LIMIT, GradeOptions

__all__ = ["DEFAULT_OUTPUT_CAP", "DEFAULT_TIMEOUT", "MEMORY_LIMIT", "ChildResult", "run_child"]
GRACE = 10.0  # seconds past the time limit before the grader stops waiting for the reaper or bwrap
FILE_SIZE_LIMIT = 256 * 1024 ** 2  # the largest file the child may write (a full disk is a shared problem)
REPORT_LIMIT = 64 * 1024 ** 2  # result.json and observations.npz bigger than this are not read
TOKEN_VAR = "RNN_PARITY_GRADE"


@dataclass
class ChildResult:
    info: dict = field(default_factory=dict)
    obs: dict = field(default_factory=dict)
    error: dict | None = None  # {"kind": ErrorKind, "message": ...}
    notes: list = field(default_factory=list)
    output_chars: int = 0  # what the implementation printed (Python-level and fd-level, in bytes/chars)
    output_head: str = ""
    seconds: float = 0.0
    sandbox: str = "none"  # "bubblewrap" | "none"


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


def _limits(memory: int):
    def apply():  # runs in the child between fork and exec
        try:
            import resource

            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
        except (ImportError, ValueError, OSError):
            pass
    return apply


def _env(token: str) -> dict:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        env[var] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONHASHSEED"] = "0"
    env["MPLBACKEND"] = "Agg"  # a plt.show() in the file must not open a window
    env[TOKEN_VAR] = token  # lets the sweep find processes that left the session and lost their parent
    return env


def run_child(impl: str, options: GradeOptions | None = None, cwd: str | None = None, kind: str = "none",
              **kwargs) -> ChildResult:
    """Run the child on `impl`, under bubblewrap when kind == "bubblewrap". cwd: the folder the file's
    relative paths and sibling modules resolve in (default: the file's; a notebook's generated file uses
    the notebook's). Keyword options (seed=..., timeout=...) are accepted for GradeOptions' fields."""
    options = (options or GradeOptions()).with_(**kwargs)
    impl = os.path.abspath(impl)
    cwd = os.path.abspath(cwd or options.cwd or os.path.dirname(impl))
    token = uuid.uuid4().hex
    with tempfile.TemporaryDirectory(prefix="rnn-parity-grade-") as work:
        job_dir, scratch = os.path.join(work, "job"), os.path.join(work, "scratch")
        os.makedirs(job_dir)
        os.makedirs(os.path.join(scratch, "tmp"))
        env = _env(token)
        if kind == "bubblewrap":
            senv = sandbox.sandbox_env(env)
            argv, inner_impl, inner_cwd = sandbox.bwrap_argv([sandbox.JOB], job_dir, scratch, impl, cwd, senv,
                                                             options.private_paths)
            job = options.job(inner_impl, inner_cwd)
            popen_cwd = work
        else:
            status = os.path.join(job_dir, "reaper.json")
            child = [sys.executable, "-m", "rnn_parity.grader.isolation.child", job_dir]
            argv = [sys.executable, "-I", "-S", reaper.__file__, str(options.timeout), status, "--", *child]
            job = options.job(impl, cwd)
            job["scratch"] = popen_cwd = scratch
            job["landlock"] = options.sandbox != "off"  # off: a plain child process, as before the sandbox
            _link_submission(impl, cwd, scratch, options.private_paths)
            env.update(HOME=scratch, TMPDIR=os.path.join(scratch, "tmp"),
                       MPLCONFIGDIR=os.path.join(scratch, ".matplotlib"))
        job["sandbox"] = kind
        with open(os.path.join(job_dir, "job.json"), "w") as f:
            json.dump(job, f)
        start = time.monotonic()
        proc = subprocess.Popen(
            argv, cwd=popen_cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env, start_new_session=True,
            preexec_fn=_limits(options.memory_limit) if os.name == "posix" else None)
        readers = [_CappedReader(proc.stdout, options.output_cap), _CappedReader(proc.stderr, options.output_cap)]
        for r in readers:
            r.start()
        timed_out = _wait(proc, options.timeout, resume=kind != "bubblewrap")
        _kill_group(proc)
        sweep(proc.pid, token)
        for r in readers:
            r.join(timeout=5)
        for pipe in (proc.stdout, proc.stderr):
            try:
                pipe.close()
            except OSError:
                pass
        res = ChildResult(seconds=time.monotonic() - start, sandbox=kind)
        returncode = proc.returncode
        if kind != "bubblewrap":
            state = _read_json(status)
            if state is not None:  # the reaper's view: the child's own status, and its own time limit
                timed_out = timed_out or bool(state.get("timed_out"))
                returncode = state.get("returncode", returncode)
        res.output_chars = readers[0].total + readers[1].total
        res.output_head = (bytes(readers[0].kept) + bytes(readers[1].kept)).decode("utf-8", "replace")[:2000]
        data = None if timed_out else _read_json(os.path.join(job_dir, "result.json"))
        if isinstance(data, dict):
            try:
                return _finish(res, data, job_dir)
            except (OSError, ValueError, TypeError, KeyError):  # a report the child did not write whole
                pass
        stage = _read(os.path.join(job_dir, "progress.txt")) or "starting"
        if timed_out:
            res.error = {"kind": "timeout", "message": f"time limit of {options.timeout:g} s reached while "
                                                       f"{_while(stage)} (an endless loop, or heavy work at "
                                                       "import time?)"}
        else:
            rc = returncode if isinstance(returncode, int) else -1
            if kind == "bubblewrap" and 128 < rc <= 128 + 64:  # bwrap passes a signal death on as 128 + N
                rc = 128 - rc
            how = f"was killed by signal {-rc} ({_signame(-rc)})" if rc < 0 else f"exited with status {rc}"
            hint = " (os._exit, or out of memory?)" if rc >= 0 else " (out of memory, or a crash in native code?)"
            res.error = {"kind": "exit" if rc >= 0 else "crash",
                         "message": f"the process running the implementation {how} while {_while(stage)}{hint}"}
            tail = res.output_head.strip().splitlines()[-3:]
            if tail:
                res.error["message"] += "; its last output: " + " | ".join(tail)[:300]
        return res


def _link_submission(impl: str, folder: str, scratch: str, private: tuple):
    """Without bubblewrap the child works in the scratch folder too: links there to the file's data and
    sibling modules keep its relative paths working, while what it writes stays in the scratch folder."""
    for host, rel in sandbox.submission_files(impl, folder, private):
        link = os.path.join(scratch, rel)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if not os.path.lexists(link):
            os.symlink(host, link)


def _finish(res: ChildResult, data: dict, job_dir: str) -> ChildResult:
    """The child's report. Only plain float arrays and a few descriptive fields come back; the parent
    computes every expected value itself, so nothing here can claim a result is right."""
    info, error, notes = data.get("info", {}), data.get("error"), data.get("notes", [])
    if not isinstance(info, dict) or not isinstance(notes, list):
        raise ValueError("malformed report")
    if error is not None and not (isinstance(error, dict) and isinstance(error.get("kind"), str)
                                  and isinstance(error.get("message"), str)):
        raise ValueError("malformed error")
    res.info, res.error, res.notes = info, error, [str(n) for n in notes]
    out = data.get("output", {})
    res.output_chars += int(out.get("chars", 0))
    res.output_head = (str(out.get("head", "")) + res.output_head)[:2000]
    path = os.path.join(job_dir, "observations.npz")
    if os.path.getsize(path) > REPORT_LIMIT:
        raise ValueError("observations too large")
    with np.load(path, allow_pickle=False) as z:
        res.obs = {k: np.asarray(z[k], dtype=np.float64) for k in z.files}
    return res


def _wait(proc: subprocess.Popen, timeout: float, resume: bool) -> bool:
    """Wait for the launcher (reaper or bwrap); True if the time limit struck. resume: send SIGCONT now and
    then, so a child that stops its parent (the reaper) with SIGSTOP cannot hold up the grade."""
    deadline = time.monotonic() + timeout + (GRACE if resume else 0.0)
    exited, done = _exit_waiter(proc)
    try:
        return _wait_loop(proc, exited, deadline, resume)
    finally:
        done()


def _wait_loop(proc: subprocess.Popen, exited, deadline: float, resume: bool) -> bool:
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return True
        try:
            exited(min(left, 0.2) if resume else left)
            return False
        except subprocess.TimeoutExpired:
            if resume:
                try:
                    os.kill(proc.pid, signal.SIGCONT)
                except OSError:
                    pass


def _exit_waiter(proc: subprocess.Popen):
    """(wait(seconds), done()) for proc. wait raises TimeoutExpired, or returns once proc has exited and is
    reaped; done releases what wait holds. On Linux wait sleeps on a pidfd and wakes the moment the process
    ends; Popen.wait(timeout) polls with sleeps that grow to 50 ms, about half of which every grade paid."""
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # not Linux >= 5.3, or the process is already gone
        return (lambda seconds: proc.wait(timeout=seconds)), (lambda: None)

    def wait(seconds: float):
        ready, _, _ = select.select([fd], [], [], seconds)
        if not ready:
            raise subprocess.TimeoutExpired(proc.args, seconds)
        proc.wait()

    def done():
        with contextlib.suppress(OSError):
            os.close(fd)

    return wait, done


def sweep(session: int, token: str, seconds: float = 5.0):
    """Kill every process left from one grade: in the launcher's session or process group, or carrying the
    grade's token in its environment (a daemon that left the session). Linux only (/proc); elsewhere the
    process group kill in _kill_group is all there is."""
    deadline = time.monotonic() + seconds
    marker = f"{TOKEN_VAR}={token}".encode()
    me = os.getpid()
    while True:
        left = []
        for pid, (_ppid, pgrp, sid, state) in reaper.proc_table().items():
            if pid in (me, session) or state == "Z":  # the launcher is reaped: a process with its pid is new
                continue
            if sid == session or pgrp == session or _has_marker(pid, marker):
                left.append(pid)
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if not left or time.monotonic() > deadline:
            return
        time.sleep(0.01)


def _has_marker(pid: int, marker: bytes) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return marker in f.read().split(b"\0")
    except OSError:
        return False


def _read_json(path: str):
    try:
        if os.path.getsize(path) > REPORT_LIMIT:
            return None
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


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
