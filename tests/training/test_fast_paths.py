"""The engine's fast paths keep the lockstep's numbers and reports: whole epochs per runner, torch's gradient
screen only in a replay beside NumPy, the replay's restore bit for bit."""
import warnings
from dataclasses import replace

import numpy as np
import pytest
import torch

from rnn_parity import training
from rnn_parity.training.runners import run_epoch


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny models: one intra-op thread is fastest (see torch_impl.threads)."""
    from rnn_parity.torch_impl.threads import torch_threads

    with torch_threads(1):
        yield


def quiet(**kw):
    return dict(progress=False, log=lambda line: None, **kw)


def small(name, n_train, n_test=None):
    task = training.load_task(name)
    return replace(task, train=task.train[:n_train], test=task.test[:n_test if n_test is not None else n_train])


def test_epochs_per_runner_equal_the_step_interleaved_loop_bit_for_bit():
    task, epochs, seed = small("sentiment", 12, 4), 3, 5
    result = training.train(task, framework="both", epochs=epochs, seed=seed, control=True, **quiet())
    # The same run by hand, interleaved at every step as the engine once ran it.
    config = task.config()
    params0 = training.init_task_params(config, task.defaults.init, seed=seed)
    args = (task.defaults.lr, task.defaults.clip_value, None)
    numpy_r, torch_r = training.NumpyRunner(params0.copy(), *args), training.TorchRunner(params0.copy(), *args)
    items = [r.prepare(task.train) for r in (numpy_r, torch_r)]
    rng = np.random.default_rng([seed, 1])
    for epoch in range(epochs):
        tallies = {"numpy": [0.0, 0, 0], "torch": [0.0, 0, 0]}
        for i in rng.permutation(len(task.train)):
            for fw, runner, item in (("numpy", numpy_r, items[0][i]), ("torch", torch_r, items[1][i])):
                loss, logits = runner.step(item)
                logits = np.asarray(logits).reshape(-1, config.output_size)
                tally = tallies[fw]
                tally[0] += loss
                tally[1] += int(logits.argmax(-1)[0] == int(task.train[i].y))
                tally[2] += 1
        for fw, (loss, hits, count) in tallies.items():
            assert result.history.train[fw][epoch] == training.Metrics(loss / count, hits / count), (fw, epoch)
    for fw, runner in (("numpy", numpy_r), ("torch", torch_r)):
        mine, theirs = result.params[fw], runner.numpy_params()
        assert all(mine[k].tobytes() == theirs[k].tobytes() for k in mine), fw
    assert result.final_param_diff == torch_r.max_abs_diff(numpy_r.params)


def test_torch_screens_every_step_only_when_it_trains_alone(monkeypatch):
    seen = []
    real_init = training.TorchRunner.__init__

    def init(self, *args, **kw):
        real_init(self, *args, **kw)
        seen.append(self.screens_every_step)
    monkeypatch.setattr(training.TorchRunner, "__init__", init)
    task = small("sentiment", 4)
    training.train(task, framework="torch", epochs=1, **quiet())
    training.train(task, framework="both", epochs=1, **quiet())
    assert seen == [True, False]


def poison_torch_at(monkeypatch, step: int, value: float):
    """The gradient of Whh[1, 2] becomes `value` whenever torch trains the example at `step` of epoch 1
    (the same example again in a replay of that epoch)."""
    real_epoch, real_step = training.TorchRunner.epoch, training.TorchRunner.step
    state = {"epoch": 0, "bad": None, "now": None}

    def epoch(self, items, order, keep_going=False):
        if state["bad"] is None:
            state["bad"] = items[order[step - 1]]
        return real_epoch(self, items, order, keep_going)

    def step_(self, item):
        if not hasattr(self, "_poison_hooked"):
            self._poison_hooked = True

            def hook(grad):
                if state["now"] is state["bad"]:
                    grad = grad.clone()
                    grad[1, 2] = value
                return grad
            self.model.rnn.weight_hh_l0.register_hook(hook)
        state["now"] = item
        return real_step(self, item)
    monkeypatch.setattr(training.TorchRunner, "epoch", epoch)
    monkeypatch.setattr(training.TorchRunner, "step", step_)


@pytest.mark.parametrize("clip", ["seed", None], ids=["clip 1", "no clip"])
def test_a_nonfinite_torch_gradient_beside_numpy_is_found_by_the_replay(monkeypatch, clip):
    poison_torch_at(monkeypatch, 5, float("nan"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(training.TrainingDiverged) as e:
            training.train("sentiment", framework="both", epochs=2, hidden=8, clip=clip, **quiet())
    message = str(e.value)
    assert "epoch 1 (torch, step 5 of 58)" in message, message
    assert "gradient 'Whh' holds nan at index (1, 2)" in message, message
    assert e.value.kept_epoch == 0
    start = training.init_task_params(training.load_task("sentiment").config(8), "sentiment", seed=0)
    for fw in ("numpy", "torch"):
        assert all(e.value.params[fw][k].tobytes() == start[k].tobytes() for k in start)


def refuse_at(monkeypatch, runner_cls, step: int):
    """runner_cls refuses the example at `step` of every epoch (deterministic, so replays refuse it too)."""
    real_epoch, real_step = runner_cls.epoch, runner_cls.step
    bad = {}

    def epoch(self, items, order, keep_going=False):
        bad[id(self)] = items[order[step - 1]]
        return real_epoch(self, items, order, keep_going)

    def step_(self, item):
        if item is bad.get(id(self)):
            raise training.StepRefused(f"refused by the test ({self.name})")
        return real_step(self, item)
    monkeypatch.setattr(runner_cls, "epoch", epoch)
    monkeypatch.setattr(runner_cls, "step", step_)


@pytest.mark.parametrize("numpy_step, torch_step, reported", [
    (5, 3, "torch, step 3"),  # the earliest step wins, whichever runner ran its epoch first
    (3, 5, "numpy, step 3"),
    (4, 4, "numpy, step 4"),  # within one step NumPy steps first
])
def test_a_refusal_is_reported_as_the_interleaved_loop_met_it(monkeypatch, numpy_step, torch_step, reported):
    refuse_at(monkeypatch, training.NumpyRunner, numpy_step)
    refuse_at(monkeypatch, training.TorchRunner, torch_step)
    with pytest.raises(training.TrainingDiverged, match=rf"epoch 1 \({reported} of 6\): refused by the test"):
        training.train(small("sentiment", 6), framework="both", epochs=1, **quiet())


def test_restore_puts_back_a_snapshot_bit_for_bit():
    task = small("sentiment", 6)
    params = training.init_task_params(task.config(), "sentiment", seed=1)
    runner = training.TorchRunner(params, 0.5, 1.0, None)
    items = runner.prepare(task.train)
    before = runner.snapshot()
    run_epoch(runner.step, items, range(6))
    assert any(runner.snapshot()[k].tobytes() != before[k].tobytes() for k in before)
    runner.restore(before)
    after = runner.snapshot()
    assert all(after[k].tobytes() == before[k].tobytes() for k in before)


def test_restore_refuses_an_optimizer_with_state():
    task = small("sentiment", 2)
    runner = training.TorchRunner(training.init_task_params(task.config(), "sentiment"), 0.1, 1.0, None)
    momentum = torch.optim.SGD(runner.optimizer.param_groups[0]["params"], lr=0.1, momentum=0.9)
    runner.optimizer = runner.trainer.optimizer = momentum
    run_epoch(runner.step, runner.prepare(task.train), range(2))
    with pytest.raises(RuntimeError, match="keeps state"):
        runner.restore(runner.snapshot())


def test_the_control_run_goes_on_past_its_own_refused_steps(monkeypatch):
    # keep_going: a refused step of the control is skipped, the rest of its epoch still trains
    calls = []

    def step(item):
        calls.append(item)
        if item == 2:
            raise training.StepRefused("no")
        return 1.0, f"logits {item}"
    assert run_epoch(step, [0, 1, 2, 3], [3, 2, 1, 0], keep_going=True) == (3.0, [(3, "logits 3"), (1, "logits 1"),
                                                                                (0, "logits 0")])
    assert calls == [3, 2, 1, 0]
    with pytest.raises(training.StepRefused) as e:
        run_epoch(step, [0, 1, 2, 3], [3, 2, 1, 0])
    assert e.value.step == 2
