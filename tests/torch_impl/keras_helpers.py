"""Keras files for the tests, built without Keras: Keras 2's .h5 layout written with h5py (model_config JSON,
model_weights/<layer>/<weight names>), and Keras's own equations in NumPy (kernels (D, G*H) as Keras stores
them, its gate orders: LSTM i, f, c, o; GRU z, r, h with reset_after=True), an oracle the port is checked
against that shares nothing with rnn-parity's mapping.

Layers are given as (class_name, config, {weight name: array}); Bidirectional ones as
("Bidirectional", {"layer": {...}}, {"forward_lstm_1/kernel:0": ..., "backward_lstm_1/kernel:0": ...}).
"""
from __future__ import annotations

import json

import h5py
import numpy as np

CELL_GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}


def rnn_config(cls: str, units: int, **extra) -> dict:
    """A Keras 2.2-style config of a recurrent layer (its defaults written out, as Keras 2 saves them)."""
    config = {"name": extra.pop("name", cls.lower()), "units": units, "activation": "tanh", "use_bias": True,
              "return_sequences": False, "go_backwards": False, "stateful": False, "dropout": 0.0}
    if cls != "SimpleRNN":
        config["recurrent_activation"] = "sigmoid"
    if cls == "GRU":
        config["reset_after"] = True
    config.update(extra)
    return config


def rnn_weights(rng, cls: str, d_in: int, units: int, use_bias=True, reset_after=True, scale=0.5) -> list:
    """[kernel (D, G*H), recurrent_kernel (H, G*H), bias] as Keras holds them."""
    G = CELL_GATES[cls]
    out = [scale * rng.standard_normal((d_in, G * units)), scale * rng.standard_normal((units, G * units))]
    if use_bias:
        shape = (2, G * units) if cls == "GRU" and reset_after else (G * units,)
        out.append(scale * rng.standard_normal(shape))
    return [a.astype(np.float32) for a in out]


def layer(cls, config, weights=None):
    return {"class_name": cls, "config": config, "weights": weights or {}}


def stack(rng, cls="LSTM", layers=1, units=4, d_in=3, bidirectional=False, vocab=None, head=2, sequences=False,
          head_activation="linear", use_bias=True, time_distributed=False):
    """A Keras 2 model's layers: [Embedding] -> recurrent layers -> [Dense] with random weights."""
    out, d = [], d_in
    if vocab:
        out.append(layer("Embedding", {"name": "embedding_1", "input_dim": vocab, "output_dim": d_in, "mask_zero": False},
                         {"embedding_1/embeddings:0": rng.standard_normal((vocab, d_in)).astype(np.float32)}))
    for k in range(layers):
        name = f"{cls.lower()}_{k + 1}"
        config = rnn_config(cls, units, name=name, return_sequences=k < layers - 1 or sequences, use_bias=use_bias)
        roles = ("kernel", "recurrent_kernel", "bias")
        if bidirectional:
            weights = {}
            for side in ("forward", "backward"):
                for role, a in zip(roles, rnn_weights(rng, cls, d, units, use_bias)):
                    weights[f"bidirectional_{k + 1}/{side}_{name}/{role}:0"] = a
            out.append(layer("Bidirectional", {"name": f"bidirectional_{k + 1}", "merge_mode": "concat",
                                               "layer": {"class_name": cls, "config": config}}, weights))
        else:
            weights = {f"{name}/{role}:0": a for role, a in zip(roles, rnn_weights(rng, cls, d, units, use_bias))}
            out.append(layer(cls, config, weights))
        d = units * (2 if bidirectional else 1)
    if head:
        dense = {"name": "dense_1", "units": head, "activation": head_activation, "use_bias": True}
        weights = {"dense_1/kernel:0": (0.5 * rng.standard_normal((d, head))).astype(np.float32),
                   "dense_1/bias:0": (0.5 * rng.standard_normal(head)).astype(np.float32)}
        if time_distributed:
            out.append(layer("TimeDistributed", {"name": "time_distributed_1", "layer": {"class_name": "Dense",
                                                                                          "config": dense}}, weights))
        else:
            out.append(layer("Dense", dense, weights))
    return out


