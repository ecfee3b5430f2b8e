"""Weight files: save_weights / load_weights for .npz, .pt and .safetensors, chosen by suffix.

    .npz          reference names (Wxh, Whh_l1_reverse, ...) plus a "__config__" entry holding the
                  RNNConfig as a JSON string; `np.load(p)["Wxh"]` is all a NumPy user needs.
    .pt           the checkpoint dict {"state_dict": <TorchRNN state_dict>, "config": <RNNConfig as a dict>},
                  so `model.load_state_dict(torch.load(p, weights_only=True)["state_dict"])` works in plain torch.
    .safetensors  the TorchRNN state_dict, the config as JSON in the metadata under "rnn_parity.config".

Loading never unpickles (np.load(allow_pickle=False), torch.load(weights_only=True)), and reads,
besides its own files, a bare torch state_dict and an .npz of seed-style arrays (schemes.py). Where a
file holds no config, the shapes give sizes, layers, directions and bias; the rest comes from
`config=` or RNNConfig's defaults, and a ConfigAssumedWarning says which fields were assumed.

Saving is atomic: the file is written and fsynced under a temporary name in the target's directory,
then os.replace'd over the target, so an interrupted save leaves the previous file intact.
"""
from __future__ import annotations

import json
import os
import warnings
from dataclasses import fields
from pathlib import Path
from typing import Callable

import numpy as np
import safetensors.torch
import torch

from ..reference.errors import RNNParityError
from ..reference.fsutil import atomic_write
from ..reference.config import RNNConfig
from ..reference.params import EMBEDDING, Params, param_shapes
from .convert import checked_params, from_state_dict, to_state_dict
from .keymap import EMBEDDING_KEY, HEAD_KEYS, as_numpy, check_arrays, reference_name, torch_name
from .file_formats import (FORMAT_NAMES, NPZ_CONFIG_ENTRY, SAFETENSORS_CONFIG_KEY, read_npz, read_safetensors,
                           read_torch, sniff_format)
from .schemes import detect_scheme, from_scheme, merge_config, to_scheme

TORCH_SUFFIXES = (".pt", ".pth")
SUFFIXES = (".npz", *TORCH_SUFFIXES, ".safetensors")
# What a file's shapes cannot tell; without a stored config these are taken from config= or defaults.
UNINFERABLE = ("nonlinearity", "output", "batch_first")


class ConfigAssumedWarning(UserWarning):
    """load_weights had to assume config fields the file does not record."""


