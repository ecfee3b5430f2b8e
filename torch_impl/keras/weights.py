"""Each ported layer's arrays, found in the h5 file by structure, in either of Keras's two layouts.

Keras 3 (.keras's model.weights.h5, .weights.h5): layers/<class_name>[_N]/vars/0, 1, ...; a recurrent layer
keeps its arrays in layers/lstm/cell/vars, a Bidirectional one in forward_layer/cell/vars and
backward_layer/cell/vars, a TimeDistributed Dense in layer/vars. Groups are named after the layer's class,
numbered in the model's order (as Keras itself matches them), not after the layer's own name.
Keras 2 (.h5): model_weights/ (or the root of a save_weights file) lists layer_names; each layer's group lists
weight_names, e.g. lstm/lstm_cell/kernel:0 or (Keras 2.0) lstm_1/kernel:0, a Bidirectional's as
bidirectional/forward_lstm/... then .../backward_lstm/...

Without a config (a weights-only file) the layers come from the structure: an Embedding's single table,
recurrent layers by their recurrent kernels (the cell from (H, G*H): G = 1, 3 or 4), the Dense head last.
"""
from __future__ import annotations

import re

from ...reference.errors import RNNParityError
from .config import CELLS, Layer, check_stack
from .read import KerasFile, _text, read_dataset

