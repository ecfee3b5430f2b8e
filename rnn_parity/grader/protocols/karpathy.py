"""karpathy: batched LSTM / GRU classes in the style of Karpathy's lstm.py gist.

    LSTM.forward(X, WLSTM, c0=None, h0=None) -> (Hout, c_n, h_n, cache)   (or (Hout, cache))
    LSTM.backward(dHout, cache, dcn=None, dhn=None) -> (dX, dWLSTM, dc0, dh0)
    GRU.forward(X, WGRU, h0=None) -> (Hout, h_n, cache);  GRU.backward(dHout, cache, dhn=None) -> (dX, dWGRU, dh0)
X (n, b, input_size), time-major; one packed weight with a bias row, WLSTM (1 + D + H, 4H): row 0 the bias,
then the rows of x, then those of h; gate columns IFOG (sigmoid on I, F, O, tanh on G). forward/backward are
@staticmethod on the class in the gist, or methods of an instance built with no arguments or (D, H).

The row layout (bias row first or last, x rows before or after the h rows), the gate order and, for the GRU,
the convention are read from the forward (rnn_parity.grader.protocols.gated.settle) and named in the report.
"""
from __future__ import annotations

import inspect

import numpy as np

from . import gated as G
from .engine import CheckSpec, Protocol, Recognition, parameter_names, takes
from .gated_mistakes import CATALOG, PHRASING_KARPATHY

T, B, D, H = 4, 3, 5, 6
GATES = {"lstm": 4, "gru": 3}
DEFAULT = {"lstm": ((0, 1, 3, 2), "standard", "bias_x_h"), "gru": ((0, 1, 2), "after", "old", "bias_x_h")}
LAYOUTS = ("bias_x_h", "x_h_bias", "bias_h_x", "h_x_bias")


def _method(cls, *names):
    return next((n for n in names if callable(getattr(cls, n, None))), None)


def find(module) -> dict:
    """{"lstm"|"gru": (class, forward name, backward name)}: the module's own classes whose forward takes
    (X, W..., ...) with a packed weight named W*, and whose name (or weight's) says LSTM or GRU."""
    out = {}
    for name, cls in vars(module).items():
        if not (inspect.isclass(cls) and cls.__module__ == module.__name__):
            continue
        fwd, bwd = _method(cls, "forward", "Forward"), _method(cls, "backward", "Backward")
        if not (fwd and bwd):
            continue
        params = _params(cls, fwd)
        if len(params) < 2 or not params[1].lower().startswith("w"):
            continue
        said = (name + params[1]).lower()
        cell = "lstm" if "lstm" in said else "gru" if "gru" in said else None
        if cell and cell not in out:
            out[cell] = (cls, fwd, bwd)
    return out


def _params(cls, method: str) -> list:
    names = parameter_names(getattr(cls, method))
    static = isinstance(inspect.getattr_static(cls, method), staticmethod)
    return names if static else names[1:]


def _callables(probe, cls, fwd: str, bwd: str):
    """(forward, backward) callables: the static functions, or the methods of an instance."""
    if isinstance(inspect.getattr_static(cls, fwd), staticmethod):
        return getattr(cls, fwd), getattr(cls, bwd)
    name = cls.__name__
    obj = probe.call_as(f"{name}()", cls) if takes(cls, 0) else probe.call_as(f"{name}(D, H)", cls, D, H)
    return getattr(obj, fwd), getattr(obj, bwd)


def _kind(name: str) -> str:
    """"c" for a cell-state argument (c0, cprev, prev_c, dcn, cell), "h" for a hidden one (h0, hprev, dhn)."""
    low = name.lower().lstrip("d")
    return "c" if low.startswith("c") or low.endswith("c") or "cell" in low else "h"


def _state_args(names: list, values: dict) -> list:
    """The state arguments in the order the signature names them."""
    return [values[_kind(n)] for n in names]


