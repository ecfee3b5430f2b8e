"""Input checks shared by forward, loss and gradcheck: each bad input ends in one clear ValueError."""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .config import RNNConfig
from .params import Params, param_shapes


def first_nonfinite(array: np.ndarray):
    """The index of the first NaN or Inf in `array`, or None."""
    bad = ~np.isfinite(array)
    if not bad.any():
        return None
    return tuple(int(i) for i in np.argwhere(bad)[0])


def all_finite(arrays) -> bool:
    """The one non-finite screen: True when no array holds a NaN or Inf, in one dot product per array.

    A sum of squares is finite whenever every value is. False can be a false alarm (a finite sum above
    1e308): callers then scan exactly with first_nonfinite_in, which finds nothing in that case.
    """
    total = 0.0
    for a in arrays:
        total += float(np.vdot(a, a))  # vdot, not dot: an overflowing sum raises no RuntimeWarning
    return math.isfinite(total)


def first_nonfinite_in(named_arrays) -> str | None:
    """"NAME holds VALUE at index I" for the first NaN or Inf in (name, ndarray) pairs, or None."""
    for name, a in named_arrays:
        where = first_nonfinite(a)
        if where is not None:
            return f"{name} holds {a[where]} at index {where}"
    return None


@lru_cache(maxsize=128)
def expected_shapes(config: RNNConfig) -> tuple:
    """param_shapes(config) as a tuple of (name, shape), computed once per config."""
    return tuple(param_shapes(config).items())


def check_params(params) -> RNNConfig:
    """Names, shapes and dtypes of `params`; returns its config.

    Finiteness is not scanned here on every call: forward checks its outputs, and only when they are not
    finite does it look for where the NaN or Inf came from (see nonfinite_error).
    """
    config = getattr(params, "config", None)
    if not isinstance(params, Params) or not isinstance(config, RNNConfig):
        raise ValueError("params must be a Params with a .config (use init_params or a converter)")
    expected = expected_shapes(config)
    if len(params) != len(expected) or any(name not in params for name, _ in expected):
        names = {name for name, _ in expected}
        missing, extra = sorted(names - set(params)), sorted(set(params) - names)
        raise ValueError(f"params do not match the config: missing {missing}, unexpected {extra}")
    dtype = params["Why"].dtype if isinstance(params["Why"], np.ndarray) else None
    for name, shape in expected:
        value = params[name]
        if not isinstance(value, np.ndarray) or value.dtype not in (np.float64, np.float32):
            got = getattr(value, "dtype", type(value).__name__)
            raise ValueError(f"params[{name!r}] must be a float64 or float32 ndarray, got {got}")
        if value.shape != shape:
            raise ValueError(f"params[{name!r}] has shape {value.shape}, expected {shape}")
        if value.dtype != dtype:
            raise ValueError(f"params[{name!r}] is {value.dtype} but params['Why'] is {dtype}")
    return config


def nonfinite_error(params, x, h0, outputs) -> ValueError:
    """Name where a NaN or Inf first appeared: a weight, the input, h0 (c0), or an overflow inside a layer.

    h0: the initial state as initial_state returns it, a tuple of arrays.
    """
    for name, value in params.items():
        where = first_nonfinite(value)
        if where is not None:
            return ValueError(f"params[{name!r}] holds {value[where]} at index {where}")
    for label, array in (("x", x),) + tuple(zip(("h0", "c0"), h0)):
        if np.issubdtype(array.dtype, np.floating):
            where = first_nonfinite(array)
            if where is not None:
                return ValueError(f"{label} holds {array[where]} at index {where} (time-major)")
    for layer, out in enumerate(outputs):
        where = first_nonfinite(out)
        if where is not None:
            return ValueError(f"layer {layer} overflowed: its output is {out[where]} at (t, b, unit) = {where}")
    return ValueError("the head produced a non-finite logit (overflow in Why h + by)")


_UNSIGNED = {np.dtype(f"i{n}"): np.dtype(f"u{n}") for n in (1, 2, 4, 8)}


def as_unsigned(ids: np.ndarray) -> np.ndarray:
    """Integer ids viewed as unsigned: a negative id becomes larger than any valid one."""
    return ids.view(_UNSIGNED[ids.dtype]) if ids.dtype.kind == "i" else ids


def ids_within(ids: np.ndarray, n: int) -> bool:
    """Whether every integer in `ids` lies in [0, n), in one reduction."""
    return ids.size == 0 or int(np.maximum.reduce(as_unsigned(ids), axis=None)) < n


