"""A Jupyter notebook as a Python file the grader can run (grading it is rnn_parity.grader.core's job).

    from rnn_parity.grader.intake.notebook import convert
    conv = convert("homework.ipynb")                       # definitions only
    conv = convert("homework.ipynb", run_all_cells=True)   # every code cell, in order

Default mode keeps what defines the implementation and nothing else, chosen statement by statement
through the AST: imports, function and class definitions, and assignments of constants (literals,
and expressions built from them, other constants, imported modules and a few pure built-ins). A
cell that loads data, trains for 1000 epochs or plots does not run. `run_all_cells` keeps every
code cell instead, like Jupyter's "Run All". In both modes shell and magic lines (`!pip ...`,
`%matplotlib inline`) are skipped with a note.

The generated file runs in the grader's child process, with its time limit and output cap, from the
notebook's folder (so relative data paths and sibling modules resolve as in Jupyter). Messages that
point into the generated file are mapped back to "code cell N, line L"; a NameError for a global
that only a skipped cell builds becomes a message naming it and suggesting --run-all-cells.

Nothing here imports the student's code; nbformat reads the file.
"""
from __future__ import annotations

import ast
import os
import re
import tempfile
from dataclasses import dataclass, field

from ...errors import RNNParityError
from . import definitions as D

SUFFIX = ".ipynb"
# Cell magics whose body is ordinary Python; any other %%magic cell is skipped.
PYTHON_BODY_CELL_MAGICS = ("time", "capture")
DEFINITIONS = "definitions"
ALL_CELLS = "all cells"



class NotebookError(RNNParityError):
    """The notebook cannot be read or turned into Python (one-line message)."""


@dataclass
class Skipped:
    cell: int  # code cell number, 1-based
    line: int  # line within the cell, 1-based
    text: str  # the first source line of the statement


@dataclass
class Converted:
    """A notebook turned into a Python file, with what is needed to map messages back."""

    notebook: str
    path: str  # the generated .py
    mode: str  # DEFINITIONS | ALL_CELLS
    code_cells: int = 0
    line_map: dict = field(default_factory=dict)  # line of the .py -> (code cell, line in the cell)
    kept_cells: list = field(default_factory=list)  # code cells with at least one statement kept
    skipped_statements: int = 0
    skipped_cells: list = field(default_factory=list)  # code cells left out entirely (definitions mode)
    cells_with_skipped: list = field(default_factory=list)  # code cells with a statement left out
    magic_lines: list = field(default_factory=list)  # Skipped: shell and magic lines
    ipython_lines: list = field(default_factory=list)  # Skipped: line magics run through IPython (all cells)
    syntax_errors: list = field(default_factory=list)  # (cell, message)
    python2_cells: list = field(default_factory=list)  # code cells converted from Python 2 (fissix)
    built_by_skipped: dict = field(default_factory=dict)  # global name -> Skipped (statement that binds it)

    def notes(self) -> list:
        nb = os.path.basename(self.notebook)
        out = []
        if self.mode == DEFINITIONS:
            kept = f" from {_cell_list(self.kept_cells)}" if self.kept_cells else ""
            msg = (f"notebook {nb} ({self.code_cells} code cells): ran only its definitions (imports, functions, "
                   f"classes, constants){kept}")
            if self.skipped_statements:
                n = self.skipped_statements
                msg += (f"; skipped {n} other top-level statement{'s' if n != 1 else ''} in "
                        f"{_cell_list(self.cells_with_skipped)} (--run-all-cells runs every cell)")
            out.append(msg)
        else:
            out.append(f"notebook {nb}: ran all {self.code_cells} code cells in order (--run-all-cells)")
        if self.magic_lines:
            shown = "; ".join(f"`{_short(s.text, 40)}` (code cell {s.cell})" for s in self.magic_lines[:4])
            more = f" and {len(self.magic_lines) - 4} more" if len(self.magic_lines) > 4 else ""
            n = len(self.magic_lines)
            out.append(f"skipped {n} shell/magic line{'s' if n != 1 else ''} that plain Python cannot run: "
                       f"{shown}{more}")
        if self.ipython_lines:
            shown = "; ".join(f"`{_short(s.text, 40)}` (code cell {s.cell})" for s in self.ipython_lines[:4])
            n = len(self.ipython_lines)
            out.append(f"ran {n} line magic{'s' if n != 1 else ''} through IPython: {shown}")
        if self.python2_cells:
            out.append(f"converted {_cell_list(self.python2_cells)} from Python 2 in memory (2to3's fixers, fissix)")
        for cell, message in self.syntax_errors:
            out.append(f"code cell {cell} does not parse ({message}): skipped")
        return out

    def where(self, py_line: int) -> str:
        cell_line = self.line_map.get(py_line)
        if cell_line is None:
            return f"line {py_line} of the generated file"
        return f"code cell {cell_line[0]}, line {cell_line[1]}"


