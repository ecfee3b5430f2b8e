import numpy as np

from rnn_parity.grader.judging import plan as P
from rnn_parity.grader.protocols import looks_like_probs, steps_matrix
from rnn_parity.grader.judging.schemes import SCHEMES, variants


def test_schemes_match_torch_impl():
    from rnn_parity.torch_impl.schemes import SCHEMES as TORCH_SCHEMES

    assert SCHEMES == TORCH_SCHEMES
    assert len(variants()) == 4  # karpathy, coursera with ba, coursera with b, uvw


def test_plan_is_deterministic_and_well_formed():
    for step, m2o in (("functions", False), ("backprop", True), ("backprop", False), ("loss", True)):
        a = P.build(3, "functions" if step == "functions" else "class", step, m2o, True, True)
        b = P.build(3, "functions" if step == "functions" else "class", step, m2o, True, True)
        assert len(a.calls) == len(b.calls)
        for ca, cb in zip(a.calls, b.calls):
            assert np.array_equal(ca.tokens, cb.tokens)
            assert (ca.dy is None and cb.dy is None) or np.array_equal(ca.dy, cb.dy)
        lengths = {c.T for c in a.calls if c.tag in ("grad", "prefix")}
        assert 1 in lengths and max(lengths) > 5
        for c in a.calls:
            assert len(set(c.tokens.tolist())) == c.T and not np.any(c.tokens == np.arange(c.T))


def test_probe_weights_make_tanh_nonlinear():
    """|h| well away from 0 (else 1 - h^2 ~ 1 - tanh(h)^2 and mistakes hide) and from saturation."""
    for seed in range(20):
        p = P.build(seed, "class", "backprop", True).params
        hs, h = [], np.zeros(P.H)
        for tok in range(P.D):
            h = np.tanh(p["Wxh"][:, tok] + p["Whh"] @ h + p["bh"])
            hs.append(h)
        mean = np.mean(np.abs(hs))
        assert 0.2 < mean < 0.9, (seed, mean)


def test_output_helpers():
    assert looks_like_probs(np.array([[0.2, 0.8], [0.5, 0.5]]))
    assert not looks_like_probs(np.array([[0.2, 0.9]]))
    m = steps_matrix([np.ones((3, 1)), np.zeros(3)], 2, 3, "x")
    assert m.shape == (2, 3)
    assert steps_matrix({0: np.ones((3, 1)), 1: np.ones((1, 3))}, 2, 3, "x").shape == (2, 3)


def test_apply_update_runs_the_training_step_on_given_gradients():
    """The grader's way into the reference's training step (clip, then SGD) with arbitrary gradients."""
    from rnn_parity import reference as R

    params = R.init_params(R.RNNConfig(3, 4, 2), seed=0)
    grads = params.like({k: np.full(v.shape, 2.0) for k, v in params.items()})
    before = params.copy()
    used = R.apply_update(params, grads, R.SGD(params, lr=0.5), clip_value=1.0)
    for k in params:
        assert np.allclose(used[k], 1.0)
        assert np.allclose(params[k], before[k] - 0.5)
