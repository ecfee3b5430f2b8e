"""Trainer is train_step with fewer NumPy calls: the same numbers bit for bit, the same errors, and the
flat buffers never let a replaced array or a stale optimizer go unnoticed."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_parity.reference import SGD, Adam, RNNConfig, Trainer, init_params, train_step

OPTIMIZERS = {
    "sgd": lambda p: SGD(p, lr=0.1),
    "sgd momentum nesterov wd": lambda p: SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "sgd dampening": lambda p: SGD(p, lr=0.05, momentum=0.5, dampening=0.3),
    "adam amsgrad wd": lambda p: Adam(p, lr=0.01, amsgrad=True, weight_decay=0.01),
}

# (id, RNNConfig options, input kind, B, optimizer, clip_value, clip_norm, dtype, h0 given, lengths given)
CASES = [
    ("many-to-one ids B1 sgd clip-value", {}, "ids", 1, "sgd", 1.0, None, "float64", False, False),
    ("many-to-one ids B3 h0 clip-norm", {}, "ids", 3, "sgd momentum nesterov wd", None, 0.5, "float64", True, False),
    ("many-to-many ids torch-bias adam", {"output": "all", "bias": "torch"}, "ids", 2, "adam amsgrad wd", 0.3, None,
     "float64", False, False),
    ("many-to-many dense batch-first relu", {"output": "all", "batch_first": True, "nonlinearity": "relu"}, "dense", 3,
     "sgd dampening", 0.5, 1.0, "float64", True, False),
    ("many-to-one dense no-bias float32", {"bias": "none"}, "dense", 2, "adam amsgrad wd", None, None, "float32",
     False, False),
    ("many-to-one ids relu batch-first float32", {"nonlinearity": "relu", "batch_first": True}, "ids", 1, "sgd", 0.1,
     None, "float32", True, False),
    # The general path (model.forward/backward into the flat buffer): layers, directions, lengths.
    ("two layers bidirectional (general path)", {"num_layers": 2, "bidirectional": True}, "ids", 2, "sgd", 1.0, 1.0,
     "float64", True, False),
    ("lengths (general path)", {"output": "all"}, "dense", 3, "adam amsgrad wd", 0.5, None, "float64", False, True),
]


def example(rng, config: RNNConfig, kind: str, B: int, T: int, dtype: str, h0: bool, lengths: bool):
    shape = (B, T) if config.batch_first else (T, B)
    x = rng.integers(0, config.input_size, shape) if kind == "ids" else rng.standard_normal(shape + (config.input_size,)).astype(dtype)
    y = rng.integers(0, config.output_size, (B,) if config.output == "last" else shape)
    dirs = config.num_layers * config.num_directions
    h = rng.standard_normal((dirs, B, config.hidden_size)).astype(dtype) if h0 else None
    n = rng.integers(1, T + 1, B) if lengths else None
    return x, y, h, n


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_trainer_steps_are_bit_identical_to_train_step(case):
    _, options, kind, B, optimizer, clip_value, clip_norm, dtype, h0, lengths = case
    config = RNNConfig(input_size=5, hidden_size=7, output_size=4, **options)
    expected = init_params(config, seed=1, dtype=dtype, scheme="torch")
    actual = expected.copy()
    expected_optimizer = OPTIMIZERS[optimizer](expected)
    trainer = Trainer(actual, OPTIMIZERS[optimizer](actual), clip_value=clip_value, clip_norm=clip_norm)
    rng = np.random.default_rng(2)
    for step in range(6):
        x, y, h, n = example(rng, config, kind, B, 1 + step % 4, dtype, h0, lengths)
        loss_e, grads_e, hn_e = train_step(expected, expected_optimizer, x, y, h0=h, lengths=n,
                                           clip_value=clip_value, clip_norm=clip_norm)
        if step % 2:  # every other step through prepare: checked once, read-only copies
            loss_a, grads_a, hn_a = trainer.step(trainer.prepare(x, y), h0=h, lengths=n)
        else:
            loss_a, grads_a, hn_a = trainer.step(x, y, h0=h, lengths=n)
        where = f"step {step}"
        assert loss_a == loss_e, f"{where}: loss {loss_a!r} != {loss_e!r}"
        np.testing.assert_array_equal(hn_a, hn_e, err_msg=f"{where}: h_n")
        assert list(grads_a) == list(grads_e), f"{where}: gradient names or order"
        for name in expected:
            np.testing.assert_array_equal(grads_a[name], grads_e[name], err_msg=f"{where}: gradient {name}")
            np.testing.assert_array_equal(actual[name], expected[name], err_msg=f"{where}: param {name}")
            assert actual[name].dtype == expected[name].dtype


def sentiment_like():
    config = RNNConfig(input_size=6, hidden_size=8, output_size=2)
    params = init_params(config, seed=0, scheme="randn", scale=1e-3)
    return config, params


def test_params_become_views_of_one_buffer_with_their_values():
    _, params = sentiment_like()
    before = params.copy()
    trainer = Trainer(params, SGD(params, lr=0.1))
    for name, value in params.items():
        np.testing.assert_array_equal(value, before[name])
        assert np.shares_memory(value, trainer.flat_params), name
    trainer.step(np.array([[1], [2]]), np.array([1]))
    assert any(not np.array_equal(params[n], before[n]) for n in params), "params do not show the update"


def test_replacing_a_param_after_building_is_refused_at_the_next_step():
    _, params = sentiment_like()
    trainer = Trainer(params, SGD(params, lr=0.1))
    params["Whh"] = params["Whh"].copy()
    with pytest.raises(ValueError, match=r"params\['Whh'\] was replaced.*params\['Whh'\]\[\.\.\.\] = new"):
        trainer.step(np.array([[1]]), np.array([0]))


def test_the_optimizer_must_be_fresh_and_over_the_same_params():
    _, params = sentiment_like()
    used = SGD(params, lr=0.1, momentum=0.9)
    train_step(params, used, np.array([[1]]), np.array([0]))
    with pytest.raises(ValueError, match="already taken steps"):
        Trainer(params, used)
    with pytest.raises(ValueError, match="different params"):
        Trainer(params, SGD(params.copy(), lr=0.1))
    with pytest.raises(ValueError, match="clip_value must be > 0"):
        Trainer(params, SGD(params, lr=0.1), clip_value=0.0)
    with pytest.raises(ValueError, match="reduction must be one of"):
        Trainer(params, SGD(params, lr=0.1), reduction="avg")
    driven = SGD(params, lr=0.1)
    Trainer(params, driven)
    assert driven.driver == "Trainer"
    with pytest.raises(ValueError, match="already driven by a Trainer"):
        Trainer(params, driven)


def test_an_optimizer_driven_by_a_trainer_refuses_its_own_step():
    _, params = sentiment_like()
    optimizer = SGD(params, lr=0.1)
    trainer = Trainer(params, optimizer)
    _, grads, _ = trainer.step(np.array([[1]]), np.array([0]))
    with pytest.raises(ValueError, match="driven by a Trainer"):
        optimizer.step(grads)


@pytest.mark.parametrize("x, y, message", [
    (np.array([[6]]), np.array([0]), r"token id 6 at \(t, b\) = \(0, 0\) is out of range \[0, 6\)"),
    (np.array([[-1]]), np.array([0]), r"token id -1 at \(t, b\) = \(0, 0\) is out of range \[0, 6\)"),
    (np.array([[1]], dtype=np.int8), np.array([-1]), r"targets must lie in \[0, 2\), got min -1 and max -1"),
    (np.array([[1]]), np.array([2], dtype=np.uint8), r"targets must lie in \[0, 2\), got min 2 and max 2"),
    (np.array([1, 2]), np.array([0]), r"must have 2 dims"),
], ids=["id too large", "negative id", "negative target (int8 ids)", "target too large (uint8)", "ids of 1 dim"])
def test_bad_inputs_get_train_steps_one_line_error(x, y, message):
    _, params = sentiment_like()
    general = params.copy()
    trainer = Trainer(params, SGD(params, lr=0.1))
    with pytest.raises(ValueError, match=message) as fast:
        trainer.step(x, y)
    with pytest.raises(ValueError) as slow:
        train_step(general, SGD(general, lr=0.1), x, y)
    assert str(fast.value) == str(slow.value)


def test_prepare_checks_once_and_freezes_the_example():
    config, params = sentiment_like()
    trainer = Trainer(params, SGD(params, lr=0.1))
    x, y = np.array([[1], [2]]), np.array([1])
    example = trainer.prepare(x, y)
    x[0, 0] = 99  # the caller's arrays may change; the example keeps what was checked
    assert example.x[0, 0] == 1 and not example.x.flags.writeable and not example.targets.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        example.x[0, 0] = 99
    with pytest.raises(ValueError, match="token id 6"):
        trainer.prepare(np.array([[6]]), y)
    with pytest.raises(ValueError, match="carries its targets"):
        trainer.step(example, y)
    with pytest.raises(ValueError, match=r"x holds nan at index \(0, 0, 1\)"):
        dense = Trainer(p := init_params(RNNConfig(3, 4, 2), seed=0), SGD(p, lr=0.1))
        dense.prepare(np.array([[[0.0, np.nan, 0.0]]]), np.array([0]))


def test_a_nan_weight_is_named_like_forward_names_it():
    _, params = sentiment_like()
    params["Why"][1, 3] = np.nan
    trainer = Trainer(params, SGD(params, lr=0.1))
    with pytest.raises(ValueError, match=r"params\['Why'\] holds nan at index \(1, 3\)"):
        trainer.step(np.array([[1]]), np.array([0]))


def test_a_nan_h0_is_named():
    _, params = sentiment_like()
    h0 = np.zeros((1, 1, 8))
    h0[0, 0, 5] = np.inf
    trainer = Trainer(params, SGD(params, lr=0.1))
    with pytest.raises(ValueError, match=r"h0 holds inf at index \(0, 0, 5\)"):
        trainer.step(np.array([[1]]), np.array([0]), h0=h0)


@pytest.mark.parametrize("clip", [None, 1.0], ids=["no clip", "clip 1"])
def test_an_overflowing_gradient_is_refused_and_the_params_are_kept(clip):
    """Forward and loss are finite, but dWhy = sum_b dlogits_b h_b overflows: h ~ 1e308 in 4 batch elements."""
    params = init_params(RNNConfig(1, 1, 2, nonlinearity="relu"), seed=0)
    params["Wxh"][:], params["Whh"][:], params["bh"][:], params["Why"][:], params["by"][:] = 1e308, 0.0, 0.0, 1e-10, 0.0
    trainer = Trainer(params, SGD(params, lr=0.1), clip_value=clip)
    before = params.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match=r"Trainer.step: gradient 'Why' holds"):
            trainer.step(np.ones((1, 4, 1)), np.zeros(4, dtype=np.int64))
    for name in before:
        np.testing.assert_array_equal(params[name], before[name])


def test_a_huge_but_finite_gradient_is_not_a_false_alarm():
    """The one-dot-product screen overflows for |g| > 1e154; the exact scan must then let the step through."""
    params = init_params(RNNConfig(1, 1, 2, nonlinearity="relu"), seed=0)
    params["Wxh"][:], params["Whh"][:], params["bh"][:], params["Why"][:], params["by"][:] = 1e160, 0.0, 0.0, 0.0, 0.0
    expected = params.copy()
    trainer = Trainer(params, SGD(params, lr=1e-170))
    _, grads, _ = trainer.step(np.ones((1, 1, 1)), np.array([0]))  # h = 1e160, dWhy = (-0.5, 0.5) * 1e160
    assert abs(grads["Why"][0, 0]) == 0.5e160
    train_step(expected, SGD(expected, lr=1e-170), np.ones((1, 1, 1)), np.array([0]))
    for name in expected:
        np.testing.assert_array_equal(params[name], expected[name])


def test_packed_params_save_and_convert_like_any_other(tmp_path):
    from rnn_parity.torch_impl import from_torch, load_weights, save_weights, to_torch

    config, params = sentiment_like()
    trainer = Trainer(params, SGD(params, lr=0.1), clip_value=1.0)
    trainer.step(np.array([[1], [4]]), np.array([1]))
    for suffix in (".npz", ".pt", ".safetensors"):
        save_weights(params, tmp_path / f"w{suffix}")
        loaded = load_weights(tmp_path / f"w{suffix}")
        assert all(np.array_equal(loaded[k], params[k]) for k in params), suffix
    back = from_torch(to_torch(params), config)
    assert all(np.array_equal(back[k], params[k]) for k in params)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_trainer_matches_train_step_on_random_configs(data):
    """Hypothesis over sizes down to 1, both outputs, bias modes, activations, dtypes and clips: bit for bit."""
    draw = data.draw
    config = RNNConfig(input_size=draw(st.integers(1, 5)), hidden_size=draw(st.integers(1, 6)),
                       output_size=draw(st.integers(1, 4)), nonlinearity=draw(st.sampled_from(["tanh", "relu"])),
                       bias=draw(st.sampled_from(["single", "torch", "none"])),
                       output=draw(st.sampled_from(["last", "all"])), batch_first=draw(st.booleans()))
    dtype = draw(st.sampled_from(["float64", "float32"]))
    clip_value = draw(st.sampled_from([None, 0.05, 1.0]))
    clip_norm = draw(st.sampled_from([None, 0.1]))
    expected = init_params(config, seed=draw(st.integers(0, 99)), dtype=dtype, scheme="torch")
    actual = expected.copy()
    optimizer = draw(st.sampled_from(sorted(OPTIMIZERS)))
    opt_expected = OPTIMIZERS[optimizer](expected)
    trainer = Trainer(actual, OPTIMIZERS[optimizer](actual), clip_value=clip_value, clip_norm=clip_norm)
    rng = np.random.default_rng(draw(st.integers(0, 99)))
    kind = draw(st.sampled_from(["ids", "dense"]))
    for _ in range(3):
        x, y, h, _ = example(rng, config, kind, draw(st.integers(1, 3)), draw(st.integers(1, 5)), dtype,
                             draw(st.booleans()), False)
        loss_e, _, hn_e = train_step(expected, opt_expected, x, y, h0=h, clip_value=clip_value, clip_norm=clip_norm)
        loss_a, _, hn_a = trainer.step(x, y, h0=h)
        assert loss_a == loss_e
        np.testing.assert_array_equal(hn_a, hn_e)
        for name in expected:
            np.testing.assert_array_equal(actual[name], expected[name], err_msg=name)
