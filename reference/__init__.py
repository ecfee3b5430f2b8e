"""The NumPy reference RNN: forward, BPTT, loss, clipping, optimizers and finite-difference checks.

NumPy and SciPy only; never torch.
"""
from .clip import clip_norm, clip_value, total_norm
from .config import RNNConfig
from .gradcheck import GradcheckRow, format_report, gradcheck
from .loss import loss_and_all_grads, loss_and_grads, softmax_cross_entropy
from .model import ForwardCache, backward, forward
from .optim import SGD, Adam
from .params import Params, init_params, layer_keys, param_shapes, suffix
from .tolerances import GRADCHECK_EPSILON, GRADCHECK_REL_ERROR, PARITY, TRAJECTORY_FLOAT64, Tolerance, parity_tolerance
from .train import apply_update, train_step
from .trainer import Trainer

__all__ = [
    "RNNConfig", "Params", "init_params", "layer_keys", "param_shapes", "suffix",
    "forward", "backward", "ForwardCache", "loss_and_grads", "loss_and_all_grads", "softmax_cross_entropy",
    "clip_value", "clip_norm", "total_norm", "SGD", "Adam", "train_step", "apply_update", "Trainer",
    "gradcheck", "GradcheckRow", "format_report",
    "GRADCHECK_EPSILON", "GRADCHECK_REL_ERROR", "PARITY", "TRAJECTORY_FLOAT64", "Tolerance", "parity_tolerance",
]
