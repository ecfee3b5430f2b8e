"""dlai: deeplearning.ai's "Building your Recurrent Neural Network - Step by Step" and "Dinosaur Island".

Column convention: one column per example, time last.
    rnn_cell_forward(xt, a_prev, parameters) -> (a_next, yt_pred, cache)     xt (n_x, m), a_prev (n_a, m)
    rnn_cell_backward(da_next, cache) -> {"dxt", "da_prev", "dWax", "dWaa", "dba"}
    rnn_forward(x, a0, parameters) -> (a, y_pred, caches)                    x (n_x, m, T_x) -> a (n_a, m, T_x)
    rnn_backward(da, caches) -> {"dx", "da0", "dWax", "dWaa", "dba"}         da (n_a, m, T_x)
    parameters: Wax (n_a, n_x), Waa (n_a, n_a), Wya (n_y, n_a), ba (n_a, 1), by (n_y, 1)
    a_next = tanh(Wax xt + Waa a_prev + ba), yt_pred = softmax(Wya a_next + by) (softmax over axis 0)
Dinosaur Island (a character model, vocabulary 27, parameters Wax Waa Wya b by):
    clip(gradients, maxValue) -> gradients       every array clipped to [-maxValue, maxValue]
    optimize(X, Y, a_prev, parameters, learning_rate) -> (loss, gradients, a[len(X) - 1]): the course's
        rnn_forward(X, Y, a_prev, parameters) and rnn_backward(X, Y, parameters, cache) from utils, then
        clip(gradients, 5) and update_parameters(parameters, gradients, learning_rate)
The caches are the student's own, passed back as they came. rnn_utils / utils, when the file imports them
and they are not there, are supplied from rnn-parity's own definitions (protocols/supplied).
"""
from __future__ import annotations

import numpy as np

from . import dlai_lstm as LSTM
from . import sizes as S
from .engine import CheckSpec, Protocol, Recognition, own_function, takes
from .lstm_mistakes import MUTANTS as LSTM_MUTANTS

N_X, N_A, N_Y, M, T_X = 4, 6, 3, 5, 3  # all different: transposes and wrong axes show in the shapes
VOCAB, DINO_A, CLIP_AT, LR = 27, 6, 5.0, 0.05  # Dinosaur Island: 27 characters; optimize clips at 5
ARITY = {"rnn_cell_forward": 3, "rnn_cell_backward": 2, "rnn_forward": 3, "rnn_backward": 2, "clip": 2,
         "optimize": 4}
STEP_GRADS = ("dxt", "da_prev", "dWax", "dWaa", "dba")
SEQ_GRADS = ("dx", "da0", "dWax", "dWaa", "dba")
DINO = ("Wax", "Waa", "Wya", "b", "by")
COURSE_CACHE_NOTE = ("{0} graded on the course's cache (a_next, a_prev, xt, parameters), built here: "
                     "the file has no {1}")
COURSE = (3, 5, 2, 10, 4)  # the notebook's own n_x, n_a, n_y, m, T_x: a function that passes only there hard-codes one
DINOSAUR_SCORE = 20.0  # above any protocol that recognises only helper functions (a file's utils copies)


