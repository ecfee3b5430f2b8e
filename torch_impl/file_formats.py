"""Weight file formats: what a file's first bytes show, and the three readers (.npz, .pt, .safetensors).

None of them unpickles anything: np.load(allow_pickle=False), torch.load(weights_only=True) and
safetensors' own reader. Each returns (arrays by name, the stored config as a dict or None); a
damaged or refused file ends in a one-line RNNParityError naming the file.
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import pickle
import re
import warnings
import zipfile

import numpy as np
import safetensors
import torch

from ..reference.errors import RNNParityError

NPZ_CONFIG_ENTRY = "__config__"
SAFETENSORS_CONFIG_KEY = "rnn_parity.config"


def _config_dict(value, path) -> dict | None:
    """A stored config: a dict, or JSON text of one."""
    if value is None:
        return None
    try:
        data = json.loads(value) if isinstance(value, str) else value
    except json.JSONDecodeError as e:
        raise RNNParityError(f"{path}: the stored config is not valid JSON: {e}") from None
    except (ValueError, RecursionError) as e:  # e.g. nesting too deep, an integer of 5,000 digits
        raise RNNParityError(f"{path}: the stored config is not valid JSON ({type(e).__name__}: "
                             f"{_first_line(e)})") from None
    if not isinstance(data, dict):
        raise RNNParityError(f"{path}: the stored config should be a dict, got {type(data).__name__}")
    return data


FORMAT_NAMES = {".npz": "an .npz archive", ".pt": "a torch checkpoint (torch.save's zip format)",
                ".safetensors": "a .safetensors file", ".npy": "a single .npy array"}


def sniff_format(path) -> str | None:
    """The format a file's first bytes show (".npz", ".pt", ".safetensors" or ".npy"), or None when unsure.

    Reads only magic numbers, a zip's list of names and a safetensors header length: nothing is unpickled.
    A pickle stream is left to the readers, which refuse it with their own message.
    """
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(9)
        if head.startswith(b"\x93NUMPY"):
            return ".npy"
        if head.startswith(b"PK\x03\x04"):
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
            if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
                return ".pt"
            if names and all(n.endswith(".npy") for n in names):
                return ".npz"
            return None
        if len(head) == 9 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") <= size - 8:
            return ".safetensors"  # an 8-byte little-endian header length, then the JSON header
    except Exception:  # noqa: BLE001 - a damaged file: the reader will say what is wrong with it
        return None
    return None


def read_npz(path) -> tuple[dict, dict | None]:
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic[:1] == b"\x80":  # a pickle's PROTO opcode
        raise RNNParityError(f"{path}: refused: it holds pickled data, which is never loaded "
                             "(np.load allow_pickle=False)")
    if magic not in (b"PK\x03\x04", b"PK\x05\x06"):  # np.load would try it as .npy, then as a pickle
        raise RNNParityError(f"{path}: not an .npz archive (a zip of .npy arrays)")
    try:
        archive = np.load(path, allow_pickle=False)
    except Exception as e:  # noqa: BLE001 - a damaged file is the user's problem, told in one line
        raise RNNParityError(f"{path}: not a readable .npz archive ({type(e).__name__}: {_first_line(e)})") from None
    arrays = {}
    with archive:
        for key in archive.files:
            try:
                arrays[key] = archive[key]
            except ValueError:
                raise RNNParityError(f"{path}: refused: entry {key!r} is an object array, which loads only by "
                                     "unpickling (np.load allow_pickle=False)") from None
            except Exception as e:  # noqa: BLE001
                raise RNNParityError(f"{path}: entry {key!r} is unreadable ({type(e).__name__}: "
                                     f"{_first_line(e)})") from None
    stored = arrays.pop(NPZ_CONFIG_ENTRY, None)
    if stored is not None:
        if stored.dtype.kind != "U" or stored.ndim != 0:
            raise RNNParityError(f"{path}: entry {NPZ_CONFIG_ENTRY!r} should be a JSON string, got {stored.dtype} "
                                 f"of shape {stored.shape}")
        stored = str(stored[()])
    return arrays, _config_dict(stored, path)


def load_torch_object(path):
    """Whatever torch.save wrote to `path`, loaded with weights_only=True: tensors and plain containers only."""
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != b"PK\x03\x04" and magic[:1] != b"\x80":  # torch's zip format, or a legacy pickle
        raise RNNParityError(f"{path}: not a readable torch file (neither torch's zip format nor a pickle)")
    try:
        with warnings.catch_warnings(), torch.serialization.safe_globals(_harmless_globals()):
            warnings.simplefilter("ignore")  # torch warns about pickle protocols of files it then refuses
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(e))
        what = f" ({found.group(1)})" if found else ""
        if _pickles_a_module(path):  # torch.save(model): the whole module, class and all
            raise RNNParityError(f"{path}: refused: it is a whole pickled nn.Module{what}, saved with "
                                 "torch.save(model), and unpickling it could run code: save its weights with "
                                 "torch.save(model.state_dict(), PATH) and convert that") from None
        raise RNNParityError(f"{path}: refused: it holds pickled Python objects other than tensors and plain "
                             f"containers{what}, and loading those could run code (torch.load weights_only=True); "
                             "save the model's state_dict alone, or beside it only plain data (a vocabulary as a "
                             "dict: torch.save({'model': model.state_dict(), 'vocab': dict(vocab)}, PATH))") from None
    except Exception as e:  # noqa: BLE001
        if _is_torchscript(path):
            raise RNNParityError(f"{path}: refused: it is a TorchScript archive (torch.jit.save), whose weights load "
                                 "only with its code: save its weights with torch.save(model.state_dict(), PATH) and "
                                 "convert that") from None
        raise RNNParityError(f"{path}: not a readable torch file ({type(e).__name__}: {_first_line(e)})") from None


def _is_torchscript(path) -> bool:
    """A torch.jit.save archive: a zip holding the model's code and constants.pkl (read as names only)."""
    try:
        with zipfile.ZipFile(path) as z:
            return any(n.endswith("/constants.pkl") or "/code/" in n for n in z.namelist())
    except Exception:  # noqa: BLE001 - a damaged archive (bad names raise UnicodeDecodeError): not one of these
        return False


