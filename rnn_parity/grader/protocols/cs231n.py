"""cs231n: CS231n assignment 3's rnn_layers.py, and the courses that reuse it.

    rnn_step_forward(x, prev_h, Wx, Wh, b) -> (next_h, cache)    x (N, D), prev_h (N, H), Wx (D, H), Wh (H, H), b (H,)
    rnn_step_backward(dnext_h, cache) -> (dx, dprev_h, dWx, dWh, db)
    rnn_forward(x, h0, Wx, Wh, b) -> (h, cache)                  x (N, T, D) -> h (N, T, H); or time-major (T, N, D)
    rnn_backward(dh, cache) -> (dx, dh0, dWx, dWh, db)
    word_embedding_forward(x, W) -> (out, cache), word_embedding_backward(dout, cache) -> dW
    temporal_affine_forward(x, w, b) -> (out, cache), temporal_affine_backward(dout, cache) -> (dx, dw, db)
    temporal_softmax_loss(x, y, mask) -> (loss, dx)               loss summed over T and masked, averaged over N

next_h = tanh(x @ Wx + prev_h @ Wh + b). The caches are the student's own: passed back as they came.
The layout of rnn_forward is told from shapes: the probe has N != T, so a time-major implementation fed
batch-major input fails (and the other way round); the layout that runs is graded.
"""
from __future__ import annotations

import numpy as np

from ..judging import own_gradient as OG
from . import cs231n_lstm as LSTM
from . import sizes as S
from .lstm_mistakes import MUTANTS as LSTM_MUTANTS
from .engine import CheckSpec, Protocol, Recognition, own_function, parameter_names, takes
from .student import GradeError

N, T, D, H = 3, 4, 5, 6  # N != T and D != H: layouts and transposes show in the shapes
# the notebook's own test sizes: (N, D, H) of its step tests, (N, T, D, H) of its sequence tests
COURSE_STEP = [(3, 10, 4), (4, 5, 6)]
COURSE_SEQ = [(2, 3, 4, 5), (2, 10, 3, 5)]
V, M = 9, 7  # vocabulary (word embedding, softmax loss) and temporal-affine output size

RNN_FUNCTIONS = ("rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward")
OTHER_FUNCTIONS = ("word_embedding_forward", "word_embedding_backward", "temporal_affine_forward",
                   "temporal_affine_backward", "temporal_softmax_loss")
ARITY = {"rnn_step_forward": 5, "rnn_step_backward": 2, "rnn_forward": 5, "rnn_backward": 2,
         "word_embedding_forward": 2, "word_embedding_backward": 2, "temporal_affine_forward": 3,
         "temporal_affine_backward": 2, "temporal_softmax_loss": 3}
DEFAULT_NAMES = {"rnn_step_forward": ["x", "prev_h", "Wx", "Wh", "b"], "rnn_forward": ["x", "h0", "Wx", "Wh", "b"],
                 "word_embedding_forward": ["x", "W"], "temporal_affine_forward": ["x", "w", "b"],
                 "temporal_softmax_loss": ["x", "y", "mask"]}