class Karpathy(Protocol):
    name = "karpathy"
    title = "batched LSTM / GRU classes in Karpathy's lstm.py style (packed weight with a bias row)"
    functions = ("LSTM.forward(X, WLSTM, c0, h0)", "LSTM.backward(dHout, cache, dcn, dhn)",
                 "GRU.forward(X, WGRU, h0)", "GRU.backward(dHout, cache, dhn)")
    scopes = [("lstm:", "gru:"), ("lstm:",), ("gru:",)]
    mutants = CATALOG
    phrasing = PHRASING_KARPATHY

    # --- child side

    def recognise(self, module) -> Recognition:
        found = find(module)
        return Recognition(12.0 + len(found), [f"{c.__name__}.{f}" for c, f, _ in found.values()]) if found \
            else Recognition(0.0)

    def plan(self, seed: int) -> dict:
        g = np.random.default_rng([seed, 2015]).normal
        out = {}
        for cell, k in GATES.items():
            out[cell] = {"X": g(0, 1, (T, B, D)), "W": g(0, 0.5, (1 + D + H, k * H)), "c0": g(0, 0.8, (B, H)),
                         "h0": g(0, 0.8, (B, H)), "dHout": g(0, 1, (T, B, H)), "dcn": g(0, 1, (B, H)),
                         "dhn": g(0, 1, (B, H))}
        return out

    def probe(self, probe, plan: dict) -> None:
        found = find(probe.module)
        info = probe.info
        info["karpathy"] = {}
        for cell, (cls, fwd, bwd) in sorted(found.items()):
            fname, bname = f"{cls.__name__}.{fwd}", f"{cls.__name__}.{bwd}"
            info["functions"] += [fname, bname]
            fparams, bparams = _params(cls, fwd), _params(cls, bwd)
            info["karpathy"][cell] = {"forward": fname, "backward": bname, "names": fparams[:2 + (cell == "lstm") + 1]}
            c = {k: np.array(v) for k, v in plan[cell].items()}
            with probe.function(fname, bname):
                self._probe_cell(probe, cell, cls, fwd, bwd, fparams, bparams, c, fname, bname)

    def _probe_cell(self, probe, cell, cls, fwd, bwd, fparams, bparams, c, fname, bname):
        forward, backward = _callables(probe, cls, fwd, bwd)
        states = fparams[2:2 + (2 if cell == "lstm" else 1)]
        meta = probe.info["karpathy"][cell]
        meta["states"] = sorted({_kind(n) for n in states})  # the initial states the forward takes (else zeros)
        c = {**c, **{f"{k}0": np.zeros((B, H)) for k in "ch" if k not in meta["states"]}}

        def run(v):
            args = [v["X"], v["W"]] + _state_args(states, {"c": v.get("c0"), "h": v.get("h0")})
            res = forward(*args)
            if res is None:
                probe.fail(f"{fname} returned None: not written yet (the template's `pass` is still there?)")
            if not isinstance(res, (tuple, list)) or len(res) < 2:
                probe.fail(f"{fname} must return (Hout, ..., cache)")
            return list(res)

        res = probe.call_as(fname, run, {k: c[k].copy() for k in ("X", "W", "c0", "h0")})
        finals = res[1:-1]  # (c_n, h_n) of the LSTM, h_n of the GRU, when returned
        names = ("c_n", "h_n") if cell == "lstm" else ("h_n",)
        meta["finals"] = len(finals) == len(names)
        probe.record(f"{cell}:h", res[0], "Hout")
        for k, v in zip(names, finals if meta["finals"] else ()):
            probe.record(f"{cell}:{k}", v, k)
        ups = {"c": c["dcn"], "h": c["dhn"]} if meta["finals"] else {"c": None, "h": None}
        bargs = [c["dHout"].copy(), res[-1]] + _state_args(bparams[2:2 + len(names)], ups)
        grads = G.returned(probe, probe.call_as(bname, backward, *bargs), 2 + len(names), bname)
        keys = ("dX", "dW") + (("dc0", "dh0") if cell == "lstm" else ("dh0",))
        for k, v in zip(keys, grads):
            if v is None and k in ("dc0", "dh0"):  # never assigned: its own check fails, the others still count
                probe.note(f"{bname} returns None for {k}: taken as zeros")
                v = np.zeros((B, H))
            probe.record(f"{cell}:{k}", v, k)
        arrays = {k: c[k] for k in ("X", "W") + tuple(f"{s}0" for s in meta["states"])}
        upstream = [c["dHout"]] + ([c["dcn"], c["dhn"]] if cell == "lstm" else [c["dhn"]]) if meta["finals"] \
            else [c["dHout"]]
        G.own_check(probe, bname, f"{cell}:", lambda v: run(v)[:len(upstream)], arrays, upstream,
                    {k: "d" + k for k in arrays})

    # --- parent side

    def settle(self, plan: dict, info: dict, student: dict) -> list:
        notes = []
        for cell, meta in sorted(info.get("karpathy", {}).items()):
            c = plan[cell]
            cands = {}
            from ..judging import conventions as CV

            convs = CV.LSTM_VARIANTS if cell == "lstm" else CV.GRU_CONVENTIONS
            orders = CV.permutations(GATES[cell])
            for lay in LAYOUTS:
                for o in orders:
                    for conv in convs:
                        label = (o, conv, lay) if cell == "lstm" else (o,) + tuple(conv) + (lay,)
                        cands[label] = (lambda label=label, c=_given(c, meta): _run(cell, c, label, False)[f"{cell}:h"])
            notes += G.settle(info, cell, meta["forward"], student.get(f"{cell}:h"), cands, DEFAULT[cell], cell,
                              G.forward_tol())
            label = G.label_of(info, cell, DEFAULT[cell])
            if label[-1] != "bias_x_h":
                notes.append(f"{meta['forward']}: packed weight rows {label[-1].replace('_', ', ')}")
        return notes

    def checks(self, plan: dict, info: dict) -> list:
        out = []
        for cell, meta in sorted(info.get("karpathy", {}).items()):
            fn, bn = meta["forward"], meta["backward"]
            names = meta["names"]
            X, W, states = names[0], names[1], names[2:]
            finals = [f"{cell}:c_n", f"{cell}:h_n"] if cell == "lstm" else [f"{cell}:h_n"]
            out.append(CheckSpec(f"{cell}:forward", fn, [f"{cell}:h"] + (finals if meta.get("finals") else []),
                                 f"{{key}} of {fn}"))
            state_keys = ("dc0", "dh0") if cell == "lstm" else ("dh0",)
            by_state = {("dc0" if n.lower().startswith("c") else "dh0"): n for n in states}
            pairs = [("dX", X), ("dW", W)] + [(k, by_state.get(k, k[1:])) for k in state_keys]
            for key, name in pairs:
                out.append(CheckSpec(f"{cell}:grad:{name}", bn, [f"{cell}:{key}"], f"d{name} of {bn}",
                                     time_axis=0 if key == "dX" else None))
            taken = [k for k, _ in pairs if k not in ("dc0", "dh0") or k[1] in meta.get("states", "ch")]
            out.append(G.own_spec(f"{cell}:", bn, f"{cell}:", taken, info))  # a state it does not take: no differences
        return out

    def expected_parts(self, plan: dict, info: dict) -> list:
        parts = []
        for cell, meta in sorted(info.get("karpathy", {}).items()):
            label = G.label_of(info, cell, DEFAULT[cell])
            if cell == "lstm":
                label = (label[0], "standard", label[2])  # a variant's forward fails; backward judged as the LSTM's
            parts.append(lambda cell=cell, label=label, meta=meta:
                         _run(cell, _given(plan[cell], meta), label, True, bool(meta.get("finals"))))
        return parts


