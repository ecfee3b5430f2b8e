"""The protocol engine, child side: the Protocol base class and the Probe that calls the student's functions.

See the package docstring (rnn_parity.grader.protocols) for the interface. NumPy only: this runs next to
the student's code and never imports rnn_parity.reference.
"""
from __future__ import annotations

import contextlib
import inspect
import signal
import threading
from dataclasses import dataclass, field

import numpy as np

from .student import GradeError, Progress, call_student, describe_value


@dataclass
class Recognition:
    """How well a module fits a protocol: score 0 means not at all; found: the names that matched."""

    score: float
    found: list = field(default_factory=list)


@dataclass
class CheckSpec:
    """One check: its name (the student's names, without the d), the student function whose results it
    compares, and the observation keys it groups (the same keys on both sides)."""

    name: str
    function: str
    keys: list
    what: str = ""  # what the values are, for the detail of a failing check ("dx of rnn_step_backward")
    time_axis: int | None = None  # the values' time axis, if any: a failing check names the wrong steps
    # set: compare with the student's OWN observations under this key prefix (the finite differences of the
    # student's own forward), not with the answer key; tol: that comparison's tolerance. Never diagnosed.
    against: str = ""
    tol: float | None = None


class Protocol:
    """A student API the grader knows. Subclass it in a module of this package and list it in registry.py.

    Child side (runs next to the student's code; NumPy only): recognise, plan, probe.
    Parent side (runs in the grader; may import rnn_parity.reference, lazily, inside the methods): checks,
    expected, plus the class attribute `phrasing`.
    """

    name = ""
    title = ""  # what the file is, for the report ("CS231n rnn_layers.py functions")
    functions: tuple = ()  # the student functions it grades, for messages ("defines none of ...")
    # mutant id -> (wrong, correct): the catalogued mistake in this protocol's notation
    phrasing: dict = {}

    # --- child side

    def recognise(self, module) -> Recognition:
        raise NotImplementedError

    def plan(self, seed: int) -> dict:
        """The probe inputs: a pure function of the seed (NumPy's seeded generator), rebuilt on both sides."""
        raise NotImplementedError

    def probe(self, probe: "Probe", plan: dict) -> None:
        """Call the student's functions on the plan's inputs; record outputs with probe.record and what was
        found (layout, ...) in probe.info. Wrap each function's calls in `with probe.function(name, ...)`."""
        raise NotImplementedError

    # --- parent side

    def checks(self, plan: dict, info: dict) -> list:
        """The CheckSpecs in report order, for the functions the file has (info["functions"])."""
        raise NotImplementedError

    def expected_parts(self, plan: dict, info: dict) -> list:
        """Zero-argument callables, each returning the expected values of some keys (one per function group),
        computed through the reference (so that its mutants apply)."""
        raise NotImplementedError

    def expected(self, plan: dict, info: dict, lenient: bool = False) -> dict:
        """The right value of every observation key. lenient (mutant replays): a part that raises (a mutant
        that overflows there) leaves its keys out, and the rest still counts."""
        out = {}
        for part in self.expected_parts(plan, info):
            try:
                out.update(part())
            except Exception:  # noqa: BLE001
                if not lenient:
                    raise
        return out

    def describe(self, info: dict) -> str:
        return self.title

    def settle(self, plan: dict, info: dict, student: dict) -> list:
        """Parent side, before expected(): read from the student's observations what the answer key depends
        on (the GRU convention a forward implements), into info; returns notes for the report."""
        return []

    # extra mutants (rnn_parity.mutation.Mutant) the diagnosis tries besides rnn_parity.mutants.CATALOG;
    # one whose id the catalogue also has replaces the catalogue's there (it is written for this answer key)
    mutants: tuple = ()


def own_function(module, name: str):
    """The module's own function `name` (defined in the student's file, not imported), or None."""
    fn = getattr(module, name, None)
    if inspect.isfunction(fn) and getattr(fn, "__module__", None) == module.__name__:
        return fn
    return None