def weight_format(path) -> str:
    """The file format `path`'s suffix names: ".npz", ".pt" (also for .pth) or ".safetensors"."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise RNNParityError(f"{path}: unknown weight file suffix {suffix or '(none)'!r}; expected one of {SUFFIXES}")
    return ".pt" if suffix in TORCH_SUFFIXES else suffix


def save_weights(params: Params, path, scheme: str | None = None) -> None:
    """Write params to `path` (.npz, .pt or .safetensors) atomically, with their config.

    scheme: for .npz only, write a seed scheme's names ("karpathy", "coursera", "uvw"; column biases)
    instead of the reference's, still with the "__config__" entry so nothing is lost on reading back.
    """
    suffix = weight_format(path)
    arrays, _ = checked_params(params, "save_weights")
    config_json = json.dumps(params.config.to_dict())
    if scheme is not None and suffix != ".npz":
        raise RNNParityError(f"save_weights: a seed scheme is written to .npz only, not {suffix}")
    if suffix == ".npz":
        entries = to_scheme(params, scheme) if scheme else {k: arrays[k] for k in param_shapes(params.config)}
        entries[NPZ_CONFIG_ENTRY] = np.array(config_json)  # a unicode array: loads without pickle

        def write(f):
            np.savez(f, **entries)
    elif suffix == ".pt":
        checkpoint = {"state_dict": to_state_dict(params), "config": params.config.to_dict()}

        def write(f):
            torch.save(checkpoint, f)
    else:
        data = safetensors.torch.save(to_state_dict(params), metadata={SAFETENSORS_CONFIG_KEY: config_json})

        def write(f):
            f.write(data)
    atomic_write(path, write)


def load_weights(path, config: RNNConfig | dict | None = None, scheme: str = "auto",
                 fold_bias: bool = False) -> Params:
    """Params from a weight file, never unpickling anything.

    config: None (use the file's stored config, else infer it), an RNNConfig (used as is; the
    arrays are checked against it), or a dict of fields to set over the stored or inferred config,
    e.g. {"nonlinearity": "relu", "output": "all"}.
    scheme: "auto", or a seed scheme to read an .npz of seed-style arrays with.
    fold_bias: allow bias_hh folded into bh when the config is bias="single" (see convert.py).
    Warns with ConfigAssumedWarning naming the fields it had to assume.
    """
    suffix = weight_format(path)
    if not os.path.isfile(path):
        raise RNNParityError(f"cannot read {path}: no such file")
    if config is not None and not isinstance(config, (RNNConfig, dict)):
        raise RNNParityError(f"load_weights: config must be an RNNConfig or a dict, got {type(config).__name__}")
    actual = sniff_format(path)
    if actual is not None and actual != suffix:
        raise RNNParityError(f"{path}: this is {FORMAT_NAMES[actual]}, not {FORMAT_NAMES[suffix]}: the suffix picks "
                             f"the reader, so " + ("save it with np.savez" if actual == ".npy" else
                                                   f"name it with the suffix {actual}"))
    reader = {".npz": read_npz, ".safetensors": read_safetensors}.get(suffix, read_torch)
    arrays, stored = reader(path)
    what = f"load_weights({os.path.basename(path)})"
    arrays = {k: as_numpy(v, k, what) for k, v in arrays.items()}
    if scheme != "auto" or detect_scheme(arrays):
        overrides = {**(stored or {}), **_as_dict(config)}
        if stored is None:
            _warn_assumed(path, overrides, stacklevel=2)  # point at load_weights' caller
        return from_scheme(arrays, scheme, **overrides)
    if torch_name("Wxh", 0, 0) in arrays:
        name, head = torch_name, HEAD_KEYS["Why"]
    elif reference_name("Wxh", 0, 0) in arrays:
        name, head = reference_name, "Why"
    else:
        raise RNNParityError(f"{what}: no known naming fits the keys found {sorted(arrays)}; expected torch's "
                             "(rnn.weight_ih_l0, fc.weight, ...), the reference's (Wxh, Why, ...) or a seed scheme; "
                             "a checkpoint of another model reads by structure with read_checkpoint")
    config = _resolve_config(arrays, stored, config, name, head, path, what)
    if name is torch_name:
        try:
            return from_state_dict(arrays, config, fold_bias=fold_bias)
        except RNNParityError as e:  # name the file, not the function, in what the user reads
            message = str(e).removeprefix("from_state_dict").removeprefix(":").strip()
            raise RNNParityError(f"{what}: {message}") from None
    check_arrays(arrays, param_shapes(config), what)
    return Params({k: np.array(arrays[k], copy=True) for k in param_shapes(config)}, config)


def _as_dict(config) -> dict:
    if config is None:
        return {}
    return config.to_dict() if isinstance(config, RNNConfig) else dict(config)


def _warn_assumed(path, given: dict, stacklevel: int, inferred: str = "") -> None:
    """Say which fields were assumed (and, for a bare state_dict, what the shapes told: the cell)."""
    gated = given.get("cell", "rnn") != "rnn"  # a gated cell has no nonlinearity to assume
    assumed = {f.name: f.default for f in fields(RNNConfig)
               if f.name in UNINFERABLE and f.name not in given and not (gated and f.name == "nonlinearity")}
    if assumed or inferred:
        warnings.warn(f"{path} records no config: " + (f"inferred {inferred}" if inferred else "")
                      + ("; " if inferred and assumed else "")
                      + ("assumed " + ", ".join(f"{k}={v!r}" for k, v in assumed.items()) + " (set them with config=)"
                         if assumed else ""),
                      ConfigAssumedWarning, stacklevel=stacklevel + 1)


def _resolve_config(arrays, stored, config, name, head, path, what) -> RNNConfig:
    if isinstance(config, RNNConfig):
        if stored is not None and stored != config.to_dict():
            differ = sorted(k for k, v in config.to_dict().items() if stored.get(k) != v)
            warnings.warn(f"{path}: config= differs from the stored config in {differ}; using config=",
                          ConfigAssumedWarning, stacklevel=3)
        return config
    overrides = _as_dict(config)
    if stored is not None:
        try:
            return RNNConfig.from_dict({**stored, **overrides})
        except (TypeError, ValueError) as e:  # a missing field, or a field of the wrong kind or value
            raise RNNParityError(f"{what}: the stored config is not a valid RNNConfig: {e}") from None
    inferred = infer_config(arrays, name, head, what)
    cell = overrides.get("cell", inferred["cell"])
    # The RNN is the default and needs no word; a gated cell read off the shapes is said.
    told = "" if inferred["cell"] == "rnn" else f"cell={inferred['cell']!r} from {name('Whh', 0, 0)} {tuple(arrays[name('Whh', 0, 0)].shape)}" + (
        f" and proj_size={inferred['proj_size']} from {name('Whr', 0, 0)}" if inferred["proj_size"] else "")
    _warn_assumed(path, {**overrides, "cell": cell}, stacklevel=3, inferred=told)
    return merge_config(inferred, overrides, what)


def infer_config(arrays: dict, name: Callable, head: str, what: str) -> dict:
    """The RNNConfig fields the shapes fix: cell, sizes, num_layers, bidirectional, bias, proj_size.

    name(base, layer, direction) is the naming's template (keymap.torch_name or reference_name).
    torch naming always has bias_hh when it has biases; all zeros there reads as bias="single",
    the state TorchRNN(bias="single") writes.
    """
    w, h, y = arrays.get(name("Wxh", 0, 0)), arrays.get(name("Whh", 0, 0)), arrays.get(head)
    for key, a, want in ((name("Wxh", 0, 0), w, "(G*H, D)"), (name("Whh", 0, 0), h, "(G*H, H)"),
                         (head, y, "(O, dirs*H)")):
        if a is None:
            raise RNNParityError(f"{what}: missing key {key!r} (expected shape {want})")
        if a.ndim != 2:
            raise RNNParityError(f"{what}: {key!r} has shape {a.shape}, expected a matrix {want}")
    cell, hidden_size, proj_size = infer_cell(h, arrays.get(name("Whr", 0, 0)), name("Whh", 0, 0), what)
    num_layers = 1
    while name("Wxh", num_layers, 0) in arrays:
        num_layers += 1
    directions = range(2 if name("Wxh", 0, 1) in arrays else 1)
    if name("bh", 0, 0) not in arrays:
        bias = "none"
    elif name("bhh", 0, 0) not in arrays:
        bias = "single"
    elif name is torch_name and not any(np.any(arrays.get(name("bhh", k, d), 1))
                                        for k in range(num_layers) for d in directions):
        bias = "single"
    else:
        bias = "torch"
    table = arrays.get(EMBEDDING_KEY if name is torch_name else EMBEDDING)
    vocab_size = None if table is None or table.ndim != 2 else table.shape[0]  # check_arrays judges its shape
    return dict(input_size=w.shape[1], hidden_size=hidden_size, output_size=y.shape[0], num_layers=num_layers,
                bidirectional=len(directions) == 2, bias=bias, vocab_size=vocab_size, cell=cell, proj_size=proj_size)


def infer_cell(Whh: np.ndarray, Whr: np.ndarray | None, key: str, what: str) -> tuple[str, int, int]:
    """(cell, H, P) from the recurrent weight's shape: (H, H) RNN, (4H, H) LSTM, (3H, H) GRU; a weight_hr
    (P, H) beside a (4H, P) recurrent weight is a projected LSTM."""
    rows, cols = Whh.shape
    if Whr is not None:
        if Whr.ndim == 2 and rows == 4 * Whr.shape[1] and cols == Whr.shape[0]:
            return "lstm", Whr.shape[1], Whr.shape[0]
        raise RNNParityError(f"{what}: {key!r} {Whh.shape} does not fit a projected LSTM with weight_hr "
                             f"{tuple(Whr.shape)} (expected (4H, P) beside (P, H))")
    for cell, gates in (("rnn", 1), ("lstm", 4), ("gru", 3)):
        if rows == gates * cols:
            return cell, cols, 0
    raise RNNParityError(f"{what}: {key!r} has shape {Whh.shape}: neither (H, H) (RNN), (4H, H) (LSTM) nor (3H, H) (GRU)")
