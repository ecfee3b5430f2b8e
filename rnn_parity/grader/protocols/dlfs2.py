"""dlfs2: the layer classes of "Deep Learning from Scratch 2" (and the courses built on it).

    RNN(Wx, Wh, b): forward(x, h_prev) -> h_next;  backward(dh_next) -> (dx, dh_prev)
    TimeRNN(Wx, Wh, b, stateful=False): forward(xs) -> hs;  backward(dhs) -> dxs;  set_state(h)
    self.params = [Wx, Wh, b], self.grads = [dWx, dWh, db] written in place (self.grads[0][...] = dWx);
    TimeRNN keeps the gradient on its initial state in self.dh.
    h_next = tanh(h_prev @ Wh + x @ Wx + b); batch-major x (N, D), xs (N, T, D); Wx (D, H), Wh (H, H), b (H,).

The gradients are read from the arrays self.grads held when the layer was built: the book's models collect
those arrays once (`self.grads += layer.grads`) and the optimizer updates from them, so `self.grads[0] = dWx`
(which rebinds the list slot and leaves the shared array at zero) fails, with a note saying why.
TimeRNN is probed stateful with set_state(h0) where it can be (so the use of h0 and `grad:h0`, from self.dh,
are checked); otherwise it starts from zeros and the note says so.
"""
from __future__ import annotations

import inspect

import numpy as np

from . import dlfs2_gated as gated
from .engine import CheckSpec, Protocol, Recognition, parameter_names
from .student import GradeError, call_student

N, T, D, H = 3, 4, 5, 6
STEP, TIME = "RNN", "TimeRNN"


def _layer_classes(module) -> dict:
    """{"RNN": class, "TimeRNN": class} of the module's own classes built from (Wx, Wh, b) with forward/backward:
    a forward(x, h_prev) is the step layer, a forward(xs) the time layer; a class named RNN / TimeRNN wins over
    another that fits. LSTM and GRU layers (same constructor) are left out."""
    out = {}
    for name, cls in vars(module).items():
        if not (inspect.isclass(cls) and cls.__module__ == module.__name__) or _other_cell(name):
            continue
        if not all(inspect.isfunction(getattr(cls, m, None)) for m in ("forward", "backward")):
            continue
        init = parameter_names(cls.__init__)[1:]
        forward = parameter_names(cls.forward)[1:]
        if len(init) < 3 or not _weight_names(init[:2]):
            continue
        kind = STEP if len(forward) == 2 else TIME if len(forward) == 1 else None
        if kind and (kind not in out or name == kind):
            out[kind] = cls
    return out


def _model_using_book_layers(module) -> list:
    """The module's own classes that build the book's TimeRNN, which the module takes from elsewhere (ch05's
    SimpleRnnlm: `from common.time_layers import *`) rather than defines."""
    own = getattr(module, "TimeRNN", None)
    if inspect.isclass(own) and own.__module__ == module.__name__:
        return []
    out = []
    for name, cls in vars(module).items():
        if inspect.isclass(cls) and cls.__module__ == module.__name__:
            try:
                source = inspect.getsource(cls.__init__)
            except (OSError, TypeError):
                continue
            if "TimeRNN(" in source:
                out.append(name)
    return out


def _weight_names(names: list) -> bool:
    """The constructor starts with the book's (Wx, Wh, ...), however spelled: W_x/W_h, Wxh/Whh, wx/wh."""
    x, h = (n.lower().replace("_", "") for n in names)
    return x.startswith("wx") and h.startswith("wh")


def _other_cell(name: str) -> bool:
    return "lstm" in name.lower() or "gru" in name.lower()


