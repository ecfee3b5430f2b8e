"""Deprecated home of the parity checks: they live in rnn_parity.parity (kept one release).

cases, halves, trajectory and report are re-exported here under their old names.
"""
from .parity import *  # noqa: F401,F403
from .parity import __all__ as _names
from .parity.cases import stable_hash as _stable_hash  # noqa: F401
from .parity.trajectory import trajectory_batches  # noqa: F401

__all__ = list(_names) + ["trajectory_batches"]
