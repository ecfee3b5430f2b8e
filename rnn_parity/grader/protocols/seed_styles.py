"""seed_styles: the function styles of the seed documents, graded as their authors wrote them.

Seed 001 style (weights U (H, V) input->hidden, V (H, H), W (V, H) hidden->output, bh (H, 1), by (V, 1)):
    forward_propagation(x, params, hidden_size) -> (outputs, hidden_states)    params = (U, V, W, bh, by);
        x: T one-hot columns (V, 1); starts from h = 0; outputs: softmax columns
    backward_propagation(inputs, targets, outputs, hidden_states, params, learning_rate)
        -> (params, loss) after clipping and updating in place, or the gradients (dU, dV, dW, dbh, dby[, loss])
Seed 002 style (deeplearning.ai names Wax (H, V) Waa (H, H) Wya (V, H) ba (H, 1) by (V, 1) in a dict):
    rnn_step_forward(parameters, a_prev, x) -> (a_next, p_t)
    rnn_forward(X, Y, a0, parameters, n_x) -> (loss, cache)       X, Y: lists of ints; cache (y_hat, a, x)
    rnn_backward(X, Y, parameters, cache) -> (gradients, a)       gradients: dWax dWaa dWya dba dby [da_next]
    update_parameters(parameters, gradients, lr) -> parameters
Told from cs231n's rnn_step_forward(x, prev_h, Wx, Wh, b) by the signature: `parameters` comes first.

Every backward function is handed the right forward results, so it is graded on its own: a crash or a mistake
in the forward does not fail it. rnn_backward's cache is opaque: it gets the one its own rnn_forward returned
when that forward's states are right, else a built (y_hat, a, x). When backward_propagation returns updated
parameters, its gradients are read from the update: g = (p - p_new) / lr, on a probe whose gradients stay below
any clip bound; a second probe, with gradients far past it, grades the clipping (bound told from the results).
"""
from __future__ import annotations

import numpy as np

from . import charlevel as CL
from .engine import CheckSpec, Protocol, Recognition, own_function, parameter_names

V, H, T = 6, 4, 4  # weights of scale 0.15: every main-probe gradient below 0.85 (500 seeds), under seed 001's clip at 1
T_CLIP = 8
LR = 0.5
S1 = ("U", "V", "W", "bh", "by")  # seed 001, in the params tuple's order
S2 = ("Wax", "Waa", "Wya", "ba", "by")  # seed 002
CANON = ("Wxh", "Whh", "Why", "bh", "by")


def _style(module) -> tuple[str | None, list]:
    fp, bp = own_function(module, "forward_propagation"), own_function(module, "backward_propagation")
    found = []
    if fp is not None and len(parameter_names(fp)) == 3:
        found.append("forward_propagation")
    if bp is not None and len(parameter_names(bp)) in (5, 6):
        found.append("backward_propagation")
    if found:
        return "001", found
    shapes = {"rnn_step_forward": lambda a: len(a) == 3 and a[0] in ("parameters", "params"),
              "rnn_forward": lambda a: len(a) == 5 and a[3] in ("parameters", "params"),
              "rnn_backward": lambda a: len(a) == 4 and a[2] in ("parameters", "params"),
              "update_parameters": lambda a: len(a) == 3 and a[0] in ("parameters", "params")}
    for name, fits in shapes.items():
        fn = own_function(module, name)
        if fn is not None and fits(parameter_names(fn)):
            found.append(name)
    return ("002", found) if set(found) - {"update_parameters"} else (None, [])


