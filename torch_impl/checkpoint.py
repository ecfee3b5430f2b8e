"""Real PyTorch checkpoints in and out: read_checkpoint (by structure, see structure.py) and write_like.

    params, reading = read_checkpoint("their.ckpt")          # or a state_dict, a checkpoint dict, a module
    state_dict = write_like(params, "their.ckpt")            # their key names and dtypes, bit for bit

Unwrapping: a Lightning .ckpt ({"state_dict": ...}), a training checkpoint ({"model_state_dict": ...,
"optimizer_state_dict": ...}: the optimizer part is ignored, and the Reading says so) or a bare state_dict.
Values are copied bit for bit; the one arithmetic is fold_bias (bh = bias_ih + bias_hh, as in convert.py),
and a dtype change on writing (then the Reading's notes say so).
"""
from __future__ import annotations

import os
from dataclasses import replace
from typing import Mapping

import numpy as np
import torch
from torch import nn

from ..reference.config import RNNConfig
from ..reference.errors import RNNParityError
from ..reference.params import Params, param_shapes
from .convert import checked_params
from .file_formats import _config_dict, load_torch_object, read_npz, read_safetensors
from .keymap import as_numpy, check_arrays
from .structure import Reading, find_readings, strip_wrappers

# Where training checkpoints keep the model's weights, in the order they are looked for.
NESTED = ("state_dict", "model_state_dict", "model_state", "model", "net", "network", "module", "weights")
OPTIMIZER = ("optimizer", "optimizer_state_dict", "optimizer_states", "optim", "opt", "lr_schedulers", "scheduler")
UNINFERABLE = ("nonlinearity", "output", "batch_first")


def _is_state_dict(obj) -> bool:
    return isinstance(obj, Mapping) and bool(obj) and all(
        isinstance(k, str) and isinstance(v, (torch.Tensor, np.ndarray)) for k, v in obj.items())


def unwrap(obj, where: str = "the checkpoint") -> tuple[dict, dict | None, list[str]]:
    """(state_dict, stored rnn-parity config or None, notes) from whatever a checkpoint file held."""
    if isinstance(obj, nn.Module):
        return dict(obj.state_dict()), None, []
    if _is_state_dict(obj):
        return dict(obj), None, []
    if not isinstance(obj, Mapping):
        raise RNNParityError(f"{where} holds a {type(obj).__name__}, not a state_dict or a checkpoint dict")
    # A state_dict under a key of the script's own ("rnn_state_dict", "best_model_wts"): read when it is the
    # only one (two, an encoder's and a decoder's, are refused below with their keys).
    own = [k for k, v in obj.items() if k not in NESTED and isinstance(k, str) and _is_state_dict(v)]
    for name in NESTED + (tuple(own) if len(own) == 1 else ()):
        inner = obj.get(name)
        if _is_state_dict(inner) or (isinstance(inner, Mapping) and any(_is_state_dict(v) for v in inner.values())):
            sd, _, notes = unwrap(inner, f"{where}[{name!r}]")
            others = sorted(str(k) for k in obj if k not in (name, "config"))
            optim = [k for k in others if k in OPTIMIZER]
            note = f"read the weights under {name!r} of {where}"
            if optim:
                note += f"; ignored the optimizer state ({', '.join(optim)})"
            rest = [k for k in others if k not in optim]
            if rest:
                note += f"; ignored {', '.join(rest[:6])}{' ...' if len(rest) > 6 else ''}"
            config = obj.get("config") if name == "state_dict" else None
            return sd, (config if isinstance(config, dict) else None), [note] + notes
    tensors = {k: v for k, v in obj.items() if isinstance(v, (torch.Tensor, np.ndarray))}
    if tensors and all(isinstance(k, str) for k in tensors):
        ignored = sorted(str(k) for k in obj if k not in tensors)
        return tensors, None, [f"ignored the non-tensor entries {ignored[:6]}"]
    if own:
        raise RNNParityError(f"{where} holds {len(own)} state_dicts, under {', '.join(map(repr, own))}: save the "
                             "model's alone with torch.save(model.state_dict(), PATH) and convert that")
    raise RNNParityError(f"{where} is a dict without weights: no state_dict under any of {list(NESTED)} "
                         f"(its keys: {sorted(map(str, obj))[:8]})")


