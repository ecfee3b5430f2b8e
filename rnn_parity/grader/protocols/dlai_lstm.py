"""The LSTM half of deeplearning.ai's "Building your Recurrent Neural Network - Step by Step" (protocol dlai).

Column convention: one column per example, time last; each gate weight acts on concat = [a_prev; xt].
    lstm_cell_forward(xt, a_prev, c_prev, parameters) -> (a_next, c_next, yt_pred, cache)
    lstm_forward(x, a0, parameters) -> (a, y, c, caches)          x (n_x, m, T_x) -> a, c (n_a, m, T_x); c0 = 0
    lstm_cell_backward(da_next, dc_next, cache) -> {"dxt", "da_prev", "dc_prev", "dWf", "dbf", ..., "dWo", "dbo"}
    lstm_backward(da, caches) -> {"dx", "da0", "dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo"}
    parameters: Wf Wi Wc Wo (n_a, n_a + n_x), bf bi bc bo (n_a, 1), Wy (n_y, n_a), by (n_y, 1)
    ft, it, ot = sigmoid(W. concat + b.), cct = tanh(Wc concat + bc), c_next = ft * c_prev + it * cct,
    a_next = ot * tanh(c_next), yt_pred = softmax(Wy a_next + by)
Check names: lstm:step:forward, lstm:step:output, lstm:step:grad:c_prev, lstm:forward, lstm:grad:Wf, ...
The backward needs the forward's caches: it is graded with the file's own lstm_cell_forward / lstm_forward.
"""
from __future__ import annotations

import numpy as np

from . import sizes as S
from ..judging import own_gradient as OG
from .engine import CheckSpec, own_function, takes

N_X, N_A, N_Y, M, T_X = 4, 6, 3, 5, 3  # all different: transposes and wrong axes show in the shapes
COURSE = [(3, 5, 2, 10, 7)]  # the notebook's n_x, n_a, n_y, m, T_x
FUNCTIONS = ("lstm_cell_forward", "lstm_cell_backward", "lstm_forward", "lstm_backward")
ARITY = {"lstm_cell_forward": 4, "lstm_cell_backward": 3, "lstm_forward": 3, "lstm_backward": 2}
GATES = ("f", "i", "c", "o")  # the course's gate letters; torch's blocks i, f, g, o are i, f, c, o here
WEIGHT_GRADS = ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")
STEP_GRADS = ("dxt", "da_prev", "dc_prev") + WEIGHT_GRADS
SEQ_GRADS = ("dx", "da0") + WEIGHT_GRADS
SCOPES = [("lstm:cell:", "lstm:seq:"), ("lstm:seq:",), ("lstm:cell:",)]
CALLEES = {"lstm_forward": "lstm_cell_forward", "lstm_backward": "lstm_cell_backward"}


def found(module) -> list:
    return [n for n in FUNCTIONS if own_function(module, n) is not None and takes(own_function(module, n), ARITY[n])]


def _parameters(g, n_x, n_a, n_y) -> dict:
    p = {}
    for gate in GATES:
        p["W" + gate] = g(0, 0.5 / np.sqrt(n_a + n_x) * 2, (n_a, n_a + n_x))
        p["b" + gate] = g(0, 0.3, (n_a, 1))
    p["Wy"], p["by"] = g(0, 0.6, (n_y, n_a)), g(0, 0.3, (n_y, 1))
    return p


def _case(g, n_x, n_a, n_y, m, t) -> dict:
    return {"cell": {"xt": g(0, 1, (n_x, m)), "a_prev": g(0, 0.8, (n_a, m)), "c_prev": g(0, 0.8, (n_a, m)),
                     "da_next": g(0, 1, (n_a, m)), "dc_next": g(0, 1, (n_a, m)), "parameters": _parameters(g, n_x, n_a, n_y)},
            "seq": {"x": g(0, 1, (n_x, m, t)), "a0": g(0, 0.8, (n_a, m)), "da": g(0, 1, (n_a, m, t)),
                    "parameters": _parameters(g, n_x, n_a, n_y)}}


def plan(seed: int) -> dict:
    rng = np.random.default_rng([seed, 2018, 4])
    return {"main": _case(rng.normal, N_X, N_A, N_Y, M, T_X), "course": [_case(rng.normal, *c) for c in COURSE]}


def course_sets(p: dict) -> int:
    return len(p["course"])


# ------------------------------------------------------------------------------------------------- child side


