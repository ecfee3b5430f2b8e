"""wildml: the WildML tutorial's RNNNumpy class ("Recurrent Neural Networks Tutorial, Part 2") and its ports.

    RNNNumpy(word_dim, hidden_dim=100, bptt_truncate=4) with U (H, V), V (V, H), W (H, H), no biases
    forward_propagation(x) -> [o, s]    (or forward_propagate / forward_prop) x: T word ids; o (T, V)
                                        softmax; s (T+1, H), s[-1] the zero start state
    bptt(x, y) -> [dLdU, dLdV, dLdW]    of the cross-entropy summed over the T words
    calculate_total_loss(X, Y)          summed over the sentences (graded as `loss` on one sentence, if present)
    sgd_step(x, y, learning_rate)       U -= lr * dLdU, ... (graded as `update`, if present)
s_t = tanh(U[:, x_t] + W s_{t-1}), o_t = softmax(V s_t). The tutorial attaches the methods after the class
(`RNNNumpy.bptt = bptt`); definitions-only loading keeps those lines.

Ports that add biases bh (H,) and by (V,) (any shape the class gives them) are probed with nonzero biases;
their bptt then returns [dLdU, dLdV, dLdW, dLdbh, dLdby] and grad:bh, grad:by are checked too.

bptt truncates backpropagation to bptt_truncate steps, an approximation: it is graded with bptt_truncate
>= T (exact BPTT), and run once more with the class's own default; the note says whether that changes the
gradients, and by how much.

The tutorial's Theano version (RNNTheano: theano.shared weights, theano.function methods built in __init__) is
recognised and refused in one line: it is not NumPy code, so there is nothing to call without Theano.
"""
from __future__ import annotations

import inspect

import numpy as np

from . import charlevel as CL
from .engine import CheckSpec, Protocol, Recognition, parameter_names
from .student import GradeError, call_student

V, H, T = 8, 5, 7  # T > 4, the tutorial's default truncation, so that truncating shows
LR = 0.5
WEIGHTS = ("U", "V", "W")
BIASES = ("bh", "by")  # ports that add biases: bptt then returns [dLdU, dLdV, dLdW, dLdbh, dLdby]
CANON = {"U": "Wxh", "V": "Why", "W": "Whh", "bh": "bh", "by": "by"}
FORWARD = ("forward_propagation", "forward_propagate", "forward_prop")


def _rnn_class(module):
    for name, cls in vars(module).items():
        if inspect.isclass(cls) and cls.__module__ == module.__name__ and callable(getattr(cls, "bptt", None)) \
                and any(callable(getattr(cls, f, None)) for f in FORWARD):
            return cls
    return None


def _theano_classes(module) -> list:
    """The module's own classes built on Theano (the tutorial's RNNTheano), when the file imports theano."""
    if not any(getattr(v, "__name__", "").split(".")[0] == "theano" for v in vars(module).values()
               if inspect.ismodule(v) or type(v).__name__ == "module"):
        return []
    return [n for n, c in vars(module).items() if inspect.isclass(c) and c.__module__ == module.__name__
            and ("theano" in n.lower() or parameter_names(c.__init__)[1:2] == ["word_dim"])]


def _forward_name(cls) -> str:
    return next(f for f in FORWARD if callable(getattr(cls, f, None)))