WEIGHT_SUFFIXES = (".bin", ".safetensors", ".pt", ".pth", ".ckpt", ".tar", ".npz")


def missing_file(path) -> str:
    """Why `path` cannot be read as a checkpoint: it is missing, or a folder (a Hugging Face save_pretrained one
    holds config.json beside the weights file): name the weights files inside."""
    if not os.path.isdir(path):
        return f"cannot read {path}: no such file"
    inside = sorted(n for n in os.listdir(path) if n.lower().endswith(WEIGHT_SUFFIXES))
    found = ", ".join(os.path.join(path, n) for n in inside[:6]) if inside else "none"
    return f"cannot read {path}: it is a folder; name the weights file in it (weights files found: {found})"


def load_checkpoint(path) -> tuple[dict, dict | None, list[str]]:
    """A checkpoint file (.pt .pth .ckpt .bin: torch.load(weights_only=True); .safetensors; .npz), unwrapped."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise RNNParityError(missing_file(path))
    if path.lower().endswith(".safetensors"):
        arrays, stored = read_safetensors(path)
        return arrays, stored, []
    if path.lower().endswith(".npz"):
        arrays, stored = read_npz(path)
        return arrays, stored, []
    sd, stored, notes = unwrap(load_torch_object(path), os.path.basename(path))
    return sd, _config_dict(stored, path), notes


def widen(sd: dict, notes: list) -> dict:
    """float16 / bfloat16 tensors as float32, exactly (each of their values is a float32), saying so: the
    reference runs in float32 or float64. Writing back (write_like) keeps their own dtypes."""
    half = sorted({str(v.dtype).removeprefix("torch.") for v in sd.values()
                   if isinstance(v, torch.Tensor) and v.dtype in (torch.float16, torch.bfloat16)})
    if not half:
        return sd
    notes.append(f"widened {'/'.join(half)} to float32 (exact: every {'/'.join(half)} value is a float32)")
    return {k: v.float() if isinstance(v, torch.Tensor) and v.dtype in (torch.float16, torch.bfloat16) else v
            for k, v in sd.items()}


def shared(sd: Mapping) -> list[list[str]]:
    """Groups of keys whose tensors are one (the same storage, offset, shape and strides): a module registered
    under two names, e.g. one nn.GRU applied twice as gru1 and gru2. torch.save keeps the sharing."""
    groups: dict = {}
    for k, v in sd.items():
        if isinstance(v, torch.Tensor) and v.numel():
            where = (v.untyped_storage().data_ptr(), v.storage_offset(), tuple(v.shape), v.stride())
            groups.setdefault(where, []).append(k)
    return [g for g in groups.values() if len(g) > 1]


def _shared_note(sd: Mapping) -> list[str]:
    from .recurrence import RNN_KEY

    recurrent = [g for g in shared(sd) if all(RNN_KEY.match(k.rsplit(".", 1)[-1]) for k in g)]  # not a tied head
    modules = sorted({tuple(sorted({k.rsplit(".", 1)[0] for k in g})) for g in recurrent})
    return [f"{' and '.join(map(repr, m))} hold the same tensors (one module applied {len(m)} times): read as "
            f"{len(m)} layers with equal weights; written back they must stay equal" for m in modules if len(m) > 1]


def read_checkpoint(obj_or_path, map=None, config=None, fold_bias: bool = False, variant: int | None = None):
    """(Params, Reading) from a checkpoint file, a checkpoint dict, a state_dict or a module, by structure.

    map: {"rnn": PREFIX, "head": PREFIX or "none", "embedding": PREFIX or "none"} (or "rnn=..,head=.."),
    for when several readings fit. config: RNNConfig fields the checkpoint cannot hold (nonlinearity,
    output, batch_first), as a dict. fold_bias: a nonzero torch bias_hh folds into bh (bias="single").
    variant: which of the readings the shapes allow equally (read_verified finds it by running the model);
    None: the first, and a refusal where guessing would be arbitrary (a square bare head, the order of
    several RNN modules).
    A hand-written recurrence needs config["nonlinearity"]: its activation is in the forward code only.
    """
    if isinstance(obj_or_path, (str, os.PathLike)):
        sd, stored, notes = load_checkpoint(obj_or_path)
    else:
        sd, stored, notes = unwrap(obj_or_path)
    notes = list(notes) + _shared_note(sd)
    sd = widen(sd, notes)
    arrays = {k: as_numpy(v, k, "read_checkpoint") for k, v in sd.items()}
    readings = find_readings(arrays, map)
    reading = pick(readings, variant)
    overrides = dict(config or {})
    if stored:
        overrides = {**{k: v for k, v in stored.items() if k in UNINFERABLE}, **overrides}
    gated = reading.fields.get("cell", "rnn") != "rnn"  # sigmoid gates and tanh: nothing to assume
    if reading.hand_written and not gated and "nonlinearity" not in overrides:
        raise RNNParityError(f"a hand-written recurrence ({reading.recurrence}): its nonlinearity is in the forward "
                             "code, not the checkpoint; pass --model FILE.py:NAME to find it by running the model, "
                             "or state it with --config nonlinearity=tanh|relu")
    notes = list(reading.notes) + list(notes)
    if reading.wrappers:
        notes.append(f"stripped the wrapper prefixes {', '.join(reading.wrappers)}")
    if reading.open_variant and variant is None:
        notes.append(f"the shapes cannot tell {reading.open_variant}: read as {reading.variant} "
                     "(pass --model to check it)")
    assumed = [f"{k}={getattr(RNNConfig, k)!r}" for k in UNINFERABLE
               if k not in overrides and not (gated and k == "nonlinearity")]
    if assumed:
        notes.append(f"assumed {', '.join(assumed)}: the checkpoint does not record them (set them with --config, "
                     "or let --model find them)")
    if reading.head is None:
        notes.append("no head: the port's output is the hidden states (an identity head)")
    if reading.tied:
        notes.append(f"the head {reading.head} is tied to the embedding {reading.embedding}: read as two equal "
                     "arrays (training the reference unties them)")
    fields = dict(reading.fields)
    for key, value in overrides.items():
        if key in fields and fields[key] != value:
            fold = " (--fold-bias folds a nonzero bias_hh into bh)" if key == "bias" and value == "single" else ""
            raise RNNParityError(f"--config {key}={value!r} contradicts the checkpoint, which gives "
                                 f"{fields[key]!r}{fold}")
    cfg = RNNConfig.from_dict({**fields, **overrides})
    params = params_of(reading, arrays, cfg)
    if fold_bias and cfg.bias == "torch":
        params, reading = _fold(params, reading)
        notes.append("folded bias_hh into bh = bias_ih + bias_hh (exact in function, not in training dynamics)")
    return params, replace(reading, notes=tuple(notes))


def pick(readings: list, variant: int | None) -> Reading:
    """readings[variant]; with variant None the first, refusing where that would be a guess (then the one line
    lists the candidates)."""
    reading = readings[min(variant or 0, len(readings) - 1)]
    settled_by_model = ("head", "order of", "which reading", "gate order", "reset gate")
    if variant is None and reading.open_variant and any(w in reading.open_variant for w in settled_by_model):
        listed = [r.variant for r in readings if r.variant]
        shown = "; ".join(f"({i + 1}) {v}" for i, v in enumerate(listed[:6]))
        more = f" and {len(listed) - 6} more" if len(listed) > 6 else ""
        candidates = f" (candidates: {shown}{more})" if len(listed) > 1 else ""
        raise RNNParityError(f"the shapes cannot tell {reading.open_variant}{candidates}; pass --model FILE.py:NAME "
                             "to find it by running the model")
    return reading


def params_of(reading: Reading, arrays: Mapping, config: RNNConfig) -> Params:
    """The reference Params a Reading's sources make of the checkpoint's arrays (bit for bit)."""
    shapes = param_shapes(config)
    out, filled = {}, {}
    for src in reading.sources:
        if src.parts == (None,) or not src.parts:
            continue  # a bias torch keeps at zero (bias="single": structure.py checked it is zero); not the model's
        a = np.asarray(arrays[src.key])
        a = a.T if src.transpose else a
        if len(src.parts) == 1 and src.parts[0] in shapes and len(shapes[src.parts[0]]) == 1:
            a = a.reshape(-1)  # a column bias (n, 1): structure.py read it as (n,)
        if src.halves:
            a = _swap_halves(a)
        start = 0
        for ref in src.parts:
            width = shapes[ref][-1] if len(src.parts) > 1 else a.shape[-1]
            piece = a[..., start:start + width] if len(src.parts) > 1 else a
            start += width
            if src.rows is None:
                out[ref] = np.array(piece, copy=True)
                continue
            # gate blocks: the tensor's rows hold these of the reference's blocks (torch's order), in this order
            n = shapes[ref][0] // config.gates
            whole = out.setdefault(ref, np.zeros(shapes[ref], piece.dtype))
            for j, g in enumerate(src.rows):
                block = piece[j * n:(j + 1) * n]
                whole[g * n:(g + 1) * n] = -block if g in src.negate else block  # negation is exact
                filled.setdefault(ref, set()).add(g)
    gaps = [ref for ref, blocks in filled.items() if len(blocks) != config.gates]
    if gaps:
        raise RNNParityError(f"read_checkpoint: the gates of {gaps} are not all read (a reading's gate map is short)")
    if reading.head is None:
        dtype = out[next(iter(out))].dtype
        out["Why"], out["by"] = np.eye(config.output_size, dtype=dtype), np.zeros(config.output_size, dtype)
    elif "by" not in out:
        out["by"] = np.zeros(config.output_size, out["Why"].dtype)  # a head without bias
    check_arrays(out, shapes, "read_checkpoint")
    return Params({k: out[k] for k in shapes}, config)


def _swap_halves(a: np.ndarray) -> np.ndarray:
    """A bidirectional head's columns [backward ; forward] as [forward ; backward] (and back: it is its own inverse)."""
    half = a.shape[-1] // 2
    return np.concatenate([a[..., half:], a[..., :half]], axis=-1)


