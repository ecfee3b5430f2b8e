"""NumPy names that NumPy 1.24 and 2.0 removed, given back to a file that uses them (child side).

Homework written for the NumPy of its day calls np.asfarray, np.float, np.product, ... and was right then;
graded under NumPy 2 it would crash on the name alone. restore(source) puts back only the names the source
reads (`np.asfarray`, `numpy.float`) and only where this NumPy lacks them, with their old meaning, and
returns a note naming them. Nothing else of NumPy is touched.
"""
from __future__ import annotations

import re

import numpy as np


def _asfarray(a, dtype=np.float64):
    dtype = np.dtype(dtype)
    return np.asarray(a, dtype=dtype if np.issubdtype(dtype, np.inexact) else np.float64)


REMOVED = {  # name -> (its old meaning, how the note words it)
    "asfarray": (_asfarray, "np.asarray(..., dtype=float)"), "float_": (np.float64, "np.float64"),
    "complex_": (np.complex128, "np.complex128"), "NaN": (np.nan, "np.nan"), "Inf": (np.inf, "np.inf"),
    "infty": (np.inf, "np.inf"), "product": (np.prod, "np.prod"), "cumproduct": (np.cumprod, "np.cumprod"),
    "alltrue": (np.all, "np.all"), "sometrue": (np.any, "np.any"), "float": (float, "float"), "int": (int, "int"),
    "bool": (bool, "bool"), "object": (object, "object"), "str": (str, "str"),
}
_USE = re.compile(r"\b(?:np|numpy)\.(" + "|".join(map(re.escape, REMOVED)) + r")\b")


def restore(source: str) -> str | None:
    """Give back the removed names the source reads; a note naming them, or None when there were none."""
    restored = []
    for name in sorted(set(_USE.findall(source))):
        if name in np.__dict__:
            continue
        try:
            with np.testing.suppress_warnings():
                has = hasattr(np, name)
        except Exception:  # noqa: BLE001 - NumPy 2 raises AttributeError with its own message for these
            has = False
        if has:
            continue
        setattr(np, name, REMOVED[name][0])
        restored.append(f"np.{name} (as {REMOVED[name][1]})")
    if not restored:
        return None
    return f"NumPy {np.__version__} no longer has names the file uses, given back with their old meaning: " + \
        ", ".join(restored)