def _harmless_globals() -> list:
    """Classes training checkpoints hold besides tensors that rebuild from data without running code: a
    script's argparse.Namespace of options, numpy scalars and dtypes (a best accuracy as np.float64), paths
    (a data_dir in Lightning's hyper_parameters). The
    weights_only unpickler still checks everything inside them."""
    scalar = np._core.multiarray.scalar if hasattr(np, "_core") else np.core.multiarray.scalar
    dtypes = [getattr(np.dtypes, n) for n in dir(np.dtypes) if n.endswith("DType")]
    paths = [pathlib.PosixPath, pathlib.WindowsPath, pathlib.PurePosixPath, pathlib.PureWindowsPath]  # from strings
    return [argparse.Namespace, scalar, (scalar, "numpy.core.multiarray.scalar"), np.dtype, *dtypes, *paths]


def _pickles_a_module(path) -> bool:
    """Whether the pickle names torch.nn's module classes (a whole model), found in its bytes, never unpickled."""
    marker = b"torch.nn.modules."
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                return any(marker in z.read(n) for n in z.namelist() if n.endswith("data.pkl"))
        with open(path, "rb") as f:
            return marker in f.read()
    except Exception:  # noqa: BLE001 - a damaged archive (bad names raise UnicodeDecodeError): not one of these
        return False


def read_torch(path) -> tuple[dict, dict | None]:
    obj = load_torch_object(path)
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        return dict(obj["state_dict"]), _config_dict(obj.get("config"), path)
    if isinstance(obj, dict) and obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
        return dict(obj), None  # a bare state_dict
    got = type(obj).__name__
    if isinstance(obj, (list, tuple)) and obj and all(isinstance(v, torch.Tensor) for v in obj):
        # d2l's torch.save(params, ...): the roles are in the order of their code, which the file does not hold
        shapes = ", ".join(str(tuple(v.shape)) for v in obj[:6]) + (", ..." if len(obj) > 6 else "")
        got = (f"a {got} of {len(obj)} tensors {shapes} without names: save them as a dict, e.g. "
               "torch.save(dict(zip(['W_xh', 'W_hh', 'b_h', 'W_hq', 'b_q'], params)), path)")
    raise RNNParityError(f"{path}: neither a checkpoint dict {{'state_dict': ..., 'config': ...}} nor a state_dict "
                         f"of tensors (got {got})")


def read_safetensors(path) -> tuple[dict, dict | None]:
    try:
        with safetensors.safe_open(path, framework="pt") as f:
            metadata = f.metadata() or {}
            arrays = {key: f.get_tensor(key) for key in f.keys()}
    except Exception as e:  # noqa: BLE001
        raise RNNParityError(f"{path}: not a readable .safetensors file ({type(e).__name__}: {_first_line(e)})") \
            from None
    return arrays, _config_dict(metadata.get(SAFETENSORS_CONFIG_KEY), path)


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else ""