class SeedStyles(Protocol):
    name = "seed_styles"
    title = "the seed documents' functions"
    functions = ("forward_propagation(x, params, hidden_size)", "backward_propagation(inputs, targets, outputs, "
                 "hidden_states, params, learning_rate)", "rnn_step_forward(parameters, a_prev, x)",
                 "rnn_forward(X, Y, a0, parameters, n_x)", "rnn_backward(X, Y, parameters, cache)",
                 "update_parameters(parameters, gradients, lr)")
    scopes = [("f1:",), ("b1:", "c1:", "u1:"), ("s2:",), ("f2:",), ("b2:",), ("u2:",)]
    phrasing = {
        "h_t_in_recurrent_grad": ("dV += np.dot(dh_raw, hidden_states[t].T)",
                                  "dV += np.dot(dh_raw, h_prev.T)  (h_prev = hidden_states[t-1], zeros at t = 0)"),
        "output_grad_not_accumulated": ("dW = np.dot(dy, hidden_states[t].T)", "dW += np.dot(dy, hidden_states[t].T)"),
        "tanh_grad_of_activation": ("dh_raw = dh * tanh(hidden_states[t], derivative=True)  (1 - tanh(h)**2)",
                                    "dh_raw = dh * (1 - hidden_states[t] ** 2)"),
        "one_hot_from_position": ("x[t] = one_hot_encode(t, n_x)", "x[t] = one_hot_encode(X[t], n_x)"),
        "whh_not_transposed_backward": ("da_next = np.dot(Waa, daraw)", "da_next = np.dot(Waa.T, daraw)"),
        "hidden_grad_not_carried": ("da = np.dot(Wya.T, dy)", "da = np.dot(Wya.T, dy) + da_next"),
        "upstream_grad_alone": ("da = np.dot(Wya.T, dy)", "da = np.dot(Wya.T, dy) + da_next"),
        "gradient_ascent": ("p += grad * learning_rate", "p -= grad * learning_rate"),
    }

    # --- child side

    def recognise(self, module) -> Recognition:
        style, found = _style(module)
        return Recognition(10.0, found) if style else Recognition(0.0)

    def plan(self, seed: int) -> dict:
        rng = np.random.default_rng([seed, 2])
        main = {"w": CL.weights(rng, V, H, 0.15), "ids": rng.integers(0, V, T).tolist(),
                "targets": rng.permutation(V)[:T].tolist(), "h0": rng.normal(0, 0.5, (H, 1))}
        w = CL.weights(rng, V, H)
        target = int(rng.integers(0, V))
        w["by"][target] -= 3.0  # an unlikely target at every step: d by[target] ~ -T_CLIP
        clip = {"w": w, "ids": rng.integers(0, V, T_CLIP).tolist(), "targets": [target] * T_CLIP,
                "h0": np.zeros((H, 1))}
        return {"main": main, "clip": clip}

    def probe(self, probe, plan: dict) -> None:
        style, found = _style(probe.module)
        probe.info.update(functions=found, style=style)
        if style == "001":
            _probe_001(probe, plan, set(found))
        elif style == "002":
            _probe_002(probe, plan, set(found))

    # --- parent side

    def checks(self, plan: dict, info: dict) -> list:
        have, out = set(info.get("functions", [])), []
        if info.get("style") == "001":
            if "forward_propagation" in have:
                out += [CheckSpec("forward", "forward_propagation", ["f1:probs"], "outputs of forward_propagation"),
                        CheckSpec("hidden", "forward_propagation", ["f1:h"], "hidden_states of forward_propagation")]
            if "backward_propagation" in have:
                fn = "backward_propagation"
                if info.get("returns_loss"):
                    out.append(CheckSpec("loss", fn, ["b1:loss"], "the loss backward_propagation returns"))
                out += [CheckSpec(f"grad:{n}", fn, [f"b1:d{n}"], "{key} of " + fn) for n in S1]
                if info.get("clip") is not None:
                    out.append(CheckSpec("clip", fn + " (clip probe)", [f"c1:d{n}" for n in S1],
                                         "{key} of " + fn + f" on gradients past {info['clip']:g}"))
                if info.get("updates"):
                    out.append(CheckSpec("update", fn, [f"u1:{n}" for n in S1], "{key} after " + fn))
            return out
        names = info.get("grad_names", {})
        if "rnn_step_forward" in have:
            out.append(CheckSpec("step:forward", "rnn_step_forward", ["s2:a_next", "s2:p"],
                                 "{key} of rnn_step_forward"))
        if "rnn_forward" in have:
            out += [CheckSpec("loss", "rnn_forward", ["f2:loss"], "the loss of rnn_forward"),
                    CheckSpec("forward", "rnn_forward", ["f2:probs"], "y_hat in the cache of rnn_forward"),
                    CheckSpec("hidden", "rnn_forward", ["f2:a"], "a in the cache of rnn_forward")]
        if "rnn_backward" in have:
            out += [CheckSpec(f"grad:{names.get(n, n)}", "rnn_backward", [f"b2:d{n}"], "{key} of rnn_backward")
                    for n in S2 + ("a0",) if n != "a0" or info.get("has_da0")]
        if "update_parameters" in have:
            out.append(CheckSpec("update", "update_parameters", [f"u2:{n}" for n in S2],
                                 "{key} after update_parameters"))
        return out

    def expected_parts(self, plan: dict, info: dict) -> list:
        if info.get("style") == "001":
            return [lambda: _expected_001(plan["main"], info, "main"),
                    lambda: _expected_001(plan["clip"], info, "clip")]
        return [lambda: _expected_002(plan, "s2"), lambda: _expected_002(plan, "f2"), lambda: _expected_002(plan, "b2"),
                lambda: _expected_002(plan, "u2")]