def _stored(arrays: Mapping, src, config: RNNConfig) -> np.ndarray:
    """What the tensor of `src` holds, made of the reference's arrays: the inverse of params_of."""
    pieces = []
    for ref in src.parts:
        a = arrays[ref]
        if src.rows is not None:
            n = a.shape[0] // config.gates
            a = np.concatenate([-a[g * n:(g + 1) * n] if g in src.negate else a[g * n:(g + 1) * n] for g in src.rows])
        pieces.append(a)
    value = np.concatenate(pieces, axis=-1)  # one part: a copy of it
    value = _swap_halves(value) if src.halves else value
    return value.T if src.transpose else value


def _fold(params: Params, reading: Reading):
    config = RNNConfig.from_dict({**params.config.to_dict(), "bias": "single"})
    arrays = {k: v for k, v in params.items() if not k.startswith("bhh")}
    for k in params:
        if k.startswith("bhh"):
            arrays["bh" + k[3:]] = params["bh" + k[3:]] + params[k]
    sources = tuple(replace(s, parts=(None,)) if s.parts and s.parts[0] and s.parts[0].startswith("bhh") else s
                    for s in reading.sources)
    fields = {**reading.fields, "bias": "single"}
    return Params({k: arrays[k] for k in param_shapes(config)}, config), replace(reading, sources=sources,
                                                                                   fields=fields)