class CS231n(Protocol):
    name = "cs231n"
    title = "CS231n rnn_layers.py"
    functions = RNN_FUNCTIONS + LSTM.FUNCTIONS + OTHER_FUNCTIONS
    # where a mistake may sit: in both the step and the sequence functions (rnn_forward calls the step),
    # in the sequence loop only, in the step only, or in one of the other layers
    scopes = [("step:", "seq:"), ("seq:",), ("step:",), ("emb:",), ("affine:",), ("loss:",)] + LSTM.SCOPES
    phrasing = {
        "whh_not_transposed_backward": ("dprev_h = dtanh @ Wh", "dprev_h = dtanh @ Wh.T"),
        "whh_not_transposed_forward": ("next_h = np.tanh(x @ Wx + prev_h @ Wh.T + b)",
                                       "next_h = np.tanh(x @ Wx + prev_h @ Wh + b)"),
        "h_t_in_recurrent_grad": ("dWh = next_h.T @ dtanh", "dWh = prev_h.T @ dtanh"),
        "tanh_grad_of_activation": ("dtanh = dnext_h * (1 - np.tanh(next_h) ** 2)",
                                    "dtanh = dnext_h * (1 - next_h ** 2)"),
        "tanh_grad_missing": ("dtanh = dnext_h", "dtanh = dnext_h * (1 - next_h ** 2)"),
        "tanh_grad_of_upstream": ("dtanh = dnext_h * (1 - dnext_h ** 2)", "dtanh = dnext_h * (1 - next_h ** 2)"),
        "upstream_grad_alone": ("dx_t, dprev_h, ... = rnn_step_backward(dh[:, t, :], cache[t])",
                                    "dx_t, dprev_h, ... = rnn_step_backward(dh[:, t, :] + dprev_h, cache[t])"),
        "bias_grad_not_summed": ("db = db_t  (inside the loop over t)", "db += db_t"),
        "bias_grad_not_summed_over_batch": ("db = dtanh", "db = dtanh.sum(axis=0)"),
        "bias_grad_averaged_over_batch": ("db = dtanh.mean(axis=0)", "db = dtanh.sum(axis=0)"),
        "dh0_never_assigned": ("dh0 = np.zeros_like(...)  (never set)", "dh0 = dprev_h  (after the loop)"),
        "h0_ignored": ("prev_h = np.zeros((N, H))", "prev_h = h0"),
        "embedding_grad_not_accumulated": ("dW[x] += dout", "np.add.at(dW, x, dout)"),
        "loss_grad_missing_one": ("dx = probs", "dx = probs; dx[range(N * T), y] -= 1"),
        **LSTM.PHRASING,
    }
    mutants = LSTM_MUTANTS  # the LSTM mistakes, beside rnn_parity.mutants.CATALOG

    # --- child side

    def recognise(self, module) -> Recognition:
        found = [n for n in RNN_FUNCTIONS + OTHER_FUNCTIONS
                 if own_function(module, n) is not None and takes(own_function(module, n), ARITY[n])]
        found += LSTM.found(module)
        if not any(n in found for n in RNN_FUNCTIONS + LSTM.FUNCTIONS):
            return Recognition(0.0)
        return Recognition(float(len(found)), found)

    def plan(self, seed: int) -> dict:
        rng = np.random.default_rng([seed, 231])
        g = rng.normal
        p = {"step": {"x": g(0, 1, (N, D)), "prev_h": g(0, 0.8, (N, H)), "Wx": g(0, 0.5, (D, H)),
                      "Wh": g(0, 0.9 / np.sqrt(H), (H, H)), "b": g(0, 0.3, (H,)), "dnext_h": g(0, 1, (N, H))},
             "seq": {"x": g(0, 1, (N, T, D)), "h0": g(0, 0.8, (N, H)), "Wx": g(0, 0.5, (D, H)),
                     "Wh": g(0, 0.9 / np.sqrt(H), (H, H)), "b": g(0, 0.3, (H,)), "dh": g(0, 1, (N, T, H))}}
        ids = rng.integers(0, V, size=(N, T))
        ids[0, :2] = ids[1, 0]  # repeated words: the embedding gradient must add them up
        p["emb"] = {"x": ids, "W": g(0, 1, (V, D)), "dout": g(0, 1, (N, T, D))}
        p["affine"] = {"x": g(0, 1, (N, T, D)), "w": g(0, 1, (D, M)), "b": g(0, 1, (M,)), "dout": g(0, 1, (N, T, M))}
        mask = rng.random((N, T)) < 0.7
        mask[:, 0] = True
        p["loss"] = {"x": g(0, 1.5, (N, T, V)), "y": rng.integers(0, V, size=(N, T)), "mask": mask}
        p["lstm"] = LSTM.plan(seed)
        course = np.random.default_rng([seed, 231, 5]).normal  # the notebook's sizes, for hard-coded ones
        p["course_step"] = [_rnn_step_case(course, *sz) for sz in COURSE_STEP]
        p["course_seq"] = [_rnn_seq_case(course, *sz) for sz in COURSE_SEQ]
        return p

    def probe(self, probe, plan: dict) -> None:
        module = probe.module
        info = probe.info
        info["functions"] = self.recognise(module).found
        info["names"] = {f: _names(module, f) for f in DEFAULT_NAMES}
        info["forward_only"] = []
        have = set(info["functions"])
        _probe_rnn_step(probe, plan["step"], have, own=True)
        _probe_rnn_seq(probe, plan["seq"], have, own=True)
        runs = [(k, lambda pr, c=c: _probe_rnn_step(pr, c, have)) for k, c in enumerate(plan["course_step"])]
        runs += [(len(runs) + k, lambda pr, c=c: _probe_rnn_seq(pr, c, have)) for k, c in enumerate(plan["course_seq"])]
        S.run_at_course_sizes(probe, "", runs)
        values = {v for sz in COURSE_STEP + COURSE_SEQ for v in sz}
        info["size_literals"] = {f: lines for f in RNN_FUNCTIONS if f in have
                                 for lines in [S.size_literals(own_function(module, f), values)] if lines}
        e = plan["emb"]
        if "word_embedding_forward" in have:
            with probe.function("word_embedding_forward", "word_embedding_backward"):
                res = probe.call("word_embedding_forward", e["x"].copy(), e["W"].copy())
                out, cache = _output_and_cache(probe, res, "word_embedding_forward")
                probe.record("emb:out", out, "out")
                if "word_embedding_backward" in have and _has_cache(probe, "word_embedding_forward",
                                                                    "word_embedding_backward"):
                    dW = probe.call("word_embedding_backward", e["dout"].copy(), cache)
                    if isinstance(dW, (tuple, list)) and len(dW) == 1:
                        dW = dW[0]
                    probe.record("emb:dW", dW, "dW")
        a = plan["affine"]
        if "temporal_affine_forward" in have:
            with probe.function("temporal_affine_forward", "temporal_affine_backward"):
                res = probe.call("temporal_affine_forward", a["x"].copy(), a["w"].copy(), a["b"].copy())
                out, cache = _output_and_cache(probe, res, "temporal_affine_forward")
                probe.record("affine:out", out, "out")
                if "temporal_affine_backward" in have and _has_cache(probe, "temporal_affine_forward",
                                                                     "temporal_affine_backward"):
                    res = probe.call("temporal_affine_backward", a["dout"].copy(), cache)
                    _record_grads(probe, "affine", res, ("dx", "dw", "db"), "temporal_affine_backward")
        lo = plan["loss"]
        if "temporal_softmax_loss" in have:
            with probe.function("temporal_softmax_loss"):
                res = probe.call("temporal_softmax_loss", lo["x"].copy(), lo["y"].copy(), lo["mask"].copy())
                if isinstance(res, (tuple, list)):
                    loss, dx = probe.unpack(res, 2, "temporal_softmax_loss")
                    probe.record("loss:dx", dx, "dx")
                elif res is None:
                    probe.fail("temporal_softmax_loss returned None: not written yet (the template's `pass` is "
                               "still there?)")
                else:  # the loss alone (a forward-only course version): no dx to check
                    loss = res
                    info["forward_only"].append("temporal_softmax_loss")
                probe.record("loss:loss", loss, "loss")
        LSTM.probe(probe, plan["lstm"])
        if info["forward_only"]:
            probe.note(f"forward only (no cache returned, so no gradients to check): {', '.join(info['forward_only'])}")
        if info.get("layout") == "time-major":
            probe.note("rnn_forward takes time-major input x (T, N, D) and returns h (T, N, H) (told from shapes)")

    # --- parent side

    def checks(self, plan: dict, info: dict) -> list:
        have = set(info.get("functions", []))
        names = info.get("names", DEFAULT_NAMES)
        out = []

        def grads(prefix, fn, keys, arg_names, check_prefix, dx_time_axis=None):
            for key, arg in zip(keys, arg_names):
                out.append(CheckSpec(f"{check_prefix}grad:{arg}", fn, [f"{prefix}:{key}"], "{key} of " + fn,
                                     dx_time_axis if key == "dx" else None))

        if "rnn_step_forward" in have:
            out.append(CheckSpec("step:forward", "rnn_step_forward", ["step:next_h"], "next_h of rnn_step_forward"))
        if "rnn_step_backward" in have and "rnn_step_forward" in have:
            grads("step", "rnn_step_backward", ("dx", "dprev_h", "dWx", "dWh", "db"), names["rnn_step_forward"],
                  "step:")
        time_axis = 1 if info.get("layout", "batch-major") == "batch-major" else 0
        if "rnn_forward" in have:
            out.append(CheckSpec("forward", "rnn_forward", ["seq:h"], "h of rnn_forward", time_axis))
        if "rnn_backward" in have and "rnn_forward" in have:
            grads("seq", "rnn_backward", ("dx", "dh0", "dWx", "dWh", "db"), names["rnn_forward"], "", time_axis)
        if "word_embedding_forward" in have:
            out.append(CheckSpec("embedding:forward", "word_embedding_forward", ["emb:out"],
                                 "out of word_embedding_forward"))
            if "word_embedding_backward" in have:
                out.append(CheckSpec(f"embedding:grad:{names['word_embedding_forward'][1]}", "word_embedding_backward",
                                     ["emb:dW"], "dW of word_embedding_backward"))
        if "temporal_affine_forward" in have:
            out.append(CheckSpec("temporal_affine:forward", "temporal_affine_forward", ["affine:out"],
                                 "out of temporal_affine_forward"))
            if "temporal_affine_backward" in have:
                grads("affine", "temporal_affine_backward", ("dx", "dw", "db"), names["temporal_affine_forward"],
                      "temporal_affine:")
        if "temporal_softmax_loss" in have:
            out.append(CheckSpec("temporal_softmax_loss", "temporal_softmax_loss", ["loss:loss"],
                                 "loss of temporal_softmax_loss"))
            if "temporal_softmax_loss" not in info.get("forward_only", []):
                out.append(CheckSpec(f"temporal_softmax_loss:grad:{names['temporal_softmax_loss'][0]}",
                                     "temporal_softmax_loss", ["loss:dx"], "dx of temporal_softmax_loss"))
        return out + LSTM.checks(info)

    def expected_parts(self, plan: dict, info: dict) -> list:
        from ..judging import answers as A

        batch = info.get("layout", "batch-major") == "batch-major"
        have = set(info.get("functions", RNN_FUNCTIONS + OTHER_FUNCTIONS))
        parts = [("rnn_step_forward", lambda: _step(A, plan["step"])),
                 ("rnn_forward", lambda: _sequence(A, plan["seq"], batch)),
                 ("word_embedding_forward", lambda: _embedding(A, plan["emb"])),
                 ("temporal_affine_forward", lambda: _affine(plan["affine"])),
                 ("temporal_softmax_loss", lambda: _loss(A, plan["loss"]))]
        if have & set(RNN_FUNCTIONS):  # the RNN functions at the notebook's own sizes (hard-coded sizes)
            parts.append(("", lambda: _course(A, plan, batch)))
        # only the parts of the functions the file has: the diagnosis replays them all, once per mistake
        return [part for fn, part in parts if not fn or fn in have] + _lstm_parts(plan, info)

    def refine(self, results: list, specs: list, plan: dict, info: dict, student: dict, expected: dict,
               tol: float) -> dict:
        """{function: why} for the functions that pass only at the notebook's own sizes."""
        literals = info.get("size_literals", {})
        rnn = [(s, r) for s, r in zip(specs, results) if not s.name.startswith("lstm:")]
        found = S.hardcoded([r for _, r in rnn], [s for s, _ in rnn], len(plan["course_step"]) + len(plan["course_seq"]),
                            "", student, expected, tol, literals, {"rnn_forward": "rnn_step_forward",
                                                                     "rnn_backward": "rnn_step_backward"})
        return {**found, **S.hardcoded(results, specs, LSTM.course_sets(plan["lstm"]), "lstm:", student, expected,
                                       tol, literals, LSTM.CALLEES)}


