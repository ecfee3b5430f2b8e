"""The LSTM half of CS231n's rnn_layers.py, graded with the RNN half in the same file (protocol cs231n).

    lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b) -> (next_h, next_c, cache)   x (N, D), Wx (D, 4H), Wh (H, 4H), b (4H,)
    lstm_step_backward(dnext_h, dnext_c, cache) -> (dx, dprev_h, dprev_c, dWx, dWh, db)
    lstm_forward(x, h0, Wx, Wh, b) -> (h, cache)       x (N, T, D) -> h (N, T, H), c0 = 0; or time-major (T, N, D)
    lstm_backward(dh, cache) -> (dx, dh0, dWx, dWh, db)

The four gate blocks of Wx, Wh and b are CS231n's i, f, o, g (torch's are i, f, g, o): GATES, converted in
one place (answers_lstm.reorder). Check names carry the cell: lstm:step:forward, lstm:step:grad:prev_c,
lstm:forward, lstm:grad:Wx. Keys start with "lstm:" so the diagnosis scopes keep the two halves apart.
"""
from __future__ import annotations

import numpy as np

from . import sizes as S
from ..judging import own_gradient as OG
from .engine import CheckSpec, own_function, parameter_names, takes
from .student import GradeError

GATES = "ifog"
N, T, D, H = 3, 4, 5, 6  # the probe: N != T and D != H, so layouts and transposes show in the shapes
# the notebook's own sizes: (N, D, H) of its step tests and (N, D, H, T) of its sequence tests
COURSE_STEP = [(3, 4, 5), (4, 5, 6)]
COURSE_SEQ = [(2, 5, 4, 3), (2, 3, 6, 10)]
FUNCTIONS = ("lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward")
ARITY = {"lstm_step_forward": 6, "lstm_step_backward": 3, "lstm_forward": 5, "lstm_backward": 2}
DEFAULT_NAMES = {"lstm_step_forward": ["x", "prev_h", "prev_c", "Wx", "Wh", "b"],
                 "lstm_forward": ["x", "h0", "Wx", "Wh", "b"]}
STEP_GRADS = ("dx", "dprev_h", "dprev_c", "dWx", "dWh", "db")
SEQ_GRADS = ("dx", "dh0", "dWx", "dWh", "db")
SCOPES = [("lstm:step:", "lstm:seq:"), ("lstm:seq:",), ("lstm:step:",)]
CALLEES = {"lstm_forward": "lstm_step_forward", "lstm_backward": "lstm_step_backward"}  # the loop calls the step


def found(module) -> list:
    return [n for n in FUNCTIONS if own_function(module, n) is not None and takes(own_function(module, n), ARITY[n])]


def _step_case(g, n, d, h) -> dict:
    return {"x": g(0, 1, (n, d)), "prev_h": g(0, 0.8, (n, h)), "prev_c": g(0, 0.8, (n, h)),
            "Wx": g(0, 0.5, (d, 4 * h)), "Wh": g(0, 0.9 / np.sqrt(h), (h, 4 * h)), "b": g(0, 0.3, (4 * h,)),
            "dnext_h": g(0, 1, (n, h)), "dnext_c": g(0, 1, (n, h))}


def _seq_case(g, n, d, h, t) -> dict:
    return {"x": g(0, 1, (n, t, d)), "h0": g(0, 0.8, (n, h)), "Wx": g(0, 0.5, (d, 4 * h)),
            "Wh": g(0, 0.9 / np.sqrt(h), (h, 4 * h)), "b": g(0, 0.3, (4 * h,)), "dh": g(0, 1, (n, t, h))}


def plan(seed: int) -> dict:
    rng = np.random.default_rng([seed, 231, 4])
    g = rng.normal
    return {"step": _step_case(g, N, D, H), "seq": _seq_case(g, N, D, H, T),
            "course_step": [_step_case(g, *s) for s in COURSE_STEP],
            "course_seq": [_seq_case(g, *s) for s in COURSE_SEQ]}


# ------------------------------------------------------------------------------------------------- child side


