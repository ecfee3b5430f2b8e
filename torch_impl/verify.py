"""Verify a port against the user's own model: run it and the reference on the same random inputs and find
the reading that reproduces it.

What is tried: each reading the shapes allow (structure.py and gated.py: the order inside a cat, how a square
bare parameter is applied, a hand-written cell's gate order, the order of a bidirectional head's halves),
tanh and relu for a vanilla recurrence, the head at the last step or at every step (and, for a bidirectional
stack, the every-step head's last step: out[:, -1]), then nothing,
softmax, log-softmax or sigmoid; the model's input layout (its nn.RNN's first, then the other, unless
--layout says); without an embedding, dense inputs, token ids the model one-hots itself, and for D = 1 a
(B, T) series the model unsqueezes itself. A module whose forward takes (input, hidden) and has no nn.RNN
(the char-RNN tutorial's shape) is run one step per call, and so is an nn.RNN one when whole sequences fail
(a step may return (output, hidden), the new hidden alone, or an LSTM cell's new (h, c)); an LSTM's state
argument is the pair (h0, c0); a forward(x, lengths) gets full lengths, and a
model that builds its state for self.batch_size, or reshapes to self.sequence_length, is run at that size.

Their model is imported and loaded by user_model.py, only after the checkpoint was read safely
(torch.load weights_only=True).
"""
from __future__ import annotations

import inspect
import itertools
import os
import warnings
from dataclasses import replace
from typing import Callable, NamedTuple

import numpy as np
import torch
from torch import nn

from ..reference.config import RNNConfig
from ..reference.errors import RNNParityError
from ..reference.model import forward as reference_forward
from ..reference.params import Params
from ..reference.tolerances import parity_tolerance
from .checkpoint import params_of
from .user_model import _first_line, load_strict

CHECK_T, CHECK_B = 7, 3
BATCH_NAMES = ("batch_size", "batch", "bsz", "n_batch")  # attributes a model fixes its batch size in
STEP_NAMES = ("sequence_length", "seq_len", "seq_length", "time_step", "time_steps", "n_steps")
POSTS = ("nothing", "softmax", "log-softmax", "sigmoid")  # sigmoid: binary heads with O = 1


class Match(NamedTuple):
    variant: int  # index into the readings
    config: RNNConfig
    post: str
    layout: str  # "TB" or "BT"; "step" for one step per call
    max_diff: float
    passed: bool
    inputs: str = "dense"  # "ids": token ids without an embedding (it one-hots them); "series": (T, B) for D = 1
    out_last: bool = False  # the model reads the every-step head's last step (out[:, -1] of a bidirectional stack)

    def describe(self, reading) -> str:
        where = "at every step" if self.config.output == "all" else "at the last step"
        layout = "one step per call" if self.layout == "step" else f"input layout ({self.layout[0]}, {self.layout[1]})"
        if self.inputs == "ids":
            layout = f"token ids the model one-hots itself, {layout}"
        elif self.inputs == "series":
            layout = f"a series without its feature axis, {layout}"
        then = "" if self.post == "nothing" else f", then {self.post} (outside the port: its logits come before it)"
        variant = f", {reading.variant}" if reading.variant else ""
        c = self.config
        kind = f"{c.nonlinearity} recurrence" if c.cell == "rnn" else f"{c.cell.upper()} cells"
        if self.out_last:
            where = ("at every step; their model reads its last step, out[:, -1], which for a bidirectional stack "
                     "is not h_n's reading (its backward half has seen one step): take the port's last step")
        return f"{kind}{variant}, head {where}{then}; {layout}"


def _has_rnn(model: nn.Module):
    return next((m for m in model.modules() if isinstance(m, (nn.RNNBase, nn.RNNCellBase))), None)


def _zero_state(hidden: tuple, B: int, dtype, layered: bool):
    """Zeros for a state argument: (L*dirs, B, S) for a module, (B, S) for a cell; an LSTM's (h, c) pair."""
    shape = (hidden[0], B, hidden[1]) if layered else (B, hidden[1])
    h = torch.zeros(*shape, dtype=dtype)
    if len(hidden) > 2:  # the LSTM's cell state is H wide (S = P with a projection)
        c = torch.zeros(*(shape[:-1] + (hidden[2],)), dtype=dtype)
        return (h, c)
    return h


