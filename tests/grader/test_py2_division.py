"""Python 2's `/` kept at run time (py2.old_div / classic_division): floors between integers only."""
import ast

import numpy as np

from rnn_parity.grader.intake.py2 import classic_division, old_div


def _run(source: str) -> dict:
    tree = ast.parse(source)
    classic_division(tree)
    namespace: dict = {"np": np}
    exec(compile(tree, "<py2>", "exec"), namespace)
    return namespace


def test_old_div_floors_integers_only():
    assert old_div(7, 2) == 3 and old_div(-7, 2) == -4 and old_div(np.int64(24), 4) == 6
    assert old_div(7.0, 2) == 3.5 and old_div(np.array([7.0]), 2)[0] == 3.5
    assert old_div(np.array([7, 9]), 2).tolist() == [3, 4]


def test_h_from_the_bias_is_an_integer_and_floats_still_divide():
    ns = _run("b = np.zeros(24)\nH = b.shape[0] / 4\nx = 1.0 / 4\nn = 9\nn /= 2\n")
    assert ns["H"] == 6 and isinstance(ns["H"], int) and ns["x"] == 0.25 and ns["n"] == 4


def test_future_division_keeps_true_division():
    assert _run("from __future__ import division\nH = 24 / 5\n")["H"] == 4.8
