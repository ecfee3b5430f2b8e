"""The grid itself: readable ids that are their own spec, and every RNNConfig option covered."""
import dataclasses

from hypothesis import given, settings

from rnn_parity.parity import GRID, QUICK_GRID, TRAJECTORY_GRID, Case
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


def test_grid_covers_every_option():
    grid = [Case.parse(c) for c in GRID]
    seen = lambda attr: {getattr(c, attr) for c in grid}  # noqa: E731
    assert seen("nonlinearity") == set(NONLINEARITIES)
    assert seen("bias") == set(BIAS_MODES)
    assert seen("output") == set(OUTPUTS)
    assert seen("num_layers") >= {1, 2, 3}
    for flag in ("bidirectional", "batch_first", "tokens", "h0"):
        assert seen(flag) == {True, False}, flag
    assert seen("lengths") == {"", "lengths", "short"}
    assert seen("dtype") == {"float64", "float32"}
    assert 1 in seen("T") and 1 in seen("B")
    # every config field varies on the grid
    for f in dataclasses.fields(grid[0].config):
        assert len({getattr(c.config, f.name) for c in grid}) > 1, f.name


def test_quick_and_trajectory_cases_parse():
    for c in QUICK_GRID + [c for _, c in TRAJECTORY_GRID]:
        assert Case.parse(c).id == c