class DLAI(Protocol):
    name = "dlai"
    title = "deeplearning.ai RNN Step by Step / Dinosaur Island"
    functions = tuple(ARITY) + LSTM.FUNCTIONS
    scopes = [("cell:", "seq:"), ("seq:",), ("cell:",), ("clip:", "opt:"), ("clip:",), ("opt:",)] + LSTM.SCOPES
    mutants = LSTM_MUTANTS  # the LSTM mistakes, beside rnn_parity.mutants.CATALOG
    phrasing = {
        "whh_not_transposed_backward": ("da_prev = np.dot(Waa, dtanh)", "da_prev = np.dot(Waa.T, dtanh)"),
        "whh_not_transposed_forward": ("a_next = np.tanh(np.dot(Wax, xt) + np.dot(Waa.T, a_prev) + ba)",
                                       "a_next = np.tanh(np.dot(Wax, xt) + np.dot(Waa, a_prev) + ba)"),
        "h_t_in_recurrent_grad": ("dWaa = np.dot(dtanh, a_next.T)", "dWaa = np.dot(dtanh, a_prev.T)"),
        "tanh_grad_of_activation": ("dtanh = (1 - np.tanh(a_next) ** 2) * da_next",
                                    "dtanh = (1 - a_next ** 2) * da_next"),
        "tanh_grad_missing": ("dtanh = da_next", "dtanh = (1 - a_next ** 2) * da_next"),
        "tanh_grad_of_upstream": ("dtanh = (1 - da_next ** 2) * da_next", "dtanh = (1 - a_next ** 2) * da_next"),
        "upstream_grad_alone": ("gradients = rnn_cell_backward(da[:, :, t], caches[t])",
                                "gradients = rnn_cell_backward(da[:, :, t] + da_prevt, caches[t])"),
        "bias_grad_not_summed": ("dba = dbat  (inside the loop over t)", "dba += dbat"),
        "bias_grad_not_summed_over_batch": ("dba = dtanh", "dba = np.sum(dtanh, axis=1, keepdims=True)"),
        "bias_grad_averaged_over_batch": ("dba = np.mean(dtanh, axis=1, keepdims=True)",
                                          "dba = np.sum(dtanh, axis=1, keepdims=True)"),
        "dh0_never_assigned": ("da0 = np.zeros((n_a, m))  (never set)", "da0 = da_prevt  (after the loop)"),
        "h0_ignored": ("a_next = a0 * 0  (or np.zeros((n_a, m)))", "a_next = a0"),
        "clip_rebinds_loop_variable": ("gradient = np.clip(gradient, -maxValue, maxValue)",
                                       "np.clip(gradient, -maxValue, maxValue, out=gradient)"),
        "gradient_ascent": ("parameters['Wax'] += lr * gradients['dWax']",
                            "parameters['Wax'] -= lr * gradients['dWax']"),
        "clip_after_update": ("update_parameters(...) before clip(gradients, 5)",
                              "gradients = clip(gradients, 5), then update_parameters(...)"),
        "loss_grad_missing_one": ("dy = np.copy(y_hat[t])", "dy = np.copy(y_hat[t]); dy[Y[t]] -= 1"),
        **LSTM.PHRASING,
    }

    # --- child side

    def recognise(self, module) -> Recognition:
        found = [n for n in ARITY if own_function(module, n) is not None and takes(own_function(module, n), ARITY[n])]
        found += LSTM.found(module)
        core = {"rnn_cell_forward", "rnn_cell_backward", "clip", "optimize", "lstm_cell_forward", "lstm_cell_backward"}
        if not core & set(found):
            return Recognition(0.0)
        if {"clip", "optimize"} <= set(found):
            # Dinosaur Island's own pair: copies of its utils helpers beside them (rnn_forward(X, Y, a0,
            # parameters), ...) look like another protocol's functions, but the file is this course's
            return Recognition(DINOSAUR_SCORE + len(found), found)
        return Recognition(float(len(found)), found)

    def plan(self, seed: int) -> dict:
        rng = np.random.default_rng([seed, 2018])
        g = rng.normal

        def params(n_x, n_a, n_y, bias="ba"):
            return {"Wax": g(0, 0.5, (n_a, n_x)), "Waa": g(0, 0.9 / np.sqrt(n_a), (n_a, n_a)),
                    "Wya": g(0, 0.6, (n_y, n_a)), bias: g(0, 0.3, (n_a, 1)), "by": g(0, 0.3, (n_y, 1))}

        p = {"cell": {"xt": g(0, 1, (N_X, M)), "a_prev": g(0, 0.8, (N_A, M)), "da_next": g(0, 1, (N_A, M)),
                      "parameters": params(N_X, N_A, N_Y)},
             "seq": {"x": g(0, 1, (N_X, M, T_X)), "a0": g(0, 0.8, (N_A, M)), "da": g(0, 1, (N_A, M, T_X)),
                     "parameters": params(N_X, N_A, N_Y)},
             "clip": {"gradients": {"d" + k: g(0, 10, np.shape(v)) for k, v in params(VOCAB, DINO_A, VOCAB, "b").items()},
                      "maxValue": 5.0}}
        ids = [int(i) for i in rng.integers(1, VOCAB, size=11)]
        ids[2:9:2] = [ids[0]] * 4  # one character seven times: its gradients reach past the clip bound
        ids[1:8:3] = [ids[0]] * 3
        X = [None] + ids
        Y = ids + [0]  # the course's newline
        p["opt"] = {"X": X, "Y": Y, "a_prev": g(0, 0.5, (DINO_A, 1)), "parameters": params(VOCAB, DINO_A, VOCAB, "b"),
                    "learning_rate": LR}
        p["lstm"] = LSTM.plan(seed)
        g = np.random.default_rng([seed, 2018, 5]).normal  # the notebook's own sizes (hard-coded ones)
        n_x, n_a, n_y, m, t = COURSE
        p["course"] = {"cell": {"xt": g(0, 1, (n_x, m)), "a_prev": g(0, 0.8, (n_a, m)), "da_next": g(0, 1, (n_a, m)),
                                "parameters": params(n_x, n_a, n_y)},
                       "seq": {"x": g(0, 1, (n_x, m, t)), "a0": g(0, 0.8, (n_a, m)), "da": g(0, 1, (n_a, m, t)),
                               "parameters": params(n_x, n_a, n_y)}}
        return p

    def probe(self, probe, plan: dict) -> None:
        module, info = probe.module, probe.info
        info["functions"] = have = self.recognise(module).found
        _probe_rnn(probe, plan["cell"], plan["seq"], have, own=True)
        S.run_at_course_sizes(probe, "", [(0, lambda pr: _probe_rnn(pr, plan["course"]["cell"],
                                                                     plan["course"]["seq"], have))])
        info["size_literals"] = {f: lines for f in ARITY if f in have
                                 for lines in [S.size_literals(own_function(module, f), set(COURSE))] if lines}
        k = _copy(plan["clip"])
        if "clip" in have:
            with probe.function("clip"):
                given = _copy(k["gradients"])
                out = probe.call("clip", k["gradients"], k["maxValue"])
                out = _record_dict(probe, "clip", out, tuple(k["gradients"]), "clip")
                if all(np.array_equal(np.asarray(out[n], dtype=float), v) for n, v in given.items()) \
                        and not _calls_any(probe.fn("clip"), CLIPPING_CALLS, or_compares=True):
                    # values alone cannot tell a loop left empty from a clipped copy dropped: the code can
                    info["clips_nothing"] = True
                    probe.fail("clip returns the gradients unchanged: nothing in it clips (no np.clip call; "
                               "the template's loop body is still empty?)")
                # clipped, but into a copy (the 2021 notebook's deepcopy): only what it returns is clipped
                info["clip_returns_copy"] = all(np.abs(np.asarray(v, dtype=float)).max() <= k["maxValue"]
                                                for v in out.values()) and \
                    any(not np.array_equal(np.asarray(out[n], dtype=float), k["gradients"][n]) for n in given)
        LSTM.probe(probe, plan["lstm"], _record_dict)
        o = _copy(plan["opt"])
        if "optimize" in have:
            with probe.function("optimize"):
                before = {n: v.copy() for n, v in o["parameters"].items()}
                res = probe.call("optimize", o["X"], o["Y"], o["a_prev"], o["parameters"], o["learning_rate"])
                loss, grads, a_last = probe.unpack(res, 3, "optimize")
                probe.record("opt:loss", loss, "loss")
                _record_dict(probe, "opt", grads, tuple("d" + n for n in DINO), "optimize's gradients")
                probe.record("opt:a", a_last, "a[len(X) - 1]")
                for n in DINO:  # the update, read from the dict optimize was given (updated in place)
                    probe.record(f"opt:step:{n}", np.asarray(o["parameters"][n], dtype=float) - before[n],
                                 f"the change of parameters['{n}']")
                if info.get("clips_nothing") and _calls_any(probe.fn("optimize"), frozenset({"clip"})):
                    info["explained"] = {"optimize": "it clips with clip, which clips nothing"}
                elif info.get("clip_returns_copy") and _discards_call(probe.fn("optimize"), "clip") and any(
                        np.abs(np.asarray(grads[f"d{n}"], dtype=float)).max() > CLIP_AT for n in DINO):
                    info["explained"] = {"optimize": "it calls clip(gradients, 5) and drops what it returns: this "
                                                     "clip returns a clipped copy, so write gradients = clip(...)"}

    # --- parent side

    def checks(self, plan: dict, info: dict) -> list:
        have = set(info.get("functions", []))
        out = []
        if "rnn_cell_forward" in have:
            out.append(CheckSpec("step:forward", "rnn_cell_forward", ["cell:a_next"], "a_next of rnn_cell_forward"))
            out.append(CheckSpec("step:output", "rnn_cell_forward", ["cell:yt_pred"], "yt_pred of rnn_cell_forward"))
        if "rnn_cell_backward" in have:  # with or without the forward (then graded on the course's cache)
            out += [CheckSpec(f"step:grad:{k[1:]}", "rnn_cell_backward", [f"cell:{k}"],
                              f"gradients['{k}'] of rnn_cell_backward") for k in STEP_GRADS]
        if "rnn_forward" in have:
            out.append(CheckSpec("forward", "rnn_forward", ["seq:a"], "a of rnn_forward", 2))
            out.append(CheckSpec("output", "rnn_forward", ["seq:y_pred"], "y_pred of rnn_forward", 2))
        if "rnn_backward" in have:
            out += [CheckSpec(f"grad:{k[1:]}", "rnn_backward", [f"seq:{k}"], f"gradients['{k}'] of rnn_backward",
                              2 if k == "dx" else None) for k in SEQ_GRADS]
        if "clip" in have:
            out.append(CheckSpec("clip", "clip", [f"clip:d{n}" for n in DINO], "gradients['{key}'] returned by clip"))
        if "optimize" in have:
            out.append(CheckSpec("optimize:loss", "optimize", ["opt:loss"], "the loss optimize returns"))
            out.append(CheckSpec("optimize:gradients", "optimize", [f"opt:d{n}" for n in DINO],
                                 "gradients['{key}'] returned by optimize (clipped at 5)"))
            out.append(CheckSpec("optimize:hidden", "optimize", ["opt:a"], "a[len(X) - 1] returned by optimize"))
            out.append(CheckSpec("update", "optimize", [f"opt:step:{n}" for n in DINO],
                                 "the change optimize made to parameters['{key}']"))
        return out + LSTM.checks(info)

    def expected_parts(self, plan: dict, info: dict) -> list:
        from ..judging import answers as A

        have = set(info.get("functions", ARITY))
        parts = [({"rnn_cell_forward", "rnn_cell_backward"}, lambda: _cell(A, plan["cell"])),
                 ({"rnn_forward", "rnn_backward"}, lambda: _sequence(A, plan["seq"])),
                 ({"clip"}, lambda: {f"clip:{n}": v for n, v in A.clip_value(plan["clip"]["gradients"],
                                                                             plan["clip"]["maxValue"]).items()}),
                 ({"optimize"}, lambda: _optimize(A, plan["opt"]))]
        if have & {"rnn_cell_forward", "rnn_cell_backward", "rnn_forward", "rnn_backward"}:
            parts.append(({""}, lambda: {S.course_key("", 0, k): v for k, v in {
                **_cell(A, plan["course"]["cell"]), **_sequence(A, plan["course"]["seq"])}.items()}))
        # only the parts of the functions the file has: the diagnosis replays them all, once per mistake
        return [part for fns, part in parts if fns & (have | {""})] + _lstm_parts(plan, info)

    def refine(self, results: list, specs: list, plan: dict, info: dict, student: dict, expected: dict,
               tol: float) -> dict:
        """{function: why} for the functions that pass only at the notebook's own sizes."""
        literals = info.get("size_literals", {})
        rnn = [(s, r) for s, r in zip(specs, results) if not s.name.startswith("lstm:")]
        found = S.hardcoded([r for _, r in rnn], [s for s, _ in rnn], 1, "", student, expected, tol, literals,
                            {"rnn_forward": "rnn_cell_forward", "rnn_backward": "rnn_cell_backward"})
        return {**found, **S.hardcoded(results, specs, LSTM.course_sets(plan["lstm"]), "lstm:", student, expected,
                                       tol, literals, LSTM.CALLEES)}