# ----------------------------------------------------------------------------------------------
# Reading


def is_notebook(path) -> bool:
    return str(path).lower().endswith(SUFFIX)


def read_code_cells(path: str) -> list:
    """The source of every code cell, in order (nbformat 4 after upgrading older files)."""
    import nbformat

    try:
        nb = nbformat.read(path, as_version=4)
    except nbformat.reader.NotJSONError:
        raise NotebookError(f"{os.path.basename(path)} is not a notebook: not JSON") from None
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise NotebookError(f"{os.path.basename(path)} is not a valid notebook: {_first_line(str(e))}") from None
    except Exception as e:  # noqa: BLE001 - jsonschema's ValidationError and nbformat's own errors
        raise NotebookError(f"{os.path.basename(path)} is not a valid notebook: {type(e).__name__}: "
                            f"{_first_line(str(e))}") from None
    meta = nb.get("metadata", {}) or {}
    language = ((meta.get("kernelspec") or {}).get("language") or (meta.get("language_info") or {}).get("name")
                or "python")
    if str(language).lower() not in ("python", "python3", "ipython", "ipython3"):
        raise NotebookError(f"{os.path.basename(path)} is a {language} notebook, not a Python one")
    cells = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            src = cell.get("source", "")
            cells.append("".join(src) if isinstance(src, list) else str(src))
    return cells


# ----------------------------------------------------------------------------------------------
# Shell and magic lines

_SHELL_ASSIGN = re.compile(r"^\s*[A-Za-z_][\w.]*(\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*[!%]")


def _is_magic_line(stripped: str) -> bool:
    return (stripped.startswith(("!", "%")) or bool(_SHELL_ASSIGN.match(stripped))
            or (stripped.endswith("?") and not stripped.startswith("#"))
            or (stripped.startswith("?") and len(stripped) > 1))


def strip_magics(source: str, cell: int, ipython: list | None = None) -> tuple[str, list, str | None]:
    """(python source, skipped magic lines, why the whole cell is skipped or None); lines keep their numbers.

    Only a cell that does not parse as Python is rewritten, so a '%' or '!' inside a string stays.
    With a list for `ipython`, line magics (`%matplotlib inline`, `x = %time f()`) become IPython's own
    one-line translation (`get_ipython().run_line_magic(...)`), recorded there as Skipped; shell
    escapes (`!pip ...`) and help lines are still skipped: the grade must not install or run programs.
    """
    try:
        ast.parse(source)
        return source, [], None
    except SyntaxError:
        pass
    lines = source.split("\n")
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    skipped: list = []
    if first is not None and lines[first].lstrip().startswith("%%"):
        magic = lines[first].strip()[2:].split()[0] if lines[first].strip()[2:].split() else ""
        skipped.append(Skipped(cell, first + 1, lines[first].strip()))
        if magic not in PYTHON_BODY_CELL_MAGICS:
            return "", skipped, f"%%{magic} cell"
        lines[first] = ""
    for i, ln in enumerate(lines):
        stripped = ln.strip()
        if stripped and _is_magic_line(stripped) and not (skipped and skipped[0].line == i + 1):
            indent = ln[: len(ln) - len(ln.lstrip())]
            python = _ipython_line(stripped) if ipython is not None else None
            if python:
                ipython.append(Skipped(cell, i + 1, stripped))
                lines[i] = indent + python
                continue
            skipped.append(Skipped(cell, i + 1, stripped))
            lines[i] = f"{indent}pass  # rnn-parity: skipped shell/magic line"
    return "\n".join(lines), skipped, None


def _ipython_line(stripped: str) -> str | None:
    """IPython's one-line Python for a line magic, or None (shell escapes, help, anything multi-line)."""
    if "!" in stripped.split("%", 1)[0] or not ("%" in stripped and _is_magic_line(stripped)) \
            or stripped.startswith("%%") or stripped.endswith("?"):
        return None
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # no IPython where the notebook is converted: the line is skipped with a note
        return None
    python = TransformerManager().transform_cell(stripped + "\n").strip()
    return python if python and "\n" not in python and "get_ipython()" in python else None


def _from_python2(source: str) -> str | None:
    """The cell's source converted from Python 2 (same lines), or None when it is not Python 2 either."""
    from .py2 import SourceError, to_python3

    try:
        converted, fixers = to_python3(source)
    except SourceError:
        return None
    return converted.rstrip("\n") if fixers else None


# ----------------------------------------------------------------------------------------------
# Conversion