def _rnn_step_case(g, n, d, h) -> dict:
    return {"x": g(0, 1, (n, d)), "prev_h": g(0, 0.8, (n, h)), "Wx": g(0, 0.5, (d, h)),
            "Wh": g(0, 0.9 / np.sqrt(h), (h, h)), "b": g(0, 0.3, (h,)), "dnext_h": g(0, 1, (n, h))}


def _rnn_seq_case(g, n, t, d, h) -> dict:
    return {"x": g(0, 1, (n, t, d)), "h0": g(0, 0.8, (n, h)), "Wx": g(0, 0.5, (d, h)),
            "Wh": g(0, 0.9 / np.sqrt(h), (h, h)), "b": g(0, 0.3, (h,)), "dh": g(0, 1, (n, t, h))}


def _course(A, plan: dict, batch: bool) -> dict:
    """The expected values at the notebook's sizes, under "course<k>:" (see sizes.course_key)."""
    out = {}
    for k, c in enumerate(plan["course_step"]):
        out.update({S.course_key("", k, key): v for key, v in _step(A, c).items()})
    for k, c in enumerate(plan["course_seq"]):
        k += len(plan["course_step"])
        out.update({S.course_key("", k, key): v for key, v in _sequence(A, c, batch).items()})
    return out


def _step(A, c: dict) -> dict:
    r = A.rnn(c["x"][None], c["prev_h"], c["Wx"].T, c["Wh"].T, c["b"], dh=c["dnext_h"][None])
    return {"step:next_h": r["h"][0], "step:dx": r["dx"][0], "step:dprev_h": r["dh0"], "step:dWx": r["dWxh"].T,
            "step:dWh": r["dWhh"].T, "step:db": r["db"]}


