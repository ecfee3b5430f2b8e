"""Helper modules a course's file imports but that were not handed in, supplied from rnn-parity's own
definitions (written from the math, never copied from a course), only when the import would fail.

    rnn_utils  deeplearning.ai "Building your RNN - Step by Step": softmax, sigmoid
    utils      deeplearning.ai "Dinosaur Island": softmax, smooth, get_initial_loss, print_sample,
               initialize_parameters, rnn_step_forward/backward, rnn_forward/backward, update_parameters
    public_tests, test_utils   the notebooks' own test helpers: supplied empty (their cells are not run)

Child side: these modules import NumPy only, never rnn_parity.
"""
from __future__ import annotations

import ast
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SUPPLIED = ("rnn_utils", "utils", "public_tests", "test_utils")


def imported_names(path: str) -> set:
    """The top-level module names the file imports (any depth of the AST), {} if it does not parse."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            tree = ast.parse(f.read())
    except (SyntaxError, ValueError, OSError):
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def public_names(name: str) -> list:
    with open(os.path.join(HERE, name + ".py")) as f:
        tree = ast.parse(f.read())
    return [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]


def supply_missing(path: str) -> list:
    """Put the supplied modules on sys.path (last) when the file imports one that is not found; returns the
    report's notes, one per supplied module."""
    wanted = [n for n in SUPPLIED if n in imported_names(path) and n not in sys.modules]
    missing = [n for n in wanted if importlib.util.find_spec(n) is None]
    if not missing:
        return []
    if HERE not in sys.path:
        sys.path.append(HERE)
    notes = []
    for n in missing:
        names = public_names(n)
        notes.append(f"supplied {n} from rnn-parity's definitions: {', '.join(names)}" if names else
                     f"supplied an empty {n} (the course's own test helpers are not part of grading)")
    return notes
