"""Training trajectories in lockstep: both sides start from the same weights and take the same steps;
the loss and every parameter are compared after every step (torch.optim.SGD / Adam with foreach=False,
i.e. the single-tensor implementations).

Recipes (rnn_parity.parity.RECIPES): SGD plain, momentum, nesterov, dampening, weight decay; Adam with
and without amsgrad and weight decay; value or norm clipping, active; the seeds' protocol (per-example
SGD, lr 2e-2, clip to [-1, 1]); truncated BPTT carrying h_n (an LSTM's pair (h_n, c_n)) into the next chunk's h0. Every recipe runs on
each cell (the RNN, the LSTM, the GRU). The NumPy side is reference.train_step, and again reference.Trainer
(on the sample of parity_tests/sample.py; `rnn-parity check` runs the full grid).
"""
import pytest

from rnn_parity.parity import RECIPES, TRAJECTORY_GRID, check_trajectory, setup
from rnn_parity.parity import assert_parity

from .sample import TRAINER_SAMPLE


@pytest.mark.parametrize("recipe, case", TRAJECTORY_GRID, ids=[f"{r}-on-{c}" for r, c in TRAJECTORY_GRID])
def test_trajectory(recipe, case, device):
    assert_parity(check_trajectory(setup(case, device), recipe))


@pytest.mark.parametrize("recipe, case", TRAINER_SAMPLE, ids=[f"{r}-on-{c}" for r, c in TRAINER_SAMPLE])
def test_trajectory_of_the_trainer(recipe, case, device):
    """reference.Trainer (flat buffers, one-layer fast path) against torch directly, not only via train_step."""
    assert_parity(check_trajectory(setup(case, device), recipe, numpy_side="Trainer"))


def test_every_recipe_is_on_the_grid():
    assert {r for r, _ in TRAJECTORY_GRID} == set(RECIPES)
    assert all(r.steps >= 50 for r in RECIPES.values())


def test_the_torch_step_screens_before_clipping_and_names_the_gradient():
    """torch_impl.train.train_step refuses a NaN gradient (reference names) before clip_grad_value_ hides it."""
    import numpy as np
    import torch

    from rnn_parity.parity import setup as make_setup
    from rnn_parity.torch_impl.train import train_step

    numbers = make_setup("L1-uni-tanh-last")
    model = numbers.model()
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    model.rnn.weight_hh_l0.register_hook(lambda g: g.index_put((torch.tensor(1), torch.tensor(2)),
                                                               torch.tensor(float("nan"), dtype=g.dtype)))
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match=r"gradient 'Whh' holds nan at index \(1, 2\)"):
        train_step(model, optimizer, numbers.tensor(numbers.x), numbers.targets, clip_value=1.0)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert np.isfinite(numbers.params["Whh"]).all()


def test_torch_threads_sets_and_restores():
    import torch

    from rnn_parity.torch_impl.threads import torch_threads

    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