def _as_given(n: str, value):
    return CL.column(value) if n.startswith("b") else value


def _expected_001(case: dict, info: dict, part: str) -> dict:
    """Seed 001: the forward results and what backward_propagation gives, on the main or the clip probe.
    With an in-place update, the gradients are read through the reference's clip-then-update step, as the
    child reads them from the student's (so the update's own mistakes replay too)."""
    from ..judging import answers as A

    w = case["w"]
    r = CL.answer(**_canon(w), inputs=case["ids"], targets=case["targets"], h0=np.zeros(H))
    grads = {n: r["d" + k] for n, k in zip(S1, CANON)}
    clip = info.get("clip") or 1.0
    out = {"f1:probs": r["probs"][:, :, None], "f1:h": r["h"][:, :, None], "b1:loss": r["loss"]} \
        if part == "main" else {}
    prefix = "b1" if part == "main" else "c1"
    if info.get("updates"):
        before = {n: w[k].reshape(-1) if k[0] == "b" else w[k] for n, k in zip(S1, CANON)}
        after = A.clip_and_step(before, grads, LR, clip_value=clip if part == "clip" else None)[1]
        grads = {n: (before[n] - after[n]) / LR for n in S1}
        if part == "main":
            out.update({f"u1:{n}": _as_given(n, after[n]) for n in S1})
    elif part == "clip":
        grads = CL.clipped(grads, clip)
    out.update({f"{prefix}:d{n}": _as_given(n, grads[n]) for n in S1})
    return out


def _expected_002(plan: dict, part: str) -> dict:
    """Seed 002, one function's keys: s2 rnn_step_forward, f2 rnn_forward, b2 rnn_backward, u2 update_parameters."""
    from ..judging import answers as A

    m = plan["main"]
    w = m["w"]
    if part == "s2":
        step = CL.answer(**_canon(w), inputs=m["ids"][:1], targets=m["targets"][:1], h0=m["h0"])
        return {"s2:a_next": CL.column(step["h"][0]), "s2:p": CL.column(step["probs"][0])}
    if part == "u2":
        after = A.clip_and_step({n: w[k] for n, k in zip(S2, CANON)}, dict(zip(S2, _update_grads(plan))), LR)[1]
        return {f"u2:{n}": after[n] for n in S2}
    r = CL.answer(**_canon(w), inputs=m["ids"], targets=m["targets"], h0=m["h0"])
    if part == "f2":
        return {"f2:loss": r["loss"], "f2:probs": r["probs"][:, :, None], "f2:a": r["h"][:, :, None]}
    return {"b2:da0": CL.column(r["dh0"]), **{f"b2:d{n}": _as_given(n, r["d" + k]) for n, k in zip(S2, CANON)}}


def _canon(w: dict) -> dict:
    return {"Wxh": w["Wxh"], "Whh": w["Whh"], "bh": w["bh"], "Why": w["Why"], "by": w["by"]}


def _probe_001(probe, plan: dict, have: set) -> None:
    info = probe.info
    for part, prefix in (("main", "b1"), ("clip", "c1")):
        case = plan[part]
        w = case["w"]
        xs, ys = list(CL.one_hot(case["ids"], V)), list(CL.one_hot(case["targets"], V))
        if part == "main" and "forward_propagation" in have:
            with probe.function("forward_propagation"):
                res = probe.call("forward_propagation", np.array(xs), tuple(w[k].copy() for k in CANON), H)
                outputs, states = probe.unpack(res, 2, "forward_propagation")
                probe.record("f1:probs", _steps(probe, outputs, "outputs"), "outputs")
                probe.record("f1:h", _steps(probe, states, "hidden_states"), "hidden_states")
        if "backward_propagation" not in have:
            continue
        label = "backward_propagation" if part == "main" else "backward_propagation (clip probe)"
        with probe.function(label):
            probs, states = CL.given_states(w, case["ids"], np.zeros((H, 1)))
            params = tuple(w[k].copy() for k in CANON)
            before = [p.copy() for p in params]
            n_args = len(parameter_names(probe.fn("backward_propagation")))
            args = (xs, ys, probs, states, params) + ((LR,) if n_args == 6 else ())
            res = probe.call("backward_propagation", *args, label=label)
            grads, loss, updates = _read_001(probe, res, params, before)
            if part == "main":
                info.update(updates=updates is not None, returns_loss=loss is not None)
                if loss is not None:
                    probe.record("b1:loss", np.asarray(loss, dtype=np.float64).reshape(()), "loss")
                if updates:
                    for n, p in zip(S1, updates):
                        probe.record(f"u1:{n}", p, n + " after backward_propagation")
            for n, g in zip(S1, grads):
                probe.record(f"{prefix}:d{n}", g, f"d{n} of backward_propagation")
    if "backward_propagation" in have:
        clip = [probe.obs[f"c1:d{n}"] for n in S1 if f"c1:d{n}" in probe.obs]
        info["clip"] = CL.clip_bound_from_ties(clip) if len(clip) == 5 else None
        if info.get("updates"):
            probe.note(f"backward_propagation updates the parameters itself: its gradients are read from the "
                       f"update, (p - p_new) / learning_rate, with learning_rate = {LR}")
        if info["clip"] is None:
            info["crashed"].pop("backward_propagation (clip probe)", None)
            probe.note("backward_propagation does not clip its gradients: clip not graded")


