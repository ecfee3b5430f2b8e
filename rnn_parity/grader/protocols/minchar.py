"""minchar: Karpathy's min-char-rnn and its many ports.

    lossFun(inputs, targets, hprev) -> (loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs)-1])

inputs, targets: lists of ints; hprev (H, 1). The weights are module globals Wxh (H, V), Whh (H, H),
Why (V, H), bh (H, 1), by (V, 1), with hidden_size, vocab_size, seq_length and learning_rate: such files
build them from a text file and train forever at module level, so the file is loaded for its definitions
only (rnn_parity.grader.intake.loading) and the grader sets these globals itself before every call. Ports that
wrap lossFun in a class (self.Wxh, ...; a method lossFun, loss_fun, or loss(inputs, targets, hprev)) get
an instance made without running __init__ (which reads the data), with the same names set on it.
Ports that rename the function, the weights or the extra arguments, or keep the biases and the hidden state
flat (H,), are read as they are (rnn_parity.grader.protocols.minchar_find); the checks use the student's names
(`grad:W_xh`). A lossFun that returns more than seven values is graded on its first seven.

Clipping (`np.clip(dparam, -5, 5, out=dparam)`) sits inside lossFun in some versions, in the training loop
in others. A second probe, a long sequence with one target, makes some gradient far larger than 5: when
lossFun's source clips, or its results come back bounded, `clip` is graded (the bound read from the
np.clip call, else from the results); otherwise it is not (the note says so). Adagrad lives in the
training loop: no `update` check.
"""
from __future__ import annotations

import ast
import inspect
import textwrap

import numpy as np

from . import charlevel as CL
from . import minchar_find as F
from .engine import CheckSpec, Protocol, Recognition
from .student import GradeError, call_student

WEIGHTS = F.WEIGHTS
V, H, T = 13, 5, 6  # vocabulary, hidden units, steps; V != H so a transposed weight shows in the shapes
T_CLIP = 12  # the clip probe: 12 steps (<= V: a one-hot of the position still fits), one target
DEFAULT_CLIP = 5.0
LR = 0.1


