"""minchar: finding a file's min-char-rnn loss function, the names it gives the weights, and their shapes.

Real ports rename everything: the function (lossFun, lossFunc, loss_function, a method `train`), the weights
(Wxh/W_xh/Whx/U, Whh/W_hh/W, Why/W_hy/V, bh/b_h, by/b_y/b_out), the extra arguments (`vocab_size`), and some
keep the biases and the hidden state flat, (H,) instead of (H, 1). This module reads that from the code (the
names a function reads, the AST of its assignments) without running anything but the definitions.

Child side: NumPy and the standard library only.
"""
from __future__ import annotations

import ast
import inspect
import textwrap
import types


# lossFun's names across the ports, best first; "loss" only as a method (a top-level loss is too common)
FUNCTIONS = ("lossFun", "loss_fun", "lossFunc", "loss_func", "lossFunction", "loss_function", "lossfun",
             "lossfunc", "LossFun")
METHODS = FUNCTIONS + ("loss",)
WEIGHTS = ("Wxh", "Whh", "Why", "bh", "by")
# role -> the names ports give it, in order of preference (the first one the function reads wins)
ALIASES = {
    "Wxh": ("Wxh", "W_xh", "Whx", "W_hx", "Wih", "W_ih", "Wx", "W_x", "U", "W_in", "Wax", "wxh", "W_input"),
    "Whh": ("Whh", "W_hh", "Wh", "W_h", "W", "Waa", "whh", "W_hidden"),
    "Why": ("Why", "W_hy", "Wyh", "W_yh", "Who", "W_ho", "Wy", "W_y", "V", "W_out", "W_op", "Wya", "why",
            "W_output"),
    "bh": ("bh", "b_h", "bhh", "b_hh", "ba", "b_a", "b", "b_hidden"),
    "by": ("by", "b_y", "bo", "b_o", "b_out", "b_op", "c", "b_output"),
}
WEIGHT_NAMES = frozenset(a for names in ALIASES.values() for a in names)
# extra arguments some ports take, and the sizes the grader sets as globals / attributes
HYPER_NAMES = ("hidden_size", "vocab_size", "seq_length", "learning_rate", "hidden_dim", "input_size",
               "output_size", "vocab_dim", "n_hidden", "num_hidden", "hidden_layers")


def hyper_values(V: int, H: int, T: int, lr: float) -> dict:
    sizes = {"hidden_size": H, "hidden_dim": H, "n_hidden": H, "num_hidden": H, "hidden_layers": H,
             "vocab_size": V, "vocab_dim": V, "input_size": V, "output_size": V}
    return {**sizes, "seq_length": T, "learning_rate": lr}


def data_parameters(fn) -> list:
    """The parameters that carry the data (inputs, targets, hprev, in that order): those without a default
    that are not self, hyper-parameters (`vocab_size`) or weights (`lossFun(inputs, targets, hprev, Wxh, ...)`)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
            and p.default is p.empty and p.name != "self" and p.name not in HYPER_NAMES and p.name not in WEIGHT_NAMES]


def method_function(cls, name: str):
    """The plain function behind a class attribute (a staticmethod unwrapped), or None."""
    fn = cls.__dict__.get(name)
    fn = fn.__func__ if isinstance(fn, (staticmethod, classmethod)) else fn
    return fn if inspect.isfunction(fn) else None


def bound(cls, name: str) -> bool:
    """Whether the method takes the instance first (`def lossFun(self, ...)`), not a function kept in a class
    (`class Model: def lossFun(inputs, targets, ...)`, called as Model.lossFun)."""
    raw = cls.__dict__.get(name)
    if isinstance(raw, (staticmethod, classmethod)):
        return False
    try:
        first = next(iter(inspect.signature(raw).parameters), None)
    except (TypeError, ValueError):
        return True
    return first == "self"


def _tree(obj):
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(obj)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None


def _returns_many(tree) -> bool:
    """A `return a, b, c, d, e, f[, ...]` somewhere (loss, five gradients and maybe the hidden state)."""
    return tree is not None and any(isinstance(n, ast.Return) and isinstance(n.value, ast.Tuple)
                                    and len(n.value.elts) >= 6 for n in ast.walk(tree))


def read_names_function(module, fn) -> set:
    """Global names a module-level function reads, with those of the module's own functions it calls."""
    seen, names, todo = set(), set(), [fn]
    while todo:
        f = todo.pop()
        if id(f) in seen or not inspect.isfunction(f):
            continue
        seen.add(id(f))
        codes = [f.__code__]
        names |= set(f.__code__.co_varnames[:f.__code__.co_argcount])  # weights passed as arguments
        while codes:
            code = codes.pop()
            names |= set(code.co_names) | set(code.co_freevars)
            codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
        todo += [getattr(module, n) for n in names if inspect.isfunction(getattr(module, n, None))
                 and getattr(module, n).__module__ == module.__name__]
    return names