def _sequence(A, s: dict, batch_major: bool) -> dict:
    tm = lambda a: np.swapaxes(a, 0, 1)  # noqa: E731 - batch-major <-> time-major
    r = A.rnn(tm(s["x"]), s["h0"], s["Wx"].T, s["Wh"].T, s["b"], dh=tm(s["dh"]))
    return {"seq:h": tm(r["h"]) if batch_major else r["h"], "seq:dx": tm(r["dx"]) if batch_major else r["dx"],
            "seq:dh0": r["dh0"], "seq:dWx": r["dWxh"].T, "seq:dWh": r["dWhh"].T, "seq:db": r["db"]}


def _embedding(A, e: dict) -> dict:
    return {"emb:out": e["W"][e["x"]], "emb:dW": A.embedding_grad(e["x"], e["dout"], V)}


def _affine(a: dict) -> dict:
    return {"affine:out": a["x"] @ a["w"] + a["b"], "affine:dx": a["dout"] @ a["w"].T,
            "affine:dw": a["x"].reshape(-1, D).T @ a["dout"].reshape(-1, M), "affine:db": a["dout"].sum(axis=(0, 1))}


def _loss(A, lo: dict) -> dict:
    loss, dx = A.cross_entropy(lo["x"], lo["y"], lo["mask"], "sum")
    return {"loss:loss": np.float64(loss / N), "loss:dx": dx / N}  # summed over the scored steps, mean over N