def probe(probe, p: dict) -> None:
    module, info = probe.module, probe.info
    have = found(module)
    info.setdefault("names", {}).update({f: _names(module, f) for f in DEFAULT_NAMES})
    _probe_step(probe, p["step"], have, own=True)
    _probe_seq(probe, p["seq"], have, own=True)
    runs = [(k, lambda pr, c=c: _probe_step(pr, c, have)) for k, c in enumerate(p["course_step"])]
    runs += [(len(runs) + k, lambda pr, c=c: _probe_seq(pr, c, have)) for k, c in enumerate(p["course_seq"])]
    S.run_at_course_sizes(probe, "lstm:", runs)
    values = {v for s in COURSE_STEP + COURSE_SEQ for v in s} | {4 * s[2] for s in COURSE_STEP + COURSE_SEQ}
    literals = {f: S.size_literals(own_function(module, f), values) for f in have}
    info.setdefault("size_literals", {}).update({f: v for f, v in literals.items() if v})
    if info.get("lstm_layout") == "time-major":
        probe.note("lstm_forward takes time-major input x (T, N, D) and returns h (T, N, H) (told from shapes)")


def _probe_step(probe, c: dict, have: list, own: bool = False) -> None:
    if "lstm_step_forward" not in have:
        return
    c = {k: v.copy() for k, v in c.items()}
    args = [c[k].copy() for k in ("x", "prev_h", "prev_c", "Wx", "Wh", "b")]
    with probe.function("lstm_step_forward", "lstm_step_backward"):
        res = probe.call("lstm_step_forward", *args)
        if res is None:  # the template's body (`pass`) still there
            probe.fail("lstm_step_forward returned None: not written yet (the template's `pass` is still there?)")
        next_h, next_c, cache = probe.unpack(res, 3, "lstm_step_forward")
        probe.record("lstm:step:next_h", next_h, "next_h")
        probe.record("lstm:step:next_c", next_c, "next_c")
        if "lstm_step_backward" in have:
            res = probe.call("lstm_step_backward", c["dnext_h"].copy(), c["dnext_c"].copy(), cache)
            grads = probe.unpack(res, 6, "lstm_step_backward")
            for key, value in zip(STEP_GRADS, grads):
                probe.record(f"lstm:step:{key}", value, f"{key} of lstm_step_backward")
            if own:
                names = ("x", "prev_h", "prev_c", "Wx", "Wh", "b")
                OG.record(probe, "lstm_step_backward",
                          lambda a: probe.call("lstm_step_forward", *[a[n] for n in names])[:2],
                          {n: c[n] for n in names}, [c["dnext_h"], c["dnext_c"]], dict(zip(names, grads)))


def _probe_seq(probe, s: dict, have: list, own: bool = False) -> None:
    if "lstm_forward" not in have:
        return
    names = ("x", "h0", "Wx", "Wh", "b")
    with probe.function("lstm_forward", "lstm_backward"):
        layout = "batch-major"
        try:
            res = probe.call("lstm_forward", *[s[k].copy() for k in names])
        except GradeError as batch_error:
            layout = "time-major"
            try:
                res = probe.call("lstm_forward", s["x"].transpose(1, 0, 2).copy(), *[s[k].copy() for k in names[1:]])
            except GradeError:
                raise batch_error from None
        if own:
            probe.info["lstm_layout"] = layout
        tm = (lambda a: a) if layout == "batch-major" else (lambda a: a.transpose(1, 0, 2).copy())
        if not isinstance(res, (tuple, list)) and res is None:
            probe.fail("lstm_forward returned None: not written yet (the template's `pass` is still there?)")
        h, cache = probe.unpack(res, 2, "lstm_forward")
        probe.record("lstm:seq:h", tm(np.asarray(h, dtype=np.float64)) if np.ndim(h) == 3 else h, "h")
        if "lstm_backward" in have:
            res = probe.call("lstm_backward", tm(s["dh"]), cache)
            grads = list(probe.unpack(res, 5, "lstm_backward"))
            if np.ndim(grads[0]) == 3:
                grads[0] = tm(np.asarray(grads[0], dtype=np.float64))
            for key, value in zip(SEQ_GRADS, grads):
                probe.record(f"lstm:seq:{key}", value, f"{key} of lstm_backward")
            if own:
                inputs = {k: s[k] for k in names}
                inputs["x"] = tm(s["x"])
                raw = list(grads)
                if np.ndim(raw[0]) == 3:
                    raw[0] = tm(np.asarray(raw[0], dtype=np.float64))  # back into the student's layout
                OG.record(probe, "lstm_backward",
                          lambda a: probe.call("lstm_forward", *[a[n] for n in names])[0],
                          inputs, [tm(s["dh"])], dict(zip(names, raw)))


