"""Python 2 source made Python 3, in memory, with fissix (a maintained fork of lib2to3's 2to3).

    from rnn_parity.grader.intake.py2 import to_python3
    source, fixers = to_python3(text, "min-char-rnn.py")   # fixers: ("print", "xrange") or () if already 3

A file that does not parse as Python 3 is converted whole. One that parses but uses Python 2 builtins it
does not define (`for t in xrange(n):` next to `print(...)`, which Python 2 ran too) gets only the fixers of
those names. Any other Python 3 file comes back unchanged. The fixers are 2to3's default set (print,
xrange, dict methods, except, raw_input, has_key, ...); they keep line numbers, so messages still point at
the student's lines. `/` keeps Python 2's meaning: classic_division(tree) makes every `a / b` of a Python 2
file a call of old_div, which floors when both operands are integers (ints, NumPy integers or integer arrays)
and divides exactly otherwise, decided at run time as futurize's old_div does (real LSTM homework computes
`H = b.shape[0] / 4`). A file with `from __future__ import division` keeps `/` as written. A file neither
Python can parse is refused in one line naming the line.
"""
from __future__ import annotations

import ast
import functools
import numbers



class SourceError(ValueError):  # child side: not RNNParityError, whose module imports the reference
    """The file parses neither as Python 3 nor as Python 2 (one-line message)."""


def _syntax_message(e: SyntaxError) -> str:
    return f"line {e.lineno}: cannot parse as Python 3 or Python 2: {e.msg}"


@functools.lru_cache(maxsize=16)
def to_python3(source: str, name: str = "<file>") -> tuple[str, tuple]:
    """(Python 3 source, names of the fixers that changed something); () when the source was Python 3.
    Memoized: a pure function of its arguments, and a grade converts one file up to three times (loading, then
    minchar's recognise and probe read its tree), at ~0.2 s a time for fissix's fixers."""
    try:
        leftovers = _python2_builtins(ast.parse(source))
        if not leftovers:
            return source, ()
        return _fix_leftovers(source, name, leftovers)
    except SyntaxError as e:
        py3_error = e
    from fissix import refactor
    from fissix.pgen2.parse import ParseError
    from fissix.pgen2.tokenize import TokenError

    applied: set = set()
    tool = _recording_tool(refactor.get_fixers_from_package("fissix.fixes"), applied)
    text = source if source.endswith("\n") else source + "\n"
    try:
        tree = tool.refactor_string(text, name)
    except ParseError as e:  # where Python 2 fails too: the line to fix
        line = e.context[1][0] if e.context and e.context[1] else py3_error.lineno
        if line == py3_error.lineno:
            raise SourceError(_syntax_message(py3_error)) from None
        lines = source.splitlines()
        text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        raise SourceError(f"line {line}: cannot parse as Python 3 or Python 2: invalid syntax: `{text[:60]}`") from None
    except (TokenError, IndentationError, SyntaxError):
        raise SourceError(_syntax_message(py3_error)) from None
    converted = str(tree)
    try:
        ast.parse(converted)
    except SyntaxError as e:
        raise SourceError(_syntax_message(e)) from None
    return converted, tuple(sorted(applied))


# Python 2 builtins Python 3 lacks -> the fissix fixer that rewrites them
PY2_BUILTINS = {"xrange": "xrange", "raw_input": "raw_input", "unicode": "unicode", "unichr": "unicode",
                "basestring": "basestring", "long": "long", "reduce": "reduce"}


def _python2_builtins(tree) -> set:
    """Python 2 builtins the code reads and never defines itself."""
    from .definitions import free_names

    return free_names(tree) & set(PY2_BUILTINS)


def _fix_leftovers(source: str, name: str, leftovers: set) -> tuple[str, tuple]:
    """A Python 3 parseable file with Python 2 builtins: only their fixers, print() left as a function."""
    fixers = sorted({f"fissix.fixes.fix_{PY2_BUILTINS[n]}" for n in leftovers})
    applied: set = set()
    text = source if source.endswith("\n") else source + "\n"
    try:
        converted = str(_recording_tool(fixers, applied, {"print_function": True}).refactor_string(text, name))
        ast.parse(converted)
    except Exception:  # noqa: BLE001 - fissix cannot read it: leave the file as written (it fails where it uses them)
        return source, ()
    return converted, tuple(sorted(applied))


def _recording_tool(fixers: list, applied: set, options: dict | None = None):
    """A fissix RefactoringTool over `fixers` that adds to `applied` the short name of each fixer that
    changes something (the report names them)."""
    from fissix import refactor

    class Tool(refactor.RefactoringTool):
        def get_fixers(self):
            pre, post = super().get_fixers()
            for fixer in pre + post:
                _record(fixer, applied)
            return pre, post

    return Tool(fixers, options)


def _record(fixer, applied: set):
    """Wrap fixer.transform so that a fixer which changes the tree is remembered by its short name."""
    name = type(fixer).__module__.rsplit(".", 1)[-1].removeprefix("fix_")
    transform = fixer.transform

    def recording(node, results):
        before = str(node)
        new = transform(node, results)
        if new is not None or str(node) != before:
            applied.add(name)
        return new

    fixer.transform = recording


def old_div(a, b):
    """Python 2's `a / b`: floor division when both are integers (NumPy integers and integer arrays too)."""
    def integral(x):
        if isinstance(x, numbers.Integral):  # int, bool, NumPy integer scalars
            return True
        return getattr(getattr(x, "dtype", None), "kind", "") in ("i", "u", "b")
    return a // b if integral(a) and integral(b) else a / b


class _ClassicDivision(ast.NodeTransformer):
    """`a / b` -> old_div(a, b), and `name /= b` -> `name = old_div(name, b)`, line numbers kept."""

    def _old_div(self, node, left, right):
        module = ast.Call(func=ast.Name(id="__import__", ctx=ast.Load()), args=[ast.Constant(__name__)],
                          keywords=[ast.keyword(arg="fromlist", value=ast.List(elts=[ast.Constant("old_div")],
                                                                               ctx=ast.Load()))])
        func = ast.Attribute(value=module, attr="old_div", ctx=ast.Load())
        return ast.copy_location(ast.Call(func=func, args=[left, right], keywords=[]), node)

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Div):
            return self._old_div(node, node.left, node.right)
        return node

    def visit_AugAssign(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Div) and isinstance(node.target, ast.Name):
            load = ast.copy_location(ast.Name(id=node.target.id, ctx=ast.Load()), node.target)
            return ast.copy_location(ast.Assign(targets=[node.target], value=self._old_div(node, load, node.value)),
                                     node)
        return node


def classic_division(tree: ast.Module) -> int:
    """Rewrite the `/` of a Python 2 module's tree in place (see the module docstring); the number rewritten.
    Nothing changes under `from __future__ import division`."""
    for stmt in tree.body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__" and any(
                a.name == "division" for a in stmt.names):
            return 0
    count = sum(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div) or
                isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Div) and isinstance(n.target, ast.Name)
                for n in ast.walk(tree))
    if count:
        _ClassicDivision().visit(tree)
        ast.fix_missing_locations(tree)
    return count
