"""Forward parity: logits, h_n (an LSTM's h_n and c_n, each on its own) and the top layer's hidden states
(reference cache.outputs[-1] vs TorchRNN.hidden_states), over every cell's grid and hypothesis-drawn cases."""
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


def test_an_lstm_compares_h_n_and_c_n_each_on_its_own():
    s = setup("L2-bi-lstm-all-short-h0-bf-P2")
    mine, theirs = forward_numpy(s), forward_torch(s)
    assert mine["h_n"].shape == (4, 3, 2) and mine["c_n"].shape == tuple(theirs["c_n"].shape) == (4, 3, 4)
    mine["c_n"] = mine["c_n"] + 1e-9
    assert [r.name for r in parity("forward", mine, theirs, "forward", s.dtypes) if not r.passed] == ["forward c_n"]
