"""How a mutant of the reference is made and applied: an Edit replaces one exact source snippet of a
reference module, a Mutant groups the edits of one mistake with its explanation, and `applied(...)`
swaps the mutated modules in for a `with` block. The catalogue itself is rnn_parity/mutants.py.

NumPy only: importing this module never imports torch.
"""
from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import sys
import types
from dataclasses import dataclass, field


class CatalogDriftError(AssertionError):
    """A mutant's correct snippet no longer occurs exactly once in the reference: update the catalog."""


@dataclass(frozen=True)
class Edit:
    module: str
    correct: str
    wrong: str


@dataclass(frozen=True)
class Mutant:
    id: str
    mistake: str  # one sentence, shown as the diagnosis
    explanation: str  # why it is wrong and what it does to the results
    module: str  # e.g. "rnn_parity.reference.layers"
    correct: str  # the exact reference snippet (occurs exactly once in the module's source)
    wrong: str  # what replaces it
    math_correct: str = ""  # the line of math, column-vector notation as in the seeds
    math_wrong: str = ""
    shows_in: str = "gradients"  # which results reveal it (for people reading the catalog)
    extra_edits: tuple = field(default_factory=tuple)  # more Edit()s: the same mistake elsewhere (fused.py)
    graded: bool = True  # False: the grader's plans (plain SGD) cannot show it; the parity suite must
    cell: str = "rnn"  # whose catalogue: "rnn" (the RNN and the shared code: loss, optimizers...), "lstm", "gru"

    @property
    def edits(self) -> tuple:
        return (Edit(self.module, self.correct, self.wrong),) + tuple(self.extra_edits)

    def wrong_line(self) -> str:
        """The first line of the wrong snippet that differs from the correct one (what to show)."""
        right = {ln.strip() for ln in self.correct.splitlines()}
        for ln in self.wrong.splitlines():
            if ln.strip() and ln.strip() not in right:
                return ln.strip()
        return self.wrong.strip().splitlines()[0]

    def correct_line(self) -> str:
        wrong = {ln.strip() for ln in self.wrong.splitlines()}
        for ln in self.correct.splitlines():
            if ln.strip() and ln.strip() not in wrong:
                return ln.strip()
        return self.correct.strip().splitlines()[0]


def mutated_sources(*mutants: Mutant) -> dict[str, str]:
    """module name -> its source with every edit of `mutants` applied (each checked to match exactly once)."""
    sources: dict[str, str] = {}
    for mutant in mutants:
        for edit in mutant.edits:
            if edit.module not in sources:
                sources[edit.module] = inspect.getsource(importlib.import_module(edit.module))
            src = sources[edit.module]
            count = src.count(edit.correct)
            if count != 1:
                raise CatalogDriftError(
                    f"mutant {mutant.id}: the correct snippet occurs {count} times in {edit.module} "
                    f"(expected exactly once); the catalog has drifted from the reference:\n{edit.correct}")
            sources[edit.module] = src.replace(edit.correct, edit.wrong)
    return sources


def compatible(a: Mutant, b: Mutant) -> bool:
    """Whether two mutants can be applied together (their edits do not overlap)."""
    if a.id == b.id:
        return False
    try:
        mutated_sources(a, b)
        return True
    except CatalogDriftError:
        return False


@functools.lru_cache(maxsize=256)
def _compiled(source: str, filename: str):
    """A mutated module's code object, compiled once: code objects are immutable, and a grade's diagnosis
    applies the same mutants dozens of times (each replay a fresh module executed from this code)."""
    return compile(source, filename, "exec")


def _new_module(name: str, source: str, tag: str) -> types.ModuleType:
    original = sys.modules[name]
    mod = types.ModuleType(name, original.__doc__)
    mod.__package__ = original.__package__
    mod.__file__ = original.__file__
    mod.__spec__ = original.__spec__
    exec(_compiled(source, f"<mutant {tag} of {name}>"), mod.__dict__)
    return mod


# Packages that never import rnn_parity, so no namespace of theirs holds the reference's functions: skipping
# them makes the scan below ~40x shorter (torch alone brings ~800 modules), which every diagnosis replay pays.
_CANNOT_HOLD = frozenset(sys.stdlib_module_names) | {"torch", "scipy", "numpy", "hypothesis", "matplotlib",
                                                      "keras", "h5py", "safetensors", "tqdm", "sympy", "_pytest",
                                                      "pluggy", "xdist", "execnet", "jinja2", "nbformat",
                                                      "nbclient", "jupyter_client", "zmq", "tornado", "IPython"}


@functools.lru_cache(maxsize=64)
def _holders(modules: tuple, targets: frozenset) -> tuple:
    """(module, attribute, value) for every module attribute among `modules` whose value's id is in `targets`
    (the functions and classes of one mutated module).

    Cached on the module objects themselves (the key keeps them alive, so no id is reused while it stands):
    a diagnosis applies mutants dozens of times with sys.modules unchanged, and the scan of a test worker's
    ~3,000 modules cost 2 ms each time. A module imported since makes a new key; an attribute bound later in
    a module already scanned is not seen (module-level imports bind at import time)."""
    found = []
    for module in modules:
        name = getattr(module, "__name__", None)
        if not isinstance(name, str) or name.partition(".")[0] in _CANNOT_HOLD:
            continue
        try:
            namespace = vars(module)
        except TypeError:
            continue
        for attr, value in list(namespace.items()):
            if id(value) in targets:
                found.append((module, attr, value))
    return tuple(found)


@contextlib.contextmanager
def applied(*mutants: Mutant):
    """Run the reference with the mistakes of `mutants` (one or several) until the block ends.

    Each mutated module is compiled from its source with the snippet replaced, into a fresh module
    object with the same __name__ and __package__. Every module attribute anywhere that `is` one of
    the original module's functions or classes is then pointed at its mutated counterpart; all of it
    is restored on exit, exceptions included. Not re-entrant for the same module.
    """
    if not mutants:
        yield
        return
    tag = "+".join(m.id for m in mutants)
    sources = mutated_sources(*mutants)
    modules = tuple(sys.modules.values())
    replacements: dict[int, tuple[object, object]] = {}
    holders: list = []
    for name, source in sources.items():
        original = sys.modules[name]
        mutated = _new_module(name, source, tag)
        ids: set = set()
        for attr, obj in vars(original).items():
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and getattr(obj, "__module__", None) == name:
                new = mutated.__dict__.get(attr)
                if new is not None:
                    replacements[id(obj)] = (obj, new)
                    ids.add(id(obj))
        holders += _holders(modules, frozenset(ids))
    patched: list[tuple[object, str, object]] = []
    try:
        for module, attr, value in holders:
            if vars(module).get(attr) is value:  # still holds it (a holder found earlier may have moved on)
                patched.append((module, attr, value))
                setattr(module, attr, replacements[id(value)][1])
        yield
    finally:
        for module, attr, value in reversed(patched):
            setattr(module, attr, value)
