"""Deprecated home of the parity checks: they live in rnn_parity.parity (kept one release).

cases, halves, trajectory and report are re-exported here under their old names.
"""
from .parity import *  # noqa: F401,F403
from .parity import __all__ as _names
from .parity.cases import stable_hash as _stable_hash  # noqa: F401
from .parity.report import CheckGrid as Plan  # noqa: F401  (the old names)
from .parity.report import check_grid as plan  # noqa: F401
from .parity.trajectory import StepInput as Batch  # noqa: F401
from .parity.trajectory import trajectory_batches  # noqa: F401

__all__ = list(_names) + ["trajectory_batches"]


def torch_cross_entropy(logits, targets, lengths, config, reduction: str):
    """Now rnn_parity.torch_impl.train.cross_entropy (imported here lazily: this module stays torch-free)."""
    from .torch_impl.train import cross_entropy

    return cross_entropy(logits, targets, lengths, config, reduction)
