"""BPTT checked by finite differences (scipy check_grad), and proof that the check can fail."""
import numpy as np
import pytest

from rnn_parity.reference import GRADCHECK_REL_ERROR, gradcheck, layers, loss_and_all_grads

from .cases import make_case

# A readable grid covering T=1, B=1, layers, bidirectional, relu, lengths, both outputs and more.
GRID = {
    "L1-tanh-last": dict(),
    "L1-T1-B1": dict(T=1, B=1),
    "L1-relu-all": dict(nonlinearity="relu", output="all"),
    "L2-bi-tanh-all-lengths-h0": dict(num_layers=2, bidirectional=True, output="all", lengths=True, h0=True),
    # H=5: with H=4 and this seed, dead ReLUs shrink grad Whh_reverse to 1.7e-5, under the finite-difference noise floor.
    "L2-bi-relu-last-lengths": dict(num_layers=2, bidirectional=True, nonlinearity="relu", lengths=True, H=5),
    "L1-bi-last-h0-batchfirst": dict(bidirectional=True, h0=True, batch_first=True),
    "L2-torchbias-all-mean": dict(num_layers=2, bias="torch", output="all", reduction="mean"),
    "L1-nobias-ids-all-lengths": dict(bias="none", ids=True, output="all", lengths=True),
    "L3-bi-relu-all-B1-T1": dict(num_layers=3, bidirectional=True, nonlinearity="relu", output="all", T=1, B=1),
}


def run_gradcheck(spec, **kw):
    spec = dict(spec)
    reduction = spec.pop("reduction", "sum")
    params, x, targets, h0, lengths = make_case(**spec)
    return gradcheck(params, x, targets, h0=h0, lengths=lengths, reduction=reduction, **kw)


@pytest.mark.parametrize("spec", GRID.values(), ids=GRID.keys())
def test_gradcheck_passes_for_every_parameter_h0_and_x(spec):
    rows = run_gradcheck(spec)
    params, x, *_ = make_case(**{k: v for k, v in spec.items() if k != "reduction"})
    expected = set(params) | {"h0"} | (set() if spec.get("ids") else {"x"})
    assert {r.name for r in rows} == expected
    failing = [(r.name, r.rel_error) for r in rows if not r.passed]
    assert not failing, f"gradcheck failed: {failing}"
    assert max(r.rel_error for r in rows) < GRADCHECK_REL_ERROR


def test_random_direction_mode_passes():
    rows = run_gradcheck(GRID["L2-bi-tanh-all-lengths-h0"], direction="random", seed=3)
    assert all(r.passed and r.direction == "random" for r in rows)


def wrong_in_one_gradient(name):
    """A grad_fn whose gradient for `name` alone is off by 0.1% in one element."""
    def grad_fn(p, x, t, h0, lengths, reduction):
        loss, grads, dx, dh0, _ = loss_and_all_grads(p, x, t, h0, lengths, reduction)
        parts = {"x": dx, "h0": dh0}
        target = parts[name] if name in parts else grads[name]
        flat = target.reshape(-1)
        i = int(np.argmax(np.abs(flat)))
        flat[i] *= 1.001
        return loss, grads, dx, dh0
    return grad_fn


SPEC = GRID["L2-bi-tanh-all-lengths-h0"]
QUANTITIES = sorted(make_case(**SPEC)[0]) + ["h0", "x"]


@pytest.mark.parametrize("name", QUANTITIES)
def test_a_wrong_gradient_is_reported_failing(name):
    rows = {r.name: r for r in run_gradcheck(SPEC, grad_fn=wrong_in_one_gradient(name), wrt=[name])}
    assert not rows[name].passed, f"a 0.1% error in grad {name} went unnoticed: {rows[name]}"


# Classic BPTT mistakes, injected into the reference's own step functions.
def whh_not_transposed(dh, cache, Whh, nonlinearity):
    da = dh * layers.activation_grad(cache.h, nonlinearity)
    return da, da @ Whh.T  # should be da @ Whh


def h_t_instead_of_h_prev(dA, hs):
    H = dA.shape[-1]
    return dA.reshape(-1, H).T @ hs[1:].reshape(-1, H), dA.sum(axis=(0, 1))  # should be hs[:-1]


def tanh_prime_from_post_activation(h, nonlinearity):
    return 1.0 - np.tanh(h) ** 2  # h is already tanh(a)


def bias_grad_last_step_only(dA, hs):
    H = dA.shape[-1]
    return dA.reshape(-1, H).T @ hs[:-1].reshape(-1, H), dA[-1].sum(axis=0)


MISTAKES = {
    "Whh-not-transposed": ("step_backward", whh_not_transposed, {"Whh", "Whh_reverse", "Wxh", "bh", "h0"}),
    "h_t-for-h_prev": ("recurrent_weight_grads", h_t_instead_of_h_prev, {"Whh", "Whh_reverse"}),
    "tanh-prime-post-activation": ("activation_grad", tanh_prime_from_post_activation, {"Wxh", "Whh", "bh", "x"}),
    "bias-not-summed": ("recurrent_weight_grads", bias_grad_last_step_only, {"bh", "bh_reverse"}),
}


@pytest.mark.parametrize("mistake", MISTAKES, ids=MISTAKES.keys())
def test_classic_mistakes_fail_gradcheck(mistake, monkeypatch):
    attr, broken, must_fail = MISTAKES[mistake]
    monkeypatch.setattr(layers, attr, broken)
    rows = {r.name: r for r in run_gradcheck(dict(T=5, B=2, bidirectional=True, output="all", h0=True))}
    assert must_fail <= {n for n, r in rows.items() if not r.passed}, \
        f"{mistake}: expected {sorted(must_fail)} to fail, failing: {sorted(n for n, r in rows.items() if not r.passed)}"


@pytest.mark.parametrize("cell, vocab", [("lstm", None), ("gru", None), ("rnn", 7), ("lstm", 7)])
def test_backward_without_dx_gives_the_same_grads(cell, vocab):
    """need_dx=False (what training and loss_and_grads use) skips layer 0's input gradient only: every
    parameter's gradient, an embedding table's included, is the same bit for bit, and dx is None."""
    from rnn_parity.reference import RNNConfig, backward, forward, init_params

    config = RNNConfig(3, 4, 2, num_layers=2, bidirectional=True, output="all", cell=cell, vocab_size=vocab)
    params = init_params(config, seed=1)
    rng = np.random.default_rng(1)
    x = rng.integers(0, vocab, size=(5, 3)) if vocab else rng.standard_normal((5, 3, 3))
    logits, _, cache = forward(params, x, lengths=np.array([5, 2, 4]))
    dlogits = rng.standard_normal(logits.shape)
    grads, dx, _ = backward(params, cache, dlogits)
    lean, no_dx, _ = backward(params, cache, dlogits, need_dx=False)
    assert no_dx is None and (dx is None) == bool(vocab)
    assert set(lean) == set(grads) and all(np.array_equal(lean[k], grads[k]) for k in grads)
