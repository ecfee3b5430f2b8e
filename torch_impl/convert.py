"""Exact converters between reference Params and torch: to_state_dict, from_state_dict, to_torch, from_torch.

Values are copied bit for bit (no arithmetic, no casts): dtype follows the source. The one exception
is folding, which only happens when asked for (fold_bias=True):

    a torch checkpoint with nonzero bias_hh_l* read into a bias="single" config gives bh = bias_ih + bias_hh.

That is exact in function (the sum is what the recurrence adds, up to one rounding of the addition)
but not in training dynamics: torch gives bias_ih and bias_hh the same gradient, so SGD moves their
sum twice as fast as it moves the folded bh, and Adam normalizes each separately. It also cannot be
undone: converting back gives bias_ih = the sum and bias_hh = 0, not the original split. So it is
never silent; without fold_bias=True a nonzero bias_hh in a "single" config is an error.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import torch
from torch import nn

from ..reference.errors import RNNParityError
from ..reference.config import RNNConfig
from ..reference.params import Params, layer_keys, param_shapes
from .keymap import as_numpy, check_arrays, torch_key_map, torch_name, torch_shapes
from .model import TorchRNN

TORCH_DTYPES = {np.dtype("float32"): torch.float32, np.dtype("float64"): torch.float64}


def _config_of(params) -> RNNConfig:
    config = getattr(params, "config", None)
    if not isinstance(config, RNNConfig):
        raise RNNParityError(f"expected reference Params carrying an RNNConfig (.config), got {type(params).__name__}"
                             f" with config {type(config).__name__}")
    return config


def checked_params(params, what: str) -> tuple[dict[str, np.ndarray], np.dtype]:
    """params' arrays as NumPy, after asserting names, shapes, one float dtype and finite values."""
    config = _config_of(params)
    arrays = {k: as_numpy(v, k, what) for k, v in params.items()}
    return arrays, check_arrays(arrays, param_shapes(config), what)


def to_state_dict(params: Params) -> dict[str, torch.Tensor]:
    """A TorchRNN state_dict (torch's key names, torch's order) holding copies of params' values, bit for bit.

    In bias="single" it also emits bias_hh_l* as zeros, so the key set is torch's full one and
    `TorchRNN(config).load_state_dict(...)` and a stock nn.RNN with bias=True both accept it.
    """
    config = _config_of(params)
    arrays, dtype = checked_params(params, "to_state_dict")
    GH = config.gates * config.hidden_size
    # torch.tensor copies, so later in-place updates of params never reach the state_dict.
    return {key: torch.tensor(arrays[ref]) if ref else torch.zeros(GH, dtype=TORCH_DTYPES[dtype])
            for key, ref in torch_key_map(config).items()}


def from_state_dict(state_dict: Mapping, config: RNNConfig, fold_bias: bool = False) -> Params:
    """Reference Params from a TorchRNN state_dict (torch tensors or NumPy arrays), bit for bit.

    The key set must equal torch's for `config` and every shape must match, else a one-line ValueError
    naming the key. bias="single": bias_hh_l* must be zero, or fold_bias=True folds it into bh
    (see the module docstring for what folding costs).
    """
    if not isinstance(config, RNNConfig):
        raise RNNParityError(f"from_state_dict needs an RNNConfig, got {type(config).__name__}")
    if not isinstance(state_dict, Mapping):
        raise RNNParityError(f"from_state_dict needs a mapping of names to tensors, got {type(state_dict).__name__}")
    arrays = {k: as_numpy(v, k, "from_state_dict") for k, v in state_dict.items()}
    check_arrays(arrays, torch_shapes(config), "from_state_dict")
    out = {ref: np.array(arrays[key], copy=True) for key, ref in torch_key_map(config).items() if ref}
    if config.bias == "single":
        for keys in layer_keys(config):
            key = torch_name("bhh", keys.layer, keys.direction)
            bhh = arrays[key]
            if not np.any(bhh):
                continue
            if not fold_bias:
                raise RNNParityError(
                    f"from_state_dict: {key!r} is nonzero but config.bias='single' has no second bias; "
                    "pass fold_bias=True to use bh = bias_ih + bias_hh (exact in function, not in training) "
                    "or use bias='torch'")
            if config.cell == "gru":
                H = config.hidden_size
                if np.any(bhh[2 * H:]):
                    # n = tanh(W_in x + b_in + r * (W_hn h + b_hn)): b_hn sits under the reset gate, so no b_in
                    # can stand in for it.
                    raise RNNParityError(f"from_state_dict: {key!r} has a nonzero b_hn (rows {2 * H}:{3 * H}), "
                                         "which the GRU's reset gate scales: it cannot be folded into bias_ih; "
                                         "use bias='torch'")
            out[keys.bh] = out[keys.bh] + bhh
    return Params({name: out[name] for name in param_shapes(config)}, config)


def to_torch(params: Params, device=None) -> TorchRNN:
    """A TorchRNN holding params' values bit for bit, in params' dtype (float32 or float64)."""
    config = _config_of(params)
    state_dict = to_state_dict(params)
    model = TorchRNN(config, dtype=next(iter(state_dict.values())).dtype, device=device)
    model.load_state_dict(state_dict)
    return model


def from_torch(model_or_state_dict, config: RNNConfig | None = None, fold_bias: bool = False) -> Params:
    """Reference Params from a TorchRNN (config defaults to model.config) or from its state_dict (config needed)."""
    if isinstance(model_or_state_dict, nn.Module):
        if config is None:
            config = getattr(model_or_state_dict, "config", None)
            if config is None:
                raise RNNParityError(f"from_torch: a {type(model_or_state_dict).__name__} carries no RNNConfig; "
                                     "pass config=")
        return from_state_dict(model_or_state_dict.state_dict(), config, fold_bias=fold_bias)
    if config is None:
        raise RNNParityError("from_torch: a bare state_dict needs config= (load_weights can infer one from a file)")
    return from_state_dict(model_or_state_dict, config, fold_bias=fold_bias)