def probe(probe, p: dict, record_dict) -> None:
    """record_dict(probe, prefix, value, keys, what): dlai.py's reader of a gradients dict."""
    module, info = probe.module, probe.info
    have = found(module)
    _probe(probe, p["main"], have, record_dict, own=True)
    S.run_at_course_sizes(probe, "lstm:", [(k, lambda pr, c=c: _probe(pr, c, have, record_dict))
                                            for k, c in enumerate(p["course"])])
    values = {v for c in COURSE for v in c} | {c[0] + c[1] for c in COURSE}
    literals = {f: S.size_literals(own_function(module, f), values) for f in have}
    info.setdefault("size_literals", {}).update({f: v for f, v in literals.items() if v})
    for fn in ("lstm_cell_backward", "lstm_backward"):
        forward = fn.replace("backward", "forward")
        if fn in have and forward not in have:
            probe.note(f"{fn} graded on the course's cache (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, "
                       f"parameters), built here: the file has no {forward}")


def _copy(case: dict) -> dict:
    return {k: ({n: a.copy() for n, a in v.items()} if isinstance(v, dict) else v.copy()) for k, v in case.items()}


def _probe(probe, case: dict, have: list, record_dict, own: bool = False) -> None:
    c = _copy(case["cell"])
    if "lstm_cell_forward" in have:
        with probe.function("lstm_cell_forward", "lstm_cell_backward"):
            res = probe.call("lstm_cell_forward", c["xt"], c["a_prev"], c["c_prev"], c["parameters"])
            _written(probe, res, "lstm_cell_forward")
            a_next, c_next, yt_pred, cache = probe.unpack(res, 4, "lstm_cell_forward")
            probe.record("lstm:cell:a_next", a_next, "a_next")
            probe.record("lstm:cell:c_next", c_next, "c_next")
            probe.record("lstm:cell:yt_pred", yt_pred, "yt_pred")
            if "lstm_cell_backward" in have:
                grads = probe.call("lstm_cell_backward", c["da_next"].copy(), c["dc_next"].copy(), cache)
                grads = record_dict(probe, "lstm:cell", grads, STEP_GRADS, "lstm_cell_backward")
                if own:
                    base = _copy(case["cell"])
                    inputs = {"xt": base["xt"], "a_prev": base["a_prev"], "c_prev": base["c_prev"], **base["parameters"]}
                    OG.record(probe, "lstm_cell_backward", lambda a: probe.call(
                        "lstm_cell_forward", a["xt"], a["a_prev"], a["c_prev"], _params(a))[:2],
                        inputs, [base["da_next"], base["dc_next"]], _by_input(grads, ("xt", "a_prev", "c_prev")))
    elif "lstm_cell_backward" in have:  # backward only (the forward in another file): the course's cache
        with probe.function("lstm_cell_backward"):
            cache = course_cache(c["xt"], c["a_prev"], c["c_prev"], c["parameters"])
            grads = probe.call("lstm_cell_backward", c["da_next"].copy(), c["dc_next"].copy(), cache)
            record_dict(probe, "lstm:cell", grads, STEP_GRADS, "lstm_cell_backward")
    s = _copy(case["seq"])
    if "lstm_backward" in have and "lstm_forward" not in have:
        with probe.function("lstm_backward"):
            caches, a, c_t = [], s["a0"], np.zeros_like(s["a0"])
            for t in range(s["x"].shape[2]):
                caches.append(course_cache(s["x"][:, :, t], a, c_t, s["parameters"]))
                a, c_t = caches[-1][0], caches[-1][1]
            grads = probe.call("lstm_backward", s["da"].copy(), (caches, s["x"]))
            record_dict(probe, "lstm:seq", grads, SEQ_GRADS, "lstm_backward")
    if "lstm_forward" in have:
        with probe.function("lstm_forward", "lstm_backward"):
            res = probe.call("lstm_forward", s["x"], s["a0"], s["parameters"])
            _written(probe, res, "lstm_forward")
            a, y, c_all, caches = probe.unpack(res, 4, "lstm_forward")
            probe.record("lstm:seq:a", a, "a")
            probe.record("lstm:seq:y", y, "y")
            probe.record("lstm:seq:c", c_all, "c")
            if "lstm_backward" in have:
                grads = probe.call("lstm_backward", s["da"].copy(), caches)
                grads = record_dict(probe, "lstm:seq", grads, SEQ_GRADS, "lstm_backward")
                if own:
                    base = _copy(case["seq"])
                    inputs = {"x": base["x"], "a0": base["a0"], **base["parameters"]}
                    OG.record(probe, "lstm_backward", lambda a: probe.call(
                        "lstm_forward", a["x"], a["a0"], _params(a))[0], inputs, [base["da"]],
                        _by_input(grads, ("x", "a0")))


