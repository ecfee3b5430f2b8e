"""The grid itself: readable ids that are their own spec, and every RNNConfig option covered, cell by cell."""
import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings

from rnn_parity.parity import GRID, QUICK_GRID, RECIPES, TRAJECTORY_GRID, VOCAB, Case, report, setup
from rnn_parity.parity.cases import GRIDS, QUICK_GRIDS
from rnn_parity.reference.config import BIAS_MODES, CELLS, NONLINEARITIES, OUTPUTS, RNNConfig

from .sample import GRADCHECK_SAMPLE, TRAINER_SAMPLE
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
# The config fields a cell's own grid holds fixed: its cell, and what belongs to the other cells.
FIXED = {"rnn": {"cell", "proj_size"}, "lstm": {"cell", "nonlinearity"}, "gru": {"cell", "nonlinearity", "proj_size"}}


def _covers_every_option(ids, layers, sizes=True, cell=None):
    """Every option of `cell`'s grid (or of every cell, cell=None) shows up; a config field it does not hold fixed
    varies, so a new RNNConfig field fails here until the grid covers it."""
    grid = [Case.parse(c) for c in ids]
    seen = lambda attr: {getattr(c, attr) for c in grid}  # noqa: E731
    assert seen("cell") == (set(CELLS) if cell is None else {cell})
    assert seen("nonlinearity") == (set(NONLINEARITIES) if cell in (None, "rnn") else {"tanh"})
    assert seen("bias") == set(BIAS_MODES)
    assert seen("output") == set(OUTPUTS)
    assert seen("num_layers") >= layers
    for flag in ("bidirectional", "batch_first", "tokens", "h0"):
        assert seen(flag) == {True, False}, flag
    assert seen("lengths") == {"", "lengths", "short"}
    assert seen("dtype") == {"float64", "float32"}
    # the three inputs: dense, one-hot token ids, embedded token ids
    assert {"dense" if not c.ids_input else "ids" if c.tokens else "emb" for c in grid} == {"dense", "ids", "emb"}
    # every config field varies on the grid (the quick grid keeps the default sizes), but those the cell fixes
    fixed = FIXED[cell] if cell else set()
    for f in dataclasses.fields(RNNConfig):
        if f.name in SIZES and not sizes:
            continue
        values = {getattr(c.config, f.name) for c in grid}
        varies = len(values) > 1
        assert varies != (f.name in fixed), f"{cell or 'every cell'}: {f.name} {values}"
    return grid


def test_grid_covers_every_option():
    grid = _covers_every_option(GRID, {1, 2, 3})
    assert GRID == [c for cell in CELLS for c in GRIDS[cell]]
    assert 1 in {c.T for c in grid} and 1 in {c.B for c in grid}
    emb = [c for c in grid if c.vocab_size is not None]
    assert {c.dtype for c in emb} == {"float64", "float32"} and {c.num_layers for c in emb} >= {1, 2}
    assert {c.vocab_size for c in emb} >= {VOCAB} and len({c.vocab_size for c in emb}) > 1
    assert any(c.vocab_size is not None for _, c in map(lambda rc: (rc[0], Case.parse(rc[1])), TRAJECTORY_GRID))


@pytest.mark.parametrize("cell", CELLS)
def test_each_cells_grid_covers_its_options(cell):
    grid = _covers_every_option(GRIDS[cell], {1, 2, 3}, cell=cell)
    assert 1 in {c.T for c in grid} and 1 in {c.B for c in grid}
    if cell == "lstm":  # the projection narrows h, the next layer's input and the head's: meet them all
        projected = [c for c in grid if c.proj_size]
        assert {c.num_layers for c in projected} >= {1, 2} and {c.bidirectional for c in projected} == {True, False}
        assert {c.h0 for c in projected} == {True, False} and {c.dtype for c in projected} == {"float64", "float32"}
        assert any(c.lengths for c in projected) and any(c.vocab_size for c in projected)
    if cell == "gru":  # b_hn inside the reset product: a trained b_hh on several layers, directions and lengths
        torchbias = [c for c in grid if c.bias == "torch"]
        assert {c.num_layers for c in torchbias} >= {1, 2, 3} and any(c.bidirectional for c in torchbias)


@pytest.mark.parametrize("cell", CELLS)
def test_every_recipe_runs_on_every_cell(cell):
    """50-step trajectories: every SGD variant and Adam variant on each cell, float32 too."""
    mine = [(r, Case.parse(c)) for r, c in TRAJECTORY_GRID if Case.parse(c).cell == cell]
    assert {r for r, _ in mine} == set(RECIPES)
    assert {c.dtype for _, c in mine} == {"float64", "float32"}
    if cell == "lstm":  # truncated BPTT carries the pair (h_n, c_n) through a projection
        assert any(RECIPES[r].tbptt and c.proj_size for r, c in mine)