def _read_001(probe, res, params, before) -> tuple:
    """(gradients, loss or None, updated parameters or None) from what backward_propagation returned."""
    loss = None
    items = list(res) if isinstance(res, (tuple, list)) else [res]
    if len(items) in (2, 6) and np.ndim(items[-1]) == 0 and not isinstance(items[-1], (tuple, list)):
        loss = items.pop()
    if len(items) == 1 and isinstance(items[0], (tuple, list)):
        items = list(items[0])
    if len(items) != 5:
        probe.fail("backward_propagation must return (params, loss), or the five gradients (dU, dV, dW, dbh, dby), "
                   f"with or without the loss; got {len(items)} values")
    changed = any(not np.array_equal(p, b) for p, b in zip(params, before))
    same = all(i is p for i, p in zip(items, params))
    if changed or same:  # the parameters, updated in place and/or returned
        after = [np.asarray(i, dtype=np.float64) for i in items]
        return [(b - a) / LR for a, b in zip(after, before)], loss, after
    return items, loss, None


def _steps(probe, value, what: str) -> np.ndarray:
    items = CL.per_step(value, T)
    if items is None:
        probe.fail(f"{what} must hold one entry per step ({T})")
    return np.stack([np.asarray(v, dtype=np.float64) for v in items])


def _probe_002(probe, plan: dict, have: set) -> None:
    info, m = probe.info, plan["main"]
    w = m["w"]
    key = _keys_002(probe.file)
    if key["ba"] != "ba":
        info["grad_names"] = {"ba": key["ba"]}
    params = lambda: {key[n]: w[k].copy() for n, k in zip(S2, CANON)}  # noqa: E731 - fresh copies per call
    if "rnn_step_forward" in have:
        with probe.function("rnn_step_forward"):
            x = CL.one_hot(m["ids"][:1], V)[0]
            a_next, p = probe.unpack(probe.call("rnn_step_forward", params(), m["h0"].copy(), x), 2, "rnn_step_forward")
            probe.record("s2:a_next", a_next, "a_next")
            probe.record("s2:p", p, "p_t")
    probs, states = CL.given_states(w, m["ids"], m["h0"])
    own_cache = None
    if "rnn_forward" in have:
        with probe.function("rnn_forward"):
            res = probe.call("rnn_forward", list(m["ids"]), list(m["targets"]), m["h0"].copy(), params(), V)
            if isinstance(res, (tuple, list)) and len(res) > 2:
                res = res[:2]  # (loss, cache, ...extras such as y_hat, Y): the seed's two come first
            loss, own_cache = probe.unpack(res, 2, "rnn_forward")
            probe.record("f2:loss", np.asarray(loss, dtype=np.float64).reshape(()), "loss")
            y_hat, a = CL.find_in_cache(own_cache, T, V, H)
            if y_hat is None or a is None:
                own_cache = None
                probe.fail("rnn_forward's cache must hold y_hat and a, one entry per step")
            if not (CL.same_steps(y_hat, probs) and CL.same_steps(a, states)):
                own_cache = None  # a wrong forward's cache would fail rnn_backward for the forward's mistake
            probe.record("f2:probs", _steps(probe, y_hat, "y_hat"), "y_hat")
            probe.record("f2:a", _steps(probe, a, "a"), "a")
    if "rnn_backward" in have and own_cache is None and "rnn_forward" not in have:
        own_cache = _cache_by_names(probe.module, m, params())
    if "rnn_backward" in have:
        with probe.function("rnn_backward"):
            x = list(CL.one_hot(m["ids"], V))
            built = (dict(enumerate(probs)), {-1: m["h0"].copy(), **dict(enumerate(states))}, dict(enumerate(x)))
            # The cache is opaque (as in cs231n): rnn_backward reads the one its own rnn_forward built on these
            # inputs, whatever its shape; the built (y_hat, a, x) stands in when that forward crashed, is missing,
            # or computed wrong states (so that rnn_backward is still graded on its own).
            cache = built if own_cache is None else own_cache
            res = probe.call("rnn_backward", list(m["ids"]), list(m["targets"]), params(), cache)
            grads = res[0] if isinstance(res, (tuple, list)) and res and isinstance(res[0], dict) else res
            if not isinstance(grads, dict):
                probe.fail("rnn_backward must return the gradients dictionary (or (gradients, a))")
            for n in S2:
                if "d" + key[n] not in grads:
                    probe.fail(f"rnn_backward's gradients have no 'd{key[n]}'")
                probe.record(f"b2:d{n}", grads["d" + key[n]], "d" + key[n])
            for name in ("da0", "da_prev", "da_next"):
                if name in grads:
                    probe.record("b2:da0", grads[name], name)
                    info["has_da0"] = True
                    info.setdefault("grad_names", {})["a0"] = name[1:]
                    break
    if "update_parameters" in have:
        with probe.function("update_parameters"):
            grads = {"d" + key[n]: g for n, g in zip(S2, _update_grads(plan))}
            given = params()
            new = probe.call("update_parameters", given, grads, LR)
            new = given if new is None else new  # updated in place, nothing returned: as an optimize() that
            if not isinstance(new, dict):        # ignores the return value reads it
                probe.fail("update_parameters must return the parameters dictionary (or update it in place)")
            for n in S2:
                if key[n] not in new:
                    probe.fail(f"update_parameters returned no '{key[n]}'")
                probe.record(f"u2:{n}", new[key[n]], key[n] + " after update_parameters")