class DLFS2(Protocol):
    name = "dlfs2"
    title = "Deep Learning from Scratch 2 RNN / LSTM / GRU layers"
    functions = ("RNN(Wx, Wh, b).forward(x, h_prev)", "TimeRNN(Wx, Wh, b, stateful).forward(xs)",
                 "LSTM(Wx, Wh, b).forward(x, h_prev, c_prev)", "TimeLSTM(Wx, Wh, b, stateful).forward(xs)",
                 "GRU(Wx, Wh, b).forward(x, h_prev)", "TimeGRU(Wx, Wh, b, stateful).forward(xs)")
    # the gated layers' keys start "lstm:step:", "gru:time:", ...: a mistake may sit in one layer only
    scopes = [("step:", "time:", "lstm:", "gru:"), ("time:", "lstm:time:", "gru:time:"),
              ("step:", "lstm:step:", "gru:step:")]
    mutants = gated.CATALOG
    phrasing = {
        "whh_not_transposed_backward": ("dh_prev = np.dot(dt, Wh)", "dh_prev = np.dot(dt, Wh.T)"),
        "whh_not_transposed_forward": ("t = np.dot(h_prev, Wh.T) + np.dot(x, Wx) + b",
                                       "t = np.dot(h_prev, Wh) + np.dot(x, Wx) + b"),
        "h_t_in_recurrent_grad": ("dWh = np.dot(h_next.T, dt)", "dWh = np.dot(h_prev.T, dt)"),
        "tanh_grad_of_activation": ("dt = dh_next * (1 - np.tanh(h_next) ** 2)", "dt = dh_next * (1 - h_next ** 2)"),
        "tanh_grad_missing": ("dt = dh_next", "dt = dh_next * (1 - h_next ** 2)"),
        "tanh_grad_of_upstream": ("dt = dh_next * (1 - dh_next ** 2)", "dt = dh_next * (1 - h_next ** 2)"),
        "hidden_grad_not_carried": ("dx, dh = layer.backward(dhs[:, t, :])",
                                    "dx, dh = layer.backward(dhs[:, t, :] + dh)"),
        "upstream_grad_alone": ("dx, dh = layer.backward(dhs[:, t, :])", "dx, dh = layer.backward(dhs[:, t, :] + dh)"),
        "bias_grad_not_summed_over_batch": ("db = dt", "db = np.sum(dt, axis=0)"),
        "bias_grad_not_summed": ("grads[2] = layer.grads[2]", "grads[2] += layer.grads[2]"),
        "h0_ignored": ("h = np.zeros((N, H))  (whatever set_state gave)", "h = self.h  (stateful, after set_state)"),
        "dh0_never_assigned": ("self.dh = None", "self.dh = dh  (after the loop over t)"),
        **gated.PHRASING,
    }

    # --- child side

    def recognise(self, module) -> Recognition:
        found = _layer_classes(module)
        found.update({f"{c.__name__}": c for c in gated.layer_classes(module).values()})
        if found:
            return Recognition(10.0 + len(found), sorted(found))
        users = _model_using_book_layers(module)
        return Recognition(5.0, users) if users else Recognition(0.0)

    def plan(self, seed: int) -> dict:
        rng = np.random.default_rng([seed, 2018])
        g = rng.normal
        def weights():
            return {"Wx": g(0, 0.5, (D, H)), "Wh": g(0, 0.9 / np.sqrt(H), (H, H)), "b": g(0, 0.3, (H,))}

        return {"step": {**weights(), "x": g(0, 1, (N, D)), "h_prev": g(0, 0.8, (N, H)), "dh_next": g(0, 1, (N, H))},
                "time": {**weights(), "xs": g(0, 1, (N, T, D)), "h0": g(0, 0.8, (N, H)), "dhs": g(0, 1, (N, T, H))},
                **gated.plan(seed)}

    def probe(self, probe, plan: dict) -> None:
        classes = _layer_classes(probe.module)
        info = probe.info
        gated_classes = gated.layer_classes(probe.module)
        users = _model_using_book_layers(probe.module) if not classes and not gated_classes else []
        if users:
            raise GradeError("not_found", f"{users[0]} is a model built from the book's layers, which this file "
                             "imports (TimeRNN from common.time_layers) and does not define: grade the file that "
                             "defines RNN / TimeRNN (time_layers.py)")
        info["functions"] = [f"{c.__name__}.forward" for c in classes.values()]
        info["classes"] = {k: c.__name__ for k, c in classes.items()}
        info["names"] = {k: parameter_names(c.__init__)[1:4] + parameter_names(c.forward)[1:]
                         for k, c in classes.items()}
        graded = {c.__name__ for c in classes.values()} | {c.__name__ for c in gated_classes.values()}
        info["not_graded"] = {n: "an LSTM/GRU layer of another shape" if _other_cell(n) else
                              "not a recurrent layer: dlfs2 grades RNN, LSTM and GRU layers"
                              for n, c in vars(probe.module).items()
                              if inspect.isclass(c) and c.__module__ == probe.module.__name__ and n not in graded
                              and (_other_cell(n) or callable(getattr(c, "backward", None)))}
        if STEP in classes:
            c = {k: np.array(v) for k, v in plan["step"].items()}
            _run(probe, classes[STEP], c, "step", lambda obj: obj.forward(c["x"], c["h_prev"]),
                 lambda obj: obj.backward(c["dh_next"]), ("dx", "dh_prev"))
        if TIME in classes:
            c = {k: np.array(v) for k, v in plan["time"].items()}
            cls = classes[TIME]
            stateful = len(parameter_names(cls.__init__)) >= 5 and callable(getattr(cls, "set_state", None))
            info["stateful"] = stateful
            if not stateful:
                probe.note(f"{cls.__name__} has no stateful mode with set_state(h): probed from h = 0, so the use "
                           "of h0 and its gradient are not checked")
            _run(probe, cls, c, "time", lambda obj: obj.forward(c["xs"]), lambda obj: obj.backward(c["dhs"]),
                 ("dxs",), stateful=stateful)
        gated.probe_all(probe, plan, gated_classes)

    # --- parent side

    def checks(self, plan: dict, info: dict) -> list:
        out = []
        for kind, prefix, check in ((STEP, "step", "step:"), (TIME, "time", "")):
            if kind not in info.get("classes", {}):
                continue
            cls = info["classes"][kind]
            Wx, Wh, b, *args = info["names"][kind]
            fn = f"{cls}.forward"
            out.append(CheckSpec(f"{check}forward", fn, [f"{prefix}:h"], f"the output of {fn}"))
            inputs = [(f"{prefix}:dx", args[0])] + ([(f"{prefix}:dh_prev", args[1])] if kind == STEP else [])
            if kind == TIME and info.get("stateful"):
                inputs.append(("time:dh0", "h0"))
            for key, name in inputs + [(f"{prefix}:dWx", Wx), (f"{prefix}:dWh", Wh), (f"{prefix}:db", b)]:
                out.append(CheckSpec(f"{check}grad:{name}", fn, [key], f"{{key}} of {cls}.backward"))
        return out + gated.checks(plan, info)

    def settle(self, plan: dict, info: dict, student: dict) -> list:
        return gated.settle(plan, info, student)

    def expected_parts(self, plan: dict, info: dict) -> list:
        from ..judging import answers as A

        return [lambda: _step(A, plan["step"]), lambda: _time(A, plan["time"], bool(info.get("stateful")))] + \
            gated.expected_parts(plan, info)