def test_quick_check_touches_every_option():
    """`rnn-parity check --quick`: a few cases, every option (and the embedding's trajectory and gradcheck)."""
    grid = report.check_grid(quick=True)
    _covers_every_option(grid.cases, {1, 2}, sizes=False)
    assert grid.cases == QUICK_GRID
    assert any(Case.parse(c).vocab_size for _, c in grid.trajectories)
    assert any(Case.parse(c).vocab_size for c in grid.gradcheck)


@pytest.mark.parametrize("cell", CELLS)
def test_quick_check_of_one_cell_touches_its_options(cell):
    grid = report.check_grid(quick=True, cell=cell)
    assert grid.cases == QUICK_GRIDS[cell]
    _covers_every_option(grid.cases, {1, 2}, sizes=False, cell=cell)
    for ids in (grid.gradcheck, [c for _, c in grid.trajectories]):
        assert ids and {Case.parse(c).cell for c in ids} == {cell}
    assert any(Case.parse(c).vocab_size for _, c in grid.trajectories)


@pytest.mark.parametrize("cell", CELLS)
def test_the_full_check_of_one_cell_runs_that_cells_grid(cell):
    grid = report.check_grid(cell=cell)
    assert grid.cases == GRIDS[cell] == grid.gradcheck
    assert grid.trajectories == [(r, c) for r, c in TRAJECTORY_GRID if Case.parse(c).cell == cell]
    everything = report.check_grid()
    assert everything.cases == GRID and everything.trajectories == TRAJECTORY_GRID


@pytest.mark.parametrize("cell", CELLS)
def test_pytests_sample_still_meets_every_option(cell):
    """gradcheck samples the gated grids (the full grid is `rnn-parity check`'s): the sample keeps every option,
    and the Trainer's sample holds an SGD and an Adam recipe and truncated BPTT on every cell."""
    mine = [c for c in GRADCHECK_SAMPLE if Case.parse(c).cell == cell]
    _covers_every_option(mine, {1, 3}, cell=cell)
    if cell == "rnn":
        assert mine == GRIDS["rnn"]
    recipes = {RECIPES[r] for r, c in TRAINER_SAMPLE if Case.parse(c).cell == cell}
    assert {r.optimizer for r in recipes} == {"SGD", "Adam"} and any(r.tbptt for r in recipes)


def test_an_unknown_cell_is_refused():
    with pytest.raises(ValueError, match=r"cell must be one of \('rnn', 'lstm', 'gru', 'all'\), got 'lsmt'"):
        report.check_grid(cell="lsmt")


def test_gated_ids_read_as_their_spec():
    c = Case.parse("L2-bi-lstm-all-h0-P2")
    assert (c.cell, c.proj_size, c.nonlinearity, c.num_layers, c.h0) == ("lstm", 2, "tanh", 2, True)
    assert c.config.cell == "lstm" and c.config.proj_size == 2 and c.id == "L2-bi-lstm-all-h0-P2"
    g = Case.parse("L1-uni-gru-last-torchbias")
    assert (g.cell, g.proj_size, g.bias) == ("gru", 0, "torch") and g.config.gates == 3
    assert Case.parse("L1-uni-tanh-last").cell == "rnn"  # the Elman ids keep their meaning


@pytest.mark.parametrize("bad, says", [("L1-uni-relu-lstm-last", "nonlinearity .'relu'. belongs to the rnn cell"),
                                       ("L1-uni-gru-last-P2", "proj_size applies to cell='lstm' only"),
                                       ("L1-uni-tanh-last-P1", "proj_size applies to cell='lstm' only"),
                                       ("L1-uni-lstm-last-P4", "proj_size must be smaller than hidden_size=4")])
def test_bad_gated_ids_are_refused(bad, says):
    with pytest.raises(ValueError, match=says):
        Case.parse(bad)


def test_an_lstm_case_draws_its_state_as_the_pair():
    s = setup("L2-bi-lstm-all-short-h0-bf-P2")
    (h0, c0), (dh, dc) = s.h0, s.dh_n
    assert h0.shape == dh.shape == (4, 3, 2) and c0.shape == dc.shape == (4, 3, 4)
    zh, zc = s.zeros_h0()
    assert (zh.shape, zc.shape) == (h0.shape, c0.shape) and not zh.any() and not zc.any()
    assert setup("L1-uni-gru-all-ids-h0-torchbias").h0.shape == (1, 3, 4)


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
    for c in GRID + QUICK_GRID + [c for _, c in TRAJECTORY_GRID]:
        assert Case.parse(c).id == c


def test_the_strategy_draws_every_cell():
    """The hypothesis-drawn cases reach the LSTM with a projection, the GRU and the RNN (no shrinking: any will do)."""
    from hypothesis import Phase, find

    quick = settings(max_examples=500, database=None, phases=[Phase.generate])
    for cell in ("lstm", "gru", "rnn"):
        found = find(cases(), lambda c, cell=cell: c.cell == cell and (cell != "lstm" or c.proj_size > 0),
                     settings=quick)
        assert found.config.cell == cell