def _names(module, fn_name: str) -> list:
    fn = getattr(module, fn_name, None)
    names = parameter_names(fn) if callable(fn) else []
    default = DEFAULT_NAMES[fn_name]
    return names[:len(default)] if len(names) >= len(default) else default


# ------------------------------------------------------------------------------------------------ parent side


def checks(info: dict) -> list:
    have = set(info.get("functions", []))
    names = {**DEFAULT_NAMES, **info.get("names", {})}
    out = []
    if "lstm_step_forward" in have:
        out.append(CheckSpec("lstm:step:forward", "lstm_step_forward", ["lstm:step:next_h", "lstm:step:next_c"],
                             "{key} of lstm_step_forward"))
        if "lstm_step_backward" in have:
            out += [CheckSpec(f"lstm:step:grad:{arg}", "lstm_step_backward", [f"lstm:step:{key}"],
                              f"{key} of lstm_step_backward")
                    for key, arg in zip(STEP_GRADS, names["lstm_step_forward"])]
    if "lstm_forward" in have:  # stored batch-major whatever the file's layout: time is axis 1
        out.append(CheckSpec("lstm:forward", "lstm_forward", ["lstm:seq:h"], "h of lstm_forward", 1))
        if "lstm_backward" in have:
            out += [CheckSpec(f"lstm:grad:{arg}", "lstm_backward", [f"lstm:seq:{key}"], f"{key} of lstm_backward",
                              1 if key == "dx" else None) for key, arg in zip(SEQ_GRADS, names["lstm_forward"])]
    for spec in out:
        spec.axes = AXES.get(spec.keys[0].rsplit(":", 1)[-1])
    return out


AXES = {"dWx": ("D (input)", "4H: gate blocks i | f | o | g"), "dWh": ("H (previous h)", "4H: gate blocks i | f | o | g"),
        "next_h": ("N (example)", "H (hidden unit)"), "dprev_h": ("N (example)", "H (hidden unit)"),
        "dprev_c": ("N (example)", "H (cell unit)"), "dh0": ("N (example)", "H (hidden unit)"),
        "dx": ("N (example)", "D (input)")}


def expected_parts(p: dict) -> list:
    from ..judging import answers_lstm as A

    parts = [lambda: _step(A, p["step"], "lstm:step:"), lambda: _seq(A, p["seq"], "lstm:seq:")]
    for k, c in enumerate(p["course_step"]):
        parts.append(lambda c=c, k=k: _step(A, c, f"lstm:course{k}:step:"))
    for k, s in enumerate(p["course_seq"]):
        parts.append(lambda s=s, k=len(p["course_step"]) + k: _seq(A, s, f"lstm:course{k}:seq:"))
    return parts


def course_sets(p: dict) -> int:
    return len(p["course_step"]) + len(p["course_seq"])


def _torch(A, Wx, Wh, b) -> tuple:
    """CS231n's (D, 4H) / (H, 4H) / (4H,) in i, f, o, g into the reference's (4H, D) / (4H, H) / (4H,) in i, f, g, o."""
    return A.reorder(Wx, GATES, axis=1).T, A.reorder(Wh, GATES, axis=1).T, A.reorder(b, GATES)