class WildML(Protocol):
    name = "wildml"
    title = "WildML RNNNumpy (forward_propagation, bptt)"
    functions = ("RNNNumpy(word_dim, hidden_dim, bptt_truncate) with forward_propagation(x) and bptt(x, y)",)
    phrasing = {
        "whh_not_transposed_backward": ("delta_t = self.W.dot(delta_t) * (1 - s[bptt_step-1] ** 2)",
                                        "delta_t = self.W.T.dot(delta_t) * (1 - s[bptt_step-1] ** 2)"),
        "whh_not_transposed_forward": ("s[t] = np.tanh(self.U[:, x[t]] + self.W.T.dot(s[t-1]))",
                                       "s[t] = np.tanh(self.U[:, x[t]] + self.W.dot(s[t-1]))"),
        "h_t_in_recurrent_grad": ("dLdW += np.outer(delta_t, s[bptt_step])",
                                  "dLdW += np.outer(delta_t, s[bptt_step-1])"),
        "tanh_grad_of_activation": ("delta_t = self.V.T.dot(delta_o[t]) * (1 - np.tanh(s[t]) ** 2)",
                                    "delta_t = self.V.T.dot(delta_o[t]) * (1 - s[t] ** 2)"),
        "tanh_grad_missing": ("delta_t = self.V.T.dot(delta_o[t])",
                              "delta_t = self.V.T.dot(delta_o[t]) * (1 - s[t] ** 2)"),
        "output_grad_not_accumulated": ("dLdV = np.outer(delta_o[t], s[t])", "dLdV += np.outer(delta_o[t], s[t])"),
        "loss_grad_missing_one": ("delta_o = o", "delta_o = o; delta_o[np.arange(len(y)), y] -= 1."),
        "one_hot_from_position": ("self.U[:, t]", "self.U[:, x[t]]"),
        "gradient_ascent": ("self.U += learning_rate * dLdU", "self.U -= learning_rate * dLdU"),
    }

    # --- child side

    def recognise(self, module) -> Recognition:
        cls = _rnn_class(module)
        if cls:
            return Recognition(10.0, [cls.__name__])
        theano = _theano_classes(module)
        return Recognition(5.0, theano) if theano else Recognition(0.0)

    def plan(self, seed: int) -> dict:
        rng = np.random.default_rng([seed, 2015])
        g = rng.normal
        return {"U": g(0, 0.6, (H, V)), "V": g(0, 0.6, (V, H)), "W": g(0, 0.9 / np.sqrt(H), (H, H)),
                "bh": g(0, 0.3, H), "by": g(0, 0.3, V),
                "x": rng.integers(0, V, T).tolist(),
                "y": rng.permutation(np.r_[np.arange(V), np.arange(V)])[:T].tolist()}  # no word more than twice

    def probe(self, probe, plan: dict) -> None:
        cls, info = _rnn_class(probe.module), probe.info
        theano = [n for n in _theano_classes(probe.module) if cls is None or n != cls.__name__]
        if cls is None and theano:
            raise GradeError("not_found", f"{theano[0]} is built with Theano (theano.shared weights, "
                             "theano.function methods): rnn-parity grades NumPy code, so the Theano version is not "
                             "graded (grade the tutorial's NumPy RNNNumpy)")
        if cls is None:  # forced with --protocol wildml on a file without the class
            info["functions"] = []
            return
        for name in theano:
            probe.note(f"{name}: not graded (built with Theano)")
        fwd = _forward_name(cls)
        info["functions"] = [f"{cls.__name__}.{m}" for m in (fwd, "bptt", "calculate_total_loss", "sgd_step")
                             if callable(getattr(cls, m, None))]
        info["forward_name"] = fwd
        x, y = list(plan["x"]), list(plan["y"])
        make = lambda *a: _instance(probe, cls, plan, *a)  # noqa: E731
        with probe.function(f"{cls.__name__}.{fwd}"):
            obj = make(T + 1)
            info["biases"] = {b: list(np.shape(getattr(obj, b))) for b in BIASES if _is_array(getattr(obj, b, None))}
            o, s = probe.unpack(call_student(probe.progress, probe.file, fwd, getattr(obj, fwd), x), 2, fwd)
            s = np.asarray(s, dtype=np.float64)
            probe.record("fwd:o", o, "o")
            probe.record("fwd:s", s[:T] if s.ndim == 2 and s.shape[0] == T + 1 else s, "s")
        with probe.function(f"{cls.__name__}.bptt"):
            res = call_student(probe.progress, probe.file, "bptt", make(T + 1).bptt, x, y)
            n_grads = 5 if len(info["biases"]) == 2 and isinstance(res, (tuple, list)) and len(res) == 5 else 3
            full = probe.unpack(res, n_grads, "bptt")
            info["bias_grads"] = n_grads == 5
            for n, g in zip(WEIGHTS + BIASES, full):
                probe.record(f"bptt:d{n}", g, f"dLd{n} of bptt")
            info["truncation"] = _own_truncation(probe, cls, make, x, y, full)
        if f"{cls.__name__}.calculate_total_loss" in info["functions"]:
            with probe.function(f"{cls.__name__}.calculate_total_loss"):
                loss = call_student(probe.progress, probe.file, "calculate_total_loss",
                                    make(T + 1).calculate_total_loss, [x], [y])
                probe.record("loss:loss", np.asarray(loss, dtype=np.float64).reshape(()), "the loss")
        if f"{cls.__name__}.sgd_step" in info["functions"]:
            with probe.function(f"{cls.__name__}.sgd_step"):
                obj = make(T + 1)
                call_student(probe.progress, probe.file, "sgd_step", obj.sgd_step, x, y, LR)
                for n in WEIGHTS + (BIASES if info["bias_grads"] else ()):
                    probe.record(f"sgd:{n}", getattr(obj, n), f"self.{n} after sgd_step")

    # --- parent side

    def checks(self, plan: dict, info: dict) -> list:
        have = info.get("functions", [])
        if not have:
            return []
        cls, fwd = have[0].split(".")[0], info.get("forward_name", FORWARD[0])
        names = WEIGHTS + (BIASES if info.get("bias_grads") else ())
        out = [CheckSpec("forward", f"{cls}.{fwd}", ["fwd:o"], f"o of {fwd}"),
               CheckSpec("hidden", f"{cls}.{fwd}", ["fwd:s"], f"s (its first T rows) of {fwd}")]
        out += [CheckSpec(f"grad:{n}", f"{cls}.bptt", [f"bptt:d{n}"], f"dLd{n} of bptt (bptt_truncate >= T)")
                for n in names]
        if f"{cls}.calculate_total_loss" in have:
            out.append(CheckSpec("loss", f"{cls}.calculate_total_loss", ["loss:loss"], "calculate_total_loss"))
        if f"{cls}.sgd_step" in have:
            out.append(CheckSpec("update", f"{cls}.sgd_step", [f"sgd:{n}" for n in names], "self.{key} after sgd_step"))
        return out

    def expected_parts(self, plan: dict, info: dict) -> list:
        return [lambda: _expected(plan, info)]


