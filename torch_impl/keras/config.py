"""A Keras model's JSON config -> the layers rnn-parity ports, or a one-line refusal naming the layer and the
setting. The JSON is read as data: no class named in it is looked up or built.

Ported: [Embedding] -> SimpleRNN | LSTM | GRU layers (each optionally Bidirectional, merge_mode="concat") ->
[one Dense head, optionally TimeDistributed, optionally followed by an Activation layer]. Layers that do
nothing at inference (InputLayer, Dropout and its kin) are skipped, and said. A Sequential model, or a
functional one that is a single chain of these layers.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ...reference.errors import RNNParityError

CELLS = {"SimpleRNN": "rnn", "LSTM": "lstm", "GRU": "gru"}
INERT = ("InputLayer", "Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
         "ActivityRegularization")
# Head activations the check can apply to the reference's logits (they stay outside the port).
HEAD_ACTIVATIONS = ("linear", "softmax", "log_softmax", "sigmoid", "tanh", "relu")


@dataclass(eq=False)  # compared by identity: mapping.py keys dicts by layer
class Layer:
    """One ported layer: kind "embedding", "rnn" or "dense", with the settings that fix its function."""

    kind: str
    name: str
    cls: str  # as Keras names it, wrappers included: "Bidirectional(LSTM)", "TimeDistributed(Dense)"
    units: int = 0  # hidden size, Dense units, or the Embedding's output_dim
    cell: str = ""  # "rnn" | "lstm" | "gru"
    activation: str = "linear"  # SimpleRNN's activation; the Dense head's
    use_bias: bool = True
    return_sequences: bool = False
    bidirectional: bool = False
    input_dim: int | None = None  # the Embedding's vocabulary
    mask_zero: bool = False
    arrays: dict = field(default_factory=dict)  # filled by weights.py: role -> array
    paths: dict = field(default_factory=dict)  # role -> the h5 path it came from


def _activation(value, where: str) -> str:
    if value is None:
        return "linear"
    if isinstance(value, dict):  # a serialized activation object: only a builtin's name is taken
        inner = value.get("config") if isinstance(value.get("config"), dict) else {}
        value = inner.get("name") or value.get("class_name")
    if not isinstance(value, str):
        raise RNNParityError(f"{where}: an activation that is not a name ({type(value).__name__})")
    return value.lower()


def _layers(model: dict, name: str) -> list:
    cls, config = model.get("class_name"), model.get("config")
    if cls not in ("Sequential", "Functional", "Model"):
        raise RNNParityError(f"{name}: the model is a {cls!r}; rnn-parity reads a Sequential or functional Keras model"
                             " (a subclassed model saves no layers: pass --model FILE.py:NAME with its weights)")
    layers = config if isinstance(config, list) else (config or {}).get("layers")  # Keras 2.0/2.1: a plain list
    if not isinstance(layers, list) or not all(isinstance(x, dict) for x in layers):
        raise RNNParityError(f"{name}: the config has no list of layers")
    if cls != "Sequential":
        _check_chain(layers, name)
    return layers


def _inbound(nodes) -> set:
    """The names of the layers a functional layer takes its inputs from (Keras 2 and Keras 3 node formats)."""
    found = set()

    def walk(x):
        if isinstance(x, dict):
            history = (x.get("config") or {}).get("keras_history") if isinstance(x.get("config"), dict) else None
            if isinstance(history, list) and history and isinstance(history[0], str):
                found.add(history[0])
                return
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            if len(x) >= 3 and isinstance(x[0], str) and isinstance(x[1], int):  # Keras 2: [name, node, tensor, {}]
                found.add(x[0])
                return
            for v in x:
                walk(v)
    walk(nodes)
    return found


def _check_chain(layers: list, name: str) -> None:
    previous = None
    for layer in layers:
        lname = _name(layer)
        nodes = layer.get("inbound_nodes") or []
        if isinstance(nodes, list) and len(nodes) > 1:
            raise RNNParityError(f"{name}: layer {lname!r} is called {len(nodes)} times (shared): not one chain of "
                                 "layers")
        sources = _inbound(nodes)
        if previous is not None and sources != {previous}:
            raise RNNParityError(f"{name}: layer {lname!r} takes the outputs of {sorted(sources)}, not of "
                                 f"{previous!r}: rnn-parity ports a model that is one chain of layers")
        previous = lname


def _name(layer: dict) -> str:
    config = layer.get("config") if isinstance(layer.get("config"), dict) else {}
    return str(layer.get("name") or config.get("name") or layer.get("class_name"))


def _int(config: dict, key: str, where: str) -> int:
    value = config.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 1 << 31:
        raise RNNParityError(f"{where}: {key}={value!r} is not a positive size")
    return value


def _rnn(cls: str, config: dict, where: str, legacy: bool) -> Layer:
    """One SimpleRNN/LSTM/GRU layer's settings; refuses what no torch module computes."""
    cell = CELLS[cls]
    act = _activation(config.get("activation", "tanh"), where)
    allowed = ("tanh", "relu") if cell == "rnn" else ("tanh",)
    if act not in allowed:
        raise RNNParityError(f"{where}: activation={act!r}; rnn-parity ports {' or '.join(allowed)} only")
    if cell != "rnn":
        # Keras 2.0-2.2 defaulted recurrent_activation to hard_sigmoid; its configs always record it
        rec = _activation(config.get("recurrent_activation", "hard_sigmoid" if legacy else "sigmoid"), where)
        if rec != "sigmoid":
            raise RNNParityError(f"{where}: recurrent_activation={rec!r}; torch's gates are the sigmoid (Keras 2's "
                                 "default was hard_sigmoid, a piecewise-linear function): refused, not approximated")
    if cell == "gru" and not config.get("reset_after", not legacy):  # Keras 2 before 2.1.3 had no reset_after
        raise RNNParityError(f"{where}: reset_after=False applies the reset gate before the recurrent product, a "
                             "different function that no nn.GRU computes (keras-team/keras#15915): refused")
    if config.get("go_backwards"):
        raise RNNParityError(f"{where}: go_backwards=True outside a Bidirectional wrapper: refused")
    if config.get("time_major"):
        raise RNNParityError(f"{where}: time_major=True: refused (rnn-parity reads Keras's batch-major layout)")
    return Layer("rnn", str(config.get("name", cls)), cls, units=_int(config, "units", where), cell=cell,
                 activation=act if cell == "rnn" else "tanh", use_bias=bool(config.get("use_bias", True)),
                 return_sequences=bool(config.get("return_sequences", False)))