def time_major_input(x, config: RNNConfig, dtype: np.dtype):
    """Validate x and return (x as (T, B, ...) time-major, is_token_ids)."""
    x = np.asarray(x)
    token_ids = x.dtype.kind in "iu"  # integer dtypes (np.issubdtype is ten times slower)
    want_ndim = 2 if token_ids else 3
    layout = "(B, T" if config.batch_first else "(T, B"
    if config.vocab_size is not None and not token_ids:
        raise ValueError(f"x must be integer token ids {layout}) in [0, {config.vocab_size}): the model embeds them "
                         f"(vocab_size={config.vocab_size}), got dtype {x.dtype}")
    if not token_ids and x.dtype.kind != "f":
        raise ValueError(f"x must be float {layout}, D) or integer token ids {layout}), got dtype {x.dtype}")
    if x.ndim != want_ndim:
        kind = f"token ids {layout})" if token_ids else f"dense input {layout}, D)"
        raise ValueError(f"x as {kind} must have {want_ndim} dims, got shape {x.shape}")
    if config.batch_first:
        x = np.swapaxes(x, 0, 1)
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"x is empty: T={x.shape[0]}, B={x.shape[1]} (both must be >= 1)")
    if token_ids:
        n = config.input_size if config.vocab_size is None else config.vocab_size  # one-hot size or table rows
        if not ids_within(x, n):
            low, high = int(x.min()), int(x.max())
            bad = low if low < 0 else high
            where = tuple(int(i) for i in np.argwhere(x == bad)[0])
            raise ValueError(f"token id {bad} at (t, b) = {where} is out of range [0, {n})")
        return x, True
    if x.shape[2] != config.input_size:
        raise ValueError(f"x has feature size {x.shape[2]}, expected input_size {config.input_size}")
    if x.dtype != dtype:
        raise ValueError(f"x is {x.dtype} but params are {dtype}: cast one of them (e.g. x.astype(np.{dtype}))")
    return x, False


def step_mask(lengths, T: int, B: int):
    """(T, B, 1) bool mask, True where step t is within sequence b's length; None if lengths is None."""
    if lengths is None:
        return None
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or lengths.shape[0] != B:
        raise ValueError(f"lengths must have one entry per batch element (B={B}), got shape {lengths.shape}")
    if not np.issubdtype(lengths.dtype, np.integer):
        raise ValueError(f"lengths must be integers, got dtype {lengths.dtype}")
    if lengths.min() < 1 or lengths.max() > T:
        raise ValueError(f"lengths must lie in [1, T={T}], got min {lengths.min()} and max {lengths.max()}")
    return (np.arange(T)[:, None] < lengths[None, :])[:, :, None]


def initial_state(h0, config: RNNConfig, B: int, dtype: np.dtype) -> tuple:
    """The initial state as a tuple of (L * dirs, B, .) arrays: (h0,), or (h0, c0) for the LSTM; zeros when None.

    The LSTM's h0 is the pair (h0, c0), as torch takes it: h0 (L * dirs, B, S), c0 (L * dirs, B, H).
    """
    n = config.num_layers * config.num_directions
    width = "P" if config.proj_size else "H"
    shapes = (((n, B, config.state_size), "h0", width),)
    if config.has_cell_state:
        shapes += (((n, B, config.hidden_size), "c0", "H"),)
    if h0 is None:
        return tuple(np.zeros(shape, dtype=dtype) for shape, _, _ in shapes)
    if config.has_cell_state:
        if not (isinstance(h0, (tuple, list)) and len(h0) == 2):
            raise ValueError(f"h0 of an LSTM must be the pair (h0, c0), as torch takes it, got {type(h0).__name__}")
        parts = tuple(h0)
    else:
        if isinstance(h0, (tuple, list)) and len(h0) == 2 and not np.isscalar(h0[0]) and np.ndim(h0[0]) == 3:
            raise ValueError(f"h0 is a pair (h0, c0), but only an LSTM has a cell state; this is a {config.cell}")
        parts = (h0,)
    states = []
    for part, (shape, label, width) in zip(parts, shapes):
        part = np.asarray(part)
        if part.shape != shape:
            raise ValueError(f"{label} has shape {part.shape}, expected (L * dirs, B, {width}) = {shape}")
        if part.dtype != dtype:
            raise ValueError(f"{label} is {part.dtype} but params are {dtype}")
        states.append(part)
    return tuple(states)


def public_state(states: tuple, config: RNNConfig):
    """The state as torch gives it: the array h, or the pair (h, c) for the LSTM."""
    return states if config.has_cell_state else states[0]


def check_targets(targets, logits_shape, output_size: int) -> np.ndarray:
    targets = np.asarray(targets)
    if targets.dtype.kind not in "iu":
        raise ValueError(f"targets must be integer class ids, got dtype {targets.dtype}")
    if targets.shape != tuple(logits_shape[:-1]):
        raise ValueError(f"targets have shape {targets.shape}, expected {tuple(logits_shape[:-1])}")
    if not ids_within(targets, output_size):
        raise ValueError(f"targets must lie in [0, {output_size}), got min {targets.min()} and max {targets.max()}")
    return targets