class MinChar(Protocol):
    name = "minchar"
    title = "min-char-rnn lossFun(inputs, targets, hprev) over the globals Wxh Whh Why bh by"
    functions = ("lossFun(inputs, targets, hprev)", "a class method lossFun/loss_fun/loss(inputs, targets, hprev)",
                 "a function of (inputs, targets, hprev) reading Wxh Whh Why bh by, returning loss and gradients")
    phrasing = {
        "whh_not_transposed_backward": ("dhnext = np.dot(Whh, dhraw)", "dhnext = np.dot(Whh.T, dhraw)"),
        "whh_not_transposed_forward": ("hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh.T, hs[t-1]) + bh)",
                                       "hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t-1]) + bh)"),
        "h_t_in_recurrent_grad": ("dWhh += np.dot(dhraw, hs[t].T)", "dWhh += np.dot(dhraw, hs[t-1].T)"),
        "tanh_grad_of_activation": ("dhraw = (1 - np.tanh(hs[t]) ** 2) * dh", "dhraw = (1 - hs[t] * hs[t]) * dh"),
        "tanh_grad_missing": ("dhraw = dh", "dhraw = (1 - hs[t] * hs[t]) * dh"),
        "tanh_grad_of_upstream": ("dhraw = (1 - dh * dh) * dh", "dhraw = (1 - hs[t] * hs[t]) * dh"),
        "hidden_grad_not_carried": ("dh = np.dot(Why.T, dy)", "dh = np.dot(Why.T, dy) + dhnext"),
        "upstream_grad_alone": ("dh = np.dot(Why.T, dy)", "dh = np.dot(Why.T, dy) + dhnext"),
        "bias_grad_not_summed": ("dbh = dhraw", "dbh += dhraw"),
        "output_grad_not_accumulated": ("dWhy = np.dot(dy, hs[t].T)", "dWhy += np.dot(dy, hs[t].T)"),
        "one_hot_from_position": ("xs[t][t] = 1", "xs[t][inputs[t]] = 1"),
        "h0_ignored": ("hs[-1] = np.zeros_like(hprev)", "hs[-1] = np.copy(hprev)"),
        "loss_grad_missing_one": ("dy = np.copy(ps[t])", "dy = np.copy(ps[t]); dy[targets[t]] -= 1"),
        "clip_rebinds_loop_variable": ("for dparam in [...]: dparam = np.clip(dparam, -5, 5)",
                                       "for dparam in [...]: np.clip(dparam, -5, 5, out=dparam)"),
    }

    # --- child side

    def recognise(self, module) -> Recognition:
        found = F.find(module)
        return Recognition(10.0, [found["label"]]) if found else Recognition(0.0)

    def plan(self, seed: int) -> dict:
        rng = np.random.default_rng([seed, 1701])
        g = rng.normal
        # No target more than twice: every gradient of the main probe stays far below any clip bound.
        main = {"inputs": rng.integers(0, V, T).tolist(),
                "targets": rng.permutation(np.r_[np.arange(V), np.arange(V)])[:T].tolist(),
                "hprev": g(0, 0.5, (H, 1)), "Wxh": g(0, 0.5, (H, V)), "Whh": g(0, 0.8 / np.sqrt(H), (H, H)),
                "Why": g(0, 0.5, (V, H)), "bh": g(0, 0.2, (H, 1)), "by": g(0, 0.2, (V, 1))}
        target = int(rng.integers(0, V))
        by = g(0, 0.2, (V, 1))
        by[target] -= 3.0  # the target is unlikely at every step: d by[target] ~ -T_CLIP, far past 5
        clip = {"inputs": rng.integers(0, V, T_CLIP).tolist(), "targets": [target] * T_CLIP,
                "hprev": g(0, 0.5, (H, 1)), "Wxh": g(0, 1.0, (H, V)), "Whh": g(0, 0.8 / np.sqrt(H), (H, H)),
                "Why": g(0, 0.3, (V, H)), "bh": g(0, 0.2, (H, 1)), "by": by}  # small Why: dby alone passes 5
        return {"main": main, "clip": clip}

    def probe(self, probe, plan: dict) -> None:
        module, info = probe.module, probe.info
        found = F.find(module)
        info["functions"] = [found["label"]] if found else []
        if not found:
            return
        label, cls, names = found["label"], found["cls"], found["names"]
        if found.get("lstm"):
            raise GradeError("not_found", f"{label} takes an LSTM's cell state ({found['lstm']}): it is min-char-rnn's "
                             "LSTM variant, and minchar grades the vanilla tanh RNN; not graded")
        fn = getattr(cls, found["method"]) if cls else getattr(module, label)
        info["names"] = names
        info["flat"] = F.flat_vectors(module, found)
        renamed = [f"{names[w]} for {w}" for w in WEIGHTS if names[w] != w]
        if renamed:
            probe.note(f"{label} names the weights its own way: {', '.join(renamed)}")
        if info["flat"]:
            probe.note(f"{label} keeps the biases and the hidden state flat, (n,): probed and graded that way")
        info["clip_source"] = _clip_in_source(fn)
        pitfall = _list_with_slot_minus_one(fn)
        if pitfall:
            probe.note(f"{label} keeps `{pitfall}` in a list and writes `{pitfall}[-1]`: with one slot per step that "
                       f"is the last step's slot, overwritten at t = T-1, and `{pitfall}[t-1]` at t = 0 then reads the "
                       f"last state, not hprev (a dict, `{pitfall} = {{-1: hprev}}`, keeps them apart)")
        if info["clip_source"].get("rebinds"):
            probe.note(f"{label} clips with `{info['clip_source']['rebinds']}`: that rebinds the loop variable "
                       "and leaves the gradients unclipped (np.clip(dparam, -5, 5, out=dparam) clips in place)")
        long_label = f"{label} on a long sequence"  # its crash fails only the clip check
        for part, fn_label in (("main", label), ("clip", long_label)):
            with probe.function(fn_label):
                res = _call_any_encoding(probe, module, found, info, plan[part], part)
                if isinstance(res, dict):  # `return {"loss": ..., "deltaInputLayer": ..., ...}`
                    res = F.from_dict(res, names) or probe.fail(
                        f"{label} returns a dict whose keys could not be matched to the loss, the gradients of "
                        f"{', '.join(names.values())} and the hidden state: {', '.join(map(str, res))}")
                    res = res if res[6] is not None else res[:6]
                grads_dict = F.from_grads_dict(res, names)  # `return loss, {"Wxh": dWxh, ...}, h`
                if grads_dict is not None:
                    res = grads_dict if grads_dict[6] is not None else grads_dict[:6]
                n = len(res) if isinstance(res, (tuple, list)) else 0
                values = tuple(res) + (None,) if n == 6 else tuple(res[:7]) if n > 7 \
                    else probe.unpack(res, 7, label)
                if n > 7 and part == "main":
                    probe.note(f"{label} returns {n} values: graded the first 7 (loss, the five gradients, the last "
                               "hidden state), the rest ignored")
                loss = np.asarray(probe.record(f"{part}:loss", values[0], f"the loss {label} returns"))
                if loss.size == 1:
                    probe.obs[f"{part}:loss"] = loss.reshape(())  # a scalar, whatever wraps it
                for w, value in zip(WEIGHTS, values[1:6]):
                    probe.record(f"{part}:d{w}", value, f"d{names[w]} of {label}")
                if part == "main":
                    info["returns_hidden"] = values[6] is not None
                    if values[6] is None:
                        probe.note(f"{label} returns 6 values, no last hidden state: `hidden` not checked")
                if values[6] is not None:
                    probe.record(f"{part}:h", values[6], f"the last hidden state {label} returns")
        info["clip_function"] = long_label
        clip = {k: probe.obs[f"clip:d{k}"] for k in WEIGHTS if f"clip:d{k}" in probe.obs}
        info["clip"] = _clip_bound(info["clip_source"], clip)
        if info["clip"] is None and long_label in info["crashed"]:
            probe.note(f"{label} crashed on the {T_CLIP}-step clip probe ({info['crashed'].pop(long_label)}); "
                       "its source does not clip: clip not graded")
        elif info["clip"] is None:
            probe.note(f"{label} does not clip its gradients (clipping, if any, is in the training loop): "
                       "clip not graded")
        probe.note("the parameter update (Adagrad in min-char-rnn) lives in the training loop, which never runs "
                   "here: update not graded")

    # --- parent side

    def checks(self, plan: dict, info: dict) -> list:
        if not info.get("functions"):
            return []
        fn = info["functions"][0]
        names = info.get("names") or {w: w for w in WEIGHTS}
        out = [CheckSpec("loss", fn, ["main:loss"], "the loss of " + fn)]
        out += [CheckSpec(f"grad:{names[w]}", fn, [f"main:d{w}"], f"d{names[w]} of {fn}") for w in WEIGHTS]
        if info.get("returns_hidden", True):
            out.append(CheckSpec("hidden", fn, ["main:h"], "the last hidden state of " + fn))
        if info.get("clip") is not None:
            out.append(CheckSpec("clip", info.get("clip_function", fn), [f"clip:d{w}" for w in WEIGHTS],
                                 f"{{key}} of {fn} on a sequence whose gradients exceed {info['clip']:g}"))
        return out

    def expected_parts(self, plan: dict, info: dict) -> list:
        return [lambda: _expected(plan["main"], info, "main"), lambda: _expected(plan["clip"], info, "clip")]