def parse_layers(model: dict, name: str, legacy: bool = False) -> tuple[list, list]:
    """(the ported layers in order, notes) of a Keras model config; refuses in one line what is not ported."""
    ported, notes = [], []
    for layer in _layers(model, name):
        cls = layer.get("class_name")
        config = layer.get("config") if isinstance(layer.get("config"), dict) else {}
        lname = _name(layer)
        where = f"{name}: layer {lname!r} ({cls})"
        if cls in INERT:
            if cls != "InputLayer":
                notes.append(f"skipped {cls} {lname!r} (it does nothing at inference)")
            continue
        if cls == "Lambda":
            raise RNNParityError(f"{where}: a Lambda layer holds code, which rnn-parity never runs from a file: "
                                 "refused")
        if ported and ported[-1].kind == "dense":
            if cls == "Activation" and ported[-1].activation == "linear":
                ported[-1].activation = _activation(config.get("activation"), where)
                continue
            raise RNNParityError(f"{where} after the Dense head: rnn-parity ports one Dense head last")
        if cls == "Embedding":
            if ported:
                raise RNNParityError(f"{where}: an Embedding after other layers: refused")
            emb = Layer("embedding", lname, cls, units=_int(config, "output_dim", where),
                        input_dim=_int(config, "input_dim", where), mask_zero=bool(config.get("mask_zero")))
            if emb.mask_zero:
                notes.append(f"Embedding {lname!r} has mask_zero=True: Keras skips the steps of token 0; the port "
                             "takes lengths instead (pad at the end, pass lengths)")
            ported.append(emb)
        elif cls in CELLS:
            ported.append(_rnn(cls, config, where, legacy))
            if config.get("stateful"):
                notes.append(f"{lname!r} is stateful: the port starts each batch from h0 (zeros unless given)")
        elif cls == "Bidirectional":
            ported.append(_bidirectional(config, where, lname, legacy))
        elif cls in ("Dense", "TimeDistributed"):
            ported.append(_dense(cls, config, where, lname))
        else:
            raise RNNParityError(f"{where}: rnn-parity ports an Embedding, SimpleRNN/LSTM/GRU layers (Bidirectional "
                                 "too) and one Dense head; this layer is none of these: refused")
    check_stack(ported, name)
    return ported, notes


