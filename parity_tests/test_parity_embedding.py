"""The embedding (RNNConfig.vocab_size) where the grid cannot say it.

The grid's "-emb" cases (rnn_parity.parity.GRID, TRAJECTORY_GRID) already hold forward, every gradient
with the table's E, clipping, 50-step trajectories (train_step and the Trainer) and gradcheck against
nn.Embedding + nn.RNN. Here: one id repeated everywhere (the scatter-add's sum lands in one row), the
table trains only the rows looked up, and gradcheck has a row for E.
"""
import numpy as np

from rnn_parity.parity import assert_parity, parity, setup, vjp_numpy, vjp_torch
from rnn_parity.reference import SGD, gradcheck, train_step

CASE = "L2-bi-relu-all-emb-lengths-h0-bf-torchbias"


def test_one_id_everywhere_collects_every_position_in_its_row():
    s = setup(CASE)
    s.x[:] = 2  # all T * B positions look up row 2: plain fancy-index assignment would keep one of them
    mine = vjp_numpy(s)
    assert np.flatnonzero(mine["grad E"].any(axis=1)).tolist() == [2]
    assert_parity(parity("vjp", mine, vjp_torch(s), "grad", s.dtypes))


def test_the_table_trains_the_rows_looked_up_only():
    s = setup(CASE)
    s.x[s.x == 4] = 0  # row 4 is never looked up
    params = s.params.copy()
    train_step(params, SGD(params, lr=0.1), s.x, s.targets, s.h0, s.lengths)
    moved = np.flatnonzero((params["E"] != s.params["E"]).any(axis=1)).tolist()
    assert moved == sorted(set(np.unique(s.x).tolist()))
    assert s.model().embedding.weight.requires_grad  # and torch's table trains too (the trajectories compare it)


def test_gradcheck_has_a_row_for_the_table():
    s = setup(CASE)
    rows = {r.name: r for r in gradcheck(s.params, s.x, s.targets, s.h0, s.lengths)}
    assert set(rows) == set(s.params) | {"h0"} and rows["E"].passed