def _expected(c: dict, info: dict, part: str) -> dict:
    r = CL.answer(c["Wxh"], c["Whh"], c["bh"], c["Why"], c["by"], c["inputs"], c["targets"], c["hprev"])
    grads = {w: r["d" + w] for w in WEIGHTS}
    if info.get("clip") is not None:
        grads = CL.clipped(grads, info["clip"])
    vector = (lambda v: np.asarray(v, dtype=np.float64).reshape(-1)) if info.get("flat") else CL.column
    out = {f"{part}:loss": r["loss"], f"{part}:h": vector(r["h_last"])}
    out.update({f"{part}:d{w}": vector(grads[w]) if w.startswith("b") else grads[w] for w in WEIGHTS})
    return out


def _call_any_encoding(probe, module, found: dict, info: dict, case: dict, part: str):
    """lossFun on token ids, as min-char-rnn takes them; when that raises, once more on one-hot columns
    (T, V, 1) for inputs and targets, as some ports take them (`np.dot(Wxh, inputs[t])`, np.argmax(targets)).
    Graded on whichever runs; when neither does, the first error stands."""
    if info.get("one_hot"):
        return _call(probe, module, found, info["flat"], case, one_hot=True)
    try:
        return _call(probe, module, found, info["flat"], case)
    except GradeError as first:
        if part != "main" or first.kind != "exception":
            raise
        try:
            res = _call(probe, module, found, info["flat"], case, one_hot=True)
        except GradeError:
            raise first from None
        info["one_hot"] = True
        why = first.message.split(": ", 1)[-1].split(" (line ")[0][:100]
        probe.note(f"{found['label']} fails on token ids ({why}) and runs on one-hot "
                   "columns (T, V, 1) for inputs and targets: graded that way")
        return res