def _probe_rnn(probe, cell: dict, seq: dict, have, own: bool = False) -> None:
    """The RNN cell and sequence functions on one case (own: the graded sizes, with notes and own gradients)."""
    c = _copy(cell)
    if "rnn_cell_forward" in have:
        with probe.function("rnn_cell_forward", "rnn_cell_backward"):
            res = probe.call("rnn_cell_forward", c["xt"], c["a_prev"], c["parameters"])
            a_next, yt_pred, cache = probe.unpack(res, 3, "rnn_cell_forward")
            probe.record("cell:a_next", a_next, "a_next")
            _record_output(probe, "cell:yt_pred", yt_pred, "yt_pred of rnn_cell_forward")
            if "rnn_cell_backward" in have:
                grads = probe.call("rnn_cell_backward", c["da_next"], cache)
                grads = _record_dict(probe, "cell", grads, STEP_GRADS, "rnn_cell_backward")
                if own:
                    _own_gradient(probe, "rnn_cell", cell, ("xt", "a_prev"), "da_next", grads)
    elif "rnn_cell_backward" in have:  # backward only (the forward in another file): the course's cache
        with probe.function("rnn_cell_backward"):
            cache = _course_cell_cache(c["xt"], c["a_prev"], c["parameters"])
            grads = probe.call("rnn_cell_backward", c["da_next"], cache)
            _record_dict(probe, "cell", grads, STEP_GRADS, "rnn_cell_backward")
        if own:
            probe.note(COURSE_CACHE_NOTE.format("rnn_cell_backward", "rnn_cell_forward"))
    s = _copy(seq)
    if "rnn_forward" in have:
        with probe.function("rnn_forward", "rnn_backward"):
            res = probe.call("rnn_forward", s["x"], s["a0"], s["parameters"])
            a, y_pred, caches = probe.unpack(res, 3, "rnn_forward")
            probe.record("seq:a", a, "a")
            _record_output(probe, "seq:y_pred", y_pred, "y_pred of rnn_forward")
            if "rnn_backward" in have:
                grads = probe.call("rnn_backward", s["da"], caches)
                grads = _record_dict(probe, "seq", grads, SEQ_GRADS, "rnn_backward")
                if own:
                    _own_gradient(probe, "rnn", seq, ("x", "a0"), "da", grads)
    elif "rnn_backward" in have:
        with probe.function("rnn_backward"):
            caches, a_prev = [], s["a0"]
            for t in range(s["x"].shape[2]):
                caches.append(_course_cell_cache(s["x"][:, :, t], a_prev, s["parameters"]))
                a_prev = caches[-1][0]
            grads = probe.call("rnn_backward", s["da"], (caches, s["x"]))
            _record_dict(probe, "seq", grads, SEQ_GRADS, "rnn_backward")
        if own:
            probe.note(COURSE_CACHE_NOTE.format("rnn_backward", "rnn_forward"))