def _probe_rnn_step(probe, case: dict, have, own: bool = False) -> None:
    """rnn_step_forward, then rnn_step_backward on its cache (own: also against its own forward)."""
    c = {k: v.copy() for k, v in case.items()}
    if "rnn_step_forward" not in have:
        return
    with probe.function("rnn_step_forward", "rnn_step_backward"):
        res = probe.call("rnn_step_forward", c["x"], c["prev_h"], c["Wx"], c["Wh"], c["b"])
        next_h, cache = _output_and_cache(probe, res, "rnn_step_forward")
        probe.record("step:next_h", next_h, "next_h")
        if "rnn_step_backward" in have and _has_cache(probe, "rnn_step_forward", "rnn_step_backward"):
            res = probe.call("rnn_step_backward", c["dnext_h"], cache)
            _record_grads(probe, "step", res, ("dx", "dprev_h", "dWx", "dWh", "db"), "rnn_step_backward")
            step = ("x", "prev_h", "Wx", "Wh", "b")
            if own:
                OG.record(probe, "rnn_step_backward", lambda a: probe.call("rnn_step_forward", *[a[n] for n in step])[0],
                          {n: case[n] for n in step}, [case["dnext_h"]], dict(zip(step, res)))


def _probe_rnn_seq(probe, case: dict, have, own: bool = False) -> None:
    """rnn_forward in the layout that runs, then rnn_backward on its cache (own: sets info["layout"] too)."""
    s = {k: v.copy() for k, v in case.items()}
    if "rnn_forward" not in have:
        return
    with probe.function("rnn_forward", "rnn_backward"):
        res, layout = _forward_any_layout(probe, s)
        if own:
            probe.info["layout"] = layout
        h, cache = _output_and_cache(probe, res, "rnn_forward")
        probe.record("seq:h", h, "h")
        if "rnn_backward" in have and _has_cache(probe, "rnn_forward", "rnn_backward"):
            dh = s["dh"] if layout == "batch-major" else s["dh"].transpose(1, 0, 2).copy()
            res = probe.call("rnn_backward", dh, cache)
            _record_grads(probe, "seq", res, ("dx", "dh0", "dWx", "dWh", "db"), "rnn_backward")
            names = ("x", "h0", "Wx", "Wh", "b")
            inputs = {n: case[n] for n in names}
            inputs["x"] = inputs["x"] if layout == "batch-major" else inputs["x"].transpose(1, 0, 2).copy()
            if own:
                OG.record(probe, "rnn_backward", lambda a: probe.call("rnn_forward", *[a[n] for n in names])[0],
                          inputs, [dh], dict(zip(names, res)))