def course_cache(xt, a_prev, c_prev, p: dict) -> tuple:
    """The cache the course's lstm_cell_forward template builds, for a file that hands in the backward alone."""
    concat = np.concatenate((a_prev, xt), axis=0)
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    ft, it = sig(p["Wf"] @ concat + p["bf"]), sig(p["Wi"] @ concat + p["bi"])
    cct, ot = np.tanh(p["Wc"] @ concat + p["bc"]), sig(p["Wo"] @ concat + p["bo"])
    c_next = ft * c_prev + it * cct
    return ot * np.tanh(c_next), c_next, a_prev, c_prev, ft, it, cct, ot, xt, p


def _written(probe, res, fn: str) -> None:
    if res is None:  # the template's body (`pass`) still there
        probe.fail(f"{fn} returned None: not written yet (the template's `pass` is still there?)")


def _params(arrays: dict) -> dict:
    return {k: v for k, v in arrays.items() if k[0] in "Wb"}


def _by_input(grads: dict, states: tuple) -> dict:
    """The gradients dict keyed by the forward's inputs ("dWf" -> "Wf", "dxt" -> "xt")."""
    out = {s: grads["d" + s] for s in states}
    out.update({k[1:]: grads[k] for k in WEIGHT_GRADS})
    return out


# ------------------------------------------------------------------------------------------------ parent side


def checks(info: dict) -> list:
    have = set(info.get("functions", []))
    out = []
    if "lstm_cell_forward" in have:
        out.append(CheckSpec("lstm:step:forward", "lstm_cell_forward", ["lstm:cell:a_next", "lstm:cell:c_next"],
                             "{key} of lstm_cell_forward"))
        out.append(CheckSpec("lstm:step:output", "lstm_cell_forward", ["lstm:cell:yt_pred"], "yt_pred of lstm_cell_forward"))
    if "lstm_cell_backward" in have:
        out += [CheckSpec(f"lstm:step:grad:{k[1:]}", "lstm_cell_backward", [f"lstm:cell:{k}"],
                          f"gradients['{k}'] of lstm_cell_backward") for k in STEP_GRADS]
    if "lstm_forward" in have:
        out.append(CheckSpec("lstm:forward", "lstm_forward", ["lstm:seq:a", "lstm:seq:c"], "{key} of lstm_forward", 2))
        out.append(CheckSpec("lstm:output", "lstm_forward", ["lstm:seq:y"], "y of lstm_forward", 2))
    if "lstm_backward" in have:
        out += [CheckSpec(f"lstm:grad:{k[1:]}", "lstm_backward", [f"lstm:seq:{k}"], f"gradients['{k}'] of lstm_backward",
                          2 if k == "dx" else None) for k in SEQ_GRADS]
    for spec in out:
        key = spec.keys[0].rsplit(":", 1)[-1]
        spec.axes = ("n_a (hidden unit)", "n_a + n_x: [a_prev; xt]") if key.startswith("dW") else \
            ("n_a (unit)", "m (example)") if key[0] in "dac" and key not in ("dxt",) else ("n_x (input)", "m (example)")
    return out


def expected_parts(p: dict) -> list:
    from ..judging import answers as A0
    from ..judging import answers_lstm as A

    parts = [lambda: _cell(A, A0, p["main"]["cell"], "lstm:cell:"), lambda: _seq(A, A0, p["main"]["seq"], "lstm:seq:")]
    for k, c in enumerate(p["course"]):
        parts += [lambda c=c, k=k: _cell(A, A0, c["cell"], f"lstm:course{k}:cell:"),
                  lambda c=c, k=k: _seq(A, A0, c["seq"], f"lstm:course{k}:seq:")]
    return parts


def _torch(A, p: dict, n_a: int) -> tuple:
    """The course's four (n_a, n_a + n_x) weights on [a_prev; xt] into the reference's Wxh (4H, n_x),
    Whh (4H, n_a), b (4H,), gates i, f, g, o."""
    W = np.vstack([p["W" + g] for g in "ifco"])
    b = np.vstack([p["b" + g] for g in "ifco"])[:, 0]
    return W[:, n_a:], W[:, :n_a], b


def _weight_grads(A, r: dict, n_a: int) -> dict:
    dW = np.hstack([r["dWhh"], r["dWxh"]])  # (4H, n_a + n_x) in i, f, g, o blocks, back onto [a_prev; xt]
    blocks, biases = np.split(dW, 4), np.split(r["db"], 4)
    out = {}
    for k, g in enumerate("ifco"):
        out["dW" + g], out["db" + g] = blocks[k], biases[k][:, None]
    return out


