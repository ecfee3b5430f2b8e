"""Loading and calling the student's code inside the child process, shared by every protocol.

Everything here runs next to the student's code and exchanges plain NumPy arrays only: it never
imports rnn_parity.reference (the answer key) or torch.
"""
from __future__ import annotations

import inspect
import sys
import traceback

import numpy as np

class GradeError(Exception):
    """The implementation cannot be graded: kind is one of not_found, signature, shapes, exception, exit."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


class Progress:
    """Writes what the child is doing right now, so a time limit can say where it struck."""

    def __init__(self, path):
        self.path = path
        self.stage = "starting"

    def set(self, stage: str):
        self.stage = stage
        try:
            with open(self.path, "w") as f:
                f.write(stage)
        except OSError:
            pass


def _where_in_student(tb, student_file: str) -> str:
    """' (line N of impl.py, in f: `code`)' for the deepest frame in the student's files, or ''.

    The student's files are the graded file and its siblings (modules it imports from its folder).
    """
    import os

    folder = os.path.dirname(os.path.abspath(student_file)) + os.sep
    mine = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frames = [f for f in traceback.extract_tb(tb)
              if f.filename == student_file or (os.path.abspath(f.filename).startswith(folder)
                                                 and not os.path.abspath(f.filename).startswith(mine))]
    if not frames:
        return ""
    f = frames[-1]
    line = (f.line or "").strip()
    name = os.path.basename(f.filename)
    return f" (line {f.lineno} of {name}, in {f.name}: `{line}`)" if line else f" (line {f.lineno} of {name})"


def call_student(progress: Progress, student_file: str, stage: str, fn, *args):
    """Run student code; anything it raises (SystemExit included) becomes a GradeError."""
    progress.set(stage)
    try:
        return fn(*args)
    except SystemExit as e:
        raise GradeError("exit", f"{stage}: the implementation called sys.exit({e.code!r})"
                         + _where_in_student(e.__traceback__, student_file)) from None
    except KeyboardInterrupt:
        raise GradeError("exception", f"{stage}: the implementation raised KeyboardInterrupt") from None
    except GradeError:
        raise
    except BaseException as e:  # noqa: BLE001 - the student's code may raise anything
        raise GradeError("exception", f"{stage}: {type(e).__name__}: {e}"
                         + _where_in_student(e.__traceback__, student_file)) from None


def signature_ok(fn, *args) -> bool:
    try:
        inspect.signature(fn).bind(*args)
        return True
    except TypeError:
        return False
    except ValueError:  # no signature available (builtins): let the call decide
        return True


def signature_text(fn) -> str:
    try:
        return f"{fn.__name__}{inspect.signature(fn)}"
    except (TypeError, ValueError):
        return getattr(fn, "__name__", repr(fn))


def as_float_array(value, what: str) -> np.ndarray:
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise GradeError("shapes", f"{what} is not a numeric array ({type(value).__name__}): {e}") from None
    return arr


def step_list(value, T: int, what: str) -> list:
    """A per-step sequence as a list of T items: list/tuple, dict {t: ...} or an array with T rows."""
    if isinstance(value, dict):
        keys = sorted(k for k in value if isinstance(k, (int, np.integer)) and k >= 0)
        if len(keys) != T:
            raise GradeError("shapes", f"{what} is a dict with {len(keys)} time-step entries, expected {T}")
        return [value[k] for k in keys]
    if isinstance(value, (list, tuple)):
        if len(value) != T:
            raise GradeError("shapes", f"{what} has {len(value)} steps, expected {T} (one per input)")
        return list(value)
    arr = as_float_array(value, what)
    if arr.ndim >= 1 and arr.shape[0] == T:
        return list(arr)
    raise GradeError("shapes", f"{what} has shape {arr.shape}; expected {T} per-step outputs")


def column_vector(value, n: int, what: str) -> np.ndarray:
    arr = as_float_array(value, what)
    if arr.size != n or (arr.ndim == 2 and 1 not in arr.shape) or arr.ndim > 2:
        raise GradeError("shapes", f"{what} has shape {arr.shape}, expected ({n}, 1)")
    return arr.reshape(n)


def steps_matrix(value, T: int, n: int, what: str) -> np.ndarray:
    items = step_list(value, T, what)
    return np.stack([column_vector(v, n, f"{what} at step {t}") for t, v in enumerate(items)])


def looks_like_probs(out: np.ndarray) -> bool:
    """Every row nonnegative and summing to 1: softmax probabilities rather than logits."""
    out = np.atleast_2d(out)
    return bool(np.all(out >= 0) and np.allclose(out.sum(axis=-1), 1.0, rtol=0, atol=1e-9))


def canonical_grad(value, canon: str, what: str) -> np.ndarray:
    """A gradient as a float array; bias columns (n, 1) become (n,). Wrong shapes are kept (they fail)."""
    arr = as_float_array(value, what)
    if canon in ("bh", "by") and arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    return arr


def describe_value(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (tuple, list)):
        inner = ", ".join(describe_value(v) if isinstance(v, (np.ndarray, tuple, list)) else type(v).__name__
                          for v in value[:4])
        return f"a {type(value).__name__} of {len(value)} ({inner}{', ...' if len(value) > 4 else ''})"
    return type(value).__name__


def student_file_of(module) -> str:
    return getattr(module, "__file__", "") or ""


def import_student(path: str, progress: Progress):
    """Import the student's file as module `student_impl` (never as __main__)."""
    import importlib.util

    progress.set("importing the file")
    spec = importlib.util.spec_from_file_location("student_impl", path)
    if spec is None or spec.loader is None:
        raise GradeError("not_found", f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules["student_impl"] = module
    call_student(progress, path, "importing the file", spec.loader.exec_module, module)
    return module
