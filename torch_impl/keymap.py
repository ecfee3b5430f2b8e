"""The one key map between reference names and torch's state_dict names, and the checks every converter runs.

Reference names come from reference/params.py (layer_keys, suffix); torch names from the template nn.RNN
itself uses, `weight_ih_l{k}{'_reverse'}`. Nothing here spells a full name out by hand, so a config with
L layers and both directions maps exactly the keys torch would create for it.

Every check raises a one-line RNNParityError (a ValueError) that names the key and what was expected.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from ..reference.errors import RNNParityError
from ..reference.config import RNNConfig
from ..reference.params import EMBEDDING, layer_keys, param_shapes, suffix

# reference base name -> torch nn.RNN / nn.LSTM / nn.GRU base name (torch appends _l{k} and _reverse).
RECURRENT_BASES = {"Wxh": "weight_ih", "Whh": "weight_hh", "bh": "bias_ih", "bhh": "bias_hh", "Whr": "weight_hr"}
# reference head name -> TorchRNN key.
HEAD_KEYS = {"Why": "fc.weight", "by": "fc.bias"}
EMBEDDING_KEY = "embedding.weight"  # TorchRNN's nn.Embedding; the reference's EMBEDDING ("E")
FLOAT_DTYPES = (np.dtype("float32"), np.dtype("float64"))


def torch_name(base: str, layer: int, direction: int) -> str:
    """torch's key for reference base `base` ("Wxh", "Whh", "bh", "bhh", "Whr") of layer k, direction d."""
    return f"rnn.{RECURRENT_BASES[base]}_l{layer}{'_reverse' if direction else ''}"


def reference_name(base: str, layer: int, direction: int) -> str:
    """The reference's key for the same parameter: Wxh, Wxh_reverse, Wxh_l1, ..."""
    return base + suffix(layer, direction)


def torch_key_map(config: RNNConfig) -> dict[str, str | None]:
    """torch state_dict key -> reference name, in torch's own state_dict order.

    The value is None where torch holds a tensor the reference has no name for: bias_hh_l* in
    bias="single", which TorchRNN keeps at zero. In bias="none" neither side has recurrent biases.
    """
    keymap: dict[str, str | None] = {}
    if config.vocab_size is not None:
        keymap[EMBEDDING_KEY] = EMBEDDING
    for keys in layer_keys(config):
        k, d = keys.layer, keys.direction
        keymap[torch_name("Wxh", k, d)] = keys.Wxh
        keymap[torch_name("Whh", k, d)] = keys.Whh
        if config.bias != "none":
            keymap[torch_name("bh", k, d)] = keys.bh
            keymap[torch_name("bhh", k, d)] = keys.bhh  # None in "single": a frozen zero
        if keys.Whr:  # after the biases, as nn.LSTM registers it
            keymap[torch_name("Whr", k, d)] = keys.Whr
    for ref, key in HEAD_KEYS.items():
        keymap[key] = ref
    return keymap


def torch_shapes(config: RNNConfig) -> dict[str, tuple[int, ...]]:
    """Every torch state_dict key and its shape, for `config`."""
    ref_shapes = param_shapes(config)
    GH = config.gates * config.hidden_size
    return {key: ref_shapes[ref] if ref else (GH,) for key, ref in torch_key_map(config).items()}


def as_numpy(value, key: str, what: str) -> np.ndarray:
    """A torch tensor or array-like as a NumPy array sharing its bits (no casting)."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor; no torch import needed here
        layout, device = str(getattr(value, "layout", "")), str(getattr(value, "device", ""))
        if layout not in ("torch.strided", "") or device == "meta":
            # sparse, mkldnn, ... layouts, or a meta tensor (shape only, no data): nothing to copy bit for bit
            raise RNNParityError(f"{what}: {key!r} is a {'meta' if device == 'meta' else layout} tensor, expected a "
                                 "dense float32 or float64 tensor holding data")
        try:
            return value.detach().cpu().numpy()
        except Exception as e:  # noqa: BLE001 - e.g. bfloat16 or quantized dtypes, which NumPy cannot hold
            raise RNNParityError(f"{what}: {key!r} has dtype {value.dtype}, expected float32 or float64") from None
    try:
        return np.asarray(value)
    except Exception as e:  # noqa: BLE001 - anything that is no array is the user's mistake
        raise RNNParityError(f"{what}: {key!r} is not an array ({type(value).__name__}): {e}") from None


def check_arrays(arrays: Mapping[str, np.ndarray], expected: Mapping[str, tuple[int, ...]], what: str) -> np.dtype:
    """Assert `arrays` has exactly the keys of `expected`, every shape, one float dtype, only finite values.

    nanoGPT's from_pretrained discipline: the key sets must be equal and every shape must match before
    anything is copied. Returns the common dtype.
    """
    missing = [k for k in expected if k not in arrays]
    if missing:
        raise RNNParityError(f"{what}: missing key {missing[0]!r} (expected shape {tuple(expected[missing[0]])})"
                             + (f" and {len(missing) - 1} more: {missing[1:]}" if len(missing) > 1 else ""))
    extra = [k for k in arrays if k not in expected]
    if extra:
        raise RNNParityError(f"{what}: unexpected key {extra[0]!r} with shape {tuple(np.shape(arrays[extra[0]]))}"
                             + (f" and {len(extra) - 1} more: {extra[1:]}" if len(extra) > 1 else "")
                             + "; the config does not have it")
    dtype = None
    first = None
    for key, shape in expected.items():
        a = arrays[key]
        if tuple(a.shape) != tuple(shape):
            raise RNNParityError(f"{what}: {key!r} has shape {tuple(a.shape)}, expected {tuple(shape)}")
        if a.dtype not in FLOAT_DTYPES:
            raise RNNParityError(f"{what}: {key!r} has dtype {a.dtype}, expected float32 or float64")
        if dtype is None:
            dtype, first = a.dtype, key
        elif a.dtype != dtype:
            raise RNNParityError(f"{what}: {key!r} has dtype {a.dtype}, expected {dtype} like {first!r} "
                                 "(one dtype for all parameters)")
        bad = a.size - int(np.count_nonzero(np.isfinite(a)))
        if bad:
            raise RNNParityError(f"{what}: {key!r} holds NaN/Inf ({bad} of {a.size} values), expected finite values")
    return dtype
