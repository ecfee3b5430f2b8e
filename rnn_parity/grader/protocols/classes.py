"""The class protocol: Cls(input_size, output_size, hidden_size) holding weights as attributes in one of
the seed naming schemes; forward(inputs) returning (y, h) or a list of per-step outputs; and either
backprop(d_y, learn_rate) (updates in place) or loss(Y) then backward() (gradients left in d<name>),
with optional clip(value) and update(learn_rate) methods.

Child side: runs next to the student's code, NumPy only.
"""
from __future__ import annotations

import inspect

import numpy as np

from ..judging import plan as P
from ..judging.schemes import variants
from .discover import step_methods
from .student import GradeError, Progress, call_student, canonical_grad, column_vector, describe_value, \
    looks_like_probs, signature_ok, signature_text, steps_matrix

UPDATE_METHODS = ("update", "optimize", "step", "sgd_step", "update_parameters")
CLIP_METHODS = ("clip", "clip_gradients", "clip_grads")


# Constructor parameters (and module globals) that tutorial classes name their sizes by.
SIZE_NAMES = {
    "D": ("input_size", "input_dim", "n_x", "n_in", "vocab_size", "word_dim", "in_size", "num_inputs",
          "input_layer_size", "INPUT_SIZE", "INPUT_DIM", "INPUT_LAYER_SIZE"),
    "O": ("output_size", "output_dim", "n_y", "n_out", "out_size", "num_classes", "n_classes", "num_outputs",
          "OUTPUT_SIZE", "OUTPUT_DIM"),
    "H": ("hidden_size", "hidden_dim", "n_a", "n_h", "n_hidden", "num_hidden", "hidden_units", "HIDDEN_SIZE",
          "HIDDEN_DIM"),
}
_KEY_OF = {name: key for key, names in SIZE_NAMES.items() for name in names}


