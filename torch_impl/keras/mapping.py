"""Keras layers' arrays <-> the reference's Params, exactly (copies and transposes, no arithmetic).

The traps, each handled here:
- Keras kernels are (D, G*H) and recurrent kernels (H, G*H): the transposes of torch's weight_ih / weight_hh.
- Keras LSTM gates i, f, c, o are torch's i, f, g, o (same order); its one bias (4H,) is bias="single".
- Keras GRU gates z, r, h; torch's r, z, n: the first two blocks swap (keras-team/keras#8720). A
  reset_after=True GRU's bias (2, 3H) is [input bias ; recurrent bias] = torch's bias_ih, bias_hh.
- A Bidirectional layer with merge_mode="concat" outputs [forward ; backward], as torch does.
- Keras is batch-major: the port's config says batch_first=True.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from ...reference.config import RNNConfig
from ...reference.errors import RNNParityError
from ...reference.params import EMBEDDING, Params, layer_keys, param_shapes
from .config import Layer, parse_layers
from .bounded import bounded, deadline_for
from .read import damaged, locate, open_keras
from .weights import fill_from_config, layers_from_weights

SIDES = ("forward", "backward")


@dataclass
class KerasReading:
    """What a Keras file was read as: its layers, the reference config, and what the reading rests on."""

    path: str
    kind: str
    layout: str  # "keras3" | "keras2"
    layers: list
    config: RNNConfig
    has_config: bool
    head_activation: str = "linear"
    dtype: str = "float32"
    notes: list = field(default_factory=list)

    def describe(self) -> str:
        c, parts = self.config, []
        emb = next((x for x in self.layers if x.kind == "embedding"), None)
        if emb:
            parts.append(f"Embedding {emb.name!r} ({c.vocab_size}, {c.input_size})")
        rnns = [x for x in self.layers if x.kind == "rnn"]
        names = ", ".join(repr(x.name) for x in rnns)
        parts.append(f"{len(rnns)} x {rnns[0].cls} [{names}] (units={c.hidden_size}, "
                     f"return_sequences={rnns[-1].return_sequences})")
        dense = next((x for x in self.layers if x.kind == "dense"), None)
        if dense:
            act = "" if self.head_activation == "linear" else f", then {self.head_activation} (outside the port)"
            parts.append(f"{dense.cls} {dense.name!r} ({c.hidden_size * c.num_directions} -> {c.output_size}){act}")
        else:
            parts.append(f"no head: the hidden states are the output (identity head, O = {c.output_size})")
        return " -> ".join(parts)


def _swap_zr(a: np.ndarray, H: int) -> np.ndarray:
    """GRU gate blocks along the last axis: Keras z, r, h <-> torch r, z, n (its own inverse)."""
    return np.concatenate([a[..., H:2 * H], a[..., :H], a[..., 2 * H:]], axis=-1)


def _order(a: np.ndarray, cell: str, H: int) -> np.ndarray:
    return _swap_zr(a, H) if cell == "gru" else a


def read_keras(path, overrides: dict | None = None, like_layers: list | None = None, seconds: float | None = None):
    """(Params, KerasReading) of a .keras, Keras 2 .h5 or .weights.h5 file. overrides: --config fields (for a
    weights-only file: nonlinearity, output; a config in the file wins and a contradiction is refused).
    like_layers: the layers of a config from elsewhere (the user's Keras model) for a weights-only file.
    seconds: how long the file's walk may take (default: by its size, bounded.deadline_for)."""
    overrides = dict(overrides or {})
    located = locate(path)  # what plain Python can refuse, it refuses here, before any walk starts
    name = located.name
    if seconds is None:
        seconds = deadline_for(os.path.getsize(located.path))
    layers, notes, kind, layout, has_file_config = bounded(_walk, located, like_layers, name=name, seconds=seconds)
    has_config = has_file_config or like_layers is not None
    params, reading = _params(layers, name, overrides, has_config)
    reading.path, reading.kind, reading.layout = os.fspath(path), kind, layout
    reading.notes = notes + reading.notes
    return params, reading


def _walk(located, like_layers: list | None):
    """The file's layers with their arrays, as plain data: (layers, notes, kind, layout, has a config)."""
    name = located.name
    with open_keras(located) as kf, damaged(name):
        notes = []
        if kf.config is not None or like_layers is not None:
            if kf.config is not None:
                layers, notes = parse_layers(kf.config, name, legacy=kf.layout == "keras2")
            else:
                layers = [Layer(**{**vars(x), "arrays": {}, "paths": {}}) for x in like_layers]
            fill_from_config(kf, layers, name)
        else:
            layers = layers_from_weights(kf, name)
        if kf.version:
            notes.append(f"saved by Keras {kf.version}")
        return layers, notes, kf.kind, kf.layout, kf.config is not None


def _arr(layer: Layer, side: str, role: str):
    return layer.arrays.get((side, role))


def _params(layers: list, name: str, overrides: dict, has_config: bool):
    emb = next((x for x in layers if x.kind == "embedding"), None)
    rnns = [x for x in layers if x.kind == "rnn"]
    dense = next((x for x in layers if x.kind == "dense"), None)
    first, notes = rnns[0], []
    H, cell, dirs = first.units, first.cell, 2 if first.bidirectional else 1
    G = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    D = emb.units if emb else _arr(first, "forward", "kernel").shape[0]
    every = [a for x in layers for a in x.arrays.values()]
    floats = {a.dtype for a in every}
    if any(d.kind != "f" for d in floats):
        raise RNNParityError(f"{name}: non-float weights ({sorted(map(str, floats))}): refused")
    dtype = np.result_type(*floats, np.float32)
    if any(d == np.float16 for d in floats):
        notes.append("widened float16 to float32 (exact: every float16 value is a float32)")
    for x in layers:
        for (side, role), a in x.arrays.items():
            if not np.isfinite(a).all():
                raise RNNParityError(f"{name}: layer {x.name!r} {side + ' ' if side else ''}{role} holds "
                                     f"{int((~np.isfinite(a)).sum())} NaN/inf values: refused")
    output = "all" if rnns[-1].return_sequences else "last"
    nonlinearity = first.activation if cell == "rnn" else "tanh"
    fixed = {"output": output, "nonlinearity": nonlinearity} if has_config else {}
    for key, value in overrides.items():
        if key in fixed and fixed[key] != value:
            raise RNNParityError(f"--config {key}={value!r} contradicts the Keras config, which gives {fixed[key]!r}")
        if key not in ("output", "nonlinearity", "batch_first"):
            raise RNNParityError(f"--config {key}: a Keras file fixes it (only output and nonlinearity can be set "
                                 "for a weights-only file)")
    if not has_config:
        every_step = dense is not None and dense.cls.startswith("TimeDistributed")  # a head at every step
        output = overrides.get("output", "all" if every_step else "last")
        nonlinearity = overrides.get("nonlinearity", "tanh")
        for x in rnns:
            x.activation = nonlinearity if cell == "rnn" else "tanh"
        rnns[-1].return_sequences = output == "all"
        stated = [k for k in ("output", "nonlinearity") if k not in overrides and (k == "output" or cell == "rnn")
                  and not (k == "output" and every_step)]
        if stated:
            values = {"output": output, "nonlinearity": nonlinearity}
            said = ", ".join(f"{k}={values[k]!r}" for k in stated)
            notes.append(f"a weights-only file: assumed {said}, a linear head and Keras 3's tanh/sigmoid gates (a "
                         "Keras 2 model's hard_sigmoid gates would be another function): set them with --config, or "
                         "give your model with --model")
    O = dense.units if dense else H * dirs
    bias = ("torch" if cell == "gru" else "single") if first.use_bias else "none"
    config = RNNConfig(input_size=D, hidden_size=H, output_size=O, num_layers=len(rnns), nonlinearity=nonlinearity,
                       bidirectional=dirs == 2, bias=bias, output=output, batch_first=True,
                       vocab_size=emb.input_dim if emb else None, cell=cell)
    shapes, out = param_shapes(config), {}
    want = {}
    if emb:
        want[emb, "", "embeddings"] = (config.vocab_size, D)
    for keys in layer_keys(config):
        x, side = rnns[keys.layer], SIDES[keys.direction]
        d_in = config.layer_input_size(keys.layer)
        want[x, side, "kernel"], want[x, side, "recurrent_kernel"] = (d_in, G * H), (H, G * H)
        if keys.bh:
            want[x, side, "bias"] = (2, G * H) if cell == "gru" else (G * H,)
    if dense:
        want[dense, "", "kernel"] = (H * dirs, O)
        if dense.use_bias:
            want[dense, "", "bias"] = (O,)
    for (x, side, role), shape in want.items():
        a = _arr(x, side, role)
        if a is None or a.shape != shape:
            raise RNNParityError(f"{name}: layer {x.name!r} {side + ' ' if side else ''}{role} has shape "
                                 f"{None if a is None else a.shape}, expected {shape} (units={H}, input {D}): "
                                 "kernels of inconsistent shapes")
    if emb:
        out[EMBEDDING] = _arr(emb, "", "embeddings").astype(dtype)
    for keys in layer_keys(config):
        x, side = rnns[keys.layer], SIDES[keys.direction]
        out[keys.Wxh] = _order(_arr(x, side, "kernel"), cell, H).T.astype(dtype)
        out[keys.Whh] = _order(_arr(x, side, "recurrent_kernel"), cell, H).T.astype(dtype)
        if keys.bh:
            b = _order(_arr(x, side, "bias"), cell, H).astype(dtype)
            out[keys.bh] = b[0] if cell == "gru" else b
            if keys.bhh:
                out[keys.bhh] = b[1]
    if dense:
        out["Why"] = _arr(dense, "", "kernel").T.astype(dtype)
        out["by"] = _arr(dense, "", "bias").astype(dtype) if dense.use_bias else np.zeros(O, dtype)
    else:
        out["Why"], out["by"] = np.eye(O, dtype=dtype), np.zeros(O, dtype)
        notes.append("no Dense head: the port's output is the hidden states (an identity head)")
    head = dense.activation if dense else "linear"
    if head != "linear":
        notes.append(f"the Dense head's activation {head} is outside the port: the port outputs the logits before it")
    params = Params({k: np.ascontiguousarray(out[k]) for k in shapes}, config)
    reading = KerasReading("", "", "", layers, config, has_config, head, np.dtype(dtype).name, notes)
    return params, reading


def to_keras(params: Params, reading: KerasReading) -> dict:
    """{(layer name, side, role): array at their dtype} holding params in their model's Keras layout; refuses
    what their model cannot hold."""
    c, theirs = params.config, reading.config
    fields = ("cell", "input_size", "hidden_size", "output_size", "num_layers", "bidirectional", "vocab_size",
              "proj_size")
    differ = [f"{k} {getattr(c, k)!r} here vs {getattr(theirs, k)!r} there" for k in fields
              if getattr(c, k) != getattr(theirs, k)]
    if c.cell == "rnn" and c.nonlinearity != theirs.nonlinearity:
        differ.append(f"nonlinearity {c.nonlinearity!r} here vs activation {theirs.nonlinearity!r} there")
    if differ:
        raise RNNParityError("the weights do not fit their Keras model: " + ", ".join(differ))
    if c.output != theirs.output:
        raise RNNParityError(f"the weights' head reads output={c.output!r}, their Keras model's "
                             f"output={theirs.output!r} (return_sequences of its last recurrent layer)")
    H, cell = c.hidden_size, c.cell
    layers = reading.layers
    rnns = [x for x in layers if x.kind == "rnn"]
    out = {}

    def put(x, side, role, value):
        dtype = x.arrays[side, role].dtype
        out[x.name, side, role] = np.ascontiguousarray(value).astype(dtype)

    for x in layers:
        if x.kind == "embedding":
            put(x, "", "embeddings", params[EMBEDDING])
        elif x.kind == "dense":
            put(x, "", "kernel", params["Why"].T)
            if x.use_bias:
                put(x, "", "bias", params["by"])
            elif np.any(params["by"]):
                raise RNNParityError(f"their Dense {x.name!r} has no bias (use_bias=False), but by is nonzero")
    if not any(x.kind == "dense" for x in layers):
        if not (np.array_equal(params["Why"], np.eye(*params["Why"].shape)) and not np.any(params["by"])):
            raise RNNParityError("their Keras model has no Dense head (its output is the hidden states), but Why is "
                                 "not the identity")
    for keys in layer_keys(c):
        x, side = rnns[keys.layer], SIDES[keys.direction]
        put(x, side, "kernel", _order(params[keys.Wxh].T, cell, H))
        put(x, side, "recurrent_kernel", _order(params[keys.Whh].T, cell, H))
        bh = params[keys.bh] if keys.bh else None
        bhh = params[keys.bhh] if keys.bhh else None
        if not x.use_bias:
            if any(b is not None and np.any(b) for b in (bh, bhh)):
                raise RNNParityError(f"their layer {x.name!r} has no bias (use_bias=False), but the weights' is "
                                     "nonzero")
            continue
        zeros = np.zeros(c.gates * H, params.dtype)
        bh = zeros if bh is None else bh
        if cell == "gru":
            put(x, side, "bias", _order(np.stack([bh, zeros if bhh is None else bhh]), cell, H))
        else:
            if bhh is not None and np.any(bhh):
                raise RNNParityError(f"their {x.cls} {x.name!r} has one bias, but the weights' bias_hh is nonzero: "
                                     "fold it into bh first (--fold-bias)")
            put(x, side, "bias", bh)
    return out
