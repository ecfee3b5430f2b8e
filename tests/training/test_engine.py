"""The lockstep engine: NumPy and torch agree step for step; runs are seeded; training lowers the loss."""
from dataclasses import replace

import numpy as np
import pytest

from rnn_parity import training
from rnn_parity.errors import RNNParityError
from rnn_parity.reference import TRAJECTORY_FLOAT64


def quiet(**kw):
    return dict(progress=False, log=lambda line: None, **kw)


def small(name, n_train, n_test=None):
    task = training.load_task(name)
    return replace(task, train=task.train[:n_train], test=task.test[:n_test if n_test is not None else n_train])


def max_diff(a, b):
    assert set(a) == set(b)
    return max(float(np.max(np.abs(a[k] - b[k]))) for k in a)


@pytest.mark.parametrize("name, n_train, epochs", [
    ("sentiment", 58, 3),  # the whole training set, 174 steps
    ("fibonacci", 40, 2),
    ("names", 40, 2),
    ("recurrent", 1, 30),  # nonzero h0, no clipping
])
def test_short_run_both_frameworks_agree(name, n_train, epochs):
    task = small(name, n_train)
    result = training.train(task, framework="both", epochs=epochs, **quiet())
    assert result.config.hidden_size == task.defaults.hidden
    diff = max_diff(result.params["numpy"], result.params["torch"])
    assert diff == result.final_param_diff
    assert diff < TRAJECTORY_FLOAT64 < 1e-8, f"{name}: max |numpy - torch| = {diff:.3e}"
    assert result.history.initial_param_diff == 0.0  # one init, converted bit for bit
    for fw in ("numpy", "torch"):
        assert len(result.history.train[fw]) == epochs
    # the per-epoch numbers agree too
    for a, b in zip(result.history.train["numpy"], result.history.train["torch"]):
        assert a.accuracy == b.accuracy and abs(a.loss - b.loss) < 1e-12


def test_the_torch_side_moved_the_weights():
    task = small("sentiment", 10)
    result = training.train(task, framework="torch", epochs=1, **quiet())
    start = training.init_task_params(task.config(), "sentiment", seed=0)
    assert max_diff(start, result.params["torch"]) > 1e-6


def test_runs_are_deterministic_and_seeded():
    task = small("sentiment", 20, 5)
    a = training.train(task, framework="numpy", epochs=2, seed=3, **quiet())
    b = training.train(task, framework="numpy", epochs=2, seed=3, **quiet())
    c = training.train(task, framework="numpy", epochs=2, seed=4, **quiet())
    assert max_diff(a.params["numpy"], b.params["numpy"]) == 0.0
    assert max_diff(a.params["numpy"], c.params["numpy"]) > 0.0


def test_task_inits_are_the_old_schemes_bit_for_bit():
    """init_task_params draws exactly what init_params(scheme=<task name>) drew before the scales moved here."""
    import warnings

    config = training.load_task("names").config(12)
    for init, scale in training.SEED_INIT_SCALES.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            old = training.init_params(config, seed=2, scheme=init)
        new = training.init_task_params(config, init, seed=2)
        assert all(np.array_equal(old[k], new[k]) for k in old), init
        assert 0.5 * scale < new["Whh"].std() < 1.5 * scale
    torch_init = training.init_task_params(config, "torch", seed=2)
    assert all(np.array_equal(torch_init[k], v) for k, v in training.init_params(config, seed=2).items())


def test_seed_init_scheme_and_task_defaults():
    task = training.load_task("sentiment")
    p = task.defaults
    assert (p.hidden, p.lr, p.clip_value, p.epochs, p.init) == (64, 2e-2, 1.0, 1000, "sentiment")
    params = training.init_task_params(task.config(), p.init, seed=0)
    assert not params["bh"].any() and not params["by"].any()
    assert 0.5e-3 < params["Whh"].std() < 1.5e-3  # randn / 1000
    assert training.load_task("fibonacci").defaults.init == "fibonacci"
    assert training.load_task("names").defaults.init == "dlai"


@pytest.mark.parametrize("name, n_train, epochs, lr", [
    ("recurrent", 1, 40, None),
    ("names", 60, 4, None),
    ("fibonacci", 200, 4, 1e-2),  # the seed's lr 1e-4 needs far more epochs than a test may take
])
def test_training_lowers_the_loss(name, n_train, epochs, lr):
    result = training.train(small(name, n_train), framework="numpy", epochs=epochs, lr=lr, **quiet())
    losses = [m.loss for m in result.history.train["numpy"]]
    assert losses[-1] < losses[0] - 0.05, losses  # nats per symbol


def test_clip_norm_both_frameworks_agree():
    result = training.train(small("sentiment", 20), framework="both", epochs=2, clip=None, clip_norm=0.5,
                            **quiet())
    assert result.final_param_diff < TRAJECTORY_FLOAT64


@pytest.mark.parametrize("kwargs, message", [
    (dict(epochs=-1), "epochs"),
    (dict(epochs=0), "epochs"),
    (dict(lr=-0.1), "learning rate"),
    (dict(clip=0.0), "clip value"),
    (dict(framework="jax"), "framework"),
])
def test_bad_settings(kwargs, message):
    with pytest.raises(RNNParityError, match=message):
        training.train("recurrent", **quiet(**kwargs))


def test_unknown_task():
    with pytest.raises(RNNParityError, match="unknown task 'poetry'"):
        training.load_task("poetry")


def test_divergence_keeps_the_last_good_weights():
    # lr 1e307 without clipping: after one step the weights are ~1e307 and the losses overflow
    with pytest.raises(training.TrainingDiverged, match=r"diverged in epoch 1 \(numpy") as e:
        training.train("sentiment", framework="both", epochs=3, hidden=8, lr=1e307, clip=None, **quiet())
    assert "\n" not in str(e.value) and e.value.kept_epoch == 0
    start = training.init_task_params(training.load_task("sentiment").config(8), "sentiment", seed=0)
    for fw in ("numpy", "torch"):
        assert max_diff(e.value.params[fw], start) == 0.0  # the initial weights: the last good ones


def test_a_nonfinite_loss_stops_before_the_update(monkeypatch):
    task = small("recurrent", 1)
    params = training.init_task_params(task.config(), "dlai", seed=0)
    runner = training.NumpyRunner(params, 0.01, None, None)
    item = runner.prepare(task.train)[0]
    params["bh"][:] = 50.0  # every h_t = tanh(~50) = 1 ...
    params["Why"][0, :] = 1e307  # ... so logit 0 = H * 1e307 overflows, though every weight is finite
    before = params.copy()
    with pytest.raises(training.StepRefused, match="logit|loss"):
        runner.step(item)
    assert max_diff(before, runner.params) == 0.0


def test_ctrl_c_keeps_the_last_completed_epoch(monkeypatch):
    task = small("sentiment", 6, 2)
    calls = {"n": 0}
    real_step = training.NumpyRunner.step

    def step(self, item):
        calls["n"] += 1
        if calls["n"] == 6 * 2 + 3:  # in epoch 3
            raise KeyboardInterrupt
        return real_step(self, item)

    monkeypatch.setattr(training.NumpyRunner, "step", step)
    with pytest.raises(training.TrainingInterrupted) as e:
        training.train(task, framework="numpy", epochs=5, **quiet())
    assert (e.value.epoch, e.value.kept_epoch) == (3, 2)
    assert isinstance(e.value, KeyboardInterrupt)
    expected = training.train(task, framework="numpy", epochs=2, **quiet()).params["numpy"]
    assert max_diff(e.value.params["numpy"], expected) == 0.0
