"""Load the user's own model for --model: import FILE.py:NAME, build it, and load a checkpoint into it with
strict=True (the keys as in the file, or without wrapper prefixes; tied tensors a saver kept once filled in).

Importing FILE.py runs the user's code: it is their own model, loaded only after the checkpoint was read
safely (torch.load weights_only=True).
"""
from __future__ import annotations

import contextlib
import importlib.util
import inspect
import io
import os
import sys

import torch
from torch import nn

from ..reference.errors import RNNParityError
from .structure import WRAPPERS, strip_wrappers

STRIPPABLE = ("module.", "_orig_mod.", *WRAPPERS)


def load_object(spec: str, option: str):
    """FILE.py:NAME -> the object NAME in FILE.py (importing FILE.py runs it)."""
    path, sep, name = str(spec).rpartition(":")
    if not sep or not path or not name:
        raise RNNParityError(f"{option}: expected FILE.py:NAME, got {spec!r}")
    if not os.path.isfile(path):
        raise RNNParityError(f"{option}: no such file {path}")
    module_name = f"_rnn_parity_user_{abs(hash(os.path.abspath(path)))}"
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)  # the model file may import its neighbours
    printed = io.StringIO()
    try:
        spec_ = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec_)
        sys.modules[module_name] = module  # dataclasses and pickling look their module up there
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):  # a script's chatter
            spec_.loader.exec_module(module)
    except (Exception, SystemExit) as e:  # noqa: BLE001 - their file failed (or a script's argparse exited)
        said = [line for line in printed.getvalue().splitlines() if line.strip()]
        raise RNNParityError(f"{option}: importing {path} failed ({type(e).__name__}: {_first_line(e)})"
                             + (f"; it printed: {said[-1].strip()}" if said else "")) from None
    finally:
        sys.path.remove(folder)
    if not hasattr(module, name):
        found = sorted(n for n, v in vars(module).items() if isinstance(v, type) and issubclass(v, nn.Module))
        raise RNNParityError(f"{option}: {path} defines no {name!r} (its nn.Module classes: {found})")
    return getattr(module, name)


HPARAMS = ("hyper_parameters", "hparams", "args")  # Lightning's saved __init__ arguments; a script's options


def build_model(spec: str, checkpoint=None, notes: list | None = None) -> nn.Module:
    """--model FILE.py:NAME: an nn.Module class built without arguments, or a function returning the module; when
    it needs arguments, with those of its parameters that `checkpoint` saved by name (as Lightning's
    load_from_checkpoint does with hyper_parameters), said in `notes`."""
    obj = load_object(spec, "--model")
    if not callable(obj):
        raise RNNParityError(f"--model {spec}: {type(obj).__name__} is neither an nn.Module class nor a function")
    try:
        model = obj()
    except Exception as e:  # noqa: BLE001
        kwargs, where = _saved_arguments(obj, checkpoint) if isinstance(e, TypeError) else ({}, "")
        try:
            model = obj(**kwargs) if kwargs else None
        except Exception:  # noqa: BLE001 - say the plain failure: the saved values were only a guess
            model = None
        if model is None:
            raise RNNParityError(f"--model {spec}: calling it with no arguments failed ({type(e).__name__}: "
                                 f"{_first_line(e)}); give a function that builds the model") from None
        if notes is not None:
            notes.append(f"built {spec.rsplit(':', 1)[-1]}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())}) "
                         f"from the checkpoint's {where!r}")
    if not isinstance(model, nn.Module):
        raise RNNParityError(f"--model {spec} returned a {type(model).__name__}, not an nn.Module")
    return model


def _saved_arguments(obj, checkpoint) -> tuple[dict, str]:
    """The arguments obj requires, all found under one of HPARAMS in the checkpoint (read weights_only): ({}, '')
    when there is no such set."""
    if checkpoint is None or str(checkpoint).lower().endswith((".safetensors", ".npz")):
        return {}, ""
    from .file_formats import load_torch_object

    try:
        raw, params = load_torch_object(checkpoint), inspect.signature(obj).parameters
    except (RNNParityError, TypeError, ValueError):
        return {}, ""
    named = [p for p in params.values() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    required = {p.name for p in named if p.default is p.empty}
    for where in HPARAMS:
        saved = raw.get(where) if isinstance(raw, dict) else None
        saved = vars(saved) if hasattr(saved, "__dict__") and not isinstance(saved, dict) else saved
        if isinstance(saved, dict) and required and required <= set(saved):
            return {p.name: saved[p.name] for p in named if p.name in saved}, where
    return {}, ""


def load_strict(model: nn.Module, state_dict: dict, what: str) -> dict:
    """load_state_dict(strict=True), with the keys as in the file or with wrapper prefixes stripped; returns
    the state_dict that loaded."""
    first = next((v for v in state_dict.values() if isinstance(v, torch.Tensor) and v.is_floating_point()), None)
    if first is not None:
        model.to(first.dtype)  # so that loading copies bits instead of rounding them
    attempts, current = [state_dict], dict(state_dict)
    while True:  # one wrapper level at a time: a module of theirs may itself be named model.
        heads = {k.split(".", 1)[0] + "." for k in current}
        if len(heads) != 1 or not all("." in k for k in current) or heads.pop() not in STRIPPABLE:
            break
        current = {k.split(".", 1)[1]: v for k, v in current.items()}
        attempts.append(current)
    back, _ = strip_wrappers(state_dict)
    attempts.append({short: state_dict[key] for short, key in back.items()})
    error = None
    for sd in attempts + [filled for filled in map(lambda a: fill_shared(model, a), attempts) if filled]:
        try:
            model.load_state_dict(sd, strict=True)
            return sd
        except Exception as e:  # noqa: BLE001
            error = error if len(sd) > len(state_dict) else e  # report the plain attempts' closest error
    detail = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    detail = detail.replace("Error(s) in loading state_dict for ", "")
    raise RNNParityError(f"{what}: the model does not load the checkpoint strictly: "
                         f"{detail[:400]}{' ...' if len(detail) > 400 else ''}")


def fill_shared(model: nn.Module, state_dict: dict) -> dict | None:
    """state_dict plus the keys of parameters the model shares (a tied decoder.weight = encoder.weight) that a
    saver kept only once; None when nothing is missing."""
    first_name, filled = {}, dict(state_dict)
    for name, p in model.named_parameters(remove_duplicate=False):
        first_name.setdefault(id(p), []).append(name)
    for names in first_name.values():
        present = [n for n in names if n in state_dict]
        for n in names:
            if n not in state_dict and present:
                filled[n] = state_dict[present[0]]
    return filled if len(filled) > len(state_dict) else None


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