GATES = {1: "rnn", 3: "gru", 4: "lstm"}
CLASS_OF = {"rnn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
ROLES = ("kernel", "recurrent_kernel", "bias")


def _natural(key: str):
    m = re.match(r"^(.*?)(?:_(\d+))?$", key)
    return (m.group(1), int(m.group(2) or 0))


def _snake(cls: str) -> str:
    """Keras 3's group name for a class: LSTM -> lstm, SimpleRNN -> simple_rnn, TimeDistributed -> time_distributed."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", cls)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def _vars(group, where: str, size: int) -> tuple[list, list]:
    """The arrays of group/vars/0, 1, ... in order, and their paths."""
    if "vars" not in group:
        return [], []
    v = group["vars"]
    keys = sorted((k for k in v.keys()), key=lambda k: int(k) if k.isdigit() else 1 << 30)
    if any(not k.isdigit() for k in keys):
        raise RNNParityError(f"{where}: unexpected entries {keys[:4]} in {v.name}")
    return [read_dataset(v[k], f"{where} {v.name}/{k}", size) for k in keys], [f"{v.name}/{k}" for k in keys]


def _k3_layer(group, layer: Layer, where: str, size: int) -> None:
    """Fill layer.arrays from its Keras 3 group."""
    if layer.kind == "rnn":
        sides = [("forward", group["forward_layer"]), ("backward", group["backward_layer"])] \
            if "forward_layer" in group and "backward_layer" in group else [("forward", group)]
        if layer.bidirectional != (len(sides) == 2):
            raise RNNParityError(f"{where}: the config says bidirectional={layer.bidirectional}, the weights "
                                 f"{'hold' if len(sides) == 2 else 'lack'} a backward layer")
        for side, g in sides:
            if "cell" not in g:
                raise RNNParityError(f"{where}: no cell/vars group in {g.name}: missing weights")
            arrays, paths = _vars(g["cell"], where, size)
            _put(layer, side, arrays, paths, where)
    else:
        inner = group["layer"] if "layer" in group else group  # TimeDistributed(Dense) keeps it in layer/
        arrays, paths = _vars(inner, where, size)
        _put(layer, "", arrays, paths, where)


def _put(layer: Layer, side: str, arrays: list, paths: list, where: str) -> None:
    roles = {"embedding": ("embeddings",), "dense": ("kernel", "bias")}.get(layer.kind, ROLES)
    want = roles[:1] if layer.kind == "embedding" else roles if layer.use_bias else roles[:-1]
    if len(arrays) != len(want):
        raise RNNParityError(f"{where}: {len(arrays)} arrays where {layer.cls} holds {len(want)} ({', '.join(want)})"
                             f"{': missing weights' if len(arrays) < len(want) else ''}")
    for role, a, p in zip(want, arrays, paths):
        layer.arrays[side, role], layer.paths[side, role] = a, p


def _k2_names(group, where: str) -> list:
    names = group.attrs.get("weight_names", [])
    return [_text(n) for n in names]


def _k2_layer(group, layer: Layer, where: str, size: int) -> None:
    """Fill layer.arrays from its Keras 2 group, by the last part of each weight name."""
    names = _k2_names(group, where)
    sides = {}
    for n in names:
        parts = n.split("/")
        role = parts[-1].split(":")[0]
        side = "backward" if any(p.startswith("backward") for p in parts[:-1]) else "forward"
        sides.setdefault(side if layer.kind == "rnn" else "", []).append((role, n))
    if layer.kind == "rnn" and layer.bidirectional and "backward" not in sides and len(names) in (4, 6):
        half = len(names) // 2  # a Bidirectional's weights listed forward then backward without those words
        sides = {"forward": [(n.split("/")[-1].split(":")[0], n) for n in names[:half]],
                 "backward": [(n.split("/")[-1].split(":")[0], n) for n in names[half:]]}
    if layer.kind == "rnn" and layer.bidirectional != ("backward" in sides):
        raise RNNParityError(f"{where}: the config says bidirectional={layer.bidirectional}, the weights "
                             f"{'hold' if 'backward' in sides else 'lack'} a backward layer")
    if not sides:
        sides = {("forward" if layer.kind == "rnn" else ""): []}
    for side, items in sides.items():
        arrays, paths = [], []
        for role, n in items:
            if n not in group:
                raise RNNParityError(f"{where}: weight {n!r} is listed but missing from the file")
            arrays.append(read_dataset(group[n], f"{where} {n}", size))
            paths.append(group[n].name)
        _put(layer, side, arrays, paths, where)


def fill_from_config(kf: KerasFile, layers: list, name: str) -> None:
    """Find each configured layer's arrays in kf (either layout)."""
    size = kf.size
    if kf.layout == "keras3":
        groups = kf.root["layers"]
        by_class = {}
        for key in sorted(groups.keys(), key=_natural):
            by_class.setdefault(_natural(key)[0], []).append(key)
        for layer in layers:
            base = _snake(layer.cls.split("(")[0])
            keys = by_class.get(base, [])
            if not keys:
                raise RNNParityError(f"{name}: no weights for layer {layer.name!r} ({layer.cls}) under layers/{base}: "
                                     "missing weights entry")
            _k3_layer(groups[keys.pop(0)], layer, f"{name}: layer {layer.name!r} ({layer.cls})", size)
    else:
        names = [_text(n) for n in kf.root.attrs.get("layer_names", [])]
        for layer in layers:
            if layer.name not in names or layer.name not in kf.root:
                raise RNNParityError(f"{name}: no weights for layer {layer.name!r} in model_weights (it lists "
                                     f"{names[:6]}): missing weights entry")
            _k2_layer(kf.root[layer.name], layer, f"{name}: layer {layer.name!r} ({layer.cls})", size)


def layers_from_weights(kf: KerasFile, name: str) -> list:
    """A weights-only file: the layers its structure shows (cells from the shapes), in order."""
    size, found = kf.size, []
    if kf.layout == "keras3":
        groups = kf.root["layers"]
        for key in sorted(groups.keys(), key=lambda k: (_order(groups[k], k), _natural(k))):
            g = groups[key]
            where = f"{name}: layers/{key}"
            if "forward_layer" in g or "cell" in g:
                layer = Layer("rnn", key, "", bidirectional="forward_layer" in g)
                layer.use_bias = _count(g["forward_layer"]["cell"] if layer.bidirectional else g["cell"]) == 3
            elif _base(key) in ("embedding",):
                layer = Layer("embedding", key, "Embedding")
            elif _base(key) in ("dense", "time_distributed"):
                layer = Layer("dense", key, "TimeDistributed(Dense)" if _base(key) == "time_distributed" else "Dense")
                layer.use_bias = _count(g["layer"] if "layer" in g else g) == 2
            elif _has_data(g):
                raise RNNParityError(f"{where}: weights of a layer rnn-parity does not port ({_base(key)}): refused")
            else:
                continue
            _k3_layer(g, layer, where, size)
            found.append(layer)
    else:
        for key in [_text(n) for n in kf.root.attrs.get("layer_names", [])]:
            if key not in kf.root:
                raise RNNParityError(f"{name}: layer {key!r} is listed but has no group: missing weights entry")
            roles = [n.split("/")[-1].split(":")[0] for n in _k2_names(kf.root[key], key)]
            where = f"{name}: layer {key!r}"
            if not roles:
                continue
            if "recurrent_kernel" in roles:
                layer = Layer("rnn", key, "", bidirectional=roles.count("recurrent_kernel") == 2,
                              use_bias="bias" in roles)
            elif roles == ["embeddings"]:
                layer = Layer("embedding", key, "Embedding")
            elif roles in (["kernel", "bias"], ["kernel"]):
                layer = Layer("dense", key, "Dense", use_bias="bias" in roles)
            else:
                raise RNNParityError(f"{where}: weights {roles} of a layer rnn-parity does not port: refused")
            _k2_layer(kf.root[key], layer, where, size)
            found.append(layer)
    for layer in found:
        _shape_settings(layer, name)
    check_stack(found, name)
    return found


def _base(key: str) -> str:
    return _natural(key)[0]


def _order(group, key) -> int:
    return 0 if _base(key) == "embedding" else 2 if _base(key) in ("dense", "time_distributed") else 1


def _count(group) -> int:
    return len(group["vars"].keys()) if "vars" in group else 0


def _has_data(group) -> bool:
    import h5py

    found = []
    group.visititems(lambda n, o: found.append(n) if isinstance(o, h5py.Dataset) else None)
    return bool(found)


def _shape_settings(layer: Layer, name: str) -> None:
    """A weights-only layer's sizes and cell from its shapes."""
    if layer.kind == "embedding":
        layer.input_dim, layer.units = (int(d) for d in _shape2(layer.arrays["", "embeddings"], layer, name))
    elif layer.kind == "dense":
        layer.units = int(_shape2(layer.arrays["", "kernel"], layer, name)[1])
    else:
        H, GH = _shape2(layer.arrays["forward", "recurrent_kernel"], layer, name)
        if H == 0 or GH % H or GH // H not in GATES:
            raise RNNParityError(f"{name}: layer {layer.name!r}: recurrent kernel {(H, GH)} is not (H, H), (H, 3H) or "
                                 "(H, 4H): not a SimpleRNN, GRU or LSTM")
        layer.cell, layer.units = GATES[GH // H], int(H)
        layer.cls = ("Bidirectional(%s)" if layer.bidirectional else "%s") % CLASS_OF[layer.cell]
        layer.return_sequences = True  # all but the last; mapping.py settles the last from --config
        bias = layer.arrays.get(("forward", "bias"))
        if layer.cell == "gru" and bias is not None and bias.ndim == 1:
            raise RNNParityError(f"{name}: layer {layer.name!r}: a GRU bias of shape {bias.shape} is "
                                 "reset_after=False's,"
                                 " a different function that no nn.GRU computes (keras-team/keras#15915): refused")
        if layer.cell == "lstm" and bias is not None and bias.shape[-1] == 8 * H:
            raise RNNParityError(f"{name}: layer {layer.name!r}: an LSTM bias of 8H is CuDNNLSTM's two biases: refused")


def _shape2(a, layer: Layer, name: str):
    if a.ndim != 2:
        raise RNNParityError(f"{name}: layer {layer.name!r}: a {a.ndim}-D array where a matrix belongs ({a.shape})")
    return a.shape


__all__ = ["fill_from_config", "layers_from_weights", "CELLS"]
