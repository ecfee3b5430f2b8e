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
    """A `return a, b, c, d, e, f[, ...]` (loss, five gradients and maybe the hidden state) somewhere, or a
    dict of six entries or more (`return {"loss": ..., "dWxh": ...}`)."""
    return tree is not None and any(isinstance(n, ast.Return) and (
        isinstance(n.value, ast.Tuple) and len(n.value.elts) >= 6 or isinstance(n.value, ast.Dict)
        and len(n.value.keys) >= 6) for n in ast.walk(tree))


def _norm(text: str) -> str:
    return "".join(c for c in str(text).lower() if c.isalnum())


def _grad_keys(res: dict, names: dict, exact: bool) -> list:
    """The key of each weight's gradient in a dict: `d`/`delta`/`grad` + the student's name (`dWxh`,
    `deltaInputLayer`, `grad_Wxh`), or the bare name where the dict holds gradients only (exact)."""
    keys = {_norm(k): k for k in res}
    out = []
    for role in WEIGHTS:
        n = _norm(names.get(role, role))
        match = [k for p in ("d", "delta", "grad", "") for s in ("", "grad") for nk, k in keys.items()
                 if nk == p + n + s and (p or s or exact)]
        out.append(match[0] if match else None)
    return out


def from_dict(res: dict, names: dict):
    """(loss, dWxh, dWhh, dWhy, dbh, dby, h) from a returned dict, its keys matched to the student's names
    (`deltaInputLayer` for inputLayer, `dWxh`, `grad_Wxh`); None when a key cannot be told."""
    loss = [k for k in res if "loss" in _norm(k)]
    grads = _grad_keys(res, names, exact=False)
    rest = [k for k in res if k not in loss + grads and any(w in _norm(k) for w in ("hidden", "state", "h"))]
    if len(loss) != 1 or None in grads or len(rest) > 1:
        return None
    return (res[loss[0]], *[res[g] for g in grads], res[rest[0]] if rest else None)


def from_grads_dict(res, names: dict):
    """(loss, dWxh, ..., dby, h) from `return loss, grads, h` with grads a dict ({"Wxh": dWxh, ...} or
    {"dWxh": ...}); None when it is not that shape."""
    if not (isinstance(res, (tuple, list)) and len(res) in (2, 3) and isinstance(res[1], dict)):
        return None
    keys = _grad_keys(res[1], names, exact=True)
    if None in keys:
        return None
    return (res[0], *[res[1][k] for k in keys], res[2] if len(res) == 3 else None)


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


def _dim(e):
    if isinstance(e, ast.Constant):
        return e.value
    if isinstance(e, ast.Name):
        return e.id
    if isinstance(e, ast.Attribute) and isinstance(e.value, ast.Name) and e.value.id == "self":
        return e.attr
    return ast.unparse(e)


def _dims(expr):
    """(rows, cols) of `np.random.randn(a, b) * 0.01`, `np.zeros((a, b))`, `np.random.uniform(lo, hi, (a, b))`."""
    while isinstance(expr, ast.BinOp):
        expr = expr.left if isinstance(expr.left, ast.Call) else expr.right
    if not isinstance(expr, ast.Call):
        return None
    shape = next((a for a in expr.args if isinstance(a, (ast.Tuple, ast.List))), None)
    shape = shape or next((k.value for k in expr.keywords if k.arg in ("size", "shape")
                           and isinstance(k.value, (ast.Tuple, ast.List))), None)
    attr = getattr(expr.func, "attr", getattr(expr.func, "id", ""))
    elems = shape.elts if shape is not None else expr.args if attr in ("randn", "rand") else None
    return tuple(_dim(e) for e in elems) if elems is not None and len(elems) == 2 else None


