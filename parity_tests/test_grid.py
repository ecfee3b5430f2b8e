"""The grid itself: readable ids that are their own spec, and every RNNConfig option covered."""
import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings

from rnn_parity.parity import GRID, QUICK_GRID, TRAJECTORY_GRID, VOCAB, Case, report, setup
from rnn_parity.reference.config import BIAS_MODES, NONLINEARITIES, OUTPUTS

from .strategies import cases


def test_ids_read_as_their_spec():
    c = Case.parse("L2-bi-relu-last-lengths")
    assert (c.num_layers, c.bidirectional, c.nonlinearity, c.output, c.lengths) == (2, True, "relu", "last", "lengths")
    assert c.id == "L2-bi-relu-last-lengths"


@settings(max_examples=50, deadline=None)
@given(cases())
def test_ids_round_trip(case):
    assert Case.parse(case.id) == case


SIZES = ("input_size", "hidden_size", "output_size")


def _covers_every_option(ids, layers, sizes=True):
    grid = [Case.parse(c) for c in ids]
    seen = lambda attr: {getattr(c, attr) for c in grid}  # noqa: E731
    assert seen("nonlinearity") == set(NONLINEARITIES)
    assert seen("bias") == set(BIAS_MODES)
    assert seen("output") == set(OUTPUTS)
    assert seen("num_layers") >= layers
    for flag in ("bidirectional", "batch_first", "tokens", "h0"):
        assert seen(flag) == {True, False}, flag
    assert seen("lengths") == {"", "lengths", "short"}
    assert seen("dtype") == {"float64", "float32"}
    # the three inputs: dense, one-hot token ids, embedded token ids
    assert {"dense" if not c.ids_input else "ids" if c.tokens else "emb" for c in grid} == {"dense", "ids", "emb"}
    # every config field varies on the grid (the quick grid keeps the default sizes)
    for f in dataclasses.fields(grid[0].config):
        if f.name in SIZES and not sizes:
            continue
        assert len({getattr(c.config, f.name) for c in grid}) > 1, f.name
    return grid


def test_grid_covers_every_option():
    grid = _covers_every_option(GRID, {1, 2, 3})
    assert 1 in {c.T for c in grid} and 1 in {c.B for c in grid}
    emb = [c for c in grid if c.vocab_size is not None]
    assert {c.dtype for c in emb} == {"float64", "float32"} and {c.num_layers for c in emb} >= {1, 2}
    assert {c.vocab_size for c in emb} >= {VOCAB} and len({c.vocab_size for c in emb}) > 1
    assert any(c.vocab_size is not None for _, c in map(lambda rc: (rc[0], Case.parse(rc[1])), TRAJECTORY_GRID))


def test_quick_check_touches_every_option():
    """`rnn-parity check --quick`: a few cases, every option (and the embedding's trajectory and gradcheck)."""
    grid = report.check_grid(quick=True)
    _covers_every_option(grid.cases, {1, 2}, sizes=False)
    assert any(Case.parse(c).vocab_size for _, c in grid.trajectories)
    assert any(Case.parse(c).vocab_size for c in grid.gradcheck)


def test_emb_ids_read_as_their_spec():
    c = Case.parse("L1-uni-tanh-all-emb-D4-V7")
    assert (c.vocab_size, c.D, c.tokens, c.ids_input) == (7, 4, False, True)
    assert c.config.vocab_size == 7 and c.id == "L1-uni-tanh-all-emb-D4-V7"
    assert Case.parse("L1-uni-tanh-last-emb").vocab_size == VOCAB


@pytest.mark.parametrize("bad, says", [("L1-uni-tanh-last-ids-emb", "not both"), ("L1-uni-tanh-last-V7", "no 'emb'"),
                                       ("L1-uni-tanh-last-emb-V0", "vocab_size")])
def test_bad_emb_ids_are_refused(bad, says):
    with pytest.raises(ValueError, match=says):
        Case.parse(bad)


def test_emb_inputs_are_ids_within_the_vocabulary():
    """The embedding's ids reach every row 0..V-1, and repeat (so the table's gradient must accumulate)."""
    s = setup("L2-bi-relu-all-emb-lengths-h0-bf-torchbias")
    assert s.x.dtype.kind == "i" and s.x.shape == (s.case.B, s.case.T)
    assert s.x.min() >= 0 and s.x.max() < VOCAB and len(np.unique(s.x)) < s.x.size
    assert s.params["E"].shape == (VOCAB, s.case.D)


def test_quick_and_trajectory_cases_parse():
    for c in QUICK_GRID + [c for _, c in TRAJECTORY_GRID]:
        assert Case.parse(c).id == c
