"""The comparison helper itself: shape, then dtype, then values; a failure names the quantity, the
worst index, both values and the relative error; the record carries max abs / max rel diff."""
import numpy as np
import pytest
import torch

from rnn_parity.parity import ParityError, assert_parity, compare
from rnn_parity.reference.tolerances import Tolerance, parity_tolerance


def test_equal_values_pass_with_a_record():
    r = compare("forward logits", np.ones((2, 3)), torch.ones(2, 3, dtype=torch.float64))
    assert (r.passed, r.max_abs, r.max_rel, r.problem) == (True, 0.0, 0.0, None)


def test_values_fail_naming_quantity_index_both_values_and_relative_error():
    mine = np.arange(1.0, 7.0).reshape(2, 3)
    theirs = mine.copy()
    theirs[1, 2] *= 1 + 1e-7
    r = compare("grad Whh_l1_reverse", mine, theirs, "grad")
    assert not r.passed and r.worst_index == (1, 2) and r.n_bad == 1
    assert r.max_rel == pytest.approx(1e-7, rel=1e-3)
    for part in ("grad Whh_l1_reverse", "(1, 2)", "mine 6.0", f"theirs {float(theirs[1, 2])!r}", "rel diff 1e-07", "rtol 1e-09"):
        assert part in r.message
    with pytest.raises(ParityError, match=r"grad Whh_l1_reverse: 1 of 6 value\(s\) out of tolerance"):
        assert_parity(r)


def test_shape_is_checked_before_dtype_and_values():
    r = compare("forward h_n", np.zeros((1, 2, 3)), np.zeros((1, 3, 2), np.float32))
    assert r.problem == "shape" and "mine (1, 2, 3) vs theirs (1, 3, 2)" in r.message


def test_dtype_is_checked_before_values():
    r = compare("forward logits", np.zeros(3), np.zeros(3, np.float32))
    assert r.problem == "dtype" and "mine float64 vs theirs float32" in r.message
    assert compare("x", np.zeros(3), np.zeros(3, np.float32), dtype=("float64", "float32")).passed


def test_tolerance_follows_the_policy_and_the_lower_precision():
    assert compare("x", np.ones(2), np.ones(2)).tol == parity_tolerance("forward", "float64")
    mixed = compare("x", np.ones(2), np.ones(2, np.float32), "grad", dtype=("float64", "float32"))
    assert mixed.tol == parity_tolerance("grad", "float32")
    edge = Tolerance(rtol=1e-3, atol=0.0)
    assert compare("x", np.array([1.0]), np.array([1.001]), edge).passed  # |d| <= rtol * |theirs|
    assert not compare("x", np.array([1.0]), np.array([0.998]), edge).passed


def test_nan_never_passes_and_only_equal_infinities_do():
    assert not compare("loss", np.array([1.0, np.nan]), np.array([1.0, 2.0])).passed
    assert not compare("loss", np.array([np.nan]), np.array([np.nan])).passed
    assert not compare("loss", np.array([np.inf]), np.array([1.0])).passed
    assert compare("loss", np.array([np.inf]), np.array([np.inf])).passed


def test_assert_parity_lists_every_failure_worst_first():
    good = compare("a", np.zeros(2), np.zeros(2))
    small = compare("b", np.array([1.0]), np.array([1.0 + 1e-8]))
    big = compare("c", np.array([1.0]), np.array([2.0]))
    with pytest.raises(ParityError) as e:
        assert_parity([good, small, big])
    text = str(e.value)
    assert text.startswith("2 of 3 comparison(s) failed") and text.index("c:") < text.index("b:")


def test_flags_and_missing_quantities_are_their_own_kinds():
    from rnn_parity.parity import flag, missing

    ok, no = flag("clip-value active", True, "never"), flag("clip-value active", False, "never clipped")
    assert (ok.kind, ok.passed, ok.problem) == ("flag", True, None)
    assert (no.kind, no.passed, no.problem) == ("flag", False, "flag") and no.message.endswith("never clipped")
    gone = missing("vjp dx", "theirs (torch)")
    assert (gone.kind, gone.passed, gone.problem) == ("missing", False, "missing")
    assert "missing on theirs (torch)" in gone.message
    assert compare("x", np.ones(2), np.ones(2)).kind == "values"


def test_the_report_groups_by_fields_not_by_names():
    """A record whose name says something else still lands in the row its fields name."""
    from rnn_parity.parity import rows_of

    r = compare("not a parseable name", np.ones(2), np.ones(2), group="vjp", quantity="grads", member="Whh")
    s = compare("also nothing", np.ones(2), np.ones(2) + 1e-3, group="sgd-clipvalue", quantity="params",
                member="Why", step=7)
    rows = rows_of("L1-uni-tanh-last", [r, s], "float64")
    assert [row.quantity for row in rows] == ["vjp grads", "sgd-clipvalue params (50 steps)"]
    assert rows[1].worst.startswith("step 7 Why") and not rows[1].passed