def roles_by_shape(trees, read: set) -> tuple[dict, dict] | None:
    """(role -> name, size name -> "H" / "V") from how the weights the code reads are built: the one square
    matrix (H, H) is Whh, (H, V) Wxh, (V, H) Why, (H, 1) bh, (V, 1) by, whatever they are called
    (`hiddenHidden = np.random.randn(hiddenSize, hiddenSize)`). None when the shapes do not tell."""
    dims = {}
    for node in (n for t in trees if t is not None for n in ast.walk(t)):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            name, d = _target_name(node.targets[0]), _dims(node.value)
            if name in read and d and name not in dims:
                dims[name] = d
    square = [n for n, d in dims.items() if d[0] == d[1] and d[0] != 1]
    if len(square) != 1:
        return None
    h = dims[square[0]][0]
    pick = lambda ok: [n for n, d in dims.items() if ok(d)]  # noqa: E731
    found = {"Whh": square, "Wxh": pick(lambda d: d[0] == h and d[1] not in (h, 1)),
             "Why": pick(lambda d: d[1] == h and d[0] not in (h, 1)), "bh": pick(lambda d: d == (h, 1)),
             "by": pick(lambda d: d[1] == 1 and d[0] not in (h, 1))}
    for role in ("bh", "by"):  # a state built the same way (hprev) is not a bias
        if len(found[role]) > 1:
            found[role] = [n for n in found[role] if n.lower().startswith("b") or "bias" in n.lower()]
    if any(len(v) != 1 for v in found.values()):
        return None
    v = dims[found["Wxh"][0]][1]
    sizes = {name: size for name, size in ((h, "H"), (v, "V")) if isinstance(name, str) and name.isidentifier()}
    return {r: found[r][0] for r in WEIGHTS}, sizes


def resolve(read: set, trees) -> tuple[dict, dict] | None:
    """(role -> the student's name, size names) from the names (min-char-rnn's and its ports'), else from the
    shapes the weights are built with; None when neither finds all five."""
    if _resolved(read) == 5:
        return roles(read), {}
    return roles_by_shape(trees, read)


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
    module_tree = [_module_tree(module)]
    class_trees = lambda cls: [_tree(f) for f in vars(cls).values() if inspect.isfunction(f)]  # noqa: E731

    def result(label, cls, method, read, trees, named):
        got = resolve(read, trees)
        if got is None and not named:
            return None
        names, sizes = got if got is not None else (roles(read), {})
        return {"label": label, "cls": cls, "method": method, "names": names, "sizes": sizes}

    for name in FUNCTIONS:
        if name in functions and cell_state(functions[name]):
            return {"label": name, "cls": None, "method": None, "names": {}, "lstm": cell_state(functions[name])}
        if name in functions and len(data_parameters(functions[name])) >= 3:
            return result(name, None, None, read_names_function(module, functions[name]), module_tree, True)
    for cls_name, cls in classes.items():
        for m in METHODS:
            fn = method_function(cls, m)
            if fn is not None and len(data_parameters(fn)) == 3:
                read = read_names_class(cls) | set(fn.__code__.co_varnames[:fn.__code__.co_argcount])
                return result(f"{cls_name}.{m}", cls, m, read, class_trees(cls) + module_tree, True)
    for name, fn in functions.items():  # by what it does (or, unfinished, by a loss name over the weights)
        if len(data_parameters(fn)) == 3 and (_returns_many(_tree(fn)) or "loss" in name.lower()):
            found = result(name, None, None, read_names_function(module, fn), module_tree, False)
            if found:
                return found
    for cls_name, cls in classes.items():
        if _legacy_class(cls):  # forward + backprop (or loss + backward): the seed-style class protocol's
            continue
        for m, fn in cls.__dict__.items():
            if inspect.isfunction(fn) and len(data_parameters(fn)) == 3 and (_returns_many(_tree(fn))
                                                                            or "loss" in m.lower()):
                found = result(f"{cls_name}.{m}", cls, m, read_names_class(cls), class_trees(cls), False)
                if found:
                    return found
    return None


def _legacy_class(cls) -> bool:
    has = lambda m: callable(getattr(cls, m, None))  # noqa: E731
    return has("forward") and (has("backprop") or (has("loss") and has("backward")))


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
            from ..intake.py2 import to_python3

            return ast.parse(to_python3(source)[0])
    except Exception:  # noqa: BLE001 - no source to read: column vectors, the original's
        return None
