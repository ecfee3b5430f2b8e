"""The seeds' naming schemes, as the grader sees them (NumPy-free, torch-free: used inside the child).

The same table as rnn_parity.torch_impl.schemes.SCHEMES (a test keeps them equal); it is repeated
here because importing the torch side would import torch into the child process.
"""
from __future__ import annotations

# scheme -> canonical name -> accepted names in that scheme
SCHEMES: dict[str, dict[str, tuple[str, ...]]] = {
    "karpathy": {"Wxh": ("Wxh",), "Whh": ("Whh",), "Why": ("Why",), "bh": ("bh",), "by": ("by",)},
    "coursera": {"Wxh": ("Wax",), "Whh": ("Waa",), "Why": ("Wya",), "bh": ("ba", "b"), "by": ("by",)},
    "uvw": {"Wxh": ("U",), "Whh": ("V",), "Why": ("W",), "bh": ("bh",), "by": ("by",)},
}


def variants() -> list[tuple[str, dict[str, str]]]:
    """Every concrete naming: (scheme, canonical -> name); coursera comes with `ba` and with `b`."""
    out = []
    for scheme, table in SCHEMES.items():
        options = [dict()]
        for canon, names in table.items():
            options = [dict(o, **{canon: n}) for o in options for n in names]
        out.extend((scheme, o) for o in options)
    return out


def describe(naming: dict[str, str]) -> str:
    return " ".join(naming[c] for c in ("Wxh", "Whh", "Why", "bh", "by"))