def _own_gradient(probe, stem: str, case: dict, states: tuple, upstream: str, grads: dict) -> None:
    """The backward against finite differences of the file's own forward (grader.judging.own_gradient)."""
    from ..judging import own_gradient as OG

    case = _copy(case)
    weights = ("Wax", "Waa", "ba")
    inputs = {**{n: case[n] for n in states}, **{n: case["parameters"][n] for n in weights}}
    rest = {k: v for k, v in case["parameters"].items() if k not in weights}
    OG.record(probe, f"{stem}_backward", lambda a: probe.call(
        f"{stem}_forward", *[a[n] for n in states], {**rest, **{n: a[n] for n in weights}})[0],
        inputs, [case[upstream]], {n: grads["d" + n] for n in states + weights})


def _course_cell_cache(xt, a_prev, parameters) -> tuple:
    """The cache the course's rnn_cell_forward template builds: (a_next, a_prev, xt, parameters)."""
    a_next = np.tanh(parameters["Wax"] @ xt + parameters["Waa"] @ a_prev + parameters["ba"])
    return a_next, a_prev, xt, parameters


def _record_output(probe, key: str, value, what: str) -> None:
    """The softmax output: None (a softmax of the student's left a stub) fails only the output's checks, since
    a_next and the backward do not depend on it."""
    if value is None:
        probe.info.setdefault("unusable", {})[key] = (f"{what} is None: not computed (a softmax that returns "
                                                       f"nothing, or the template's `= None` placeholder?)")
    else:
        probe.record(key, value, what.split(" of ")[0])


