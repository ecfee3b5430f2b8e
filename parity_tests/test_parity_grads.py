"""Gradient parity: every parameter, dx and dh0.

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