def convert(notebook: str, run_all_cells: bool = False, out_dir: str | None = None) -> Converted:
    """Write the notebook's Python (definitions only, or every cell) to OUT_DIR/<name>.ipynb.py."""
    cells = read_code_cells(notebook)
    out_dir = out_dir or tempfile.mkdtemp(prefix="rnn-parity-nb-")
    base = os.path.basename(notebook)
    conv = Converted(notebook=notebook, path=os.path.join(out_dir, base + ".py"),
                     mode=ALL_CELLS if run_all_cells else DEFINITIONS, code_cells=len(cells))
    mode = f"{conv.mode}, IPython" if run_all_cells else conv.mode  # rnn_parity.grader.intake.loading reads this
    header = [f"# Generated by rnn-parity from {base} ({mode}); lines map back to its code cells."]
    future: list = []  # `from __future__` imports must open the file
    body: list = []  # (text line, (cell, line) or None)
    scope = D.Scope()
    needs_display = False

    for n, raw in enumerate(cells, 1):
        source, magics, skip_why = strip_magics(raw, n, conv.ipython_lines if run_all_cells else None)
        conv.magic_lines += magics
        if skip_why:
            if not run_all_cells:
                conv.skipped_cells.append(n)
                conv.cells_with_skipped.append(n)
                conv.skipped_statements += 1
            continue
        if not source.strip():
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError as e:
            converted = _from_python2(source)  # a Python 2 notebook (`print x`): the cell converted, as a .py is
            if converted is None:
                if run_all_cells:
                    raise NotebookError(f"code cell {n} of {base} does not parse: {e.msg} (line {e.lineno})") from None
                conv.syntax_errors.append((n, f"{e.msg}, line {e.lineno}"))
                continue
            source, tree = converted, ast.parse(converted)
            conv.python2_cells.append(n)
        lines = source.split("\n")
        if run_all_cells:
            for s in tree.body:
                if D.is_future(s):
                    future.append((_segment_lines(lines, s)[0], (n, s.lineno)))
                    lines[s.lineno - 1] = "pass  # rnn-parity: moved to the top of the file"
            conv.kept_cells.append(n)
            body.append((f"# --- code cell {n} ---", None))
            body += [(ln, (n, i)) for i, ln in enumerate(lines, 1)]
            needs_display = needs_display or "display(" in source
            continue
        kept_any, dropped_here = False, 0
        taken: set = set()
        for s in tree.body:
            if D.is_future(s):
                future.append((_segment_lines(lines, s)[0], (n, s.lineno)))
                continue
            if D.keep(s, scope):
                if not kept_any:
                    body.append((f"# --- code cell {n} (definitions) ---", None))
                kept_any = True
                start = min([s.lineno] + [d.lineno for d in getattr(s, "decorator_list", [])])
                shared = any(o is not s and (o.lineno <= s.end_lineno and o.end_lineno >= start)
                             for o in tree.body)
                if shared:  # `a = 1; train()` on one line: keep only the statement itself
                    seg = ast.get_source_segment(source, s) or ""
                    body += [(ln, (n, start + i)) for i, ln in enumerate(seg.split("\n"))]
                else:
                    for i in range(start, s.end_lineno + 1):
                        if i not in taken:
                            body.append((lines[i - 1], (n, i)))
                            taken.add(i)
            else:
                if isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)):
                    continue  # skipped magic lines and bare strings: nothing to report
                dropped_here += 1
                for name in D.globals_bound(s):
                    scope.constants.discard(name)
                    if name not in scope.definitions and name not in scope.modules:
                        conv.built_by_skipped.setdefault(name, Skipped(n, s.lineno, lines[s.lineno - 1].strip()))
        conv.skipped_statements += dropped_here
        if dropped_here:
            conv.cells_with_skipped.append(n)
        if kept_any:
            conv.kept_cells.append(n)
        elif dropped_here:
            conv.skipped_cells.append(n)

    out = list(header)
    if future:
        for text, where in future:
            out.append(text)
            conv.line_map[len(out)] = where
    if needs_display:
        out += ["try:", "    from IPython.display import display", "except ImportError:",
                "    def display(*objs, **kwargs):  # Jupyter's display(), a no-op outside it", "        pass"]
    for text, where in body:
        out.append(text)
        if where is not None:
            conv.line_map[len(out)] = where
    with open(conv.path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    return conv


def _segment_lines(lines: list, stmt) -> list:
    return lines[stmt.lineno - 1: stmt.end_lineno]


def _cell_list(cells: list) -> str:
    if not cells:
        return ""
    return ("code cell " if len(cells) == 1 else "code cells ") + ", ".join(map(str, cells))


def _short(text: str, n: int) -> str:
    text = text.strip()
    return text if len(text) <= n else text[: n - 3] + "..."


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:200]
