"""What pytest runs of the costly protocols: the suite samples the grid, `rnn-parity check` runs all of it.

forward, vjp, loss and clipping are cheap and run on every case of every cell (rnn_parity.parity.GRID).
The finite-difference gradcheck and the Trainer's trajectories cost more: pytest keeps the Elman RNN's
grid whole, as it always ran, and for the gated cells a fixed sample that still meets every option
(test_grid.py checks that). The full grid of every cell: `rnn-parity check` (or `--cell lstm|gru`).
"""
from rnn_parity.parity import TRAJECTORY_GRID, Case
from rnn_parity.parity.cases import GRIDS


def _cheap(case_id: str) -> bool:
    """A gated case without both several layers and two directions: those cost gradcheck ten times the rest."""
    c = Case.parse(case_id)
    return c.cell == "rnn" or not (c.num_layers > 1 and c.bidirectional)


GRADCHECK_SAMPLE = [c for grid in GRIDS.values() for c in grid if _cheap(c)]

# The Trainer's general path (every gated config takes it) against torch: SGD with nesterov and weight decay,
# Adam with amsgrad and weight decay, and truncated BPTT, on each gated cell; the Elman RNN's grid whole.
TRAINER_RECIPES = ("sgd-nesterov-wd-clipvalue", "adam-amsgrad-wd-clipvalue", "tbptt-adam-clipvalue")
TRAINER_SAMPLE = [(r, c) for r, c in TRAJECTORY_GRID if Case.parse(c).cell == "rnn" or r in TRAINER_RECIPES]
