"""dlfs2's gated layers: the LSTM / TimeLSTM and GRU / TimeGRU classes of "Deep Learning from Scratch 2".

    LSTM(Wx, Wh, b): forward(x, h_prev, c_prev) -> (h_next, c_next)
                     backward(dh_next, dc_next) -> (dx, dh_prev, dc_prev)
    TimeLSTM(Wx, Wh, b, stateful): forward(xs) -> hs; backward(dhs) -> dxs; set_state(h, c); self.dh
    GRU(Wx, Wh[, b]): forward(x, h_prev) -> h_next; backward(dh_next) -> (dx, dh_prev)
    TimeGRU(Wx, Wh[, b], stateful): forward(xs) -> hs; backward(dhs) -> dxs; set_state(h); self.dh
Wx (D, 4H) / (D, 3H), Wh (H, 4H) / (H, 3H), b (4H,) / (3H,); gradients in self.grads (aligned with
self.params), or self.dWx / self.dWh / self.db. The book slices the LSTM's gates f, g, i, o and the GRU's
z, r, h with the reset gate before the product and the update gate on the new state; another order or GRU
convention that forward and backward share is graded in its own terms (and named in the report).

Called by dlfs2.py (one protocol grades the whole file: RNN, LSTM and GRU layers). Keys: "lstm:step:h",
"lstm:time:dx", ... ; checks "lstm:step:forward", "lstm:step:grad:c_prev", "lstm:grad:Wx", "gru:own-gradient".
"""
from __future__ import annotations

import inspect

import numpy as np

from . import gated as G
from .engine import CheckSpec, parameter_names
from .gated_mistakes import CATALOG, PHRASING_DLFS2 as PHRASING  # noqa: F401 - dlfs2.py takes them from here
from .student import call_student

N, T, D, H = 3, 4, 5, 6
KINDS = {("lstm", 3): "step", ("lstm", 1): "time", ("gru", 2): "step", ("gru", 1): "time"}
DEFAULT = {"lstm": ((1, 2, 0, 3), "standard"), "gru": ((1, 0, 2), "before", "new")}
GATES = {"lstm": 4, "gru": 3}


def cell_of(name: str) -> str | None:
    low = name.lower()
    return "lstm" if "lstm" in low else "gru" if "gru" in low else None


def layer_classes(module) -> dict:
    """{("lstm"|"gru", "step"|"time"): class} of the module's own classes built from (Wx, Wh, ...) whose name
    says LSTM or GRU; the step layer's forward takes (x, h_prev[, c_prev]), the time layer's (xs)."""
    out = {}
    for name, cls in vars(module).items():
        if not (inspect.isclass(cls) and cls.__module__ == module.__name__) or cell_of(name) is None:
            continue
        if not all(callable(getattr(cls, m, None)) for m in ("forward", "backward")):
            continue
        init, forward = parameter_names(cls.__init__)[1:], parameter_names(cls.forward)[1:]
        if len(init) < 2 or not _weight_names(init[:2]):
            continue
        kind = KINDS.get((cell_of(name), len(forward)))
        key = (cell_of(name), kind)
        if kind and (key not in out or name.lower() in ("lstm", "gru", "timelstm", "timegru")):
            out[key] = cls
    return out


def _weight_names(names) -> bool:
    """(Wx, Wh) however spelled: W_x/W_h, Wxh/Whh, weight_x/weight_h."""
    x, h = (n.lower().replace("_", "").replace("weight", "w") for n in names)
    return x.startswith("wx") and h.startswith("wh")


def _has_bias(cls) -> bool:
    init = parameter_names(cls.__init__)[1:]
    return len(init) >= 3 and not init[2].lower().startswith("state")


