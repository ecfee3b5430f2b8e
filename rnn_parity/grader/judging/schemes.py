"""The seeds' naming schemes, as the grader sees them (used inside the child).

The table is rnn_parity/reference/naming.py's. The child must not import the reference package (its
__init__ pulls in the whole NumPy reference, which student code must not reach), so that one stdlib-only
file is loaded by itself, from the folder the reference package would be imported from.
"""
from __future__ import annotations

import importlib.util
import os


def _naming_table() -> dict[str, dict[str, tuple[str, ...]]]:
    # find_spec of the package imports only its parent (rnn_parity), never rnn_parity.reference itself.
    folder = importlib.util.find_spec("rnn_parity.reference").submodule_search_locations[0]
    spec = importlib.util.spec_from_file_location("_rnn_parity_naming", os.path.join(folder, "naming.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SCHEMES


# scheme -> canonical name -> accepted names in that scheme
SCHEMES: dict[str, dict[str, tuple[str, ...]]] = _naming_table()


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
