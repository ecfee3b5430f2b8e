"""A file's parts: its RNN, LSTM and GRU halves, each with a verdict; the file passes only if every part does.

A check belongs to the part its name's prefix says (lstm:forward, gru:step:grad:h_prev_t; no prefix: rnn).
A part whose every function is still the course's template (it returns None, or raises NotImplementedError)
is "not written yet": its checks fail saying so, as a template's always have, and the report names the part;
the file passes only when every part does.
"""
from __future__ import annotations

CELLS = ("lstm", "gru")
NOT_WRITTEN = "not written yet"
_UNWRITTEN_SIGNS = ("not written yet", "NotImplementedError", "not computed yet")


def part_of(check_name: str) -> str:
    head = check_name.split(":", 1)[0]
    return head if head in CELLS else "rnn"


def _unwritten(check) -> bool:
    detail = check.detail or ""
    return check.status == "fail" and check.rel_error is None and (
        any(s in detail for s in _UNWRITTEN_SIGNS) or detail.startswith("not run: "))


def verdicts(checks: list) -> dict:
    """{part: "pass" | "fail" | "not written yet"} in report order; {} for a file with one plain RNN part."""
    parts: dict = {}
    for c in checks:
        parts.setdefault(part_of(c.name), []).append(c)
    if set(parts) <= {"rnn"}:
        return {}
    out = {}
    for part, cs in parts.items():
        if all(_unwritten(c) for c in cs) and any(c.rel_error is None and not c.detail.startswith("not run: ")
                                                  for c in cs):
            out[part] = NOT_WRITTEN
        else:
            out[part] = "fail" if any(c.status == "fail" for c in cs) else "pass"
    return out


def file_verdict(checks: list) -> str:
    """pass only if every part passes: a part not written yet does not."""
    return "fail" if any(c.status == "fail" for c in checks) else "pass"
