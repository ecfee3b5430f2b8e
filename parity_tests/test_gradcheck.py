"""The reference against finite differences: reference.gradcheck (scipy.optimize.check_grad) for every
parameter, h0 (c0 for the LSTM) and (dense input) x, relative error < GRADCHECK_REL_ERROR, over the grid's
sample (parity_tests/sample.py; `rnn-parity check` runs every case).

check_grad runs with the step rnn_parity.parity.GRADCHECK_EPSILON (see there why not its default)."""
import pytest

from rnn_parity.parity import Case, assert_parity, check_gradcheck, setup
from rnn_parity.reference.tolerances import GRADCHECK_REL_ERROR

from .sample import GRADCHECK_SAMPLE


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("case", GRADCHECK_SAMPLE)
def test_gradcheck(case, reduction):
    assert_parity(check_gradcheck(setup(case), reduction))


# Per gated cell, a dense case (an x row) and an embedded one (an E row) whose rows together name every parameter
# kind: Wxh, Whh, bh, bhh (the GRU's b_hh under the reset gate), Whr (the LSTM's projection), E, Why, by, h0, c0.
# Two layers, so a row of layer 1 checks the gradient that layer 0's output passes down.
EVERY_ROW = {
    "lstm": ["L2-uni-lstm-all-lengths-h0-torchbias-T3-P3", "L1-uni-lstm-last-emb-h0-torchbias-P3"],
    "gru": ["L2-uni-gru-all-lengths-h0-torchbias", "L1-uni-gru-last-emb-h0-torchbias"],
}
KINDS = {"lstm": {"Wxh", "Whh", "bh", "bhh", "Whr", "E", "Why", "by", "h0", "c0", "x"},
         "gru": {"Wxh", "Whh", "bh", "bhh", "E", "Why", "by", "h0", "x"}}


@pytest.mark.parametrize("cell", list(EVERY_ROW))
def test_every_parameter_has_a_passing_row(cell):
    names = set()
    for case_id in EVERY_ROW[cell]:
        s = setup(case_id)
        rows = check_gradcheck(s)
        assert_parity(rows)
        got = {r.member for r in rows}
        states = {"h0", "c0"} if cell == "lstm" else {"h0"}
        expected = set(s.params) | states | (set() if s.case.ids_input else {"x"})
        assert got == expected, case_id
        assert all(r.max_rel < GRADCHECK_REL_ERROR for r in rows)
        names |= got
    kinds = {n.split("_")[0] for n in names}
    assert kinds == KINDS[cell]
    assert {"Wxh_l1", "Whh_l1"} <= names and (cell != "lstm" or "Whr_l1" in names)
    assert Case.parse(EVERY_ROW[cell][0]).cell == cell