def _required(fn) -> list:
    """fn's positional parameters without a default ([] when its signature cannot be read)."""
    try:
        return [p for p in inspect.signature(fn).parameters.values()
                if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []


def _is_step_module(model: nn.Module, cell_like: bool) -> bool:
    """A hand-written or RNNCell recurrence whose forward takes (input, hidden): one step per call."""
    return cell_like and len(_required(model.forward)) >= 2


def _as_array(out, shapes: list | None = None) -> np.ndarray:
    """The model's output (the first tensor of a tuple); shapes gets the shapes of the tuple's tensors."""
    if shapes is not None and isinstance(out, (tuple, list)):
        shapes.append([tuple(o.shape) for o in out if isinstance(o, torch.Tensor)])
    while isinstance(out, (tuple, list)) and out:
        out = out[0]
    if not isinstance(out, torch.Tensor):
        raise RNNParityError(f"the model returned a {type(out).__name__}, not a tensor (or a tuple starting with one); "
                             "pass --forward FILE.py:FUNC with FUNC(model, x) returning the output")
    return out.detach().cpu().double().numpy()


def run_model(model, x: np.ndarray, layout: str, hidden: tuple, forward_fn: Callable | None,
              shapes: list | None = None) -> np.ndarray:
    """The model's output on time-major x (T, B[, D]), fed in `layout`; hidden = (L*dirs, H) for a state arg."""
    xt = torch.from_numpy(x if layout in ("TB", "step") else np.swapaxes(x, 0, 1).copy())
    if forward_fn is not None:
        return _as_array(forward_fn(model, xt), shapes)
    if layout == "step":
        dtype, B = next(model.parameters()).dtype, x.shape[1]
        init = getattr(model, "init_hidden", None) or getattr(model, "initHidden", None)
        if isinstance(_has_rnn(model), nn.RNNBase):  # an nn.RNN fed one step per call takes (L*dirs, B, H)
            h = init(B) if init is not None and len(_required(init)) == 1 else _zero_state(hidden, B, dtype, True)
            h = tuple(t.to(dtype) for t in h) if isinstance(h, tuple) else h.to(dtype)  # an LSTM's (h0, c0)
        else:
            h = _zero_state(hidden, B, dtype, False)
        outs = []
        for t in range(x.shape[0]):
            res = model(xt[t], h)
            # (output, hidden), or the new hidden alone (an RNNCell wrapper without a head: it is the output); an
            # LSTM cell's new (h, c) alone: h is its output
            pair = isinstance(res, (tuple, list)) and len(res) >= 2
            if pair and len(hidden) > 2 and len(res) == 2 and all(isinstance(r, torch.Tensor) for r in res) \
                    and res[1].shape[-1] == hidden[2] and isinstance(h, tuple):
                out, h = res[0], tuple(res)
            else:
                out, h = res[:2] if pair else (res, res)
            outs.append(torch.as_tensor(_as_array(out)))
        return torch.stack(outs).numpy()
    try:
        return _as_array(model(xt), shapes)
    except TypeError as e:
        if "missing" not in str(e):
            raise
    B = xt.shape[1] if layout == "TB" else xt.shape[0]
    required = _required(model.forward)
    if len(required) > 1 and "len" in required[1].name.lower():
        full = torch.full((B,), x.shape[0], dtype=torch.long)
        return _as_array(model(xt, full), shapes)  # forward(text, text_lengths): every sequence at full length
    init = getattr(model, "init_hidden", None) or getattr(model, "initHidden", None)
    h0 = init(B) if init is not None and len(inspect.signature(init).parameters) == 1 else \
        _zero_state(hidden, B, next(model.parameters()).dtype, True)
    return _as_array(model(xt, h0), shapes)


def _post(logits: np.ndarray, post: str) -> np.ndarray:
    if post == "nothing":
        return logits
    if post == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * logits))  # 1 / (1 + exp(-z)) without overflow
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return log_p if post == "log-softmax" else np.exp(log_p)