def _cell(A, c: dict) -> dict:
    p = c["parameters"]
    r = A.rnn(c["xt"].T[None], c["a_prev"].T, p["Wax"], p["Waa"], p["ba"][:, 0], dh=c["da_next"].T[None])
    a_next = r["h"][0].T
    return {"cell:a_next": a_next, "cell:yt_pred": A.softmax_columns(p["Wya"] @ a_next + p["by"]),
            "cell:dxt": r["dx"][0].T, "cell:da_prev": r["dh0"].T, "cell:dWax": r["dWxh"], "cell:dWaa": r["dWhh"],
            "cell:dba": _column(r["db"])}


def _sequence(A, s: dict) -> dict:
    p = s["parameters"]
    tm = lambda arr: arr.transpose(2, 1, 0)  # noqa: E731 - (n, m, T) <-> (T, m, n)
    r = A.rnn(tm(s["x"]), s["a0"].T, p["Wax"], p["Waa"], p["ba"][:, 0], dh=tm(s["da"]))
    a = tm(r["h"])
    y = A.softmax_columns(np.einsum("ya,amt->ymt", p["Wya"], a) + p["by"][:, :, None])
    return {"seq:a": a, "seq:y_pred": y, "seq:dx": tm(r["dx"]), "seq:da0": r["dh0"].T, "seq:dWax": r["dWxh"],
            "seq:dWaa": r["dWhh"], "seq:dba": _column(r["db"])}


