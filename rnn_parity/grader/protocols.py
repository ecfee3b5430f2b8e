"""The two protocols an implementation may follow, driven from inside the child process.

Everything here runs next to the student's code and exchanges plain NumPy arrays only.

Class protocol: Cls(input_size, output_size, hidden_size) holding weights as attributes in one of
the seed naming schemes; forward(inputs) returning (y, h) or a list of per-step outputs; and either
backprop(d_y, learn_rate) (updates in place) or loss(Y) then backward() (gradients left in d<name>).

Function protocol: forward(params, inputs, h0) -> (outputs, cache) and
backward(params, cache, d_outputs) -> grads keyed d<name>.
"""
from __future__ import annotations

import inspect
import sys
import traceback

import numpy as np

from . import plan as P
from .schemes import describe, variants

UPDATE_METHODS = ("update", "optimize", "step", "sgd_step", "update_parameters")
CLIP_METHODS = ("clip", "clip_gradients", "clip_grads")


class GradeError(Exception):
    """The implementation cannot be graded: kind is one of not_found, signature, shapes, exception, exit."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


class Progress:
    """Writes what the child is doing right now, so a time limit can say where it struck."""

    def __init__(self, path):
        self.path = path
        self.stage = "starting"

    def set(self, stage: str):
        self.stage = stage
        try:
            with open(self.path, "w") as f:
                f.write(stage)
        except OSError:
            pass


def _where_in_student(tb, student_file: str) -> str:
    """' (line N of impl.py, in f: `code`)' for the deepest frame in the student's files, or ''.

    The student's files are the graded file and its siblings (modules it imports from its folder).
    """
    import os

    folder = os.path.dirname(os.path.abspath(student_file)) + os.sep
    mine = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frames = [f for f in traceback.extract_tb(tb)
              if f.filename == student_file or (os.path.abspath(f.filename).startswith(folder)
                                                 and not os.path.abspath(f.filename).startswith(mine))]
    if not frames:
        return ""
    f = frames[-1]
    line = (f.line or "").strip()
    name = os.path.basename(f.filename)
    return f" (line {f.lineno} of {name}, in {f.name}: `{line}`)" if line else f" (line {f.lineno} of {name})"


def call_student(progress: Progress, student_file: str, stage: str, fn, *args):
    """Run student code; anything it raises (SystemExit included) becomes a GradeError."""
    progress.set(stage)
    try:
        return fn(*args)
    except SystemExit as e:
        raise GradeError("exit", f"{stage}: the implementation called sys.exit({e.code!r})"
                         + _where_in_student(e.__traceback__, student_file)) from None
    except KeyboardInterrupt:
        raise GradeError("exception", f"{stage}: the implementation raised KeyboardInterrupt") from None
    except GradeError:
        raise
    except BaseException as e:  # noqa: BLE001 - the student's code may raise anything
        raise GradeError("exception", f"{stage}: {type(e).__name__}: {e}"
                         + _where_in_student(e.__traceback__, student_file)) from None


def _signature_ok(fn, *args) -> bool:
    try:
        inspect.signature(fn).bind(*args)
        return True
    except TypeError:
        return False
    except ValueError:  # no signature available (builtins): let the call decide
        return True


def _sig(fn) -> str:
    try:
        return f"{fn.__name__}{inspect.signature(fn)}"
    except (TypeError, ValueError):
        return getattr(fn, "__name__", repr(fn))


def as_float_array(value, what: str) -> np.ndarray:
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise GradeError("shapes", f"{what} is not a numeric array ({type(value).__name__}): {e}") from None
    return arr


def _step_list(value, T: int, what: str) -> list:
    """A per-step sequence as a list of T items: list/tuple, dict {t: ...} or an array with T rows."""
    if isinstance(value, dict):
        keys = sorted(k for k in value if isinstance(k, (int, np.integer)) and k >= 0)
        if len(keys) != T:
            raise GradeError("shapes", f"{what} is a dict with {len(keys)} time-step entries, expected {T}")
        return [value[k] for k in keys]
    if isinstance(value, (list, tuple)):
        if len(value) != T:
            raise GradeError("shapes", f"{what} has {len(value)} steps, expected {T} (one per input)")
        return list(value)
    arr = as_float_array(value, what)
    if arr.ndim >= 1 and arr.shape[0] == T:
        return list(arr)
    raise GradeError("shapes", f"{what} has shape {arr.shape}; expected {T} per-step outputs")


def _vector(value, n: int, what: str) -> np.ndarray:
    arr = as_float_array(value, what)
    if arr.size != n or (arr.ndim == 2 and 1 not in arr.shape) or arr.ndim > 2:
        raise GradeError("shapes", f"{what} has shape {arr.shape}, expected ({n}, 1)")
    return arr.reshape(n)


def steps_matrix(value, T: int, n: int, what: str) -> np.ndarray:
    items = _step_list(value, T, what)
    return np.stack([_vector(v, n, f"{what} at step {t}") for t, v in enumerate(items)])


def looks_like_probs(out: np.ndarray) -> bool:
    """Every row nonnegative and summing to 1: softmax probabilities rather than logits."""
    out = np.atleast_2d(out)
    return bool(np.all(out >= 0) and np.allclose(out.sum(axis=-1), 1.0, rtol=0, atol=1e-9))


def canonical_grad(value, canon: str, what: str) -> np.ndarray:
    """A gradient as a float array; bias columns (n, 1) become (n,). Wrong shapes are kept (they fail)."""
    arr = as_float_array(value, what)
    if canon in ("bh", "by") and arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    return arr


# ----------------------------------------------------------------------------------------------
# Discovery


def _own(module, obj) -> bool:
    return getattr(obj, "__module__", None) == module.__name__


def discover(module, class_name: str | None, protocol: str) -> dict:
    """Which protocol the module follows. Returns {"protocol": "class"|"functions", "class": name}."""
    classes = {n: o for n, o in vars(module).items() if inspect.isclass(o) and _own(module, o)}
    candidates = [n for n, o in classes.items()
                  if callable(getattr(o, "forward", None))
                  and (callable(getattr(o, "backprop", None))
                       or (callable(getattr(o, "loss", None)) and callable(getattr(o, "backward", None))))]
    fwd, bwd = getattr(module, "forward", None), getattr(module, "backward", None)
    has_functions = inspect.isfunction(fwd) and inspect.isfunction(bwd)
    if class_name:
        obj = getattr(module, class_name, None)
        if not inspect.isclass(obj):
            raise GradeError("not_found", f"no class named {class_name!r} in the file "
                             f"(classes found: {', '.join(classes) or 'none'})")
        if class_name not in candidates:
            raise GradeError("not_found", f"class {class_name} needs forward() and either backprop() or "
                             "loss() and backward()")
        return {"protocol": "class", "class": class_name}
    if protocol == "functions" or (protocol == "auto" and has_functions and not candidates):
        if not has_functions:
            raise GradeError("not_found", "no module-level functions forward(params, inputs, h0) and "
                             "backward(params, cache, d_outputs)")
        return {"protocol": "functions", "class": None}
    if protocol == "auto" and has_functions and candidates:
        raise GradeError("not_found", f"the file follows both protocols (functions forward/backward and class "
                         f"{', '.join(candidates)}): choose with --class NAME or --protocol functions")
    if len(candidates) == 1:
        return {"protocol": "class", "class": candidates[0]}
    if len(candidates) > 1:
        raise GradeError("not_found", f"several classes could be the RNN ({', '.join(candidates)}): "
                         "name one with --class NAME")
    found_f = sorted(n for n, o in vars(module).items() if inspect.isfunction(o) and _own(module, o))
    raise GradeError("not_found", "found neither a class with forward() and backprop() (or loss() and "
                     "backward()) nor module-level functions forward() and backward(); classes: "
                     f"{', '.join(classes) or 'none'}; functions: {', '.join(found_f) or 'none'}")


# ----------------------------------------------------------------------------------------------
# The function protocol


class FunctionsDriver:
    def __init__(self, module, student_file: str, progress: Progress):
        self.file, self.progress = student_file, progress
        self.forward_fn, self.backward_fn = module.forward, module.backward
        if not _signature_ok(self.forward_fn, 1, 2, 3):
            raise GradeError("signature", f"forward must be forward(params, inputs, h0); found {_sig(self.forward_fn)}")
        if not _signature_ok(self.backward_fn, 1, 2, 3):
            raise GradeError("signature",
                             f"backward must be backward(params, cache, d_outputs); found {_sig(self.backward_fn)}")
        self.naming = None

    def student_params(self, params: dict) -> dict:
        return {self.naming[c]: (np.array(v).reshape(-1, 1) if c in ("bh", "by") else np.array(v))
                for c, v in params.items()}

    def _forward(self, params: dict, tokens, stage: str, O: int):
        T = len(tokens)
        res = call_student(self.progress, self.file, stage, self.forward_fn, self.student_params(params),
                           P.one_hot_columns(tokens), params_h0(self.h0))
        if not isinstance(res, (tuple, list)) or len(res) != 2:
            raise GradeError("signature", f"{stage}: forward must return (outputs, cache), got {type(res).__name__}"
                             + (f" of length {len(res)}" if isinstance(res, (tuple, list)) else ""))
        outputs, cache = res
        return steps_matrix(outputs, T, O, f"{stage}: outputs"), cache

    def detect(self, plan_params: dict, h0: np.ndarray) -> dict:
        """Find the naming scheme by trial: a KeyError on params means another scheme."""
        self.h0 = h0
        tokens = np.array([3, 1, 4])
        tried = []
        for scheme, naming in variants():
            self.naming = naming
            stage = f"forward(params, inputs, h0) with {scheme} names ({describe(naming)})"
            try:
                out, _ = self._forward(plan_params, tokens, stage, P.O)
            except GradeError as e:
                if e.kind == "exception" and e.message.split(": ", 1)[-1].startswith("KeyError"):
                    tried.append(scheme)
                    continue
                raise
            return {"scheme": scheme, "naming": naming, "output_kind": "probs" if looks_like_probs(out) else "logits",
                    "step": "functions", "many_to_one": False}
        raise GradeError("signature", "forward(params, ...) raised KeyError with every naming scheme "
                         f"({', '.join(dict.fromkeys(tried))}); params use the names Wxh Whh Why bh by, "
                         "Wax Waa Wya ba|b by, or U V W bh by")

    def run(self, call, plan, obs: dict, probs: bool):
        stage = f"call {call.index} ({call.tag}, length {call.T})"
        if call.tag == "hidden":
            params = dict(plan.params, **plan.identity_head)
            out, _ = self._forward(params, call.tokens, stage + ": forward(params, inputs, h0)", P.O_IDENTITY)
            obs[call.key("out")] = out
            return
        out, cache = self._forward(plan.params, call.tokens, stage + ": forward(params, inputs, h0)", P.O)
        obs[call.key("out")] = out
        d_outputs = [row.reshape(-1, 1).copy() for row in call.dy]
        grads = call_student(self.progress, self.file, stage + ": backward(params, cache, d_outputs)",
                             self.backward_fn, self.student_params(plan.params), cache, d_outputs)
        if not isinstance(grads, dict):
            raise GradeError("signature", f"{stage}: backward must return a dict of gradients keyed d<name>, "
                             f"got {type(grads).__name__}")
        for canon, name in self.naming.items():
            if "d" + name not in grads:
                raise GradeError("signature", f"{stage}: backward returned keys {sorted(map(str, grads))}; "
                                 f"missing d{name} (expected {', '.join('d' + n for n in self.naming.values())})")
            obs[call.key("grad:" + canon)] = canonical_grad(grads["d" + name], canon, f"{stage}: d{name}")


def params_h0(h0: np.ndarray) -> np.ndarray:
    return np.array(h0, dtype=np.float64).reshape(-1, 1)


# ----------------------------------------------------------------------------------------------
# The class protocol


class ClassDriver:
    def __init__(self, module, class_name: str, student_file: str, progress: Progress):
        self.cls = getattr(module, class_name)
        self.name = class_name
        self.file, self.progress = student_file, progress
        if not _signature_ok(self.cls, P.D, P.O, P.H):
            raise GradeError("signature", f"{class_name} must be constructed as {class_name}(input_size, "
                             f"output_size, hidden_size); found {_sig(self.cls)}")
        if not _signature_ok(self.cls.forward, None, []):
            raise GradeError("signature", f"{class_name}.forward must take the inputs list: forward(inputs); "
                             f"found {_sig(self.cls.forward)}")
        if callable(getattr(self.cls, "backprop", None)):
            self.step = "backprop"
            if not _signature_ok(self.cls.backprop, None, None, 0.1):
                raise GradeError("signature", f"{class_name}.backprop must be backprop(d_y, learn_rate); "
                                 f"found {_sig(self.cls.backprop)}")
        else:
            self.step = "loss"
            if not _signature_ok(self.cls.loss, None, None):
                raise GradeError("signature", f"{class_name}.loss must be loss(Y); found {_sig(self.cls.loss)}")
            if not _signature_ok(self.cls.backward, None):
                raise GradeError("signature", f"{class_name}.backward must take no arguments; "
                                 f"found {_sig(self.cls.backward)}")
        self.clip_name = next((m for m in CLIP_METHODS if callable(getattr(self.cls, m, None))
                               and _signature_ok(getattr(self.cls, m), None, 1.0)), None)
        self.update_name = next((m for m in UPDATE_METHODS if callable(getattr(self.cls, m, None))
                                 and _signature_ok(getattr(self.cls, m), None, 0.1)), None)
        self.instances = {}
        self.update_disabled = None

    # --- weights

    def _construct(self, O: int):
        obj = call_student(self.progress, self.file, f"{self.name}({P.D}, {O}, {P.H})", self.cls, P.D, O, P.H)
        return obj

    def detect(self) -> dict:
        obj = self._construct(P.O)
        attrs = set(vars(obj)) if hasattr(obj, "__dict__") else set()
        fits = [(s, n) for s, n in variants() if all(name in attrs for name in n.values())]
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
        res = call_student(self.progress, self.file, stage + ": forward(inputs)", obj.forward, P.one_hot_columns(tokens))
        if isinstance(res, tuple) and len(res) == 2 and np.size(res[1]) == P.H and np.size(res[0]) == O \
                and not (T == 2 and np.size(res[1]) == O):
            return _vector(res[0], O, f"{stage}: forward's y"), _vector(res[1], P.H, f"{stage}: forward's h")
        if isinstance(res, (list, tuple, dict)) or (isinstance(res, np.ndarray) and res.ndim >= 1 and res.shape[0] == T
                                                    and res.size == T * O):
            return steps_matrix(res, T, O, f"{stage}: forward's outputs"), None
        raise GradeError("shapes", f"{stage}: forward(inputs) must return (y, h) with y ({O}, 1) and h ({P.H}, 1), "
                         f"or a list of {T} per-step outputs ({O}, 1); got {_describe_value(res)}")

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
            call_student(self.progress, self.file, stage + ": backprop(d_y, learn_rate)", obj.backprop,
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


def _describe_value(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    if isinstance(value, (tuple, list)):
        inner = ", ".join(_describe_value(v) if isinstance(v, (np.ndarray, tuple, list)) else type(v).__name__
                          for v in value[:4])
        return f"a {type(value).__name__} of {len(value)} ({inner}{', ...' if len(value) > 4 else ''})"
    return type(value).__name__


def student_file_of(module) -> str:
    return getattr(module, "__file__", "") or ""


def import_student(path: str, progress: Progress):
    """Import the student's file as module `student_impl` (never as __main__)."""
    import importlib.util

    progress.set("importing the file")
    spec = importlib.util.spec_from_file_location("student_impl", path)
    if spec is None or spec.loader is None:
        raise GradeError("not_found", f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules["student_impl"] = module
    call_student(progress, path, "importing the file", spec.loader.exec_module, module)
    return module