def _cache_by_names(module, m: dict, params: dict):
    """The cache of an rnn_forward of another signature (e.g. rnn_forward(X, a0, parameters) -> (y_hat, a, x, z)),
    called by its parameters' names, only to hand its cache to rnn_backward (not graded); None when its
    names are unknown, it crashes, or its states are wrong. Without a loss first, the whole return is the cache."""
    import inspect

    fn = own_function(module, "rnn_forward")
    given = {"X": list(m["ids"]), "x": list(m["ids"]), "Y": list(m["targets"]), "y": list(m["targets"]),
             "a0": m["h0"].copy(), "a_prev": m["h0"].copy(), "h0": m["h0"].copy(), "parameters": params,
             "params": params, "n_x": V, "vocab_size": V}
    try:
        names = [p for p in inspect.signature(fn).parameters.values() if p.name in given or p.default is p.empty]
        if fn is None or any(p.name not in given for p in names):
            return None
        res = fn(**{p.name: given[p.name] for p in names})
    except Exception:  # noqa: BLE001 - a crash here only means the built cache is used; rnn_forward is not graded
        return None
    if isinstance(res, (tuple, list)) and len(res) >= 2 and isinstance(res[0], (int, float, np.number, np.ndarray)) \
            and np.size(res[0]) == 1:
        res = res[1]  # (loss, cache, ...)
    y_hat, a = CL.find_in_cache(res, T, V, H)
    probs, states = CL.given_states(m["w"], m["ids"], m["h0"])
    return res if CL.same_steps(y_hat, probs) and CL.same_steps(a, states) else None


def _keys_002(student_file: str) -> dict:
    """The dictionary keys the student's file uses for seed 002's parameters: the deeplearning.ai assignment
    itself names the hidden bias 'b' (gradient 'db'), seed 002 names it 'ba'; told from the file's string
    constants (docstrings left out: they may name the other convention)."""
    import ast

    try:
        tree = ast.parse(open(student_file, encoding="utf-8", errors="replace").read())
    except (OSError, SyntaxError, ValueError):
        tree = ast.Module(body=[], type_ignores=[])
    docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
    keys = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and id(n) not in docs}
    bias = "b" if ("b" in keys or "db" in keys) and not ({"ba", "dba"} & keys) else "ba"
    return {**{n: n for n in S2}, "ba": bias}


def _update_grads(plan: dict) -> list:
    """Fixed gradients handed to update_parameters (the update is graded on its own)."""
    rng = np.random.default_rng([len(plan["main"]["ids"]), 2, 2])
    return [rng.normal(0, 1, np.shape(plan["main"]["w"][k])) for k in CANON]


PROTOCOL = SeedStyles()
