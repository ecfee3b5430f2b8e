"""No answer key: the submission may not import the grader's reference or an autodiff library.

Two halves of one rule, standard library only (the child imports this next to the student's code):
- `scan(source)`: before anything runs, the parent reads the file's AST for such imports and refuses
  with the line (`import rnn_parity.reference`, `from torch import ...`, `__import__("jax")`,
  `importlib.import_module("autograd")`).
- `ImportGuard`: in the child, a sys.meta_path finder installed before the student's module loads
  refuses the same imports at run time (a dynamic name the AST cannot see). It is a tripwire, not a
  wall: code in the same process can remove it. The wall is the bubblewrap sandbox, where these
  packages are not in the filesystem at all (rnn_parity.grader.sandbox).
"""
from __future__ import annotations

import ast
import sys

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
    the child then reports the syntax error itself)."""
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError):
        return []
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
        found += [(node.lineno, n) for n in names if is_forbidden(n)]
    return sorted(found)


def _callee(func) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


class ImportGuard:
    """A meta-path finder that refuses forbidden modules not already imported (the child's own
    rnn_parity.grader modules are loaded before it is installed, so they keep working)."""

    def __init__(self):
        self.refused: list = []  # what was asked for, in order

    def find_spec(self, fullname, path=None, target=None):
        if is_forbidden(fullname):
            self.refused.append(fullname)
            raise ForbiddenImport(why(fullname))
        return None

    @classmethod
    def install(cls) -> ImportGuard:
        guard = cls()
        sys.meta_path.insert(0, guard)
        return guard