def _optimize(A, o: dict) -> dict:
    p = o["parameters"]
    T = len(o["X"])
    x = np.zeros((T, 1, VOCAB))
    for t, ix in enumerate(o["X"]):
        if ix is not None:
            x[t, 0, ix] = 1.0
    head = dict(Why=p["Wya"], by=p["by"][:, 0])
    logits = A.rnn(x, o["a_prev"].T, p["Wax"], p["Waa"], p["b"][:, 0], **head)["logits"]
    loss, dlogits = A.cross_entropy(logits, np.array(o["Y"]).reshape(T, 1))
    r = A.rnn(x, o["a_prev"].T, p["Wax"], p["Waa"], p["b"][:, 0], dlogits=dlogits, **head)
    grads = {"Wax": r["dWxh"], "Waa": r["dWhh"], "Wya": r["dWhy"], "b": _column(r["db"]), "by": _column(r["dby"])}
    clipped, new = A.clip_and_step(p, grads, o["learning_rate"], CLIP_AT)
    out = {"opt:loss": np.float64(loss), "opt:a": r["h_n"].T}
    out.update({f"opt:d{n}": clipped[n] for n in DINO})
    out.update({f"opt:step:{n}": new[n] - p[n] for n in DINO})
    return out


CLIPPING_CALLS = frozenset({"clip", "minimum", "maximum", "where", "clamp", "clip_by_value", "min", "max"})


def _calls_any(fn, names: frozenset, or_compares: bool = False) -> bool:
    """Whether fn's source calls a function or method named one of names (or, with or_compares, compares
    anything: `g[g > c] = c` clips too); True when it cannot be read."""
    import ast
    import inspect
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return True
    return any((isinstance(n, ast.Call) and (getattr(n.func, "id", None) in names or
                                              getattr(n.func, "attr", None) in names))
               or (or_compares and isinstance(n, ast.Compare)) for n in ast.walk(tree))


def _discards_call(fn, name: str) -> bool:
    """Whether fn calls `name(...)` as a statement of its own, dropping what it returns."""
    import ast
    import inspect
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return False
    return any(isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) and getattr(n.value.func, "id", None) == name
               for n in ast.walk(tree))


def _column(db) -> np.ndarray:
    """A bias gradient in the course's column shape: (n,) -> (n, 1); a per-example (m, n) -> (n, m)."""
    db = np.asarray(db)
    return db[:, None] if db.ndim == 1 else db.T


def _copy(case: dict) -> dict:
    """Fresh arrays for every call: the student's code may write into what it is given."""
    def one(v):
        if isinstance(v, dict):
            return {k: one(x) for k, x in v.items()}
        return v.copy() if isinstance(v, (np.ndarray, list)) else v
    return {k: one(v) for k, v in case.items()}


def _record_dict(probe, prefix: str, value, keys: tuple, what: str) -> dict:
    """Record value[k] for every key; returns the dict read. A tuple holding the gradients dict next to
    something extra (`return gradients, da_prevt`) is read for that dict, and the report says so."""
    if isinstance(value, (tuple, list)):
        dicts = [v for v in value if isinstance(v, dict) and set(keys) <= set(v)]
        if len(dicts) == 1:
            probe.note(f"{what.split(' ')[0].split('[')[0]} returns a {type(value).__name__} of {len(value)}: "
                       "graded its gradients dict, the rest is not checked")
            value = dicts[0]
    if not isinstance(value, dict):
        probe.fail(f"{what} must return a dict of gradients keyed {', '.join(keys)}; got {type(value).__name__}")
    for k in keys:
        if k not in value:
            probe.fail(f"{what}: the dict has keys {', '.join(map(str, value))}; missing {k!r}")
        probe.record(f"{prefix}:{k}", value[k], f"{what}['{k}']")
    return value


PROTOCOL = DLAI()


def _lstm_parts(plan: dict, info: dict) -> list:
    """The LSTM half's expected values, only for a file that has LSTM functions (the replays stay cheap)."""
    return LSTM.expected_parts(plan["lstm"]) if set(LSTM.FUNCTIONS) & set(info.get("functions", [])) else []
