"""A Jupyter notebook as a Python file the grader can run (grading it is rnn_parity.grader.core's job).

    from rnn_parity.grader.notebook import convert
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

from ..errors import RNNParityError

SUFFIX = ".ipynb"
# Cell magics whose body is ordinary Python; any other %%magic cell is skipped.
PYTHON_BODY_CELL_MAGICS = ("time", "capture")
DEFINITIONS = "definitions"
ALL_CELLS = "all cells"

# Calls whose result counts as a constant when every argument is one (pure, cheap, no I/O).
SAFE_BUILTINS = frozenset({
    "abs", "all", "any", "bool", "bytes", "chr", "complex", "dict", "divmod", "enumerate", "float",
    "frozenset", "int", "len", "list", "max", "min", "ord", "pow", "range", "reversed", "round", "set",
    "slice", "sorted", "str", "sum", "tuple", "zip",
})
SAFE_CALLS = frozenset({
    "numpy.array", "numpy.asarray", "numpy.zeros", "numpy.ones", "numpy.full", "numpy.eye", "numpy.identity",
    "numpy.arange", "numpy.linspace", "numpy.float64", "numpy.float32", "numpy.int64", "numpy.int32",
    "numpy.dtype", "numpy.finfo", "numpy.iinfo", "numpy.sqrt", "numpy.log", "numpy.exp",
    "numpy.random.default_rng", "numpy.random.RandomState", "numpy.random.seed",
    "math.sqrt", "math.log", "math.exp", "math.ceil", "math.floor", "random.Random", "random.seed",
    "torch.manual_seed", "collections.OrderedDict", "collections.namedtuple",
})
SAFE_METHODS = frozenset({  # methods of constants (str, list, dict, arrays) that build new constants
    "split", "join", "lower", "upper", "strip", "replace", "format", "copy", "keys", "values", "items",
    "astype", "reshape", "index", "count", "startswith", "endswith",
})
SEEDING = frozenset({"numpy.random.seed", "random.seed", "torch.manual_seed"})  # kept as bare calls


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
    syntax_errors: list = field(default_factory=list)  # (cell, message)
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


def strip_magics(source: str, cell: int) -> tuple[str, list, str | None]:
    """(python source, skipped magic lines, why the whole cell is skipped or None); lines keep their numbers.

    Only a cell that does not parse as Python is rewritten, so a '%' or '!' inside a string stays.
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
            skipped.append(Skipped(cell, i + 1, stripped))
            lines[i] = f"{indent}pass  # rnn-parity: skipped shell/magic line"
    return "\n".join(lines), skipped, None


# ----------------------------------------------------------------------------------------------
# Which statements define the implementation


class _Scope:
    """What is known to be constant so far: names, imported modules (alias -> dotted name), definitions."""

    def __init__(self):
        self.constants: set = set()
        self.modules: dict = {}
        self.definitions: set = set()

    def known(self, name: str) -> bool:
        return name in self.constants or name in self.modules or name in self.definitions

    def dotted(self, node) -> str | None:
        """'numpy.random.default_rng' for np.random.default_rng (through import aliases), else None."""
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        head = self.modules.get(node.id)
        if head is None:
            return node.id if not parts else None
        return ".".join([head, *reversed(parts)])

    def add_import(self, node):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    self.modules[a.asname] = a.name
                else:
                    top = a.name.split(".")[0]
                    self.modules[top] = top
        else:
            base = ("." * node.level) + (node.module or "")
            for a in node.names:
                if a.name != "*":
                    self.modules[a.asname or a.name] = f"{base}.{a.name}"
        for a in node.names:
            self.constants.discard(a.asname or a.name.split(".")[0])


