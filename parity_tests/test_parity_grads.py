"""Gradient parity: every parameter, dx and dh0 (an LSTM's dh0 and dc0, each on its own), for every cell.

vjp: random upstream gradients on the logits and on h_n (vector-Jacobian products, not an all-ones loss).
loss: through softmax cross-entropy, reduction "sum" and "mean", padded steps ignored.
"""
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from rnn_parity.parity import GRID, LOSS_QUANTITIES, loss_numpy, loss_torch, parity, setup, vjp_numpy, vjp_torch
from rnn_parity.parity import assert_parity

from .strategies import cases

RANDOM = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("case", GRID)
def test_vjp(case, device):
    s = setup(case, device)
    assert_parity(parity("vjp", vjp_numpy(s), vjp_torch(s), "grad", s.dtypes))


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("case", GRID)
def test_loss_and_grads(case, reduction, device):
    s = setup(case, device)
    assert_parity(parity(f"loss-{reduction}", loss_numpy(s, reduction), loss_torch(s, reduction), LOSS_QUANTITIES,
                         s.dtypes))


@RANDOM
@given(case=cases(), reduction=st.sampled_from(["sum", "mean"]))
def test_grads_random_case(case, reduction, device):
    s = setup(case, device)
    note(f"case id: {case.id}")
    assert_parity(parity("vjp", vjp_numpy(s), vjp_torch(s), "grad", s.dtypes))
    assert_parity(parity(f"loss-{reduction}", loss_numpy(s, reduction), loss_torch(s, reduction), LOSS_QUANTITIES,
                         s.dtypes))


def test_an_lstm_compares_dh0_and_dc0_each_on_its_own():
    """The pair (dh0, dc0) is two comparisons: a slip in dc0 alone fails "vjp dc0" and nothing else."""
    s = setup("L1-uni-lstm-all-h0-P1")
    mine, theirs = vjp_numpy(s), vjp_torch(s)
    assert mine["dh0"].shape == theirs["dh0"].shape == (1, 3, 1) and mine["dc0"].shape == (1, 3, 4)
    assert_parity(parity("vjp", mine, theirs, "grad", s.dtypes))
    mine["dc0"] = mine["dc0"] * (1 + 1e-6)
    assert [r.name for r in parity("vjp", mine, theirs, "grad", s.dtypes) if not r.passed] == ["vjp dc0"]
