"""Run one walk of an untrusted HDF5 file in a forked child, so that it ends in bounded time.

A damaged HDF5 file can send the HDF5 library itself into an endless loop (three flipped bits in a Keras 2
.h5 make reading one attribute spin forever) or crash it. Neither can be stopped from Python in the same
process, so the walk runs in a fork: the parent waits with a deadline, kills the child when it passes, and
turns a loop, a crash or a timeout into the one-line refusal. The child sends back its result pickled through
a pipe (it runs only this project's code; the file's own contents are data in it).
"""
from __future__ import annotations

import faulthandler
import os
import pickle
import selectors
import signal
import time

from ...reference.errors import RNNParityError

BYTES_PER_SECOND = 20e6  # far below a disk's read rate: a real file's walk never meets its deadline
MIN_SECONDS = 30.0


def deadline_for(size: int) -> float:
    """Seconds a walk of a file of `size` bytes may take."""
    return MIN_SECONDS + size / BYTES_PER_SECOND


def bounded(fn, *args, name: str, seconds: float):
    """fn(*args) in a forked child, ended after `seconds`. Its RNNParityError comes back as one; any other
    exception as a RuntimeError naming it (a bug here, not a damaged file)."""
    if not hasattr(os, "fork"):  # no fork (Windows): the walk runs here, unbounded
        return fn(*args)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code, never runs its atexit hooks
        code = 0
        try:
            os.close(r)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            faulthandler.disable()  # a crash is reported by the parent, in one line
            try:
                out = ("ok", fn(*args))
            except RNNParityError as e:
                out = ("refused", str(e))
            except BaseException as e:  # noqa: BLE001 - reported to the parent, which raises it
                out = ("error", f"{type(e).__name__}: {e}")
            data = pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(w, "wb") as f:
                f.write(data)
        except BaseException:  # noqa: BLE001 - a broken pipe: the parent has gone or given up
            code = 1
        finally:
            os._exit(code)
    os.close(w)
    data = None
    try:
        data = _read_until(r, time.monotonic() + seconds)
    finally:
        os.close(r)
        if data is None:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if data is None:
        raise RNNParityError(f"{name}: reading its HDF5 structure did not finish in {seconds:.0f} s (a damaged "
                             "file can loop the HDF5 library forever): refused")
    if not data:
        why = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit {os.WEXITSTATUS(status)}"
        raise RNNParityError(f"{name}: the HDF5 library crashed reading it ({why}; a damaged file): refused")
    kind, value = pickle.loads(data)
    if kind == "refused":
        raise RNNParityError(value)
    if kind == "error":
        raise RuntimeError(f"reading {name} failed: {value}")
    return value


def _read_until(fd: int, deadline: float) -> bytes | None:
    """Everything written to fd until EOF, or None if the deadline passes first."""
    chunks = []
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