def write_like(params: Params, like, map=None, variant: int | None = None, reading: Reading | None = None,
               keep_wrappers: bool = False) -> dict:
    """A state_dict with the key names, order and dtypes of `like` (a path, checkpoint, state_dict or
    module) holding `params`' values, for their model's load_state_dict(strict=True).

    Wrapper prefixes (module., _orig_mod., a Lightning module's model.) are dropped unless keep_wrappers:
    their nn.Module names its parameters without them.

    Refuses what their structure cannot hold: other sizes, a nonzero bhh where they have one hidden bias,
    a head that is not the identity where they have none, a head that differs from a tied embedding.
    """
    arrays, _ = checked_params(params, "write_like")
    if isinstance(like, (str, os.PathLike)):
        sd, _, _ = load_checkpoint(like)
    else:
        sd, _, _ = unwrap(like)
    theirs = {k: as_numpy(v, k, "write_like") for k, v in sd.items()}
    if reading is None:
        reading = pick(find_readings(theirs, map), variant)
    c = params.config
    mine = {k: c.to_dict()[k] for k in reading.fields if k != "bias"}
    want = {k: v for k, v in reading.fields.items() if k != "bias"}
    if mine != want:
        differ = {k: (mine[k], want[k]) for k in want if mine[k] != want[k]}
        raise RNNParityError("write_like: the weights do not fit their model: " + ", ".join(
            f"{k} {a} here vs {b} there" for k, (a, b) in differ.items()))
    placed = {ref for s in reading.sources for ref in s.parts if ref}
    for name in arrays:
        if name not in placed:
            if name == "bhh" or name.startswith("bhh_"):
                if np.any(arrays[name]):
                    raise RNNParityError(f"write_like: {name} is nonzero but their model has one hidden bias: "
                                         "fold it into bh first (--fold-bias; read with fold_bias=True)")
            elif name == "Why" and not np.array_equal(arrays[name], np.eye(*arrays[name].shape)):
                raise RNNParityError("write_like: their model has no head (the hidden states are its output), "
                                     "but Why is not the identity")
            elif name == "by" and np.any(arrays[name]):
                raise RNNParityError("write_like: their head has no bias, but by is nonzero")
    if reading.tied and not np.array_equal(arrays["Why"], arrays["E"]):
        raise RNNParityError(f"write_like: their head {reading.head} is tied to the embedding {reading.embedding}, "
                             "but Why and E differ (training the reference unties them): their model can hold one")
    out = {}
    for src in reading.sources:
        dtype = theirs[src.key].dtype
        if not src.parts:  # not the model's (a loss function's weights): theirs as they are
            value = theirs[src.key]
        elif src.parts == (None,) or (len(src.parts) == 1 and src.parts[0] not in arrays):
            value = np.zeros(theirs[src.key].shape, dtype)  # a bias the weights do not have (bias="single")
        else:
            value = _stored(arrays, src, c).reshape(theirs[src.key].shape)  # a column bias (n, 1) holds an (n,) one
        out[src.key] = torch.tensor(np.ascontiguousarray(value).astype(dtype, copy=False))
    for group in shared(sd):  # one tensor in their model: the values written under its names must agree
        if any(k in out for k in group) and not all(torch.equal(out[group[0]], out[k]) for k in group[1:]):
            raise RNNParityError(f"write_like: their {', '.join(group[:2])} are one tensor (one module applied twice), "
                                 "but the weights hold different values there: their model can hold one")
    if keep_wrappers:
        return {k: out[k] for k in sd}
    back, _ = strip_wrappers(sd)
    return {short: out[key] for short, key in back.items()}
