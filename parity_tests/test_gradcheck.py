"""The reference against finite differences: reference.gradcheck (scipy.optimize.check_grad) on every
grid case, for every parameter, h0 and (dense input) x, relative error < GRADCHECK_REL_ERROR.

check_grad runs with the step rnn_parity.parity.GRADCHECK_EPSILON (see there why not its default)."""
import pytest

from rnn_parity.parity import GRID, check_gradcheck, setup
from rnn_parity.parity import assert_parity


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("case", GRID)
def test_gradcheck(case, reduction):
    assert_parity(check_gradcheck(setup(case), reduction))
