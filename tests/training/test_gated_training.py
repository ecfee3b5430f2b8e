"""LSTM and GRU through the training engine: NumPy and torch in lockstep, as the RNN; their recipes train."""
from dataclasses import replace

import numpy as np
import pytest

from rnn_parity import training
from rnn_parity.errors import RNNParityError
from rnn_parity.reference import TRAJECTORY_FLOAT64
from rnn_parity.reference.tolerances import TRAJECTORY_FLOAT32

GATES = {"lstm": 4, "gru": 3}


def quiet(**kw):
    return dict(progress=False, log=lambda line: None, **kw)


def small(name, n_train, n_test=None):
    task = training.load_task(name)
    return replace(task, train=task.train[:n_train], test=task.test[:n_test if n_test is not None else n_train])


def max_diff(a, b):
    assert set(a) == set(b)
    return max(float(np.max(np.abs(a[k] - b[k]))) for k in a)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("name, n_train, epochs", [
    ("sentiment", 12, 2),  # many-to-one, clipped
    ("names", 10, 1),  # many-to-many
    ("recurrent", 1, 20),  # a nonzero h0 (the LSTM's: the pair (h0, zeros c0)), no clipping
])
def test_lockstep_agreement(cell, name, n_train, epochs):
    task = small(name, n_train)
    result = training.train(task, framework="both", epochs=epochs, cell=cell, **quiet())
    numpy_params, torch_params = result.params["numpy"], result.params["torch"]
    H = task.defaults.hidden
    # shape: the trained model is the gated cell, in both frameworks
    assert result.config.cell == cell and result.settings["cell"] == cell
    for params in (numpy_params, torch_params):
        assert params["Wxh"].shape == (GATES[cell] * H, len(task.vocab)), cell
        assert params["Whh"].shape == (GATES[cell] * H, H), cell
    # dtype
    assert {p.dtype for p in numpy_params.values()} == {p.dtype for p in torch_params.values()} == {np.dtype("float64")}
    # values: one init, then every step within the trajectory tolerance
    assert result.history.initial_param_diff == 0.0
    diff = max_diff(numpy_params, torch_params)
    assert diff == result.final_param_diff
    assert diff < TRAJECTORY_FLOAT64, f"{cell} {name}: max |numpy - torch| = {diff:.3e}"
    assert max_diff(numpy_params, training.init_task_params(result.config, "torch")) > 1e-4  # it trained
    for a, b in zip(result.history.train["numpy"], result.history.train["torch"]):
        assert a.accuracy == b.accuracy and abs(a.loss - b.loss) < 1e-12


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_lockstep_agreement_float32(cell):
    task = small("sentiment", 12)
    result = training.train(task, framework="both", epochs=3, cell=cell, dtype="float32", **quiet())  # 36 steps
    assert {p.dtype for p in result.params["torch"].values()} == {np.dtype("float32")}
    assert result.final_param_diff < TRAJECTORY_FLOAT32[50], f"{cell}: {result.final_param_diff:.3e}"


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_recipe_trains_the_one_word_task(cell):
    """The gated recipes' lr trains: seed 002's word is learnt, every position right."""
    result = training.train("recurrent", framework="numpy", cell=cell, **quiet())
    recipe = training.load_task("recurrent").recipe(cell)
    assert result.settings["init"] == recipe.init == "torch"
    assert result.settings["lr"] == recipe.lr
    assert result.history.train["numpy"][-1].accuracy == 1.0
    assert result.history.train["numpy"][-1].loss < 0.1 * result.history.initial["numpy"][0].loss


def test_the_rnn_keeps_the_seed_recipe():
    for name in training.TASKS:
        task = training.load_task(name)
        assert task.recipe() is task.recipe("rnn") is task.defaults
        for cell in GATES:
            gated = task.recipe(cell)
            assert (gated.hidden, gated.clip_value, gated.epochs) == (task.defaults.hidden, task.defaults.clip_value,
                                                                     task.defaults.epochs)
            assert gated.init == "torch"


def test_control_run_of_a_gated_cell():
    result = training.train(small("sentiment", 8), framework="numpy", epochs=2, cell="lstm", control=True, **quiet())
    assert result.history.initial_control_diff > 0.0
    assert 0.0 < result.history.control_diff[-1] < 1e-12


def test_lstm_state_is_a_pair_and_the_rnn_state_is_unchanged():
    task = training.load_task("recurrent")
    h_rnn = training.task_h0(task, task.config(), seed=4)
    h, c = training.task_h0(task, task.config(cell="lstm"), seed=4)
    assert h.shape == c.shape == h_rnn.shape == (1, 1, task.defaults.hidden)
    assert np.array_equal(h, h_rnn) and not c.any()  # the same drawn h0, a zero cell state
    assert training.task_h0(task, task.config(cell="lstm"), seed=4, dtype="float32")[1].dtype == np.float32
    h3, c3 = training.repeat_state((h, c), 3)
    assert h3.shape == c3.shape == (1, 3, task.defaults.hidden)


def test_unknown_cell_is_refused():
    with pytest.raises(RNNParityError, match="unknown cell 'lstmm'; choose one of rnn, lstm, gru"):
        training.train("recurrent", framework="numpy", epochs=1, cell="lstmm", **quiet())