def _call(probe, module, found: dict, flat: bool, case: dict, one_hot: bool = False):
    """Set the weights (under the student's names) and the sizes as module globals, or as attributes of a bare
    instance, and call lossFun on the case; extra arguments named like sizes (`vocab_size`) get the sizes."""
    shape = (lambda a: np.reshape(a, -1)) if flat else (lambda a: a)  # noqa: E731
    hyper = F.hyper_values(V, H, len(case["inputs"]), LR)
    sizes = {name: {"H": H, "V": V}[role] for name, role in found.get("sizes", {}).items()}  # hiddenSize, ...
    weights = {found["names"][w]: shape(np.array(case[w])) if w.startswith("b") else np.array(case[w])
               for w in WEIGHTS}
    values = {**hyper, **sizes, **weights}
    args = (list(case["inputs"]), list(case["targets"]), shape(np.array(case["hprev"])))
    if one_hot:
        args = (CL.one_hot(case["inputs"], V), CL.one_hot(case["targets"], V), args[2])
    for k, v in (values if found["cls"] is None else {**hyper, **sizes}).items():  # a class port may read sizes
        setattr(module, k, v)
    if found["cls"] is None:
        fn = getattr(module, found["label"])
    elif not F.bound(found["cls"], found["method"]):  # a function kept in a class, called on the class
        fn = F.method_function(found["cls"], found["method"])
    else:
        obj = found["cls"].__new__(found["cls"])  # __init__ reads the data set: never run it
        for k, v in values.items():
            setattr(obj, k, v)
        fn = getattr(obj, found["method"])
    data = F.data_parameters(fn)
    kwargs = {p: values[p] for p in _required(fn) if p in values}  # sizes, and weights passed as arguments
    kwargs.update(zip(data, args))
    return call_student(probe.progress, probe.file, found["label"], lambda: fn(**kwargs))


def _required(fn) -> list:
    try:
        return [p.name for p in inspect.signature(fn).parameters.values() if p.default is p.empty]
    except (TypeError, ValueError):
        return []


def _clip_in_source(fn) -> dict:
    """What lossFun's source says about clipping: {"calls": bool, "bound": float|None, "rebinds": text|None}."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return {"calls": None, "bound": None, "rebinds": None}
    calls, bound, rebinds = False, None, None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "clip":
            calls = True
            hi = node.args[2] if len(node.args) >= 3 else next((k.value for k in node.keywords
                                                                 if k.arg in ("a_max", "max")), None)
            if isinstance(hi, ast.Constant) and isinstance(hi.value, (int, float)):
                bound = abs(float(hi.value))
        if isinstance(node, ast.For) and isinstance(node.target, ast.Name):
            for stmt in node.body:
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 \
                        and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == node.target.id \
                        and isinstance(stmt.value, ast.Call) \
                        and getattr(stmt.value.func, "attr", getattr(stmt.value.func, "id", None)) == "clip":
                    rebinds = ast.unparse(stmt)
    return {"calls": calls, "bound": bound, "rebinds": rebinds}


def _list_with_slot_minus_one(fn) -> str | None:
    """A name the function binds to a list and then assigns at [-1] (`hs = [...]; hs[-1] = hprev`), or None."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None
    lists = {t.id for n in ast.walk(tree) if isinstance(n, (ast.Assign, ast.AnnAssign))
             and isinstance(n.value, (ast.List, ast.ListComp))
             for t in getattr(n, "targets", [getattr(n, "target", None)]) if isinstance(t, ast.Name)}
    for n in ast.walk(tree):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Subscript):
            t = n.targets[0]
            if isinstance(t.value, ast.Name) and t.value.id in lists and isinstance(t.slice, ast.UnaryOp) \
                    and isinstance(t.slice.op, ast.USub) and getattr(t.slice.operand, "value", None) == 1:
                return t.value.id
    return None


def _clip_bound(source: dict, grads: dict) -> float | None:
    """The bound lossFun clips to, or None when it does not clip: from its np.clip call, else from the clip
    probe's results (several entries exactly at the largest magnitude, which the unclipped probe exceeds)."""
    if source.get("calls"):
        return source.get("bound") or DEFAULT_CLIP
    return CL.clip_bound_from_ties(grads.values())


PROTOCOL = MinChar()
