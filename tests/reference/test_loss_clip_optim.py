"""Loss, clipping and optimizers against closed forms derived by hand."""
import numpy as np
import pytest

from rnn_parity.reference import (SGD, Adam, RNNConfig, clip_norm, clip_value, forward, init_params, loss_and_grads,
                                  softmax_cross_entropy)

from .cases import make_case


def test_cross_entropy_never_overflows():
    logits = np.array([[1e4, 0.0, -1e4]])
    loss, d = softmax_cross_entropy(logits, np.array([1]))
    assert np.isclose(loss, 1e4) and np.all(np.isfinite(d))


def test_cross_entropy_of_uniform_logits_is_log_O():
    loss, d = softmax_cross_entropy(np.zeros((3, 4)), np.array([0, 1, 2]), reduction="mean")
    assert np.isclose(loss, np.log(4))
    np.testing.assert_allclose(d.sum(axis=-1), 0, atol=1e-16)  # softmax - one_hot sums to zero per row


def test_mean_reduction_counts_only_scored_positions():
    params, x, targets, _, _ = make_case(T=5, B=2, output="all")
    lengths = np.array([5, 2])
    total, g_sum = loss_and_grads(params, x, targets, lengths=lengths, reduction="sum")
    mean, g_mean = loss_and_grads(params, x, targets, lengths=lengths, reduction="mean")
    assert np.isclose(mean * 7, total)  # 5 + 2 scored positions
    np.testing.assert_allclose(g_mean["Whh"] * 7, g_sum["Whh"], rtol=1e-13)


def test_clip_value_bounds_and_keeps_small_entries():
    g = {"a": np.array([-3.0, 0.5, 2.0])}
    np.testing.assert_array_equal(clip_value(g, 1.0)["a"], [-1.0, 0.5, 1.0])


def test_clip_norm_scales_to_max_norm_with_torch_epsilon():
    g = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}  # global norm 5
    clipped, norm = clip_norm(g, 1.0)
    assert norm == 5.0
    np.testing.assert_allclose(clipped["a"], [3.0 / (5 + 1e-6), 0.0], rtol=1e-15)
    unchanged, _ = clip_norm(g, 10.0)
    np.testing.assert_array_equal(unchanged["b"], g["b"])


def test_clip_can_raise_on_nonfinite():
    with pytest.raises(ValueError, match="'a'.*nan"):
        clip_value({"a": np.array([np.nan])}, 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match="inf"):
        clip_norm({"a": np.array([np.inf])}, 1.0, error_if_nonfinite=True)


def test_sgd_momentum_first_steps_by_hand():
    p = {"w": np.array([1.0])}
    opt = SGD(p, lr=0.1, momentum=0.9, dampening=0.5)
    opt.step({"w": np.array([2.0])})  # buf = g = 2 (no dampening on the first step)
    assert np.isclose(p["w"][0], 1.0 - 0.1 * 2.0)
    opt.step({"w": np.array([2.0])})  # buf = 0.9 * 2 + 0.5 * 2 = 2.8
    assert np.isclose(p["w"][0], 0.8 - 0.1 * 2.8)


def test_adam_first_step_is_lr_times_sign():
    p = {"w": np.array([1.0, -1.0])}
    Adam(p, lr=0.01).step({"w": np.array([5.0, -0.2])})  # m_hat = g, v_hat = g^2: step = lr * g / (|g| + eps)
    np.testing.assert_allclose(p["w"], [1.0 - 0.01, -1.0 + 0.01], rtol=1e-7)


@pytest.mark.parametrize("bad,message", [
    (dict(x=np.zeros((0, 2, 3))), "empty"),
    (dict(x=np.full((2, 2, 3), np.nan)), "nan"),
    (dict(x=np.zeros((2, 2, 3), np.float32)), "float32 but params are float64"),
    (dict(x=np.array([[0, 7]])), "token id 7"),
    (dict(lengths=np.array([3, 1])), r"lengths must lie in \[1, T=2\]"),
    (dict(lengths=np.array([1])), "one entry per batch element"),
    (dict(h0=np.zeros((2, 2, 4))), "h0 has shape"),
])
def test_bad_inputs_get_one_line_errors(bad, message):
    params = init_params(RNNConfig(3, 4, 2))
    kw = dict(x=np.zeros((2, 2, 3)), h0=None, lengths=None) | bad
    with pytest.raises(ValueError, match=message) as info:
        forward(params, kw["x"], h0=kw["h0"], lengths=kw["lengths"])
    assert "\n" not in str(info.value)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # NaN spreading before the error
def test_nan_weight_is_named():
    params = init_params(RNNConfig(3, 4, 2))
    params["Whh"][1, 2] = np.inf
    with pytest.raises(ValueError, match=r"params\['Whh'\] holds inf at index \(1, 2\)"):
        forward(params, np.zeros((2, 1, 3)))


def test_softmax_and_log_softmax_agree_and_never_overflow():
    from rnn_parity.reference.loss import log_softmax, softmax

    z = np.array([[1e4, 0.0, -1e4], [1.0, 2.0, 3.0]])
    p = softmax(z)
    assert p.shape == z.shape and np.all(np.isfinite(p)) and np.allclose(p.sum(axis=-1), 1.0)
    np.testing.assert_allclose(np.log(p[1]), log_softmax(z)[1], rtol=1e-14)
    np.testing.assert_allclose(softmax(z[1], temperature=2.0), softmax(z[1] / 2.0), rtol=0)


def test_train_step_is_loss_and_grads_then_apply_update_bit_for_bit():
    from rnn_parity.reference import apply_update, train_step

    params, x, targets, _, _ = make_case(T=4, B=2, output="all")
    a, b = params.copy(), params.copy()
    loss_a, used_a, _ = train_step(a, SGD(a, lr=0.1, momentum=0.9), x, targets, clip_value=0.05, clip_norm=0.5)
    loss_b, grads = loss_and_grads(b, x, targets)
    used_b = apply_update(b, grads, SGD(b, lr=0.1, momentum=0.9), clip_value=0.05, clip_norm=0.5)
    assert loss_a == loss_b
    for k in params:
        assert a[k].tobytes() == b[k].tobytes() and used_a[k].tobytes() == used_b[k].tobytes(), k
    assert not all(np.array_equal(a[k], params[k]) for k in params)  # the step moved the weights


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_apply_update_screens_before_clipping_and_leaves_params(bad):
    """Clipping would turn an Inf into +-c without a word: the screen comes first and nothing moves."""
    from rnn_parity.reference import apply_update

    params, x, targets, _, _ = make_case(T=3, B=1, output="last")
    _, grads = loss_and_grads(params, x, targets)
    grads["Whh"][1, 2] = bad
    before = params.copy()
    with pytest.raises(ValueError, match=rf"gradient 'Whh' holds {bad} at index \(1, 2\)"):
        apply_update(params, grads, SGD(params, lr=0.1), clip_value=1.0)
    assert all(params[k].tobytes() == before[k].tobytes() for k in params)