def _names(module, fn_name: str) -> list:
    """The student's own argument names of fn_name (for check names), or the course's."""
    fn = getattr(module, fn_name, None)
    names = parameter_names(fn) if callable(fn) else []
    default = DEFAULT_NAMES[fn_name]
    return names[:len(default)] if len(names) >= len(default) else default


def _output_and_cache(probe, res, fn: str):
    """(output, cache) from what a forward returned: the pair, or the output alone (forward-only versions
    of the course, whose backward comes from autograd), in which case cache is None."""
    if isinstance(res, (tuple, list)):
        return probe.unpack(res, 2, fn)
    if res is None:  # the template's body (`pass`) still there: not a forward-only version
        probe.fail(f"{fn} returned None: not written yet (the template's `pass` is still there?)")
    probe.info["forward_only"].append(fn)
    return res, None


def _has_cache(probe, forward: str, backward: str) -> bool:
    if forward in probe.info["forward_only"]:
        probe.info["not_run"][backward] = f"not run: {forward} returns no cache, only its output"
        return False
    return True


def _record_grads(probe, prefix: str, res, keys: tuple, fn: str):
    values = probe.unpack(res, len(keys), fn)
    for key, value in zip(keys, values):
        probe.record(f"{prefix}:{key}", value, f"{key} of {fn}")


def _forward_any_layout(probe, s: dict):
    """rnn_forward on batch-major input; if that raises, on time-major input. Returns (result, layout)."""
    try:
        args = [s[k].copy() for k in ("x", "h0", "Wx", "Wh", "b")]
        return probe.call("rnn_forward", *args), "batch-major"
    except GradeError as batch_error:
        args = [s["x"].transpose(1, 0, 2).copy()] + [s[k].copy() for k in ("h0", "Wx", "Wh", "b")]
        try:
            return probe.call("rnn_forward", *args), "time-major"
        except GradeError:
            raise batch_error from None


PROTOCOL = CS231n()


def _lstm_parts(plan: dict, info: dict) -> list:
    """The LSTM half's expected values, only for a file that has LSTM functions (the replays stay cheap)."""
    return LSTM.expected_parts(plan["lstm"]) if set(LSTM.FUNCTIONS) & set(info.get("functions", [])) else []