def plan(seed: int) -> dict:
    rng = np.random.default_rng([seed, 2018, 4])
    g = rng.normal
    out = {}
    for cell, G_ in GATES.items():
        def weights():
            return {"Wx": g(0, 0.6, (D, G_ * H)), "Wh": g(0, 0.6, (H, G_ * H)), "b": g(0, 0.4, (G_ * H,))}
        state = {"c_prev": g(0, 0.8, (N, H)), "dc_next": g(0, 1, (N, H))} if cell == "lstm" else {}
        out[f"{cell}_step"] = {**weights(), "x": g(0, 1, (N, D)), "h_prev": g(0, 0.8, (N, H)),
                               "dh_next": g(0, 1, (N, H)), **state}
        out[f"{cell}_time"] = {**weights(), "xs": g(0, 1, (N, T, D)), "h0": g(0, 0.8, (N, H)),
                               "c0": g(0, 0.8, (N, H)), "dhs": g(0, 1, (N, T, H))}
    return out


# ------------------------------------------------------------------------------------------ child side


def probe_all(probe, plan: dict, classes: dict):
    info = probe.info
    info.setdefault("gated", {})
    for (cell, kind), cls in sorted(classes.items()):
        fn = f"{cls.__name__}.forward"
        info["functions"].append(fn)
        bias = _has_bias(cls)
        init = parameter_names(cls.__init__)[1:]
        stateful = kind == "time" and callable(getattr(cls, "set_state", None)) and len(init) > 2 + bias
        info["gated"][f"{cell}:{kind}"] = {"class": cls.__name__, "bias": bias, "stateful": stateful,
                                           "names": init[:2 + bias] + parameter_names(cls.forward)[1:]}
        if kind == "time" and not stateful:
            probe.note(f"{cls.__name__} has no stateful mode with set_state: probed from zero state, so the use "
                       "of h0 and its gradient are not checked")
        c = {k: np.array(v) for k, v in plan[f"{cell}_{kind}"].items()}
        with probe.function(fn, f"{cls.__name__}.backward"):
            _probe_one(probe, cls, cell, kind, c, bias, stateful, fn)


def _build(probe, cls, values: dict, bias: bool, stateful: bool | None):
    """cls(Wx, Wh[, b], ...): the arguments after the weights by name (stateful, and the batch_size / time_size
    some homework constructors take); one with a default is left to it."""
    args = [values["Wx"], values["Wh"]] + ([values["b"]] if bias else [])
    sig = inspect.signature(cls.__init__).parameters
    for name in list(sig)[1 + len(args):]:
        low, p = name.lower(), sig[name]
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            break
        if "state" in low:
            args.append(bool(stateful))
        elif "batch" in low:
            args.append(N)
        elif "time" in low or "seq" in low:
            args.append(T)
        elif p.default is p.empty:
            args.append(None)
        else:
            break
    return call_student(probe.progress, probe.file, f"{cls.__name__}(Wx, Wh, ...)", cls, *args)


def _forward(probe, cls, cell, kind, values, bias, stateful):
    """(object, outputs) of one forward on fresh copies; outputs: [h, c] (LSTM step), [h] otherwise."""
    v = {k: np.array(a, dtype=np.float64) for k, a in values.items()}
    obj = _build(probe, cls, v, bias, stateful if kind == "time" else None)
    if kind == "time":
        if stateful:
            state = (v["h0"], v["c0"]) if cell == "lstm" else (v["h0"],)
            call_student(probe.progress, probe.file, f"{cls.__name__}.set_state", obj.set_state, *state)
        return obj, [obj.forward(v["xs"])]
    if cell == "lstm":
        return obj, list(G.returned(probe, obj.forward(v["x"], v["h_prev"], v["c_prev"]), 2, f"{cls.__name__}.forward"))
    return obj, [obj.forward(v["x"], v["h_prev"])]