def model_config(layers: list, functional=False) -> dict:
    conf = [{"class_name": x["class_name"], "config": x["config"]} for x in layers]
    if functional:  # Keras 2's functional format: InputLayer + inbound_nodes [[[name, 0, 0, {}]]]
        conf = [{"class_name": "InputLayer", "name": "input_1", "config": {"name": "input_1"}, "inbound_nodes": []}] + [
            dict(c, name=c["config"]["name"], inbound_nodes=[[[prev, 0, 0, {}]]])
            for c, prev in zip(conf, ["input_1"] + [c["config"]["name"] for c in conf])]
        return {"class_name": "Model", "config": {"name": "model_1", "layers": conf}}
    return {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": conf}}


def write_keras2(path, layers: list, weights_only=False, config: dict | None = None, version="2.2.4"):
    """Keras 2's model.save("x.h5") (model_config + model_weights/) or save_weights("x.h5") (layer_names at the
    root) layout, by hand."""
    with h5py.File(path, "w") as f:
        if not weights_only:
            f.attrs["model_config"] = json.dumps(config or model_config(layers)).encode()
            f.attrs["keras_version"] = version.encode()
            f.attrs["backend"] = b"tensorflow"
        root = f if weights_only else f.create_group("model_weights")
        root.attrs["layer_names"] = np.array([x["config"]["name"].encode() for x in layers])
        root.attrs["keras_version"] = version.encode()
        for x in layers:
            g = root.create_group(x["config"]["name"])
            g.attrs["weight_names"] = np.array([n.encode() for n in x["weights"]])
            for n, a in x["weights"].items():
                g.create_dataset(n, data=a)


# --- Keras's equations, in NumPy (batch-major x (B, T, D)) -------------------------------------------------------

def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _cell(cls, config, k, rk, b, x):
    """One direction of one Keras layer over x (B, T, D): every step's h."""
    B, T, _ = x.shape
    H = rk.shape[0]
    h, c, outs = np.zeros((B, H)), np.zeros((B, H)), []
    act = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0)}[config.get("activation", "tanh")]
    for t in range(T):
        xt = x[:, t]
        if cls == "SimpleRNN":
            h = act(xt @ k + h @ rk + (b if b is not None else 0))
        elif cls == "LSTM":
            z = xt @ k + h @ rk + (b if b is not None else 0)
            i, f, g, o = _sigmoid(z[:, :H]), _sigmoid(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), _sigmoid(z[:, 3 * H:])
            c = f * c + i * g
            h = o * np.tanh(c)
        else:  # GRU, reset_after=True: Keras's z, r, h blocks; bias rows [input ; recurrent]
            bi, br = (b[0], b[1]) if b is not None else (0, 0)
            xz, xr, xh = np.split(xt @ k + bi, 3, axis=1)
            hz, hr, hh = np.split(h @ rk + br, 3, axis=1)
            z, r = _sigmoid(xz + hz), _sigmoid(xr + hr)
            h = z * h + (1 - z) * np.tanh(xh + r * hh)
        outs.append(h)
    return np.stack(outs, axis=1)


def keras_forward(layers: list, x: np.ndarray) -> np.ndarray:
    """The model's output, computed with Keras's equations on the weights as Keras stores them (float64)."""
    for lay in layers:
        cls, config, w = lay["class_name"], lay["config"], [np.asarray(a, np.float64) for a in lay["weights"].values()]
        if cls == "Embedding":
            x = w[0][x]
        elif cls in CELL_GATES or cls == "Bidirectional":
            inner = config["layer"] if cls == "Bidirectional" else {"class_name": cls, "config": config}
            n = len(w) // (2 if cls == "Bidirectional" else 1)
            fwd = _cell(inner["class_name"], inner["config"], w[0], w[1], w[2] if n == 3 else None, x)
            seq = fwd
            if cls == "Bidirectional":
                back = _cell(inner["class_name"], inner["config"], w[n], w[n + 1], w[n + 2] if n == 3 else None,
                             x[:, ::-1])
                seq = np.concatenate([fwd, back[:, ::-1]], axis=-1)
                last = np.concatenate([fwd[:, -1], back[:, -1]], axis=-1)
            else:
                last = fwd[:, -1]
            x = seq if inner["config"].get("return_sequences") else last
        else:  # Dense / TimeDistributed(Dense)
            dense = config["layer"]["config"] if cls == "TimeDistributed" else config
            x = x @ w[0] + w[1]
            x = {"linear": lambda z: z, "sigmoid": _sigmoid,
                 "softmax": lambda z: np.exp(z - z.max(-1, keepdims=True)) / np.exp(z - z.max(-1, keepdims=True)).sum(
                     -1, keepdims=True)}[dense.get("activation", "linear")](x)
    return x


def _snake(cls: str) -> str:
    return {"SimpleRNN": "simple_rnn", "TimeDistributed": "time_distributed"}.get(cls, cls.lower())


def write_keras3(path, layers: list, config: dict | None = None):
    """Keras 3's layout by hand: a .keras zip (config.json + model.weights.h5) or, for *.weights.h5, the weights
    file alone: layers/<class>[_N]/[cell|forward_layer/cell|layer]/vars/0, 1, ..."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.create_group("vars")
        counts = {}
        for x in layers:
            base = _snake(x["class_name"])
            key = base if base not in counts else f"{base}_{counts[base]}"
            counts[base] = counts.get(base, 0) + 1
            g = f.create_group(f"layers/{key}")
            g.create_group("vars")
            arrays = list(x["weights"].values())
            if x["class_name"] in CELL_GATES:
                targets = [("cell/vars", arrays)]
            elif x["class_name"] == "Bidirectional":
                half = len(arrays) // 2
                targets = [("forward_layer/cell/vars", arrays[:half]), ("backward_layer/cell/vars", arrays[half:])]
            elif x["class_name"] == "TimeDistributed":
                targets = [("layer/vars", arrays)]
            else:
                targets = [("vars", arrays)]
            for where, items in targets:
                v = g.require_group(where)
                for i, a in enumerate(items):
                    v.create_dataset(str(i), data=a)
    data = buffer.getvalue()
    if str(path).endswith(".weights.h5"):
        with open(path, "wb") as out:
            out.write(data)
        return
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.15.1"}))
        z.writestr("config.json", json.dumps(config or model_config(layers)))
        z.writestr("model.weights.h5", data)