def _is_const(node, scope: _Scope, local: frozenset = frozenset()) -> bool:
    c = lambda n: _is_const(n, scope, local)  # noqa: E731
    if node is None or isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in local or scope.known(node.id)
    if isinstance(node, ast.Attribute):
        return c(node.value)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(c(e) for e in node.elts)
    if isinstance(node, ast.Starred):
        return c(node.value)
    if isinstance(node, ast.Dict):
        return all(c(k) for k in node.keys) and all(c(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return c(node.left) and c(node.right)
    if isinstance(node, ast.UnaryOp):
        return c(node.operand)
    if isinstance(node, ast.BoolOp):
        return all(c(v) for v in node.values)
    if isinstance(node, ast.Compare):
        return c(node.left) and all(c(x) for x in node.comparators)
    if isinstance(node, ast.IfExp):
        return c(node.test) and c(node.body) and c(node.orelse)
    if isinstance(node, ast.JoinedStr):
        return all(c(v) for v in node.values)
    if isinstance(node, ast.FormattedValue):
        return c(node.value) and c(node.format_spec)
    if isinstance(node, ast.Subscript):
        return c(node.value) and c(node.slice)
    if isinstance(node, ast.Slice):
        return c(node.lower) and c(node.upper) and c(node.step)
    if isinstance(node, ast.Lambda):  # a function definition written as an expression
        return all(c(d) for d in node.args.defaults) and all(c(d) for d in node.args.kw_defaults)
    if isinstance(node, ast.Call):
        args_ok = all(c(a) for a in node.args) and all(c(k.value) for k in node.keywords)
        if not args_ok:
            return False
        f = node.func
        if isinstance(f, ast.Name):
            if f.id in SAFE_BUILTINS and f.id not in scope.definitions and f.id not in scope.modules:
                return True
            return scope.modules.get(f.id) in SAFE_CALLS
        dotted = scope.dotted(f)
        if dotted in SAFE_CALLS:
            return True
        return isinstance(f, ast.Attribute) and f.attr in SAFE_METHODS and c(f.value) and scope.dotted(f) is None
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
        names = set(local)
        for gen in node.generators:
            if gen.is_async or not _is_const(gen.iter, scope, frozenset(names)):
                return False
            names |= _bound_names(gen.target)
            if not all(_is_const(i, scope, frozenset(names)) for i in gen.ifs):
                return False
        inner = frozenset(names)
        if isinstance(node, ast.DictComp):
            return _is_const(node.key, scope, inner) and _is_const(node.value, scope, inner)
        return _is_const(node.elt, scope, inner)
    return False


def _bound_names(target) -> set:
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        out = set()
        for e in target.elts:
            out |= _bound_names(e)
        return out
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    return set()  # attributes and subscripts bind no new global


def _simple_targets(targets) -> bool:
    def ok(t):
        if isinstance(t, ast.Name):
            return True
        if isinstance(t, (ast.Tuple, ast.List)):
            return all(ok(e) for e in t.elts)
        return isinstance(t, ast.Starred) and ok(t.value)
    return all(ok(t) for t in targets)


def _globals_bound(stmt) -> set:
    """Names a top-level statement binds in the module namespace (not inside functions or classes)."""
    out: set = set()

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
            return
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                out.add(a.asname or a.name.split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            out.add(node.name)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(stmt)
    return out


def _keep(stmt, scope: _Scope) -> bool:
    """Whether a top-level statement defines the implementation (and update the scope if so)."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        scope.add_import(stmt)
        return True
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        scope.definitions.add(stmt.name)
        scope.constants.discard(stmt.name)
        return True
    if isinstance(stmt, ast.Assign) and _simple_targets(stmt.targets) and _is_const(stmt.value, scope):
        for t in stmt.targets:
            scope.constants |= _bound_names(t)
        return True
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None \
            and _is_const(stmt.value, scope):
        scope.constants.add(stmt.target.id)
        return True
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name) \
            and stmt.target.id in scope.constants and _is_const(stmt.value, scope):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and scope.dotted(stmt.value.func) in SEEDING \
            and _is_const(stmt.value, scope):
        return True
    if isinstance(stmt, ast.Pass):
        return False
    if isinstance(stmt, ast.Try) and not getattr(stmt, "finalbody", None):
        # try: import x / except ImportError: x = None -- every branch made of definitions
        trial = _Scope()
        trial.constants, trial.modules, trial.definitions = set(scope.constants), dict(scope.modules), \
            set(scope.definitions)
        branches = [stmt.body, stmt.orelse] + [h.body for h in stmt.handlers]
        if all(_keep(s, trial) or isinstance(s, ast.Pass) for b in branches for s in b) \
                and all(h.type is None or _is_const(h.type, trial) for h in stmt.handlers):
            scope.constants, scope.modules, scope.definitions = trial.constants, trial.modules, trial.definitions
            return True
    return False


# ----------------------------------------------------------------------------------------------
# Conversion


def convert(notebook: str, run_all_cells: bool = False, out_dir: str | None = None) -> Converted:
    """Write the notebook's Python (definitions only, or every cell) to OUT_DIR/<name>.ipynb.py."""
    cells = read_code_cells(notebook)
    out_dir = out_dir or tempfile.mkdtemp(prefix="rnn-parity-nb-")
    base = os.path.basename(notebook)
    conv = Converted(notebook=notebook, path=os.path.join(out_dir, base + ".py"),
                     mode=ALL_CELLS if run_all_cells else DEFINITIONS, code_cells=len(cells))
    header = [f"# Generated by rnn-parity from {base} ({conv.mode}); lines map back to its code cells."]
    future: list = []  # `from __future__` imports must open the file
    body: list = []  # (text line, (cell, line) or None)
    scope = _Scope()
    needs_display = False

    for n, raw in enumerate(cells, 1):
        source, magics, skip_why = strip_magics(raw, n)
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
            if run_all_cells:
                raise NotebookError(f"code cell {n} of {base} does not parse: {e.msg} (line {e.lineno})") from None
            conv.syntax_errors.append((n, f"{e.msg}, line {e.lineno}"))
            continue
        lines = source.split("\n")
        if run_all_cells:
            for s in tree.body:
                if _is_future(s):
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
            if _is_future(s):
                future.append((_segment_lines(lines, s)[0], (n, s.lineno)))
                continue
            if _keep(s, scope):
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
                for name in _globals_bound(s):
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


def _is_future(stmt) -> bool:
    return isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"


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