def _probe_one(probe, cls, cell, kind, c, bias, stateful, fn):
    p = f"{cell}:{kind}:"
    name = cls.__name__
    obj, outs = probe.call_as(fn, lambda: _forward(probe, cls, cell, kind, c, bias, stateful))
    shared = list(getattr(obj, "grads", None) or [])
    probe.record(p + "h", outs[0], "the output")
    if cell == "lstm" and kind == "step":
        probe.record(p + "c", outs[1], "c_next")
    if kind == "time":
        res = probe.call_as(f"{name}.backward", obj.backward, c["dhs"].copy())
        inputs = {"xs": res}
    elif cell == "lstm":
        res = G.returned(probe, probe.call_as(f"{name}.backward", obj.backward, c["dh_next"].copy(),
                                              c["dc_next"].copy()), 3, f"{name}.backward")
        inputs = dict(zip(("x", "h_prev", "c_prev"), res))
    else:
        res = G.returned(probe, probe.call_as(f"{name}.backward", obj.backward, c["dh_next"].copy()), 2,
                         f"{name}.backward")
        inputs = dict(zip(("x", "h_prev"), res))
    for k, v in inputs.items():
        probe.record(p + "d" + k, v, "d" + k)
    for k, v in _weight_grads(probe, obj, shared, bias, name).items():
        probe.record(p + k, v, k)
    if kind == "time" and stateful:
        dh = getattr(obj, "dh", None)
        if dh is None:
            probe.note(f"{name}.backward leaves self.dh None: taken as zeros (the gradient on h0)")
            dh = np.zeros_like(c["h0"])
        probe.record(p + "dh0", dh, "self.dh")
    # the backward against the finite differences of this same class's forward
    arrays = {k: c[k] for k in (("xs",) if kind == "time" else ("x", "h_prev") + (("c_prev",) if cell == "lstm"
                                                                                    else ()))}
    if kind == "time" and stateful:
        arrays["h0"] = c["h0"]
    arrays.update({k: c[k] for k in ("Wx", "Wh") + (("b",) if bias else ())})
    fixed = {k: v for k, v in c.items() if k not in arrays}
    upstream = [c["dhs"]] if kind == "time" else [c["dh_next"]] + ([c["dc_next"]] if cell == "lstm" else [])
    keys = {k: ("dh0" if k == "h0" else "d" + k) for k in arrays}
    G.own_check(probe, f"{name}.backward", p,
                lambda v: _forward(probe, cls, cell, kind, {**fixed, **v}, bias, stateful)[1], arrays, upstream, keys)


def _weight_grads(probe, obj, shared: list, bias: bool, name: str) -> dict:
    """{"dWx", "dWh"[, "db"]} from self.grads (the arrays held at construction when rebound) or self.dWx..."""
    n = 3 if bias else 2
    grads = getattr(obj, "grads", None)
    if isinstance(grads, (list, tuple)) and len(grads) >= n:
        if len(shared) >= n and any(a is not g for a, g in zip(shared, grads)):
            probe.note(f"{name}.backward rebinds self.grads[...] instead of writing into it (self.grads[0][...] "
                       "= dWx): a model that collected layer.grads keeps the old zeros; graded from those arrays")
            grads = shared
        return dict(zip(("dWx", "dWh", "db"), grads[:n]))
    found = {k: getattr(obj, k, None) for k in ("dWx", "dWh", "db")[:n]}
    if any(v is None for v in found.values()):
        probe.fail(f"{name} keeps its gradients neither in self.grads nor in self.dWx / self.dWh"
                   + (" / self.db" if bias else ""))
    return found


# ----------------------------------------------------------------------------------------- parent side


def settle(plan: dict, info: dict, student: dict) -> list:
    notes = []
    for where, meta in sorted(info.get("gated", {}).items()):
        cell, kind = where.split(":")
        c = plan[f"{cell}_{kind}"]
        cands = (G.lstm_candidates if cell == "lstm" else G.gru_candidates)(
            lambda order, conv, c=c, cell=cell, kind=kind, meta=meta:
            _run(cell, kind, c, order, conv, meta)[f"{cell}:{kind}:h"], DEFAULT[cell][0])
        notes += G.settle(info, where, f"{meta['class']}.forward", student.get(f"{cell}:{kind}:h"), cands,
                          DEFAULT[cell], cell, G.forward_tol())
    return notes


