"""Forward parity: logits, h_n and the top layer's hidden states (reference cache.outputs[-1] vs
TorchRNN.hidden_states), over the grid and over hypothesis-drawn cases."""
import pytest
from hypothesis import HealthCheck, given, note, settings

from rnn_parity.parity import GRID, forward_numpy, forward_torch, parity, setup
from rnn_parity.parity import assert_parity

from .strategies import cases

RANDOM = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("case", GRID)
def test_forward(case, device):
    s = setup(case, device)
    assert_parity(parity("forward", forward_numpy(s), forward_torch(s), "forward", s.dtypes))


@RANDOM
@given(case=cases())
def test_forward_random_case(case, device):
    s = setup(case, device)
    note(f"case id: {case.id}")
    assert_parity(parity("forward", forward_numpy(s), forward_torch(s), "forward", s.dtypes))
