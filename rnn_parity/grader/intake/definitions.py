"""Which top-level statements define an implementation: the AST filter behind definitions-only loading.

Used for notebooks (rnn_parity.grader.intake.notebook, default mode) and for .py files that train at module
level (rnn_parity.grader.intake.loading: a min-char-rnn copy reads input.txt and loops forever). Kept:
imports, function and class definitions, assignments of constants (literals, and expressions built
from them, other constants, imported modules and a few pure built-ins), seeding calls, and
`try: import x / except ImportError: ...` blocks made only of those. Everything else is skipped.

Pure stdlib (ast); nothing here runs the code it reads.
"""
from __future__ import annotations

import ast
import builtins

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


class Scope:
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


def is_const(node, scope: Scope, local: frozenset = frozenset()) -> bool:
    c = lambda n: is_const(n, scope, local)  # noqa: E731
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
            if gen.is_async or not is_const(gen.iter, scope, frozenset(names)):
                return False
            names |= bound_names(gen.target)
            if not all(is_const(i, scope, frozenset(names)) for i in gen.ifs):
                return False
        inner = frozenset(names)
        if isinstance(node, ast.DictComp):
            return is_const(node.key, scope, inner) and is_const(node.value, scope, inner)
        return is_const(node.elt, scope, inner)
    return False


def bound_names(target) -> set:
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        out = set()
        for e in target.elts:
            out |= bound_names(e)
        return out
    if isinstance(target, ast.Starred):
        return bound_names(target.value)
    return set()  # attributes and subscripts bind no new global


def _simple_targets(targets) -> bool:
    def ok(t):
        if isinstance(t, ast.Name):
            return True
        if isinstance(t, (ast.Tuple, ast.List)):
            return all(ok(e) for e in t.elts)
        return isinstance(t, ast.Starred) and ok(t.value)
    return all(ok(t) for t in targets)


def globals_bound(stmt) -> set:
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


def keep(stmt, scope: Scope) -> bool:
    """Whether a top-level statement defines the implementation (and update the scope if so)."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        scope.add_import(stmt)
        return True
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        scope.definitions.add(stmt.name)
        scope.constants.discard(stmt.name)
        return True
    if isinstance(stmt, ast.Assign) and _simple_targets(stmt.targets) and is_const(stmt.value, scope):
        for t in stmt.targets:
            scope.constants |= bound_names(t)
        return True
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Attribute) \
            and isinstance(stmt.targets[0].value, ast.Name) and stmt.targets[0].value.id in scope.definitions \
            and isinstance(stmt.value, ast.Name) and stmt.value.id in scope.definitions:
        return True  # `RNNNumpy.bptt = bptt`: a method attached after its class (the WildML tutorial's style)
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None \
            and is_const(stmt.value, scope):
        scope.constants.add(stmt.target.id)
        return True
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name) \
            and stmt.target.id in scope.constants and is_const(stmt.value, scope):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and scope.dotted(stmt.value.func) in SEEDING \
            and is_const(stmt.value, scope):
        return True
    if isinstance(stmt, ast.Pass):
        return False
    if isinstance(stmt, ast.Try) and not getattr(stmt, "finalbody", None):
        # try: import x / except ImportError: x = None -- every branch made of definitions
        trial = Scope()
        trial.constants, trial.modules, trial.definitions = set(scope.constants), dict(scope.modules), \
            set(scope.definitions)
        branches = [stmt.body, stmt.orelse] + [h.body for h in stmt.handlers]
        if all(keep(s, trial) or isinstance(s, ast.Pass) for b in branches for s in b) \
                and all(h.type is None or is_const(h.type, trial) for h in stmt.handlers):
            scope.constants, scope.modules, scope.definitions = trial.constants, trial.modules, trial.definitions
            return True
    return False


def is_future(stmt) -> bool:
    return isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"


def is_main_guard(stmt) -> bool:
    """`if __name__ == "__main__":` (either order of the comparison)."""
    if not (isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Compare) and len(stmt.test.ops) == 1
            and isinstance(stmt.test.ops[0], ast.Eq)):
        return False
    sides = [stmt.test.left, stmt.test.comparators[0]]
    return any(isinstance(x, ast.Name) and x.id == "__name__" for x in sides) \
        and any(isinstance(x, ast.Constant) and x.value == "__main__" for x in sides)


def select(tree: ast.Module, scope: Scope | None = None) -> tuple[list, list]:
    """(kept, skipped) top-level statements of a module, in order; bare strings and `pass` count as neither.

    The definitions inside an `if __name__ == "__main__":` block are kept too (some scripts define their
    whole model there); its other statements are skipped like any top-level one.
    """
    scope = Scope() if scope is None else scope
    kept, skipped = [], []
    for s in tree.body:
        if is_future(s) or keep(s, scope):
            kept.append(s)
        elif isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)):
            continue
        elif is_main_guard(s):
            inner_kept, inner_skipped = select(ast.Module(body=s.body, type_ignores=[]), scope)
            kept += inner_kept
            skipped += inner_skipped
        else:
            skipped.append(s)
            for name in globals_bound(s):
                scope.constants.discard(name)
    return kept, skipped


def free_names(tree) -> set:
    """Names the file reads but never binds (nor are builtins): what its star imports must provide."""
    loaded, bound = set(), set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return loaded - bound


def merge_class_pieces(tree: ast.Module) -> list:
    """Join a class written in pieces, as tutorials present one (`class RNN:  # ...` then only the new method):
    a later top-level class of the same name (and bases) that leaves out methods of the earlier pieces gets
    them back, its own methods winning. Changes the tree in place; returns the report's notes. As written,
    Python keeps only the last piece, which cannot run alone."""
    def methods(cls):
        return [b for b in cls.body if isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef))]

    latest, pieces = {}, {}
    for s in tree.body:
        if not isinstance(s, ast.ClassDef):
            continue
        prev = latest.get(s.name)
        if prev is not None and (not s.bases or ast.dump(ast.Tuple(s.bases)) == ast.dump(ast.Tuple(prev.bases))):
            own = {m.name for m in methods(s)}
            kept = [m for m in methods(prev) if m.name not in own]
            if kept:
                s.bases = s.bases or prev.bases
                s.body = [*kept, *s.body]
                pieces.setdefault(s.name, [prev.lineno]).append(s.lineno)
        latest[s.name] = s
    return [f"class {name} is written in {len(lines)} pieces (lines {', '.join(map(str, lines))}), as a tutorial "
            "presents it: each piece was given the methods of the earlier ones it does not define again (as "
            "written, Python keeps only the last piece)" for name, lines in pieces.items()]
