"""Modules a course's file imports but did not hand in: supplied from rnn-parity's own definitions (written
from the math, never copied from a course), or stood in for, only when the import would fail.

    rnn_utils      deeplearning.ai "Building your RNN - Step by Step": softmax, sigmoid
    utils          deeplearning.ai "Dinosaur Island": softmax, smooth, get_initial_loss, print_sample,
                   initialize_parameters, rnn_step_forward/backward, rnn_forward/backward, update_parameters
    cs231n.layers  CS231n's layers (affine, relu, sigmoid, softmax_loss) an rnn_layers.py may import
    common.np, common.config, common.functions, common.layers   "Deep Learning from Scratch 2": NumPy as np
                   (never cupy), its activations and layers, for a time_layers.py away from the book's folder
    public_tests, test_utils   the notebooks' own test helpers: supplied empty (their cells are not run)
    layer_objects  never supplied under its own name: the per-step objects (Tanh, Softmax, CrossEntropyLoss)
                   that tutorial classes such as seed 003's RNNModel take from a helper module not handed in

A module the file imports names from that ours does not define (the WildML tutorial's own `utils` with
`load_model_parameters_theano`) is not ours: it gets a stand-in like any other missing module.
The same module under another path (`from DeepLearning.CourseFive.utils import *`, `from layers import *`) is
supplied under that name. Any other missing module (tensorflow in the Dinosaur notebook's Shakespeare part,
w2v_utils, shakespeare_utils) gets a stand-in, so that the file's definitions load: a name taken from it
fails only where it is used, saying what is missing. A star import from a stand-in provides the helpers the
file uses without defining (softmax from `from my_helpers import *`), from the modules above; so does a
helper taken from it by name (`from my_helpers import softmax`, `my_helpers.softmax`), except from the
frameworks (keras' softmax is another function).

A notebook exported to .py runs its test cells at import, outside IPython: the course's test helpers it
calls (rnn_cell_forward_tests(...)) do nothing, and so does get_ipython() (its magics).

Child side: these modules import NumPy only, never rnn_parity.
"""
from __future__ import annotations

import ast
import builtins
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import types

from ...intake.definitions import free_names

HERE = os.path.dirname(os.path.abspath(__file__))
SUPPLIED = ("rnn_utils", "utils", "public_tests", "test_utils", "cs231n.layers", "common.np", "common.config",
            "common.functions", "common.layers")
WHOLE_PATH = "common."  # supplied only under that package (a bare `import config` is someone else's)
HELPERS = ("rnn_utils", "utils", "cs231n.layers", "layer_objects")  # where a name from a stand-in is found


def file_of(name: str) -> str:
    return os.path.join(HERE, *name.split(".")) + ".py"


