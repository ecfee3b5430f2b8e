"""No answer key: the submission may not import the grader's reference or an autodiff library.

Two halves of one rule, standard library only (the child imports this next to the student's code):
- `scan(source)`: before anything runs, the parent reads the file's AST for such imports and refuses
  with the line (`import rnn_parity.reference`, `from torch import ...`, `__import__("jax")`,
  `importlib.import_module("autograd")`).
- `ImportGuard`: in the child, a sys.meta_path finder installed before the student's module loads
  refuses the same imports at run time (a dynamic name the AST cannot see). It is a tripwire, not a
  wall: code in the same process can remove it. The wall is the bubblewrap sandbox, where these
  packages are not in the filesystem at all (rnn_parity.grader.isolation.sandbox).
"""
from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import sys
import types

# Top-level packages a hand-written RNN has no business importing: the answer key and autodiff.
AUTODIFF = ("torch", "torchgen", "functorch", "jax", "jaxlib", "autograd", "tensorflow", "keras", "tf_keras",
            "tinygrad", "mxnet", "chainer", "cupy", "paddle", "mlx", "theano", "micrograd")
ANSWER_KEY = "rnn_parity"
FORBIDDEN = (ANSWER_KEY,) + AUTODIFF


class ForbiddenImport(ImportError):
    """Raised by ImportGuard; the child turns it into the `forbidden_import` verdict."""


def top_level(module: str) -> str:
    return module.split(".", 1)[0]


def is_forbidden(module: str) -> bool:
    return top_level(module) in FORBIDDEN


def why(module: str) -> str:
    """The verdict's words for one forbidden import."""
    if top_level(module) == ANSWER_KEY:
        shown = module if module.startswith("rnn_parity.") else "rnn_parity.reference"
        return f"the submission imports {shown}, which holds the answers"
    return (f"the submission imports {module}, an automatic-differentiation library: the grade checks "
            "hand-written forward and backward passes")


def scan(source: str, filename: str = "<submission>") -> list:
    """[(line, module)] for every forbidden import the file's AST shows; [] if none (or it does not parse:
    the child then reports the syntax error itself). An autodiff library that is only imported at the top
    level and used by no function or class (`inert_imports`) is not counted: course notebooks import
    tensorflow for cells the grade never runs."""
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError):
        return []
    inert = set(_inert(tree))
    found = []
    for node in ast.walk(tree):
        names: list = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) and _callee(node.func) in ("__import__", "import_module"):
            names = [node.args[0].value]
        found += [(node.lineno, n) for n in names if is_forbidden(n) and not (
            isinstance(node, (ast.Import, ast.ImportFrom)) and top_level(n) in inert)]
    return sorted(found)


def inert_imports(source: str, filename: str = "<submission>") -> list:
    """Top-level names of the autodiff libraries the file imports only with top-level import statements
    whose names no function, class or lambda uses: the child gives those an inert stand-in instead of
    refusing the file. Never the answer key."""
    try:
        return sorted(_inert(ast.parse(source, filename)))
    except (SyntaxError, ValueError):
        return []


def _inert(tree) -> set:
    top: dict = {}  # library -> names its top-level imports bind
    nested = set()  # libraries imported anywhere else (inside a def, dynamically)
    top_nodes = set(map(id, _module_level(tree.body)))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for mod in mods:
                lib = top_level(mod)
                if lib not in AUTODIFF or (isinstance(node, ast.ImportFrom) and node.level):
                    continue
                if id(node) not in top_nodes:
                    nested.add(lib)
                    continue
                bound = ([(a.asname or a.name).split(".")[0] for a in node.names] if isinstance(node, ast.Import)
                         else [a.asname or a.name for a in node.names])
                top.setdefault(lib, set()).update(bound)
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            used |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    return {lib for lib, names in top.items() if lib not in nested and "*" not in names and not names & used}


def _module_level(body: list):
    for node in body:
        yield node
        if isinstance(node, (ast.If, ast.Try, ast.With)):
            blocks = [node.body, getattr(node, "orelse", [])]
            if isinstance(node, ast.Try):
                blocks += [node.finalbody] + [h.body for h in node.handlers]
            for block in blocks:
                yield from _module_level(block)


def _callee(func) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


class _Inert:
    """What an inert library hands out: anything may be looked up, nothing may be called."""

    def __init__(self, path: str):
        self._path = path

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Inert(f"{self._path}.{name}")

    def __call__(self, *args, **kwargs):
        raise ForbiddenImport(why(self._path))

    def __repr__(self):
        return f"<inert stand-in for {self._path}>"


class _InertModule(types.ModuleType):
    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Inert(f"{self.__name__}.{name}")


class _InertLoader(importlib.abc.Loader):
    def create_module(self, spec):
        module = _InertModule(spec.name)
        module.__path__ = []  # a package, so `from tensorflow.keras.models import Model` imports
        return module

    def exec_module(self, module):
        pass


class ImportGuard:
    """A meta-path finder that refuses forbidden modules not already imported (the child's own
    rnn_parity.grader modules are loaded before it is installed, so they keep working). Libraries in
    `inert` (see inert_imports) import as stand-ins that refuse to run: never the real library."""

    def __init__(self, inert=()):
        self.refused: list = []  # what was asked for, in order
        self.inert = frozenset(inert) - {ANSWER_KEY}
        self.stood_in: list = []

    def find_spec(self, fullname, path=None, target=None):
        if top_level(fullname) in self.inert:
            if top_level(fullname) not in self.stood_in:
                self.stood_in.append(top_level(fullname))
            return importlib.machinery.ModuleSpec(fullname, _InertLoader(), is_package=True)
        if is_forbidden(fullname):
            self.refused.append(fullname)
            raise ForbiddenImport(why(fullname))
        return None

    @classmethod
    def install(cls, inert=()) -> ImportGuard:
        guard = cls(inert)
        sys.meta_path.insert(0, guard)
        return guard
