"""NaN and Inf: in inputs, weights and gradients, forward and training stop with a message naming where the
first non-finite value appeared, and training keeps (and says where it put) the last good weights."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import torch

from rnn_parity.errors import RNNParityError
from rnn_parity.reference import SGD, RNNConfig, clip_norm, clip_value, forward, init_params, train_step
from rnn_parity.torch_impl import load_weights, save_weights, to_state_dict, to_torch

from .conftest import assert_one_line_error, assert_one_line_message

CONFIG = RNNConfig(3, 4, 2, num_layers=2)


def forward_error(params, x, **kw) -> ValueError:
    with pytest.raises(ValueError) as e:
        forward(params, x, **kw)
    return e.value


@pytest.fixture
def params():
    return init_params(CONFIG, seed=0)


def x_dense():
    return np.random.default_rng(1).standard_normal((5, 2, 3))


# --- forward names where the value first appeared ------------------------------------------------------------

@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nonfinite_input_is_named_with_its_index(params, value):
    x = x_dense()
    x[3, 1, 2] = value
    assert_one_line_message(forward_error(params, x), f"x holds {value} at index (3, 1, 2)")


def test_nonfinite_h0_is_named(params):
    h0 = np.zeros((2, 2, 4))
    h0[1, 0, 3] = np.nan
    assert_one_line_message(forward_error(params, x_dense(), h0=h0), "h0 holds nan at index (1, 0, 3)")


@pytest.mark.parametrize("name", ["Wxh", "Whh_l1", "bh_l1", "Why", "by"])
def test_nonfinite_weight_is_named_before_the_input(params, name):
    params[name].flat[-1] = np.inf
    x = x_dense()
    x[0, 0, 0] = np.nan  # a bad weight is reported first: it is where the trouble starts
    where = tuple(int(i) for i in np.unravel_index(params[name].size - 1, params[name].shape))
    assert_one_line_message(forward_error(params, x), f"params[{name!r}] holds inf at index {where}")


def test_overflow_inside_a_layer_names_the_layer():
    p = init_params(RNNConfig(3, 4, 2, num_layers=2, nonlinearity="relu"), seed=0)
    p["Wxh"][:] = 1e200
    p["Wxh_l1"][:] = 1e200  # layer 0 is finite (~1e200), layer 1 overflows (~1e400)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        e = forward_error(p, np.ones((5, 2, 3)))
    assert_one_line_message(e, "layer 1 overflowed", "(t, b, unit) = (0, 0, 0)")


def test_overflow_in_the_head_is_named():
    p = init_params(RNNConfig(3, 4, 2), seed=0)
    p["Wxh"][:], p["Whh"][:], p["Why"][:] = 1.0, 0.0, 1e308  # h = tanh(15) ~ 1 in every unit: 4e308
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        e = forward_error(p, np.full((5, 2, 3), 5.0))
    assert_one_line_message(e, "the head produced a non-finite logit")


def test_nonfinite_forward_emits_no_runtime_warning(params):
    params["Whh"][0, 0] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        e = forward_error(params, x_dense())
    assert_one_line_message(e, "params['Whh'] holds inf")


# --- gradients -----------------------------------------------------------------------------------------------

def nonfinite_grads(params, value):
    grads = params.like({k: np.zeros_like(v) for k, v in params.items()})
    grads["Whh_l1"][2, 1] = value
    return grads


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_clipping_refuses_nonfinite_gradients_when_asked(params, value):
    grads = nonfinite_grads(params, value)
    for clip in (lambda g: clip_value(g, 1.0, error_if_nonfinite=True),
                 lambda g: clip_norm(g, 1.0, error_if_nonfinite=True)):
        with pytest.raises(ValueError) as e:
            clip(grads)
        assert_one_line_message(e.value, f"gradient 'Whh_l1' holds {value} at index (2, 1)")


def overflowing_gradient_case():
    """Forward and loss are finite, but dWhy = sum_b dlogits_b h_b overflows: h ~ 1e308 in 4 batch elements."""
    p = init_params(RNNConfig(1, 1, 2, nonlinearity="relu"), seed=0)
    p["Wxh"][:], p["Whh"][:], p["bh"][:], p["Why"][:], p["by"][:] = 1e308, 0.0, 0.0, 1e-10, 0.0
    return p, np.ones((1, 4, 1)), np.zeros(4, dtype=np.int64)


@pytest.mark.parametrize("clip", [None, 1.0], ids=["no clip", "clip 1"])
def test_train_step_refuses_an_overflowing_gradient_and_keeps_the_params(clip):
    p, x, y = overflowing_gradient_case()
    before = p.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError) as e:
            train_step(p, SGD(p, lr=0.1), x, y, clip_value=clip)
    assert_one_line_message(e.value, "'Why'")
    for k in before:
        np.testing.assert_array_equal(p[k], before[k])


# --- weights: never converted, saved or loaded non-finite ----------------------------------------------------

def test_nonfinite_weights_are_never_converted_or_saved(params, tmp_path):
    params["bh_l1"][1] = np.nan
    for action in (lambda: to_torch(params), lambda: save_weights(params, tmp_path / "w.pt")):
        with pytest.raises(ValueError) as e:
            action()
        assert_one_line_message(e.value, "'bh_l1' holds NaN/Inf (1 of 4 values)")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".pt", ".npz"])
def test_a_weight_file_holding_nan_is_refused_on_load(params, tmp_path, suffix):
    path = tmp_path / f"w{suffix}"
    if suffix == ".pt":
        sd = to_state_dict(params)
        sd["rnn.weight_hh_l1"][0, 0] = float("nan")
        torch.save({"state_dict": sd, "config": CONFIG.to_dict()}, path)
        key = "rnn.weight_hh_l1"
    else:
        import json
        arrays = dict(params)
        arrays["Whh_l1"] = arrays["Whh_l1"].copy()
        arrays["Whh_l1"][0, 0] = np.inf
        np.savez(path, **arrays, __config__=np.array(json.dumps(CONFIG.to_dict())))
        key = "Whh_l1"
    with pytest.raises(ValueError) as e:
        load_weights(path)
    assert_one_line_message(e.value, path.name, f"{key!r} holds NaN/Inf (1 of 16 values)")


# --- training: stop, name where, keep the last good weights --------------------------------------------------

WEIGHT_PATH = re.compile(r"([^\s'\"(),;]+\.(?:npz|pt|safetensors))")


def named_weight_files(line: str) -> list[str]:
    return WEIGHT_PATH.findall(line)


@pytest.mark.parametrize("framework", ["numpy", "torch", "both"])
def test_training_divergence_keeps_the_last_good_weights(cli, tmp_path, framework):
    # lr 1e307 without clipping: one step makes Why ~1e307 and the next logits overflow to inf
    save = tmp_path / "w.npz"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, out, err = cli("train", "sentiment", "--framework", framework, "--epochs", "3", "--lr", "1e307",
                             "--clip", "none", "--hidden", "8", "--no-progress", "--save", save)
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)], "numpy/torch warnings leaked"
    line = assert_one_line_error(code, err, "epoch 1")
    first = "numpy" if framework in ("numpy", "both") else "torch"
    assert first in line
    assert re.search(r"logit|loss|Why|by|gradient|overflow", line), line
    paths = named_weight_files(line)
    assert paths, f"the message names no weight file: {line}"
    kept = load_weights(paths[0])
    assert all(np.isfinite(v).all() for v in kept.values())
    assert kept.config.hidden_size == 8


def test_training_divergence_api_carries_the_last_good_weights():
    from rnn_parity import training

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(RNNParityError) as e:
            training.train("sentiment", framework="both", epochs=3, hidden=8, lr=1e307, clip=None,
                           progress=False, log=lambda line: None)
    assert_one_line_message(e.value, "epoch 1", "numpy")
    last_good = getattr(e.value, "params", None)
    assert last_good, "the error should carry the last good weights (.params, per framework)"
    for params in last_good.values():
        assert all(np.isfinite(v).all() for v in params.values())


# --- training: a non-finite gradient stops the run even when clipping would hide it ----------------------------

def quiet_run(framework, **kw):
    from rnn_parity import training

    settings = dict(framework=framework, epochs=2, hidden=8, seed=0, progress=False, log=lambda line: None)
    settings.update(kw)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(RNNParityError) as e:
            training.train("sentiment", **settings)
    return e.value


def assert_kept_initial_weights(error, framework):
    from rnn_parity import training

    assert error.kept_epoch == 0
    init = init_params(training.load_task("sentiment").config(hidden=8), seed=0, scheme="sentiment")
    for k, v in error.params[framework].items():
        assert v.tobytes() == init[k].tobytes(), f"{k}: the kept weights are not the last good ones"


def poison_after(calls: int):
    """A counter that says when the `calls`-th call has come."""
    count = {"n": 0}

    def due():
        count["n"] += 1
        return count["n"] == calls
    return due


@pytest.mark.parametrize("clip", ["seed", None], ids=["clip 1 (would hide an inf)", "no clip"])
def test_numpy_training_stops_at_the_first_nonfinite_gradient(monkeypatch, clip):
    from rnn_parity.reference import fused

    # The NumPy runner trains with reference.Trainer, whose one-layer forward + BPTT is fused.single_layer_grads.
    due, real_grads = poison_after(5), fused.single_layer_grads

    def single_layer_grads(params, grads, *args, **kw):
        out = real_grads(params, grads, *args, **kw)
        if due():
            grads["Whh"][1, 2] = np.inf
        return out
    monkeypatch.setattr(fused, "single_layer_grads", single_layer_grads)
    error = quiet_run("numpy", clip=clip)
    assert_one_line_message(error, "epoch 1", "numpy", "step 5 of", "gradient 'Whh' holds inf at index (1, 2)")
    assert_kept_initial_weights(error, "numpy")


@pytest.mark.parametrize("clip", ["seed", None], ids=["clip 1 (would hide an inf)", "no clip"])
def test_torch_training_stops_at_the_first_nonfinite_gradient(monkeypatch, clip):
    from rnn_parity import training

    due, real_init = poison_after(5), training.TorchRunner.__init__

    def init(self, *args, **kw):
        real_init(self, *args, **kw)

        def hook(grad):
            if due():
                grad = grad.clone()
                grad[1, 2] = float("nan")
            return grad
        self.model.rnn.weight_hh_l0.register_hook(hook)
    monkeypatch.setattr(training.TorchRunner, "__init__", init)
    error = quiet_run("torch", clip=clip)
    assert_one_line_message(error, "epoch 1", "torch", "step 5 of", "gradient 'Whh' holds nan at index (1, 2)")
    assert_kept_initial_weights(error, "torch")


def test_torch_training_names_the_weight_that_went_nonfinite(monkeypatch):
    from rnn_parity import training

    due, real_step = poison_after(3), training.TorchRunner.step

    def step(self, item):
        out = real_step(self, item)
        if due():  # as if an update had overflowed
            with torch.no_grad():
                self.model.fc.bias[1] = float("inf")
        return out
    monkeypatch.setattr(training.TorchRunner, "step", step)
    error = quiet_run("torch")
    assert_one_line_message(error, "epoch 1", "torch", "step 4 of", "params['by'] holds inf at index (1,)")
    assert_kept_initial_weights(error, "torch")


def test_training_divergence_never_replaces_an_earlier_file(cli, tmp_path):
    from rnn_parity import training

    save = tmp_path / "model.pt"
    save_weights(init_params(training.load_task("sentiment").config(hidden=8), seed=99), save)
    before = save.read_bytes()
    code, out, err = cli("train", "sentiment", "--framework", "numpy", "--epochs", "3", "--lr", "1e307",
                         "--clip", "none", "--hidden", "8", "--no-progress", "--save", save)
    line = assert_one_line_error(code, err, "diverged in epoch 1", "the initial weights",
                                 f"{save} was left as it was")
    assert save.read_bytes() == before
    kept = tmp_path / "model.last-good.pt"
    assert str(kept) in named_weight_files(line)
    assert all(np.isfinite(v).all() for v in load_weights(kept).values())