def _bidirectional(config: dict, where: str, lname: str, legacy: bool) -> Layer:
    mode = config.get("merge_mode", "concat")
    if mode != "concat":
        raise RNNParityError(f"{where}: merge_mode={mode!r}; torch's bidirectional output is the concatenation "
                             "[forward ; backward] (merge_mode='concat'): refused")
    inner = config.get("layer")
    if not isinstance(inner, dict) or inner.get("class_name") not in CELLS:
        raise RNNParityError(f"{where}: wraps a {(inner or {}).get('class_name')!r}, not a SimpleRNN, LSTM or GRU")
    forward = _rnn(inner["class_name"], dict(inner.get("config") or {}, go_backwards=False), where, legacy)
    back = config.get("backward_layer")
    if isinstance(back, dict):  # an explicit backward layer: it must be the same kind of layer
        backward = _rnn(back.get("class_name"), dict(back.get("config") or {}, go_backwards=False), where, legacy) \
            if back.get("class_name") in CELLS else None
        if backward is None or (backward.cell, backward.units, backward.activation, backward.use_bias) != \
                (forward.cell, forward.units, forward.activation, forward.use_bias):
            raise RNNParityError(f"{where}: its backward layer differs from its forward one: no torch module holds it")
    forward.name, forward.cls, forward.bidirectional = lname, f"Bidirectional({forward.cls})", True
    return forward


def _dense(cls: str, config: dict, where: str, lname: str) -> Layer:
    if cls == "TimeDistributed":
        inner = config.get("layer")
        if not isinstance(inner, dict) or inner.get("class_name") != "Dense":
            raise RNNParityError(f"{where}: wraps a {(inner or {}).get('class_name')!r}; rnn-parity ports "
                                 "TimeDistributed(Dense) only")
        config, cls = dict(inner.get("config") or {}), "TimeDistributed(Dense)"
    act = _activation(config.get("activation"), where)
    if act not in HEAD_ACTIVATIONS:
        raise RNNParityError(f"{where}: activation={act!r} after the head; rnn-parity checks heads followed by "
                             f"{', '.join(HEAD_ACTIVATIONS)}")
    return Layer("dense", lname, cls, units=_int(config, "units", where), activation=act,
                 use_bias=bool(config.get("use_bias", True)))


def check_stack(layers: list, name: str) -> None:
    """One torch stack: the recurrent layers share cell, width, direction, activation and bias; all but the last
    return sequences."""
    rnns = [x for x in layers if x.kind == "rnn"]
    if not rnns:
        raise RNNParityError(f"{name}: no SimpleRNN, LSTM or GRU layer: nothing for rnn-parity to port")
    first = rnns[0]
    for x in rnns[1:]:
        for setting in ("cls", "units", "activation", "use_bias"):
            if getattr(x, setting) != getattr(first, setting):
                what = {"units": "widths", "cls": "cells"}.get(setting, setting + "s")
                raise RNNParityError(f"{name}: layer {x.name!r} has {setting}={getattr(x, setting)!r} but "
                                     f"{first.name!r} has {getattr(first, setting)!r}: layers of different "
                                     f"{what} are not one torch stack: refused")
    for x in rnns[:-1]:
        if not x.return_sequences:
            raise RNNParityError(f"{name}: layer {x.name!r} has return_sequences=False but feeds another recurrent "
                                 "layer: refused")
    kinds = [x.kind for x in layers]
    if kinds != sorted(kinds, key=("embedding", "rnn", "dense").index):
        raise RNNParityError(f"{name}: layers in the order {kinds}; rnn-parity ports [Embedding] -> recurrent layers "
                             "-> [Dense]")
