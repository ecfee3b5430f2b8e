"""Deprecated home of the comparison helper: it lives in rnn_parity.parity.compare (kept one release)."""
from .parity.compare import (Comparison, ParityError, all_passed, as_array, assert_parity, compare, flag, missing,
                             tolerance_for)

__all__ = ["Comparison", "ParityError", "all_passed", "as_array", "assert_parity", "compare", "flag", "missing",
           "tolerance_for"]