def _step(A, c: dict, pre: str) -> dict:
    Wxh, Whh, b = _torch(A, c["Wx"], c["Wh"], c["b"])
    r = A.step(c["x"], c["prev_h"], c["prev_c"], Wxh, Whh, b, dh=c["dnext_h"], dc=c["dnext_c"])
    back = lambda w: A.from_torch(w.T, GATES, axis=1)  # noqa: E731
    return {pre + "next_h": r["h"], pre + "next_c": r["c"], pre + "dx": r["dx"], pre + "dprev_h": r["dh_prev"],
            pre + "dprev_c": r["dc_prev"], pre + "dWx": back(r["dWxh"]), pre + "dWh": back(r["dWhh"]),
            pre + "db": A.from_torch(r["db"], GATES)}


def _seq(A, s: dict, pre: str) -> dict:
    Wxh, Whh, b = _torch(A, s["Wx"], s["Wh"], s["b"])
    tm = lambda a: np.swapaxes(a, 0, 1)  # noqa: E731 - batch-major <-> time-major
    h0 = np.asarray(s["h0"], dtype=np.float64)
    r = A.lstm(tm(s["x"]), h0, np.zeros_like(h0), Wxh, Whh, b, dh=tm(s["dh"]))
    back = lambda w: A.from_torch(w.T, GATES, axis=1)  # noqa: E731
    return {pre + "h": tm(r["h"]), pre + "dx": tm(r["dx"]), pre + "dh0": r["dh0"], pre + "dWx": back(r["dWxh"]),
            pre + "dWh": back(r["dWhh"]), pre + "db": A.from_torch(r["db"], GATES)}


# the LSTM mistakes (lstm_mistakes) in this file's notation: (wrong, correct)
PHRASING = {
    "lstm_upstream_grad_alone": ("dx[:, t], dprev_h, dprev_c, ... = lstm_step_backward(dh[:, t], dprev_c, cache[t])",
                                 "... = lstm_step_backward(dh[:, t] + dprev_h, dprev_c, cache[t])"),
    "lstm_cache_holds_overwritten_view": ("prev_h[:] = next_h  (the caches hold prev_h itself)",
                                          "prev_h = next_h  (a new array each step; or cache prev_h.copy())"),
    "lstm_gate_grad_missing_activation_derivative": ("di = dnext_c * g  (and df, do, dg likewise)",
                                                     "di = dnext_c * g * i * (1 - i);  dg = dnext_c * i * (1 - g**2)"),
    "lstm_gate_grad_of_preactivation": ("di = dc * g * a_i * (1 - a_i)",
                                        "di = dc * g * i * (1 - i)  (i = sigmoid(a_i), the gate's value)"),
    "lstm_tanh_applied_twice": ("dc = dnext_c + dnext_h * o * (1 - np.tanh(tanh_c) ** 2)",
                                "dc = dnext_c + dnext_h * o * (1 - tanh_c ** 2)"),
    "lstm_candidate_tanh_applied_twice": ("dg_a = dg * (1 - np.tanh(g) ** 2)", "dg_a = dg * (1 - g ** 2)"),
    "lstm_dc_prev_not_carried": ("... = lstm_step_backward(dh[:, t] + dprev_h, np.zeros((N, H)), cache[t])",
                                 "... = lstm_step_backward(dh[:, t] + dprev_h, dprev_c, cache[t])"),
    "lstm_tanh_grad_of_cell_state": ("dc = dnext_c + dnext_h * o * (1 - next_c ** 2)",
                                     "dc = dnext_c + dnext_h * o * (1 - np.tanh(next_c) ** 2)"),
    "lstm_dc_missing_dh_path": ("dc = dnext_c", "dc = dnext_c + dnext_h * o * (1 - np.tanh(next_c) ** 2)"),
    "lstm_forget_gate_missing_from_dc_prev": ("dprev_c = dc", "dprev_c = dc * f"),
    "lstm_gate_order_differs_in_backward": ("da = np.hstack((di, df, dg, do))  (forward slices i, f, o, g)",
                                            "da = np.hstack((di, df, do, dg))"),
    "lstm_dh0_never_assigned": ("dh0 = np.zeros((N, H))  (never set)", "dh0 = dprev_h  (after the loop)"),
}