def parameter_names(fn) -> list:
    try:
        return [p.name for p in inspect.signature(fn).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []


def takes(fn, n: int) -> bool:
    """Whether fn can be called with n positional arguments."""
    try:
        inspect.signature(fn).bind(*range(n))
        return True
    except TypeError:
        return False
    except ValueError:
        return True


# One call on the probes' small arrays takes microseconds; a call still running after this many seconds is
# stuck (an endless loop): it fails its function's checks, and the other functions are still graded.
CALL_LIMIT_S = 5.0


class CallTimeout(BaseException):
    """Raised inside the student's code when a call runs past its time limit."""

    def __init__(self, seconds: float):
        super().__init__(f"did not finish within {seconds:g} s (an endless loop?)")


@contextlib.contextmanager
def time_limit(seconds: float):
    """SIGALRM after `seconds` raises CallTimeout in the running code (main thread, POSIX); else no limit.
    The whole child still has the grader's own time limit."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise CallTimeout(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Probe:
    """The child's handle on the student's module: calls functions, records observations, isolates crashes.

    obs: observation key -> float array (shape kept: a wrong shape fails its check by itself).
    info: what the child found; info["crashed"][fn] = "ValueError: ... (line 12 of impl.py, in f: `...`)";
    info["not_run"][fn] = why (a function before it in the same block failed).
    """

    def __init__(self, module, student_file: str, progress: Progress):
        self.module, self.file, self.progress = module, student_file, progress
        self.obs: dict = {}
        self.info: dict = {"functions": [], "crashed": {}, "not_run": {}, "notes": []}
        self._current: str | None = None

    def fn(self, name: str):
        fn = getattr(self.module, name, None)
        return fn if callable(fn) else None

    @contextlib.contextmanager
    def function(self, *names: str):
        """A block that calls `names` in order (a backward needs its forward's cache). A failure in the
        block is charged to the function being called, the later ones are 'not run'; the block ends, the
        next block still runs."""
        self._current = names[0]
        try:
            yield
        except (GradeError, Exception) as e:  # noqa: BLE001 - what the student returned may break our reading
            failed = self._current or names[0]
            self.info["crashed"][failed] = e.message if isinstance(e, GradeError) else (
                f"{failed}: what it returned could not be read ({type(e).__name__}: {e})")
            for later in names[names.index(failed) + 1:] if failed in names else ():
                self.info["not_run"].setdefault(later, f"not run: {failed} failed")
        finally:
            self._current = None

    def call(self, name: str, *args, label: str = ""):
        """Call the student's function `name` on args; anything it raises becomes a GradeError."""
        fn = self.fn(name)
        if fn is None:
            self._current = name
            raise GradeError("not_found", f"{name} is not defined")
        return self.call_as(name, fn, *args, label=label)

    def call_as(self, name: str, fn, *args, label: str = ""):
        """Call any callable of the student's (a method, a constructor) under the name its checks use
        ("RNN.backward"): a failure is charged to that name, and so is a call that runs past CALL_LIMIT_S."""
        self._current = name
        with time_limit(CALL_LIMIT_S):
            return call_student(self.progress, self.file, label or name, fn, *args)

    def fail(self, message: str):
        """The current function returned something unusable (not an exception of its own)."""
        raise GradeError("signature", message)

    def unpack(self, value, n: int, what: str) -> tuple:
        """A returned tuple of n values, or a failure naming what came back."""
        if not isinstance(value, (tuple, list)) or len(value) != n:
            self.fail(f"{what} must return {n} values; got {describe_value(value)}")
        return tuple(value)

    def record(self, key: str, value, what: str):
        """Store a float array. A value that is not numeric fails the current function; so does None, the
        course templates' placeholder (`dx, dh0, ... = None, None, ...`), which NumPy would read as NaN."""
        if value is None:
            self.fail(f"{what} is None: not computed yet (the template's `= None` placeholder is still there?)")
        try:
            arr = np.array(value, dtype=np.float64)
        except (TypeError, ValueError) as e:
            self.fail(f"{what} is not a numeric array ({type(value).__name__}): {e}")
        self.obs[key] = arr
        return arr

    def note(self, text: str):
        self.info["notes"].append(text)