def _run(probe, cls, c: dict, prefix: str, forward, backward, input_grads: tuple, stateful: bool = False):
    fn = f"{cls.__name__}.forward"
    with probe.function(fn):
        args = (c["Wx"].copy(), c["Wh"].copy(), c["b"].copy()) + ((True,) if stateful else ())
        obj = call_student(probe.progress, probe.file, f"{cls.__name__}(Wx, Wh, b)", cls, *args)
        shared = list(getattr(obj, "grads", None) or [])  # the arrays a model would collect and update from
        if stateful:
            call_student(probe.progress, probe.file, f"{cls.__name__}.set_state", obj.set_state, c["h0"].copy())
        probe.record(f"{prefix}:h", call_student(probe.progress, probe.file, fn, forward, obj), "the output")
        res = call_student(probe.progress, probe.file, f"{cls.__name__}.backward", backward, obj)
        values = probe.unpack(res, len(input_grads), f"{cls.__name__}.backward") if len(input_grads) > 1 else [res]
        for key, value in zip(("dx", "dh_prev"), values):
            probe.record(f"{prefix}:{key}", value, key)
        grads = getattr(obj, "grads", None)
        if not isinstance(grads, (list, tuple)) or len(grads) != 3:
            probe.fail(f"{cls.__name__} must keep self.grads = [dWx, dWh, db]")
        rebound = [i for i, (a, g) in enumerate(zip(shared, grads)) if a is not g]
        if len(shared) == 3 and rebound:
            probe.note(f"{cls.__name__}.backward rebinds self.grads[{rebound[0]}] instead of writing into it "
                       f"(self.grads[{rebound[0]}][...] = ...): a model that collected layer.grads keeps the old "
                       "zeros; graded from the arrays the layer was built with")
            grads = shared
        for key, value in zip(("dWx", "dWh", "db"), grads):
            probe.record(f"{prefix}:{key}", value, f"self.grads ({key})")
        if stateful:
            dh = getattr(obj, "dh", None)
            if dh is None:
                probe.note(f"{cls.__name__}.backward leaves self.dh None: taken as zeros (the gradient on h0)")
                dh = np.zeros_like(c["h0"])
            probe.record("time:dh0", dh, "self.dh")


def _step(A, c: dict) -> dict:
    r = A.rnn(c["x"][None], c["h_prev"], c["Wx"].T, c["Wh"].T, c["b"], dh=c["dh_next"][None])
    return {"step:h": r["h"][0], "step:dx": r["dx"][0], "step:dh_prev": r["dh0"], "step:dWx": r["dWxh"].T,
            "step:dWh": r["dWhh"].T, "step:db": r["db"]}


def _time(A, c: dict, stateful: bool) -> dict:
    tm = lambda a: np.swapaxes(a, 0, 1)  # noqa: E731 - batch-major <-> time-major
    h0 = c["h0"] if stateful else np.zeros_like(c["h0"])
    r = A.rnn(tm(c["xs"]), h0, c["Wx"].T, c["Wh"].T, c["b"], dh=tm(c["dhs"]))
    return {"time:h": tm(r["h"]), "time:dx": tm(r["dx"]), "time:dh0": r["dh0"], "time:dWx": r["dWxh"].T,
            "time:dWh": r["dWhh"].T, "time:db": r["db"]}


PROTOCOL = DLFS2()