def _size_parameters(cls):
    """({parameter: size key}, {module global: size key}) when the constructor names its sizes (in any order,
    `RNN(input_dim, hidden_dim, output_dim)`), or takes only some and reads the rest from module globals
    (`Classifier(hidden_size=64)` beside `input_size = ...`); None when the sizes are only positional."""
    init = getattr(cls, "__init__", None)
    code = getattr(init, "__code__", None)
    try:
        params = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        return None
    if code is None:
        return None
    named = {p.name: _KEY_OF[p.name] for p in params if p.name in _KEY_OF}
    required = [p.name for p in params if p.default is p.empty
                and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if any(n not in named for n in required):
        return None
    from_globals = {n: _KEY_OF[n] for n in code.co_names if n in _KEY_OF and _KEY_OF[n] not in named.values()}
    if set(named.values()) | set(from_globals.values()) != {"D", "O", "H"} or len(set(named.values())) != len(named):
        return None
    if list(named.values()) == ["D", "O", "H"] and not from_globals:
        return None  # the protocol's own order: positional, as before
    return named, from_globals


class ClassDriver:
    def __init__(self, module, class_name: str, student_file: str, progress: Progress):
        self.cls = getattr(module, class_name)
        self.name = class_name
        self.file, self.progress = student_file, progress
        self.by_name = _size_parameters(self.cls)
        if self.by_name is None and not signature_ok(self.cls, P.D, P.O, P.H):
            raise GradeError("signature", f"{class_name} must be constructed as {class_name}(input_size, "
                             f"output_size, hidden_size); found {signature_text(self.cls)}")
        self.fwd, self.bp = step_methods(self.cls)
        self.fwd = self.fwd or "forward"
        if not signature_ok(getattr(self.cls, self.fwd, None), None, []):
            raise GradeError("signature", f"{class_name}.{self.fwd} must take the inputs list: {self.fwd}(inputs); "
                             f"found {signature_text(getattr(self.cls, self.fwd, None))}")
        if self.bp:
            self.step = "backprop"
            if not signature_ok(getattr(self.cls, self.bp), None, None, 0.1):
                raise GradeError("signature", f"{class_name}.{self.bp} must be {self.bp}(d_y, learn_rate); "
                                 f"found {signature_text(getattr(self.cls, self.bp))}")
        else:
            self.step = "loss"
            if not signature_ok(self.cls.loss, None, None):
                raise GradeError("signature", f"{class_name}.loss must be loss(Y); found {signature_text(self.cls.loss)}")
            if not signature_ok(self.cls.backward, None):
                raise GradeError("signature", f"{class_name}.backward must take no arguments; "
                                 f"found {signature_text(self.cls.backward)}")
        self.clip_name = next((m for m in CLIP_METHODS if callable(getattr(self.cls, m, None))
                               and signature_ok(getattr(self.cls, m), None, 1.0)), None)
        self.update_name = next((m for m in UPDATE_METHODS if callable(getattr(self.cls, m, None))
                                 and signature_ok(getattr(self.cls, m), None, 0.1)), None)
        self.instances = {}
        self.update_disabled = None

    # --- weights

    def _construct(self, O: int):
        if self.by_name is None:
            return call_student(self.progress, self.file, f"{self.name}({P.D}, {O}, {P.H})", self.cls, P.D, O, P.H)
        sizes = {"D": P.D, "O": O, "H": P.H}
        params, globals_ = self.by_name
        init = getattr(self.cls, "__init__", None)
        for name, key in globals_.items():  # sizes the constructor reads from module globals, set as a script would
            init.__globals__[name] = sizes[key]
        kwargs = {name: sizes[key] for name, key in params.items()}
        shown = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        return call_student(self.progress, self.file, f"{self.name}({shown})", lambda: self.cls(**kwargs))

    def detect(self) -> dict:
        obj = self._construct(P.O)
        attrs = set(vars(obj)) if hasattr(obj, "__dict__") else set()
        fits = [(s, n) for s, n in variants() if all(name in attrs for name in n.values())]
        if not fits:  # the same names in another case (self.whh, self.wxh): one attribute per lowered name
            lowered = {}
            for a in attrs:
                lowered.setdefault(a.lower(), []).append(a)
            fits = [(s, {c: lowered[name.lower()][0] for c, name in n.items()}) for s, n in variants()
                    if all(len(lowered.get(name.lower(), ())) == 1 for name in n.values())]
        if not fits:
            raise GradeError("not_found", f"{self.name} instances hold none of the naming schemes "
                             "(Wxh Whh Why bh by; Wax Waa Wya ba|b by; U V W bh by); attributes found: "
                             f"{', '.join(sorted(attrs)) or 'none'}")
        scheme, naming = fits[0]
        self.naming = naming
        want = {"Wxh": (P.H, P.D), "Whh": (P.H, P.H), "Why": (P.O, P.H), "bh": (P.H,), "by": (P.O,)}
        self.bias_column = {}
        for canon, name in naming.items():
            shape = np.shape(getattr(obj, name))
            if canon in ("bh", "by"):
                if shape not in (want[canon], want[canon] + (1,)):
                    raise GradeError("shapes", f"{self.name}({P.D}, {P.O}, {P.H}).{name} has shape {shape}, "
                                     f"expected {want[canon] + (1,)} or {want[canon]}")
                self.bias_column[canon] = len(shape) == 2
            elif shape != want[canon]:
                raise GradeError("shapes", f"{self.name}(input_size={P.D}, output_size={P.O}, hidden_size={P.H})"
                                 f".{name} has shape {shape}, expected {want[canon]}")
        self.instances["main"] = obj
        return {"scheme": scheme, "naming": naming, "step": self.step,
                "bias_shape": "(n, 1)" if self.bias_column.get("bh") else "(n,)",
                "clip_method": self.clip_name if self.step == "loss" else None,
                "update_method": self.update_name if self.step == "loss" else None}

    def set_weights(self, obj, params: dict):
        for canon, value in params.items():
            arr = np.array(value, dtype=np.float64)
            if self.bias_column.get(canon):
                arr = arr.reshape(-1, 1)
            setattr(obj, self.naming[canon], arr)

    def read_weights(self, obj, stage: str) -> dict:
        out = {}
        for canon, name in self.naming.items():
            out[canon] = canonical_grad(getattr(obj, name, None), canon, f"{stage}: {self.name}.{name}")
        return out

    # --- forward

    def forward(self, obj, tokens, O: int, stage: str):
        """Returns (outputs (T, O) or (O,), h (H,) or None)."""
        T = len(tokens)
        res = call_student(self.progress, self.file, f"{stage}: {self.fwd}(inputs)", getattr(obj, self.fwd),
                           P.one_hot_columns(tokens))
        if isinstance(res, tuple) and len(res) == 2 and np.size(res[1]) == P.H and np.size(res[0]) == O \
                and not (T == 2 and np.size(res[1]) == O):
            return column_vector(res[0], O, f"{stage}: forward's y"), column_vector(res[1], P.H, f"{stage}: forward's h")
        if isinstance(res, (list, tuple, dict)) or (isinstance(res, np.ndarray) and res.ndim >= 1 and res.shape[0] == T
                                                    and res.size == T * O):
            return steps_matrix(res, T, O, f"{stage}: forward's outputs"), None
        raise GradeError("shapes", f"{stage}: {self.fwd}(inputs) must return (y, h) with y ({O}, 1) and h ({P.H}, 1), "
                         f"or a list of {T} per-step outputs ({O}, 1); got {describe_value(res)}")

    def detect_mode(self, params: dict) -> dict:
        obj = self.instances["main"]
        self.set_weights(obj, params)
        out, h = self.forward(obj, np.array([3, 1, 4]), P.O, "first forward")
        self.many_to_one = h is not None
        return {"many_to_one": self.many_to_one, "output_kind": "probs" if looks_like_probs(out) else "logits"}

    # --- the calls

    def _identity(self):
        if "identity" not in self.instances:
            obj = self._construct(P.O_IDENTITY)
            self.instances["identity"] = obj
        return self.instances["identity"]

    def _dy_arg(self, dy):
        if self.many_to_one:
            return np.array(dy, dtype=np.float64).reshape(-1, 1)
        return [row.reshape(-1, 1).copy() for row in np.asarray(dy, dtype=np.float64)]

    def _targets_arg(self, targets, O: int):
        def col(k):
            v = np.zeros((O, 1))
            v[int(k), 0] = 1.0
            return v
        if self.many_to_one:
            return col(targets)
        return [col(k) for k in targets]

    def _read_grads(self, obj, stage: str) -> dict:
        out = {}
        for canon, name in self.naming.items():
            for attr in ("d" + name, "d_" + name):
                if hasattr(obj, attr):
                    out[canon] = canonical_grad(getattr(obj, attr), canon, f"{stage}: {self.name}.{attr}")
                    break
            else:
                raise GradeError("signature", f"{stage}: backward() left no gradient attribute d{name} "
                                 f"(expected {', '.join('d' + n for n in self.naming.values())})")
        return out

    def run(self, call, plan, obs: dict, probs: bool):
        stage = f"call {call.index} ({call.tag}, length {call.T})"
        if call.tag == "hidden":
            obj = self._identity()
            self.set_weights(obj, dict(plan.params, **plan.identity_head))
            out, _ = self.forward(obj, call.tokens, P.O_IDENTITY, stage)
            obs[call.key("out")] = out
            return
        obj = self.instances["main"]
        if call.reset:
            self.set_weights(obj, plan.params)
        before = self.read_weights(obj, stage)
        out, h = self.forward(obj, call.tokens, P.O, stage)
        obs[call.key("out")] = out
        if h is not None:
            obs[call.key("h")] = h
        if self.step == "backprop":
            call_student(self.progress, self.file, f"{stage}: {self.bp}(d_y, learn_rate)", getattr(obj, self.bp),
                         self._dy_arg(call.dy), float(call.lr))
            after = self.read_weights(obj, stage)
            for canon in P.CANONICAL:
                b, a = before[canon], after[canon]
                if a.shape == b.shape:
                    obs[call.key("grad:" + canon)] = (b - a) / call.lr
                else:
                    obs[call.key("grad:" + canon)] = a  # a wrong shape fails the check by itself
            if call.tag == "update":
                for canon in P.CANONICAL:
                    obs[call.key("param:" + canon)] = after[canon]
            return
        call_student(self.progress, self.file, stage + ": loss(Y)", obj.loss, self._targets_arg(call.targets, P.O))
        call_student(self.progress, self.file, stage + ": backward()", obj.backward)
        grads = self._read_grads(obj, stage)
        for canon, g in grads.items():
            obs[call.key("grad:" + canon)] = g
        if call.clip is not None and self.clip_name:
            call_student(self.progress, self.file, f"{stage}: {self.clip_name}({call.clip})",
                         getattr(obj, self.clip_name), call.clip)
            for canon, g in self._read_grads(obj, stage).items():
                obs[call.key("clipped:" + canon)] = g
        if call.tag == "update":
            call_student(self.progress, self.file, f"{stage}: {self.update_name}({call.lr})",
                         getattr(obj, self.update_name), call.lr)
            for canon, value in self.read_weights(obj, stage).items():
                obs[call.key("param:" + canon)] = value
