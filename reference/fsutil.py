"""Writing files safely: the one home of atomic_write and check_writable (stdlib only).

Lives at the bottom of the import stack so that torch_impl (weight files), the trainer CLI
(plots, --save) and the grader (results.json, JUnit, HTML) share it without importing upward.
"""
from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Callable

from .errors import RNNParityError


def atomic_write(path, write: Callable | str | bytes) -> None:
    """Write `path` all at once: `write` is text, bytes, or a callable given the open binary file.

    The data goes to a temporary file next to `path`, is fsynced, then os.replace'd onto `path`.
    Same directory, so the replace is a rename on one filesystem: readers see the old file or the
    new one, never half of one. On any failure the temporary file is removed and the target untouched.
    """
    if isinstance(write, (str, bytes)):
        data = write.encode("utf-8") if isinstance(write, str) else write

        def write(f, data=data):
            f.write(data)
    path = os.fspath(path)
    if os.path.isdir(path):
        raise RNNParityError(f"cannot write {path}: it is a directory")
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    try:
        f = open(tmp, "xb")  # "x": never clobber; honours the umask, unlike mkstemp's 0600
    except OSError as e:
        raise RNNParityError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        with f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(e, OSError):
            raise RNNParityError(f"cannot write {path}: {e.strerror or e}") from None
        raise


def check_writable(path, what: str, suffixes: tuple[str, ...] | None = None) -> Path:
    """Fail early, with one line, if `path` cannot be written (checked before any long job starts)."""
    path = Path(path)
    if suffixes and path.suffix.lower() not in suffixes:
        raise RNNParityError(f"{what} {str(path)!r}: expected a file ending in {' or '.join(suffixes)}")
    if path.is_dir():
        raise RNNParityError(f"{what} {str(path)!r} is a directory")
    parent = path.parent if str(path.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise RNNParityError(f"{what} {str(path)!r}: {str(parent)!r} is a file, not a directory")
    if not parent.is_dir():
        raise RNNParityError(f"{what} {str(path)!r}: directory {str(parent)!r} does not exist")
    if path.exists() and not os.access(path, os.W_OK):
        raise RNNParityError(f"{what} {str(path)!r} is not writable")
    try:  # os.access is not enough (root, read-only mounts, /proc): try to create a file there
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".rnn-parity-probe-"):
            pass
    except OSError as e:
        raise RNNParityError(f"{what} {str(path)!r} is not writable: {e.strerror or e}") from None
    return path