def _parse(path: str):
    """The file's AST; a Python 2 file (the original min-char-rnn, the WildML tutorial) is read converted."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            source = f.read()
    except OSError:
        return None
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        pass
    try:
        from ...intake.py2 import to_python3

        return ast.parse(to_python3(source, os.path.basename(path))[0])
    except Exception:  # noqa: BLE001 - unparseable either way: the loader says why, in one line
        return None


def imports_of(tree) -> dict:
    """Absolute module names the file imports (any depth of the AST) -> whether some import of it is `*`."""
    out: dict = {}
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Import):
            for a in node.names:
                out.setdefault(a.name, False)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out[node.module] = out.get(node.module, False) or any(a.name == "*" for a in node.names)
    return out


def imported_names(path: str) -> set:
    """The top-level module names the file imports (any depth of the AST), {} if it does not parse."""
    return {m.split(".")[0] for m in imports_of(_parse(path))}


def names_from(tree, module: str) -> set:
    """The names the file takes by name (not `*`) from `module` (`from utils import a, b`)."""
    return {a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module == module
            and not node.level for a in node.names if a.name != "*"} if tree is not None else set()


def public_names(name: str) -> list:
    """What a supplied module gives: its `__all__` if it has one, else its public functions and classes."""
    tree = _parse(file_of(name))
    for n in tree.body:
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets):
            return list(ast.literal_eval(n.value))
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and not n.name.startswith("_")]


def _found(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a parent that is not a package, a broken parent
        return False


def _load_as(name: str, source_file: str):
    """Our module at source_file, registered as `name` (with empty parent packages where missing)."""
    parts = name.split(".")
    for i in range(1, len(parts)):
        parent = ".".join(parts[:i])
        if parent not in sys.modules:
            pkg = types.ModuleType(parent)
            pkg.__path__ = []
            sys.modules[parent] = pkg
    spec = importlib.util.spec_from_file_location(name, source_file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    if len(parts) > 1:
        setattr(sys.modules[".".join(parts[:-1])], parts[-1], module)
    return module


def _supplied_for(name: str) -> str | None:
    """The supplied module for an import of `name`: the same name, or the same last part (pkg.utils)."""
    if name in SUPPLIED:
        return name
    last = name.split(".")[-1]
    return next((s for s in SUPPLIED if s.split(".")[-1] == last
                 and (not s.startswith(WHOLE_PATH) or name.endswith("." + s))), None)


def supply_missing(path: str) -> list:
    """Make the imports the file makes and this Python cannot satisfy work, before the file is imported;
    returns the report's notes."""
    tree = _parse(path)
    wanted = imports_of(tree)
    notes, absent, star_from_absent = [], set(), False
    covered, star_from_found = set(), False  # names other star imports give; one from a real module
    # the modules we supply first: `from cs231n.layers import *` beside `from cs231n.gradient_check import ...`
    # supplies cs231n.layers, and only the rest of cs231n gets a stand-in
    for name in sorted(wanted, key=lambda n: (_supplied_for(n) is None, n)):
        top = name.split(".")[0]
        if name in sys.modules or top in absent or _found(top):
            star_from_found = star_from_found or (wanted[name] and top not in absent)
            continue
        ours = _supplied_for(name)
        if ours is not None and not names_from(tree, name) <= set(public_names(ours)):
            ours = None  # the file wants names ours lacks: another course's module of the same name
        if ours is None:
            absent.add(top)
            star_from_absent = star_from_absent or wanted[name]
            continue
        if wanted[name]:
            covered.update(public_names(ours))
        module = _load_as(name, file_of(ours))
        names = public_names(ours)
        under = "" if name == ours else f" as {name}"
        if names:
            notes.append(f"supplied {ours}{under} from rnn-parity's definitions: {', '.join(names)}")
            continue
        # the course's test helpers: the ones the file calls (a .py export runs its test cells) do nothing
        tests = sorted(n for n in free_names(tree) - covered if n.endswith(("_test", "_tests"))) if wanted[name] \
            else []
        for n in tests:
            setattr(module, n, _no_test)
        covered.update(tests)
        notes.append(f"supplied an empty {ours}{under} (the course's own test helpers are not part of grading)"
                     + (f"; {', '.join(tests)} do nothing" if tests else ""))
    if tree is not None and "get_ipython" in free_names(tree) and not hasattr(builtins, "get_ipython"):
        builtins.get_ipython = NoShell  # a notebook exported to .py: get_ipython().run_line_magic(...) lines
        notes.append("the file calls get_ipython() (a notebook exported to .py) outside IPython: its magics "
                     "(get_ipython().run_line_magic(...), .system(...)) were skipped")
    if absent:
        # a star import from a stand-in gives what the file uses and nothing else gives; nothing at all when
        # a real module's star import may give it (the student's own helpers win)
        provided = _helpers_for(free_names(tree) - covered) if star_from_absent and not star_from_found else {}
        by_name = _helpers_for(_taken_by_name(tree, absent - set(FRAMEWORKS)))
        sys.meta_path.append(StandIns(absent, provided, by_name))
        note = (f"not installed here, so stand-ins took their place (a name taken from them fails only where it "
                f"is used): {', '.join(sorted(absent))}")
        if provided:
            note += (f"; the file's star import from them gets {', '.join(sorted(provided))} from rnn-parity's "
                     "definitions")
        if by_name:
            note += f"; {', '.join(sorted(by_name))} taken from them by name: rnn-parity's definitions"
        notes.append(note)
    return notes


