"""The reference's forward pass on its own: shapes, bias modes, masking, activations, token ids."""
import re

import numpy as np
import pytest

from rnn_parity.reference import RNNConfig, forward, init_params, param_shapes

from .cases import make_case


@pytest.mark.parametrize("output,batch_first,want", [
    ("last", False, (2, 2)), ("all", False, (4, 2, 2)), ("all", True, (2, 4, 2)), ("last", True, (2, 2))])
@pytest.mark.parametrize("layers,bi", [(1, False), (2, True)], ids=["L1", "L2-bi"])
def test_shapes(output, batch_first, want, layers, bi):
    params, x, _, h0, _ = make_case(output=output, batch_first=batch_first, num_layers=layers, bidirectional=bi, h0=True)
    logits, h_n, cache = forward(params, x, h0=h0)
    assert logits.shape == want
    assert h_n.shape == (layers * (2 if bi else 1), 2, 4)
    assert [o.shape for o in cache.outputs] == [(4, 2, 4 * (2 if bi else 1))] * layers


@pytest.mark.parametrize("bias,names", [
    ("single", {"Wxh", "Whh", "bh", "Why", "by"}),
    ("torch", {"Wxh", "Whh", "bh", "bhh", "Why", "by"}),
    ("none", {"Wxh", "Whh", "Why", "by"})])
def test_bias_modes_name_the_parameters(bias, names):
    assert set(init_params(RNNConfig(3, 4, 2, bias=bias))) == names


def test_torch_bias_mode_adds_both_biases():
    single, x, _, _, _ = make_case(bias="single")
    torch_mode = init_params(RNNConfig(3, 4, 2, bias="torch"))
    for k in single:
        torch_mode[k] = single[k].copy()
    torch_mode["bh"] = single["bh"] * 0.25
    torch_mode["bhh"] = single["bh"] * 0.75
    np.testing.assert_allclose(forward(torch_mode, x)[0], forward(single, x)[0], rtol=1e-14, atol=0)


def test_bias_none_equals_zero_biases():
    params, x, _, _, _ = make_case(bias="single")
    params["bh"][:] = 0
    nobias = init_params(RNNConfig(3, 4, 2, bias="none"))
    for k in nobias:
        nobias[k] = params[k]
    assert np.array_equal(forward(nobias, x)[0], forward(params, x)[0])


@pytest.mark.parametrize("bi", [False, True], ids=["uni", "bi"])
def test_padded_steps_change_nothing(bi):
    """A sequence of length 2 padded to 5 gives the same result as the same sequence of length 2 alone."""
    params, x, _, h0, _ = make_case(T=5, B=2, bidirectional=bi, output="all", h0=True)
    lengths = np.array([5, 2])
    padded = x.copy()
    padded[2:, 1] = 1e3  # garbage in the padding must not leak in
    logits, h_n, cache = forward(params, padded, h0=h0, lengths=lengths)
    alone_logits, alone_hn, alone_cache = forward(params, x[:2, 1:2], h0=h0[:, 1:2])
    np.testing.assert_allclose(logits[:2, 1:2], alone_logits, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(h_n[:, 1:2], alone_hn, rtol=1e-13, atol=1e-15)
    assert np.all(cache.outputs[-1][2:, 1] == 0), "hidden output at padded steps is zero"
    assert np.all(logits[2:, 1] == params["by"]), "logits at padded steps equal by"


def test_relu_and_tanh_differ_only_where_they_should():
    params, x, _, _, _ = make_case(T=1, B=1, nonlinearity="relu", output="all")
    _, _, cache = forward(params, x)
    a = x[0] @ params["Wxh"].T + params["bh"]
    np.testing.assert_allclose(cache.outputs[0][0], np.maximum(a, 0), rtol=1e-15)
    tanh_params = init_params(RNNConfig(3, 4, 2, output="all"))
    tanh_params.update({k: v for k, v in params.items()})
    np.testing.assert_allclose(forward(tanh_params, x)[2].outputs[0][0], np.tanh(a), rtol=1e-15)


def test_recurrence_matches_the_textbook_formula():
    """h_t = tanh(Wxh x_t + Whh h_{t-1} + bh), column-vector form, written out for T=3, B=1."""
    params, x, _, h0, _ = make_case(T=3, B=1, output="all", h0=True)
    _, _, cache = forward(params, x, h0=h0)
    h = h0[0, 0][:, None]
    for t in range(3):
        h = np.tanh(params["Wxh"] @ x[t, 0][:, None] + params["Whh"] @ h + params["bh"][:, None])
        np.testing.assert_allclose(cache.outputs[0][t, 0], h[:, 0], rtol=1e-14)


@pytest.mark.parametrize("layers,bi", [(1, False), (2, True)], ids=["L1", "L2-bi"])
def test_token_ids_equal_one_hot_input(layers, bi):
    params, ids, _, _, lengths = make_case(ids=True, num_layers=layers, bidirectional=bi, output="all", lengths=True)
    one_hot = np.eye(3)[ids]
    a = forward(params, ids, lengths=lengths)
    b = forward(params, one_hot, lengths=lengths)
    np.testing.assert_allclose(a[0], b[0], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-13, atol=1e-15)


def test_float32_stays_float32():
    config = RNNConfig(3, 4, 2, output="all")
    params = init_params(config, dtype="float32")
    logits, h_n, _ = forward(params, np.ones((2, 1, 3), np.float32))
    assert logits.dtype == h_n.dtype == np.float32


def test_init_is_seeded_and_follows_the_schemes():
    config = RNNConfig(5, 16, 3, num_layers=2, bias="torch")
    a, b = init_params(config, seed=4), init_params(config, seed=4)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["Whh"], init_params(config, seed=5)["Whh"])
    assert all(np.abs(v).max() <= 1 / 4 for v in a.values())  # U(-1/sqrt(H), 1/sqrt(H)), H = 16
    seed_init = init_params(config, scheme="randn", scale=1e-3)
    assert np.all(seed_init["bh"] == 0) and 0 < np.abs(seed_init["Whh"]).max() < 0.01  # randn / 1000
    assert {k: v.shape for k, v in a.items()} == param_shapes(config)


@pytest.mark.parametrize("old, scale", [("sentiment", 1e-3), ("fibonacci", 0.1), ("dlai", 0.01)])
def test_old_task_scheme_names_are_deprecated_aliases_of_randn(old, scale):
    """The seed tasks' scales live with the tasks now; the reference's own schemes are torch and randn."""
    config = RNNConfig(4, 6, 2)
    says = re.escape(f"init_params(scheme={old!r}) is deprecated: use scheme='randn', scale={scale:g}")
    with pytest.warns(DeprecationWarning, match=says):
        aliased = init_params(config, seed=7, scheme=old)
    plain = init_params(config, seed=7, scheme="randn", scale=scale)
    assert all(np.array_equal(aliased[k], plain[k]) for k in plain)