def _cell(A, A0, c: dict, pre: str) -> dict:
    p, n_a = c["parameters"], c["a_prev"].shape[0]
    Wxh, Whh, b = _torch(A, p, n_a)
    r = A.step(c["xt"].T, c["a_prev"].T, c["c_prev"].T, Wxh, Whh, b, dh=c["da_next"].T, dc=c["dc_next"].T)
    a_next = r["h"].T
    out = {pre + "a_next": a_next, pre + "c_next": r["c"].T,
           pre + "yt_pred": A0.softmax_columns(p["Wy"] @ a_next + p["by"]), pre + "dxt": r["dx"].T,
           pre + "da_prev": r["dh_prev"].T, pre + "dc_prev": r["dc_prev"].T}
    out.update({pre + k: v for k, v in _weight_grads(A, r, n_a).items()})
    return out


def _seq(A, A0, s: dict, pre: str) -> dict:
    p, n_a = s["parameters"], s["a0"].shape[0]
    Wxh, Whh, b = _torch(A, p, n_a)
    tm = lambda arr: np.asarray(arr).transpose(2, 1, 0)  # noqa: E731 - (n, m, T) <-> (T, m, n)
    a0 = s["a0"].T
    r = A.lstm(tm(s["x"]), a0, np.zeros_like(a0), Wxh, Whh, b, dh=tm(s["da"]))
    a = tm(r["h"])
    y = A0.softmax_columns(np.einsum("ya,amt->ymt", p["Wy"], a) + p["by"][:, :, None])
    out = {pre + "a": a, pre + "y": y, pre + "c": tm(r["c"]), pre + "dx": tm(r["dx"]), pre + "da0": r["dh0"].T}
    out.update({pre + k: v for k, v in _weight_grads(A, r, n_a).items()})
    return out


# the LSTM mistakes (lstm_mistakes) in the course's notation: (wrong, correct)
PHRASING = {
    "lstm_upstream_grad_alone": ("gradients = lstm_cell_backward(da[:, :, t], dc_prevt, caches[t])",
                                 "gradients = lstm_cell_backward(da[:, :, t] + da_prevt, dc_prevt, caches[t])"),
    "lstm_cache_holds_overwritten_view": ("a_next[:] = ...  (every cache holds the same a_prev array)",
                                          "a_next = ...  (a new array each step; or cache a_prev.copy())"),
    "lstm_gate_grad_missing_activation_derivative": ("dft = (dc_next + ...) * c_prev  (no ft * (1 - ft))",
                                                     "dft = (dc_next + ...) * c_prev * ft * (1 - ft)"),
    "lstm_gate_grad_of_preactivation": ("dft = (...) * c_prev * zf * (1 - zf)  (zf = Wf concat + bf)",
                                        "dft = (...) * c_prev * ft * (1 - ft)"),
    "lstm_tanh_applied_twice": ("ot * (1 - np.square(np.tanh(np.tanh(c_next)))) * da_next",
                                "ot * (1 - np.square(np.tanh(c_next))) * da_next"),
    "lstm_candidate_tanh_applied_twice": ("dcct = dc * it * (1 - np.square(np.tanh(cct)))",
                                          "dcct = dc * it * (1 - np.square(cct))"),
    "lstm_dc_prev_not_carried": ("dc_prevt = np.zeros((n_a, m))  (never updated in the loop)",
                                 "dc_prevt = gradients['dc_prev']  (after each step)"),
    "lstm_tanh_grad_of_cell_state": ("ot * (1 - np.square(c_next)) * da_next",
                                     "ot * (1 - np.square(np.tanh(c_next))) * da_next"),
    "lstm_dc_missing_dh_path": ("dcct = dc_next * it * (1 - np.square(cct))",
                                "dcct = (dc_next + ot * (1 - np.square(np.tanh(c_next))) * da_next) * it * (1 - np.square(cct))"),
    "lstm_forget_gate_missing_from_dc_prev": ("dc_prev = dc_next + ot * (1 - np.square(np.tanh(c_next))) * da_next",
                                              "dc_prev = (dc_next + ot * (1 - np.square(np.tanh(c_next))) * da_next) * ft"),
    "lstm_gate_order_differs_in_backward": ("dWc = np.dot(dot, concat.T); dWo = np.dot(dcct, concat.T)",
                                            "dWc = np.dot(dcct, concat.T); dWo = np.dot(dot, concat.T)"),
    "lstm_dh0_never_assigned": ("da0 = np.zeros((n_a, m))  (never set)", "da0 = da_prevt  (after the loop)"),
}