def _views(out: np.ndarray, layout: str, T: int, B: int, O: int) -> list:
    """(output kind, the user's output as time-major (T, B, O) for "all" or (B, O) for "last") where its size
    allows; an output of T*B*O values is read in the input's layout first, then in the other (d2l stacks
    batch-first outputs of time-major inputs). T != B, so a wrong reading cannot match by accident."""
    views = []
    if out.size == T * B * O and out.ndim == 3:  # any order of the axes, e.g. (B, O, T) for CrossEntropyLoss
        views += [("all", out.transpose(p)) for p in itertools.permutations(range(3))
                  if tuple(out.shape[i] for i in p) == (T, B, O) and p != (0, 1, 2)]
    if out.size == T * B * O:
        tb, bt = out.reshape(T, B, O), out.reshape(B, T, O).swapaxes(0, 1)
        views += [("all", bt), ("all", tb)] if layout == "BT" else [("all", tb), ("all", bt)]
        if layout == "step":
            views.append(("last", tb[-1]))
    if out.size == B * O:
        views.append(("last", out.reshape(B, O)))
    return views


def _sizes(model: nn.Module) -> list:
    """(B, T) to run at: CHECK_B and CHECK_T, then the sizes a model fixes itself (a state built for
    self.batch_size, a reshape to self.sequence_length), then B=1. T != B, so a wrong reading cannot match by
    accident."""
    def attr(names):
        values = [getattr(model, n, None) for n in names]
        return [v for v in values if isinstance(v, int) and not isinstance(v, bool) and 1 < v <= 1024][:1]

    sizes = []
    for B, T in itertools.product([CHECK_B] + attr(BATCH_NAMES), [CHECK_T] + attr(STEP_NAMES)):
        T = T if T != B else T + 1
        if (B, T) not in sizes:
            sizes.append((B, T))
    # last: one sequence at a time (B=1), for a model written for one sentence, e.g. the tagging tutorial's
    # embeds.view(len(sentence), 1, -1)
    return sizes + [(1, CHECK_T)]