def read_names_class(cls) -> set:
    """Attributes `self.X` the class's methods use."""
    out = set()
    for fn in vars(cls).values():  # each method's own source (a class's needs its module in sys.modules)
        tree = _tree(fn) if inspect.isfunction(fn) else None
        out |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                and n.value.id == "self"} if tree is not None else set()
    return out


def roles(read: set) -> dict:
    """role (Wxh ...) -> the student's name for it: the first alias the code reads, else the canonical name."""
    out, used = {}, set()
    for role in WEIGHTS:
        name = next((a for a in ALIASES[role] if a in read and a not in used), role)
        out[role] = name
        used.add(name)
    return out


def cell_state(fn) -> str | None:
    """The parameter that carries an LSTM's cell state (`lossFun(inputs, targets, hprev, cprev)`), or None."""
    data = data_parameters(fn)
    extra = [p for p in data[3:] if p.lower().lstrip("_").startswith(("c", "cell"))]
    return extra[0] if len(data) == 4 and extra else None


def _resolved(read: set) -> int:
    return sum(any(a in read for a in ALIASES[r]) for r in WEIGHTS)


def find(module) -> dict | None:
    """{"label", "cls", "method", "names"[, "lstm"]} of the file's lossFun, or None ("lstm": the parameter
    that carries the cell state, when lossFun is min-char-rnn's LSTM variant, which is not graded).

    By name first (lossFun and its spellings, at the top level or as a method taking inputs, targets, hprev);
    else by shape: a function or method reading all five weights (under any of their names) and returning
    six values or more."""
    own = lambda o: getattr(o, "__module__", None) == module.__name__  # noqa: E731
    functions = {n: f for n, f in vars(module).items() if inspect.isfunction(f) and own(f)}
    classes = {n: c for n, c in vars(module).items() if inspect.isclass(c) and own(c)}
    for name in FUNCTIONS:
        if name in functions and cell_state(functions[name]):
            return {"label": name, "cls": None, "method": None, "names": {}, "lstm": cell_state(functions[name])}
        if name in functions and len(data_parameters(functions[name])) >= 3:
            return {"label": name, "cls": None, "method": None,
                    "names": roles(read_names_function(module, functions[name]))}
    for cls_name, cls in classes.items():
        for m in METHODS:
            fn = method_function(cls, m)
            if fn is not None and len(data_parameters(fn)) == 3:
                read = read_names_class(cls) | set(fn.__code__.co_varnames[:fn.__code__.co_argcount])
                return {"label": f"{cls_name}.{m}", "cls": cls, "method": m, "names": roles(read)}
    for name, fn in functions.items():  # by shape
        read = read_names_function(module, fn)
        if len(data_parameters(fn)) == 3 and _resolved(read) == 5 and _returns_many(_tree(fn)):
            return {"label": name, "cls": None, "method": None, "names": roles(read)}
    for cls_name, cls in classes.items():
        read = read_names_class(cls)
        if _resolved(read) < 5:
            continue
        for m, fn in cls.__dict__.items():
            if inspect.isfunction(fn) and len(data_parameters(fn)) == 3 and _returns_many(_tree(fn)):
                return {"label": f"{cls_name}.{m}", "cls": cls, "method": m, "names": roles(read)}
    return None


def flat_vectors(module, found: dict) -> bool:
    """Whether the port keeps biases and the hidden state flat, (n,) rather than (n, 1): from the value a
    kept global already holds, else from how the code builds the hidden bias (np.zeros(h) vs np.zeros((h, 1)))."""
    bh = found["names"]["bh"]
    value = getattr(module, bh, None) if found["cls"] is None else None
    if value is not None and hasattr(value, "ndim") and value.ndim in (1, 2):
        return value.ndim == 1
    trees = [_tree(f) for f in vars(found["cls"]).values() if inspect.isfunction(f)] if found["cls"] is not None \
        else [_module_tree(module)]
    for node in (n for tree in trees if tree is not None for n in ast.walk(tree)):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.value, ast.Call) \
                and _target_name(node.targets[0]) == bh:
            args = node.value.args
            if len(args) == 1:  # np.zeros(h), np.zeros((h,)), np.zeros((h, 1))
                shape = args[0]
                return not (isinstance(shape, (ast.Tuple, ast.List)) and len(shape.elts) == 2)
            if len(args) >= 2:  # np.random.randn(h, 1)
                return False
    return False


def _target_name(t) -> str | None:
    if isinstance(t, ast.Name):
        return t.id
    if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self":
        return t.attr
    return None


def _module_tree(module):
    try:
        with open(module.__file__, encoding="utf-8", errors="replace") as f:
            source = f.read()
        try:
            return ast.parse(source)
        except SyntaxError:
            from ..py2 import to_python3

            return ast.parse(to_python3(source)[0])
    except Exception:  # noqa: BLE001 - no source to read: column vectors, the original's
        return None
