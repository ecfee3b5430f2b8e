"""The seeds' hand-written naming conventions, read (from_scheme) and written (to_scheme).

    karpathy  Wxh Whh Why bh by          (min-char-rnn; the reference's own single-layer names)
    coursera  Wax Waa Wya ba|b by        (deeplearning.ai notation)
    uvw       U V W bh by                (U input->hidden, V hidden->hidden, W hidden->output)

Shapes: Wxh (H, D), Whh (H, H), Why (O, H); biases (n,) or the seeds' (n, 1) columns. These are
single-layer, one-direction, one-hidden-bias models, so the inferred config has num_layers=1,
bidirectional=False, bias="single"; the rest (nonlinearity, output, batch_first) the arrays cannot
tell, so they come from keyword overrides or RNNConfig's defaults.
"""
from __future__ import annotations

from dataclasses import fields
from typing import Mapping

import numpy as np

from ..reference.errors import RNNParityError
from ..reference.config import RNNConfig
from ..reference.naming import SCHEMES  # scheme -> reference name -> accepted source names
from ..reference.params import Params, param_shapes
from .convert import checked_params
from .keymap import as_numpy, check_arrays

# What the shapes of a seed scheme fix; the other RNNConfig fields may be overridden.
_FIXED = ("input_size", "hidden_size", "output_size", "num_layers", "bidirectional", "bias")


def _match(names, scheme: str) -> dict[str, str] | None:
    """reference name -> source name if `names` is exactly `scheme`'s set, else None."""
    chosen = {}
    for ref, options in SCHEMES[scheme].items():
        present = [n for n in options if n in names]
        if len(present) != 1:
            return None
        chosen[ref] = present[0]
    return chosen if set(chosen.values()) == set(names) else None


def _describe(scheme: str) -> str:
    return " ".join("|".join(options) for options in SCHEMES[scheme].values())


def detect_scheme(names) -> str | None:
    """The one seed scheme whose names equal `names`, or None."""
    names = set(names)
    return next((s for s in SCHEMES if _match(names, s)), None)


def from_scheme(arrays: Mapping, scheme: str = "auto", **overrides) -> Params:
    """Reference Params from seed-style arrays, with an RNNConfig inferred from their shapes.

    arrays: names of one scheme (see the module docstring) to arrays; biases (n,) or (n, 1).
    scheme: "auto" (detect from the names), "karpathy", "coursera" or "uvw".
    overrides: RNNConfig fields the arrays cannot tell, e.g. output="all", nonlinearity="relu".
    Values are copied bit for bit; the dtype (float32 or float64) follows the arrays.
    """
    if not isinstance(arrays, Mapping):
        raise RNNParityError(f"from_scheme needs a mapping of names to arrays, got {type(arrays).__name__}")
    names = sorted(arrays)
    if scheme == "auto":
        scheme = detect_scheme(names)
        if scheme is None:
            raise RNNParityError(f"from_scheme: no naming scheme fits the keys found {names}; expected exactly "
                                 + "; ".join(f"{s}: {_describe(s)}" for s in SCHEMES))
    elif scheme not in SCHEMES:
        raise RNNParityError(f"from_scheme: unknown scheme {scheme!r}; expected 'auto' or one of {tuple(SCHEMES)}")
    src = _match(set(names), scheme)
    if src is None:
        raise RNNParityError(f"from_scheme({scheme}): the keys found {names} are not {scheme}'s: {_describe(scheme)}")
    what = f"from_scheme({scheme})"
    a = {ref: as_numpy(arrays[name], name, what) for ref, name in src.items()}
    for ref in ("Whh", "Wxh", "Why"):
        if a[ref].ndim != 2:
            raise RNNParityError(f"{what}: {src[ref]!r} has shape {a[ref].shape}, expected a matrix "
                                 + {"Whh": "(H, H)", "Wxh": "(H, D)", "Why": "(O, H)"}[ref])
    for ref in ("bh", "by"):  # the seeds' (n, 1) columns become (n,)
        if a[ref].ndim == 2 and a[ref].shape[1] == 1:
            a[ref] = a[ref][:, 0]
    inferred = dict(input_size=a["Wxh"].shape[1], hidden_size=a["Whh"].shape[0], output_size=a["Why"].shape[0],
                    num_layers=1, bidirectional=False, bias="single")
    config = merge_config(inferred, overrides, what)
    check_arrays({src[ref]: v for ref, v in a.items()},
                 {src[ref]: shape for ref, shape in param_shapes(config).items()}, what)
    return Params({ref: np.array(a[ref], copy=True) for ref in param_shapes(config)}, config)


def merge_config(inferred: dict, overrides: dict, what: str) -> RNNConfig:
    """The inferred fields plus overrides of the rest; an override that contradicts the shapes is an error."""
    known = {f.name for f in fields(RNNConfig)}
    for key, value in overrides.items():
        if key not in known:
            raise RNNParityError(f"{what}: unknown RNNConfig field {key!r}; expected one of {sorted(known)}")
        if key in inferred and value != inferred[key]:
            raise RNNParityError(f"{what}: {key}={value!r} contradicts the arrays, which give {key}={inferred[key]!r}")
    try:
        return RNNConfig(**{**inferred, **overrides})
    except ValueError as e:  # a field of the wrong kind or value, e.g. nonlinearity="sigmoid"
        raise RNNParityError(f"{what}: {e}") from None


def to_scheme(params: Params, scheme: str, column_bias: bool = True, fold_bias: bool = False) -> dict[str, np.ndarray]:
    """params as a seed scheme's arrays (copies, bit for bit): the inverse of from_scheme.

    Only single-layer, one-direction models with one hidden bias have a seed form. column_bias=True
    writes biases as (n, 1) columns, as the seeds keep them. bias="torch" needs fold_bias=True
    (bh + bhh; exact in function, not in training) unless bhh is zero.
    """
    if scheme not in SCHEMES:
        raise RNNParityError(f"to_scheme: unknown scheme {scheme!r}; expected one of {tuple(SCHEMES)}")
    arrays, _ = checked_params(params, f"to_scheme({scheme})")
    c = params.config
    if c.cell != "rnn":
        raise RNNParityError(f"to_scheme({scheme}): the seed schemes hold an Elman RNN, got cell={c.cell!r}; "
                             "save it with save_weights (.npz, .pt, .safetensors) instead")
    if c.num_layers != 1 or c.bidirectional:
        raise RNNParityError(f"to_scheme({scheme}): the seed schemes hold one layer and one direction, "
                             f"got num_layers={c.num_layers}, bidirectional={c.bidirectional}")
    if c.bias == "none":
        raise RNNParityError(f"to_scheme({scheme}): the seed schemes have a hidden bias; config.bias is 'none'")
    bh = arrays["bh"]
    if c.bias == "torch" and np.any(arrays["bhh"]):
        if not fold_bias:
            raise RNNParityError(f"to_scheme({scheme}): 'bhh' is nonzero and the seed schemes have one hidden bias; "
                                 "pass fold_bias=True to write bh + bhh (exact in function, not in training)")
        bh = bh + arrays["bhh"]
    values = {"Wxh": arrays["Wxh"], "Whh": arrays["Whh"], "Why": arrays["Why"], "bh": bh, "by": arrays["by"]}
    out = {}
    for ref, options in SCHEMES[scheme].items():
        v = np.array(values[ref], copy=True)
        out[options[0]] = v[:, None] if column_bias and v.ndim == 1 else v
    return out