def _run_all(model, f, layouts, forward_fn, rng) -> tuple[dict, list, bool]:
    """{(input kind, layout): (x, output, dtype it ran in)} at the first batch size the model runs at, the
    errors of the runs that failed, and whether the model returned several tensors.

    Input kinds: token ids for an embedding; otherwise dense vectors, then token ids in [0, D) meaning one-hot
    vectors (a model that one-hots its ids itself, as d2l's RNNModel does)."""
    K = f["hidden_size"] * (2 if f["bidirectional"] else 1)
    S = f.get("proj_size") or f["hidden_size"]
    hidden = (f["num_layers"] * (K // f["hidden_size"]), S) + ((f["hidden_size"],) if f.get("cell") == "lstm" else ())
    outputs, errors, shapes = {}, [], []
    sizes = _sizes(model)
    for B, T in sizes:
        one = (B, T) == sizes[-1]  # the batch-size-1 fallback: only an output of the read size counts
        inputs = {"ids": rng.integers(0, f["vocab_size"] or f["input_size"], size=(T, B))}
        if not f["vocab_size"]:
            inputs = {"dense": rng.standard_normal((T, B, f["input_size"])), **inputs}
            if f["input_size"] == 1:  # a univariate series fed as (B, T), the model unsqueezing it itself
                inputs["series"] = inputs["dense"]
        for (kind, x), lay in itertools.product(inputs.items(), layouts):
            for dt in (torch.float64, torch.float32):  # float64 for a sharp check; else the model's own dtype
                try:
                    model.to(dt)
                    with torch.no_grad(), warnings.catch_warnings():
                        warnings.simplefilter("ignore")  # their code's deprecation chatter is not ours to print
                        xin = x if kind == "ids" else x.astype(np.float64 if dt == torch.float64 else np.float32)
                        xin = xin[..., 0] if kind == "series" else xin
                        out = run_model(model, xin, lay, hidden, forward_fn, shapes)
                    if one and np.size(out) not in (T * f["output_size"], f["output_size"]):
                        break  # a model that failed at B > 1 and returns something else at B=1: not this case
                    outputs[kind, lay] = (x, out, "float64" if dt == torch.float64 else "float32")
                    break
                except RNNParityError:
                    raise
                except Exception as e:  # noqa: BLE001
                    errors.append(f"{type(e).__name__}: {_first_line(e)}")
        if outputs:
            break
    # several outputs: tensors besides the hidden states ((out, hidden) is the common pair, not several heads)
    several = any(sum(1 for sh in tup if sh and sh[-1] != f["hidden_size"]) > 1 for tup in shapes)
    return outputs, errors, several


def find_reading(model, readings, arrays, overrides: dict, forward_fn=None, layout: str | None = None,
                 seed: int = 0) -> tuple[Params, Match]:
    """Run `model` and the reference under every open choice; return (params, the match) or refuse in one line."""
    r0 = readings[0]
    f = r0.fields
    rng = np.random.default_rng(seed)
    cell = r0.hand_written or "Cell '" in r0.recurrence
    step = _is_step_module(model, cell) and forward_fn is None
    rnn = _has_rnn(model)
    # its nn.RNN's layout first; the other too, as a model may transpose its input itself (d2l's inputs.T)
    layouts = [layout] if layout else ["BT", "TB"] if isinstance(rnn, nn.RNNBase) and rnn.batch_first else ["TB", "BT"]
    layouts = ["step"] * step + layouts  # a (input, hidden) module may also take the whole sequence
    if not step and not layout and forward_fn is None and len(_required(model.forward)) >= 2:
        layouts.append("step")  # an nn.RNN fed one step per call (char-rnn.pytorch's forward(input, hidden))
    model.eval()
    outputs, errors, several = _run_all(model, f, layouts, forward_fn, rng)
    several = (" (a model returning several outputs: pass --forward FILE.py:FUNC returning this head's)"
               if several and forward_fn is None else "")
    if not outputs:
        raise RNNParityError(f"running the model failed ({errors[0]}); pass --forward FILE.py:FUNC (FUNC(model, x) "
                             "returns the output) and --layout BT|TB")
    T, B = next(iter(outputs.values()))[0].shape[:2]
    gated = f.get("cell", "rnn") != "rnn"  # sigmoid gates and tanh, fixed
    nonlins = ["tanh"] if gated else [overrides["nonlinearity"]] if "nonlinearity" in overrides else ["tanh", "relu"]
    # one step per call shows both; every step is the fuller reading of what the model does
    outs = [overrides["output"]] if "output" in overrides else \
        (["all", "last"] if "step" in layouts else ["last", "all"])
    tried = []
    for (v, reading), nl, out_kind in itertools.product(enumerate(readings), nonlins, outs):
        config = RNNConfig.from_dict({**reading.fields, "nonlinearity": nl, "output": out_kind})
        params = params_of(reading, arrays, config)
        p64 = Params({k: a.astype(np.float64) for k, a in params.items()}, config)
        for (inputs, lay), (x, out, ran_in) in outputs.items():
            logits, _, _ = reference_forward(p64, x)
            tol = parity_tolerance("forward", ran_in)
            for post, (kind, view) in itertools.product(POSTS, _views(out, lay, T, B, config.output_size)):
                ref = _post(logits, post)
                # out[:, -1] of a bidirectional stack: the every-step head at the last step (not h_n's reading)
                last_of_all = kind == "last" and out_kind == "all" and f["bidirectional"]
                if kind != out_kind and not last_of_all:
                    continue
                ref = ref[-1] if last_of_all else ref
                diff = float(np.abs(ref - view).max()) if np.isfinite(view).all() else np.inf
                ok = bool(np.all(np.abs(ref - view) <= tol.atol + tol.rtol * np.abs(view)))
                tried.append(Match(v, config, post, lay, diff, ok, "dense" if f["vocab_size"] else inputs,
                                   last_of_all))
                if ok:
                    batch_first = lay == "BT"
                    final = RNNConfig.from_dict({**config.to_dict(), "batch_first": batch_first})
                    return Params(dict(params), final), tried[-1]._replace(config=final)
    if not tried:
        shape = next(iter(outputs.values()))[1].shape
        want = " or ".join("(B, O) = " + str((B, f["output_size"])) if o == "last" else
                           f"T*B*O = {T * B * f['output_size']} values" for o in outs)
        K = f["hidden_size"] * (2 if f["bidirectional"] else 1)
        states = (" (it returns the RNN's hidden states: if the head is unused, as in an encoder, port without "
                  "it with --map head=none)" if readings[0].head is not None and shape and shape[-1] == K
                  and f["output_size"] != K and not several else "")
        raise RNNParityError(f"the model's output has shape {shape}, expected {want} for output={'|'.join(outs)} "
                             f"on T={T}, B={B}: not one head over the hidden states as read{several}{states}")
    best = min(tried, key=lambda m: m.max_diff)
    closest = best.describe(readings[best.variant])
    what = {"rnn": "a vanilla tanh/relu one", "lstm": "torch's LSTM cell in any gate order",
            "gru": "torch's GRU cell (a GRU whose reset gate acts before the recurrent product, as d2l's and many "
                   "textbooks' do, is a different function that no nn.GRU holds)"}[f.get("cell", "rnn")]
    raise RNNParityError(f"no reading matches (closest differs by {best.max_diff:.2g}: {closest}): "
                         f"something sits between the RNN and the head, or the recurrence is not {what}{several}")


def read_verified(checkpoint, model: nn.Module, map=None, forward: Callable | None = None, layout: str | None = None,
                  config: dict | None = None, fold_bias: bool = False, seed: int = 0):
    """read_checkpoint with what the shapes cannot tell found by running `model` (their nn.Module, loaded here
    with strict=True from the checkpoint). Returns (params, reading, match); refuses in one line when no
    reading reproduces the model. forward(model, x) replaces model(x); layout "BT" | "TB" fixes x's layout."""
    from .checkpoint import load_checkpoint, read_checkpoint, unwrap, widen
    from .keymap import as_numpy
    from .structure import find_readings

    is_path = isinstance(checkpoint, (str, os.PathLike))
    sd, _, file_notes = load_checkpoint(checkpoint) if is_path else unwrap(checkpoint)
    sd = widen(sd, [])  # read_checkpoint below says so
    loaded = load_strict(model, sd, f"the model {type(model).__name__}")
    extra = list(loaded)[len(sd):]  # fill_shared appends the tied tensors a file holds once
    if extra:  # read what their model loaded
        checkpoint, sd = loaded, loaded
    arrays = {k: as_numpy(v, k, "read_verified") for k, v in sd.items()}
    readings = find_readings(arrays, map)
    found, match = find_reading(model, readings, arrays, dict(config or {}), forward, layout, seed)
    fixed = {k: found.config.to_dict()[k] for k in ("nonlinearity", "output", "batch_first")}
    params, reading = read_checkpoint(checkpoint, map=map, config={**(config or {}), **fixed}, fold_bias=fold_bias,
                                      variant=match.variant)
    settled = tuple(n for n in reading.notes if "--model" not in n)  # the model settled what they leave open
    if extra:
        settled = tuple(file_notes) + settled + (f"filled {', '.join(extra)} from the tensor(s) the model shares "
                                                 "with them: the file holds tied tensors once",)
    return params, replace(reading, notes=settled), match


def write_verified(params: Params, model: nn.Module, like=None, map=None, forward: Callable | None = None,
                   layout: str | None = None, seed: int = 0):
    """write_like(params, like or model) for the reading their `model` reproduces when it loads the result
    with strict=True: returns (state_dict in their names and dtypes, reading, match), or refuses."""
    from .checkpoint import load_checkpoint, unwrap, widen, write_like
    from .keymap import as_numpy
    from .structure import find_readings

    is_path = isinstance(like, (str, os.PathLike))
    sd = (load_checkpoint(like) if is_path else unwrap(like))[0] if like is not None else unwrap(model)[0]
    readings = find_readings({k: as_numpy(v, k, "write_verified") for k, v in sd.items()}, map)
    c, failures = params.config, []
    for reading in readings:
        full = write_like(params, sd, reading=reading, keep_wrappers=True)  # the keys the reading names
        out = load_strict(model, full, f"the model {type(model).__name__}")  # the names their model takes
        try:
            _, match = find_reading(model, [reading], {k: v.numpy() for k, v in widen(full, []).items()},
                                    {"nonlinearity": c.nonlinearity, "output": c.output}, forward, layout, seed)
        except RNNParityError as e:
            failures.append(str(e))
            continue
        return out, reading, match
    raise RNNParityError(f"the model {type(model).__name__} does not compute these weights' function: {failures[0]}")