def _given(c: dict, meta: dict) -> dict:
    """The plan's inputs as the forward saw them: zeros for an initial state it does not take."""
    return {**c, **{f"{k}0": np.zeros((B, H)) for k in "ch" if k not in meta.get("states", "ch")}}


def _rows(layout: str) -> tuple:
    """(bias row, x rows, h rows) slices of the packed weight in `layout`."""
    x0 = {"bias_x_h": 1, "x_h_bias": 0, "bias_h_x": 1 + H, "h_x_bias": H}[layout]
    h0 = {"bias_x_h": 1 + D, "x_h_bias": D, "bias_h_x": 1, "h_x_bias": 0}[layout]
    bias = 0 if layout.startswith("bias") else D + H
    return bias, slice(x0, x0 + D), slice(h0, h0 + H)


def _run(cell: str, c: dict, label: tuple, backward: bool, finals: bool = True) -> dict:
    from ..judging import conventions as CV

    order, lay = label[0], label[-1]
    bias, xr, hr = _rows(lay)
    W = np.asarray(c["W"], dtype=np.float64)
    Wx, Wh, b = (CV.to_canonical(W[r], order, H) for r in (xr, hr, bias))
    ups = {"dh": c["dHout"], "dh_n": c["dhn"] if finals else None}
    if cell == "lstm":
        if not backward:
            return {"lstm:h": CV.lstm_variant_forward(c["X"], c["h0"], c["c0"], Wx, Wh, b, label[1])}
        r = CV.lstm(c["X"], c["h0"], c["c0"], Wx, Wh, b, dc_n=c["dcn"] if finals else None, **ups)
        db = r["db"]
    else:
        r = CV.gru(c["X"], c["h0"], Wx, Wh, b, np.zeros(3 * H), (label[1], label[2]), **(ups if backward else {}))
        if not backward:
            return {"gru:h": r["h"]}
        db = r["dbx"]
    dW = np.zeros_like(W)
    dW[bias] = CV.from_canonical(db, order, H)
    dW[xr] = CV.from_canonical(r["dWx"], order, H)
    dW[hr] = CV.from_canonical(r["dWh"], order, H)
    out = {f"{cell}:h": r["h"], f"{cell}:h_n": r["h_n"], f"{cell}:dX": r["dx"], f"{cell}:dW": dW,
           f"{cell}:dh0": r["dh0"]}
    if cell == "lstm":
        out.update({"lstm:c_n": r["c_n"], "lstm:dc0": r["dc0"]})
    return out


PROTOCOL = Karpathy()
