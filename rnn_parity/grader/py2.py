"""Python 2 source made Python 3, in memory, with fissix (a maintained fork of lib2to3's 2to3).

    from rnn_parity.grader.py2 import to_python3
    source, fixers = to_python3(text, "min-char-rnn.py")   # fixers: ("print", "xrange") or () if already 3

A file that does not parse as Python 3 is converted whole. One that parses but uses Python 2 builtins it
does not define (`for t in xrange(n):` next to `print(...)`, which Python 2 ran too) gets only the fixers of
those names. Any other Python 3 file comes back unchanged. The fixers are 2to3's default set (print,
xrange, dict methods, except, raw_input, has_key, ...); they keep line numbers, so messages still point at the student's lines. Not converted: `/` between two ints,
which Python 2 floors and Python 3 does not (2to3 cannot know the operand types; min-char-rnn does
not rely on it). A file neither Python can parse is refused in one line naming the line.
"""
from __future__ import annotations

import ast



class SourceError(ValueError):  # child side: not RNNParityError, whose module imports the reference
    """The file parses neither as Python 3 nor as Python 2 (one-line message)."""


def _syntax_message(e: SyntaxError) -> str:
    return f"line {e.lineno}: cannot parse as Python 3 or Python 2: {e.msg}"


def to_python3(source: str, name: str = "<file>") -> tuple[str, tuple]:
    """(Python 3 source, names of the fixers that changed something); () when the source was Python 3."""
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
