"""The NumPy reference RNN: forward, BPTT, loss, clipping, optimizers and finite-difference checks.

NumPy and SciPy only; never torch.
"""
from .config import RNNConfig
from .params import Params, init_params, layer_keys, param_shapes
from .tolerances import GRADCHECK_REL_ERROR, PARITY, Tolerance, parity_tolerance

__all__ = ["RNNConfig", "Params", "init_params", "layer_keys", "param_shapes",
           "GRADCHECK_REL_ERROR", "PARITY", "Tolerance", "parity_tolerance"]
