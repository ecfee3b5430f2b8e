"""The torch side: TorchRNN (a stock nn.RNN plus a linear head), exact converters to and from the
reference's Params, the seeds' naming schemes, and weight files (.npz, .pt, .safetensors)."""
from .checkpoint import read_checkpoint, write_like
from .convert import from_state_dict, from_torch, to_state_dict, to_torch
from .keymap import torch_key_map
from .model import TorchRNN
from .schemes import SCHEMES, from_scheme, to_scheme
from .structure import Reading
from .verify import read_verified, write_verified
from .weights_io import ConfigAssumedWarning, load_weights, save_weights

__all__ = ["TorchRNN", "to_torch", "from_torch", "to_state_dict", "from_state_dict", "save_weights",
           "load_weights", "read_checkpoint", "write_like", "Reading", "read_verified", "write_verified",
           "from_scheme", "to_scheme", "torch_key_map", "SCHEMES", "ConfigAssumedWarning"]
