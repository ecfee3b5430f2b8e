"""The gated cells' bad inputs: one clear ValueError on both sides, naming what was wrong.

A config that mixes the cells' options, an LSTM state that is not the pair (h0, c0), a pair given to a
cell without a cell state, and parts of the wrong width.
"""
from __future__ import annotations

import numpy as np
import pytest

from rnn_parity.reference import RNNConfig, backward, forward, init_params
from rnn_parity.torch_impl import to_torch

from .conftest import assert_one_line_message

T, B = 4, 2


@pytest.mark.parametrize("fields, needle", [
    ({"cell": "gru", "nonlinearity": "relu"}, "nonlinearity='relu' applies to cell='rnn' only"),
    ({"cell": "lstm", "nonlinearity": "relu"}, "nonlinearity='relu' applies to cell='rnn' only"),
    ({"cell": "gru", "proj_size": 2}, "proj_size applies to cell='lstm' only"),
    ({"cell": "rnn", "proj_size": 2}, "proj_size applies to cell='lstm' only"),
    ({"cell": "lstm", "proj_size": 4}, "proj_size must be smaller than hidden_size=4"),
    ({"cell": "lstm", "proj_size": -1}, "proj_size must be a non-negative int"),
    ({"cell": "LSTM"}, "cell must be one of ('rnn', 'lstm', 'gru')"),
])
def test_config_combinations_refused(fields, needle):
    with pytest.raises(ValueError) as e:
        RNNConfig(3, 4, 2, **fields)
    assert_one_line_message(e.value, needle)


def _lstm(proj_size=0):
    config = RNNConfig(3, 4, 2, num_layers=2, cell="lstm", proj_size=proj_size)
    return init_params(config, seed=0)


def _x():
    return np.random.default_rng(0).standard_normal((T, B, 3))


@pytest.mark.parametrize("h0, reference_needle, torch_needle", [
    (np.zeros((2, B, 4)), "h0 of an LSTM must be the pair (h0, c0)", "an LSTM's h0 must be the pair (h0, c0)"),
    ((np.zeros((2, B, 4)), np.zeros((2, B, 3))), "c0 has shape (2, 2, 3), expected (L * dirs, B, H) = (2, 2, 4)",
     "c0 must have shape (L*dirs, B, H) = (2, 2, 4), got (2, 2, 3)"),
    ((np.zeros((1, B, 4)), np.zeros((2, B, 4))), "h0 has shape (1, 2, 4), expected (L * dirs, B, H) = (2, 2, 4)",
     "h0 must have shape (L*dirs, B, H) = (2, 2, 4), got (1, 2, 4)"),
])
def test_lstm_state_refused_on_both_sides(h0, reference_needle, torch_needle):
    params = _lstm()
    with pytest.raises(ValueError) as mine:
        forward(params, _x(), h0)
    with pytest.raises(ValueError) as theirs:
        to_torch(params)(_x(), h0)
    assert_one_line_message(mine.value, reference_needle)
    assert_one_line_message(theirs.value, torch_needle)


def test_projected_lstm_names_the_projection_width():
    params = _lstm(proj_size=2)
    with pytest.raises(ValueError) as mine:
        forward(params, _x(), (np.zeros((2, B, 4)), np.zeros((2, B, 4))))
    assert_one_line_message(mine.value, "h0 has shape (2, 2, 4), expected (L * dirs, B, P) = (2, 2, 2)")


def test_a_pair_given_to_a_gru_is_refused():
    params = init_params(RNNConfig(3, 4, 2, cell="gru"), seed=0)
    with pytest.raises(ValueError) as e:
        forward(params, _x(), (np.zeros((1, B, 4)), np.zeros((1, B, 4))))
    assert_one_line_message(e.value, "only an LSTM has a cell state; this is a gru")


def test_lstm_dh_n_must_be_a_pair():
    params = _lstm()
    logits, _, cache = forward(params, _x())
    with pytest.raises(ValueError) as e:
        backward(params, cache, np.ones_like(logits), np.zeros((2, B, 4)))
    assert_one_line_message(e.value, "dh_n of an LSTM must be the pair (dh_n, dc_n)")
    with pytest.raises(ValueError) as e:
        backward(params, cache, np.ones_like(logits), (None, np.zeros((2, B, 3))))
    assert_one_line_message(e.value, "dc_n has shape (2, 2, 3), expected (2, 2, 4)")


def test_lstm_nonfinite_c0_is_named():
    params = _lstm()
    c0 = np.zeros((2, B, 4))
    c0[1, 0, 2] = np.nan
    with pytest.raises(ValueError) as e:
        forward(params, _x(), (np.zeros((2, B, 4)), c0))
    assert_one_line_message(e.value, "c0 holds nan at index (1, 0, 2)")
