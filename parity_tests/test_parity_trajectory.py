"""Training trajectories in lockstep: both sides start from the same weights and take the same steps;
the loss and every parameter are compared after every step (torch.optim.SGD / Adam with foreach=False,
i.e. the single-tensor implementations).

Recipes (rnn_parity.parity.RECIPES): SGD plain, momentum, nesterov, dampening, weight decay; Adam with
and without amsgrad and weight decay; value or norm clipping, active; the seeds' protocol (per-example
SGD, lr 2e-2, clip to [-1, 1]); truncated BPTT carrying h_n into the next chunk's h0. The NumPy side is
reference.train_step, and again reference.Trainer.
"""
import pytest

from rnn_parity.parity import RECIPES, TRAJECTORY_GRID, check_trajectory, setup
from rnn_parity.parity import assert_parity


@pytest.mark.parametrize("recipe, case", TRAJECTORY_GRID, ids=[f"{r}-on-{c}" for r, c in TRAJECTORY_GRID])
def test_trajectory(recipe, case, device):
    assert_parity(check_trajectory(setup(case, device), recipe))


@pytest.mark.parametrize("recipe, case", TRAJECTORY_GRID, ids=[f"{r}-on-{c}" for r, c in TRAJECTORY_GRID])
def test_trajectory_of_the_trainer(recipe, case, device):
    """reference.Trainer (flat buffers, one-layer fast path) against torch directly, not only via train_step."""
    assert_parity(check_trajectory(setup(case, device), recipe, numpy_side="Trainer"))


def test_every_recipe_is_on_the_grid():
    assert {r for r, _ in TRAJECTORY_GRID} == set(RECIPES)
    assert all(r.steps >= 50 for r in RECIPES.values())