def _expected(plan: dict, info: dict) -> dict:
    from ..judging import answers as A

    biases = info.get("biases", {})
    b = {n: plan[n] if len(biases) == 2 else np.zeros(np.shape(plan[n])) for n in BIASES}
    r = CL.answer(plan["U"], plan["W"], b["bh"], plan["V"], b["by"], plan["x"], plan["y"], np.zeros(H))
    names = WEIGHTS + (BIASES if info.get("bias_grads") else ())
    shape = lambda n, a: np.reshape(a, biases[n]) if n in BIASES else a  # noqa: E731 - the student's bias shape
    grads = {n: shape(n, r["d" + CANON[n]]) for n in names}
    out = {"fwd:o": r["probs"], "fwd:s": r["h"], "loss:loss": r["loss"]}
    out.update({f"bptt:d{n}": grads[n] for n in names})
    after = A.clip_and_step({n: shape(n, plan[n]) for n in names}, grads, LR)[1]
    out.update({f"sgd:{n}": after[n] for n in names})
    return out


def _is_array(value) -> bool:
    return isinstance(value, np.ndarray) and value.ndim in (1, 2)


def _instance(probe, cls, plan: dict, truncate):
    """The class built as the tutorial does (word_dim, hidden_dim[, bptt_truncate]), then given the plan's weights."""
    args = _constructor_args(cls, truncate)
    obj = call_student(probe.progress, probe.file, f"{cls.__name__}(word_dim, hidden_dim, bptt_truncate)", cls, *args)
    for n in WEIGHTS:
        setattr(obj, n, np.array(plan[n]))
    for n in BIASES:  # a port with biases: the plan's, in the student's own shape ((H,) or (H, 1))
        if _is_array(getattr(obj, n, None)) and getattr(obj, n).size == np.size(plan[n]):
            setattr(obj, n, np.reshape(plan[n], getattr(obj, n).shape).copy())
    return obj


def _constructor_args(cls, truncate) -> tuple:
    """(word_dim, hidden_dim[, bptt_truncate]) in the order the constructor names them: the tutorial's
    order by default, or by the names when a port reorders them (`__init__(self, hidden_size, vocab_size)`)."""
    names = [n.lower() for n in parameter_names(cls.__init__)[1:]]
    kind = lambda n: "T" if "trunc" in n or "bptt" in n else "H" if "hid" in n else "V" if any(  # noqa: E731
        w in n for w in ("word", "vocab", "io", "input", "dim", "size")) else None
    kinds = [kind(n) for n in names[:3]]
    if sorted(k for k in kinds[:2] if k) != ["H", "V"]:
        kinds = ["V", "H", "T"][:len(names[:3])]  # unnamed: the tutorial's order
    values = {"V": V, "H": H, "T": truncate}
    args = tuple(values[k] for k in kinds if k)
    return args if truncate is not None or "T" not in kinds else args[:kinds.index("T")]


def _truncation_required(cls) -> bool:
    """The constructor takes bptt_truncate without a default (`__init__(self, word_dim, hidden_dim, bptt_truncate)`)."""
    try:
        params = inspect.signature(cls.__init__).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(("trunc" in p.name.lower() or "bptt" in p.name.lower()) and p.default is p.empty for p in params)


def _own_truncation(probe, cls, make, x, y, full) -> dict:
    """bptt once more with the class's default bptt_truncate: whether (and how much) it changes the gradients."""
    if _truncation_required(cls):
        probe.note(f"graded with bptt_truncate >= T ({T}), exact BPTT; {cls.__name__} has no default bptt_truncate "
                   "to compare with")
        return {}
    try:
        obj = make(None)
        own = getattr(obj, "bptt_truncate", None)
        grads = call_student(probe.progress, probe.file, "bptt", obj.bptt, x, y)
        diff = max(float(np.linalg.norm(np.asarray(a, float) - np.asarray(b, float)) / max(np.linalg.norm(b), 1e-300))
                   for a, b in zip(grads, full))
    except Exception as e:  # noqa: BLE001 - informative only: the grade stands on the exact run
        probe.note(f"bptt with the class's own truncation could not be compared ({e})")
        return {}
    if diff > 1e-9:
        probe.note(f"graded with bptt_truncate >= T ({T}), exact BPTT; with its own bptt_truncate={own} the "
                   f"gradients differ by up to {diff:.1e} (relative): truncation approximates the gradient")
    else:
        probe.note(f"graded with bptt_truncate >= T ({T}); its own bptt_truncate={own} gives the same gradients here")
    return {"own": own if isinstance(own, (int, float)) else None, "relative_difference": diff}


PROTOCOL = WildML()