def _run(cell, kind, c, order, conv, meta, backward=False) -> dict:
    """The right values of a layer in gate `order` and convention/variant `conv`, in the student's layout."""
    from ..judging import conventions as CV

    k = len(order)
    Wx, Wh = CV.to_canonical(c["Wx"], order, H), CV.to_canonical(c["Wh"], order, H)
    b = CV.to_canonical(c["b"], order, H) if meta["bias"] else np.zeros(k * H)
    p = f"{cell}:{kind}:"
    tm = lambda a: np.swapaxes(a, 0, 1)  # noqa: E731 - batch-major <-> time-major
    if kind == "step":
        x, h0, dh = c["x"][None], c["h_prev"], c["dh_next"][None]
    else:
        x, dh = tm(c["xs"]), tm(c["dhs"])
        h0 = c["h0"] if meta["stateful"] else np.zeros((N, H))
    if cell == "lstm":
        c0 = (c["c_prev"] if kind == "step" else c["c0"] if meta["stateful"] else np.zeros((N, H)))
        if not backward:
            return {p + "h": (CV.lstm_variant_forward(x, h0, c0, Wx, Wh, b, conv)[0] if kind == "step" else
                              tm(CV.lstm_variant_forward(x, h0, c0, Wx, Wh, b, conv)))}
        r = CV.lstm(x, h0, c0, Wx, Wh, b, dh=dh, dc_n=c["dc_next"] if kind == "step" else None)
        db = r["db"]
    else:
        r = CV.gru(x, h0, Wx, Wh, b, np.zeros(3 * H), conv, dh=dh if backward else None)
        if not backward:
            return {p + "h": r["h"][0] if kind == "step" else tm(r["h"])}
        db = r["dbx"]
    out = {p + "dWx": CV.from_canonical(r["dWx"], order, H), p + "dWh": CV.from_canonical(r["dWh"], order, H)}
    if meta["bias"]:
        out[p + "db"] = CV.from_canonical(db, order, H)
    if kind == "step":
        out.update({p + "h": r["h"][0], p + "dx": r["dx"][0], p + "dh_prev": r["dh0"]})
        if cell == "lstm":
            out.update({p + "c": r["c"][0], p + "dc_prev": r["dc0"]})
    else:
        out.update({p + "h": tm(r["h"]), p + "dxs": tm(r["dx"])})
        if meta["stateful"]:
            out[p + "dh0"] = r["dh0"]
    return out


def expected_parts(plan: dict, info: dict) -> list:
    parts = []
    for where, meta in sorted(info.get("gated", {}).items()):
        cell, kind = where.split(":")
        label = G.label_of(info, where, DEFAULT[cell])
        conv = label[1] if cell == "lstm" else label[1:]
        if cell == "lstm":
            conv = "standard"  # a variant's forward fails; its backward is judged as the LSTM's
        parts.append(lambda c=plan[f"{cell}_{kind}"], cell=cell, kind=kind, order=label[0], conv=conv, meta=meta:
                     _run(cell, kind, c, order, conv, meta, backward=True))
    return parts


def checks(plan: dict, info: dict) -> list:
    out = []
    for where, meta in sorted(info.get("gated", {}).items()):
        cell, kind = where.split(":")
        p = f"{cell}:{kind}:"
        pre = f"{cell}:step:" if kind == "step" else f"{cell}:"
        fn, cls = f"{meta['class']}.forward", meta["class"]
        bwd = f"{cls}.backward"
        names = meta["names"]
        weights, args = names[:2 + meta["bias"]], names[2 + meta["bias"]:]
        out.append(CheckSpec(f"{pre}forward", fn, [p + "h"] + ([p + "c"] if cell == "lstm" and kind == "step"
                                                               else []), f"{{key}} of {fn}"))
        inputs = ([("dxs", args[0] if args else "xs")] + ([("dh0", "h0")] if meta["stateful"] else [])
                  if kind == "time" else list(zip(("dx", "dh_prev", "dc_prev"), args)))
        grads = list(zip(("dWx", "dWh", "db"), weights))
        for key, name in inputs + grads:
            out.append(CheckSpec(f"{pre}grad:{name}", bwd, [p + key], f"{{key}} of {bwd}",
                                 time_axis=1 if key == "dxs" else None))
        out.append(G.own_spec(pre, bwd, p, [k for k, _ in inputs + grads], info))
    return out


