"""Parameter naming and initialization.

Names follow the seeds' notation with torch's suffixes, built from one template:
layer k, direction d -> suffix "" | "_l{k}" plus "" | "_reverse", e.g. Wxh_l1_reverse.
"""
from __future__ import annotations

from typing import Iterator, NamedTuple

import numpy as np

from .config import RNNConfig

HEAD_NAMES = ("Why", "by")
EMBEDDING = "E"  # the embedding table (V, D) when config.vocab_size is set; torch's embedding.weight

INIT_SCHEMES = ("torch", "randn")
# Deprecated scheme names from when the reference knew the seed tasks: each is "randn" with that task's
# scale, which now lives with the tasks (rnn_parity.training.tasks.SEED_INIT_SCALES). Kept one release.
DEPRECATED_SCHEMES = {"sentiment": 1e-3, "fibonacci": 0.1, "dlai": 0.01}
RANDN_SCALE = 0.01  # scheme "randn" without a scale


class Params(dict):
    """Maps parameter names to arrays and carries the RNNConfig they belong to."""

    def __init__(self, arrays=(), config: RNNConfig | None = None):
        super().__init__(arrays)
        self.config = config

    def copy(self) -> "Params":
        return Params({k: np.array(v, copy=True) for k, v in self.items()}, self.config)

    def like(self, arrays) -> "Params":
        """A Params with the same config holding `arrays` (e.g. gradients)."""
        return Params(arrays, self.config)

    @property
    def dtype(self) -> np.dtype:
        return np.result_type(*self.values())


class LayerKeys(NamedTuple):
    layer: int
    direction: int  # 0 forward, 1 reverse
    Wxh: str
    Whh: str
    bh: str | None
    bhh: str | None
    Whr: str | None = None  # the LSTM's projection (P, H), torch's weight_hr; None without one


def suffix(layer: int, direction: int) -> str:
    """torch's suffix template: weight_ih_l{k}{'_reverse'} becomes Wxh{_l{k} if k else ''}{'_reverse'}."""
    return ("" if layer == 0 else f"_l{layer}") + ("_reverse" if direction else "")


def layer_keys(config: RNNConfig) -> Iterator[LayerKeys]:
    """The recurrent parameters' names, layer by layer, forward direction first."""
    for layer in range(config.num_layers):
        for direction in range(config.num_directions):
            s = suffix(layer, direction)
            yield LayerKeys(
                layer,
                direction,
                f"Wxh{s}",
                f"Whh{s}",
                f"bh{s}" if config.bias != "none" else None,
                f"bhh{s}" if config.bias == "torch" else None,
                f"Whr{s}" if config.proj_size else None,
            )


def param_shapes(config: RNNConfig) -> dict[str, tuple[int, ...]]:
    """Every parameter's name and shape, in a fixed order (the order init draws them in)."""
    H, G, S = config.hidden_size, config.gates, config.state_size  # S = P with a projection, else H
    shapes: dict[str, tuple[int, ...]] = {}
    if config.vocab_size is not None:  # first, like nn.Embedding in front of nn.RNN in torch's state_dict
        shapes[EMBEDDING] = (config.vocab_size, config.input_size)
    for keys in layer_keys(config):  # torch's order within a layer: weight_ih, weight_hh, bias_ih, bias_hh, weight_hr
        shapes[keys.Wxh] = (G * H, config.layer_input_size(keys.layer))
        shapes[keys.Whh] = (G * H, S)
        if keys.bh:
            shapes[keys.bh] = (G * H,)
        if keys.bhh:
            shapes[keys.bhh] = (G * H,)
        if keys.Whr:
            shapes[keys.Whr] = (S, H)
    shapes["Why"] = (config.output_size, S * config.num_directions)
    shapes["by"] = (config.output_size,)
    return shapes


def init_params(config: RNNConfig, seed: int = 0, dtype="float64", scheme: str = "torch",
                scale: float | None = None) -> Params:
    """Seeded parameters for `config`.

    scheme "torch": every tensor ~ U(-1/sqrt(H), 1/sqrt(H)), like reset_parameters of nn.RNN/LSTM/GRU.
    scheme "randn": weights ~ N(0, 1) * scale (default RANDN_SCALE), biases zero.
    The seed tasks' scales: rnn_parity.training.tasks (init_task_params). Their old scheme names
    ("sentiment", "fibonacci", "dlai") still work, with a DeprecationWarning.
    """
    if not isinstance(config, RNNConfig):
        raise ValueError(f"init_params needs an RNNConfig, got {type(config).__name__}")
    if scheme in DEPRECATED_SCHEMES:
        import warnings

        old_scale = DEPRECATED_SCHEMES[scheme]
        warnings.warn(f"init_params(scheme={scheme!r}) is deprecated: use scheme='randn', scale={old_scale:g} "
                      f"(or rnn_parity.training.init_task_params for a seed task's init)", DeprecationWarning,
                      stacklevel=2)
        scheme, scale = "randn", old_scale if scale is None else scale
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"init_params: unknown scheme {scheme!r}; expected one of {INIT_SCHEMES}")
    dtype = np.dtype(dtype)
    if dtype not in (np.float64, np.float32):
        raise ValueError(f"init_params: dtype must be float64 or float32, got {dtype}")
    rng = np.random.default_rng(seed)
    arrays = {}
    if scheme == "torch":
        bound = 1.0 / np.sqrt(config.hidden_size)
        for name, shape in param_shapes(config).items():
            arrays[name] = rng.uniform(-bound, bound, size=shape).astype(dtype)
    else:
        if scale is None:
            scale = RANDN_SCALE
        for name, shape in param_shapes(config).items():
            is_bias = len(shape) == 1
            arrays[name] = np.zeros(shape, dtype) if is_bias else (rng.standard_normal(shape) * scale).astype(dtype)
    return Params(arrays, config)
