"""The teaching oracle: grade a hand-written RNN against the reference and name the mistake.

    from rnn_parity.grader import grade
    report = grade("my_rnn.py")
    print(report.to_table()); report.verdict  # "pass" | "fail" | "error"

The implementation runs in a separate process (rnn_parity.grader.isolation.child) with a time limit and a
capped output; this package never imports it. Kept light: the child imports rnn_parity.grader.*
next to the student's code, so nothing here may import torch or the reference at import time.
"""
from __future__ import annotations

__all__ = ["grade"]


def grade(impl, options=None, **kwargs):
    """See rnn_parity.grader.core.grade: options is a GradeOptions, or give its fields by keyword."""
    from .core import grade as _grade

    return _grade(impl, options, **kwargs)