# Libraries whose functions share our helpers' names but not their meaning (keras' softmax is over the last
# axis): a name taken from their stand-ins is never filled in with ours.
FRAMEWORKS = ("tensorflow", "keras", "torch", "jax", "theano", "mxnet", "paddle", "tf_keras")


def _taken_by_name(tree, tops: set) -> set:
    """Names the file takes by name from the modules under `tops`: `from m import softmax`, `m.softmax`
    (with m bound by `import m [as m]` or `from pkg import m`)."""
    aliases, names = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases.update(a.asname or a.name for a in node.names if a.name.split(".")[0] in tops)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level \
                and node.module.split(".")[0] in tops:
            names.update(a.name for a in node.names if a.name != "*")
            aliases.update(a.asname or a.name for a in node.names if a.name != "*")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            names.add(node.attr)
    return names


def _helpers_for(names: set) -> dict:
    """name -> our definition, for the file's free names that one of our helper modules defines."""
    out = {}
    for helper in HELPERS:
        for n in public_names(helper):
            if n in names and n not in out:
                out[n] = (helper, n)
    if not out:
        return {}
    found = {}
    for n, (helper, attr) in out.items():
        module = sys.modules.get(f"_rnn_parity_supplied_{helper}") or _load_as(f"_rnn_parity_supplied_{helper}",
                                                                              file_of(helper))
        found[n] = getattr(module, attr)
    return found


class Missing:
    """What a stand-in module hands out: any use of it (call, index, iteration) raises ModuleNotFoundError
    naming the missing module; a class may still subclass it (the class is defined, its use fails)."""

    def __init__(self, name: str, top: str, helpers: dict | None = None):
        self._name, self._top, self._helpers = name, top, helpers or {}

    def _fail(self, *args, **kwargs):
        raise ModuleNotFoundError(f"{self._name}: the module {self._top!r} is not installed where rnn-parity "
                                  "grades (the file imports it; a stand-in took its place)")

    __call__ = __getitem__ = __iter__ = __len__ = __enter__ = _fail

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        if attr in self._helpers:  # `from pkg import helpers as h` then h.softmax: h may be a submodule
            return self._helpers[attr]
        return Missing(f"{self._name}.{attr}", self._top, self._helpers)

    def __mro_entries__(self, bases):
        return (object,)


def _no_test(*args, **kwargs):
    """A course test helper (rnn_cell_forward_tests(...)) called by the file's own test cells: grading does
    its own checks."""
    return None


class NoShell:
    """What get_ipython() returns to a notebook exported to .py and run outside IPython: every magic, shell
    command or attribute it asks for does nothing."""

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return lambda *args, **kwargs: None


class StandIns(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """A finder, last on sys.meta_path, for the missing top-level modules (and anything under them)."""

    def __init__(self, tops: set, provided: dict, by_name: dict | None = None):
        self.tops, self.provided, self.by_name = set(tops), dict(provided), dict(by_name or {})

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in self.tops:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        name, top = module.__name__, module.__name__.split(".")[0]
        module.__path__ = []
        module.__all__ = list(self.provided)  # `from it import *`: only what the file uses and we define
        module.__dict__.update(self.provided)
        helpers = {} if top in FRAMEWORKS else self.by_name
        module.__dict__.update(helpers)  # `from my_helpers import softmax`, `my_helpers.softmax`
        module.__getattr__ = lambda attr: Missing(f"{name}.{attr}", top, helpers) if not attr.startswith("__") \
            else _no_attr(attr)


def _no_attr(attr):
    raise AttributeError(attr)
