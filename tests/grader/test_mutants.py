"""The mutant catalog: guarded against drift, applied and restored cleanly, usable without torch."""
import subprocess
import sys

import numpy as np
import pytest

from rnn_parity import mutants as M
from rnn_parity import reference as R


def _case(output="all", T=4, h0=True):
    config = R.RNNConfig(6, 4, 3, output=output)
    params = R.init_params(config, seed=1)
    rng = np.random.default_rng(0)
    x = rng.permutation(6)[:T].reshape(T, 1)
    x[0, 0] = 3  # a token that is not its position
    targets = rng.integers(0, 3, size=(1,) if output == "last" else (T, 1))
    return params, x, targets, (rng.normal(size=(1, 1, 4)) if h0 else None)


def _everything(params, x, targets, h0):
    """Forward, gradients and three clipped SGD steps through train_step: what a mutant can change."""
    logits, h_n, cache = R.forward(params, x, h0=h0)
    _, _, dh0 = R.backward(params, cache, np.ones_like(logits))  # the gradient on h0 (a mutant may hit only it)
    loss, grads = R.loss_and_grads(params, x, targets, h0=h0)
    _, repeated = R.loss_and_grads(params, np.array([[1], [1], [2], [1]]), targets, h0=h0)  # a token used twice
    p = params.copy()
    opt = R.SGD(p, lr=0.1)
    for _ in range(3):
        R.train_step(p, opt, x, targets, h0=h0, clip_value=0.05)
    return [logits, h_n, dh0, *grads.values(), *repeated.values(), *p.values()]


def test_catalog_shape():
    assert len(M.CATALOG) >= 12
    assert len(M.BY_ID) == len(M.CATALOG)
    for m in M.CATALOG:
        assert m.mistake.endswith(".") and m.mistake.count(". ") == 0, m.id
        assert m.explanation and m.math_correct and m.math_wrong, m.id
        assert m.module.startswith("rnn_parity.reference."), m.id
        assert m.correct != m.wrong
        assert m.wrong_line() and m.correct_line()


@pytest.mark.parametrize("mutant", M.CATALOG, ids=lambda m: m.id)
def test_snippet_occurs_exactly_once(mutant):
    sources = M.mutated_sources(mutant)  # raises CatalogDriftError when the reference has moved on
    assert mutant.wrong in sources[mutant.module]


def test_drift_is_caught():
    drifted = M.Mutant("x", "x.", "x", "rnn_parity.reference.layers", "no such code", "y")
    with pytest.raises(M.CatalogDriftError):
        with M.applied(drifted):
            pass


@pytest.mark.parametrize("mutant", M.CATALOG, ids=lambda m: m.id)
def test_applied_changes_the_reference_and_restores_it(mutant):
    case = _case(output="all", h0=True)
    before = _everything(*case)
    forward_before = R.forward
    with M.applied(mutant):
        try:
            during = _everything(*case)
        except ValueError:  # e.g. a bias gradient of the wrong shape, which the optimizer refuses: a change too
            during = None
    after = _everything(*case)
    assert R.forward is forward_before
    assert all(np.array_equal(a, b) for a, b in zip(before, after))
    assert during is None or any(a.shape != b.shape or not np.allclose(a, b, rtol=1e-9, atol=0) for a, b in zip(before, during)), \
        f"{mutant.id} changed nothing"


def test_applied_restores_after_an_exception():
    original = R.model.forward
    with pytest.raises(RuntimeError):
        with M.applied(M.get("one_hot_from_position")):
            assert R.model.forward is not original
            raise RuntimeError("boom")
    assert R.model.forward is original and R.forward is original


def test_two_mutants_at_once():
    a, b = M.get("whh_not_transposed_backward"), M.get("update_in_clip_loop")
    assert M.compatible(a, b)
    assert not M.compatible(M.get("update_in_clip_loop"), M.get("clip_after_update"))
    with M.applied(a, b):
        pass


def test_usable_without_torch():
    code = ("import sys; import rnn_parity.mutants as M; from rnn_parity import reference as R\n"
            "with M.applied(M.CATALOG[0]): pass\n"
            "assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_child_side_imports_no_torch_and_no_reference():
    code = ("import sys; import rnn_parity.grader.child, rnn_parity.grader.protocols, rnn_parity.grader.plan\n"
            "bad = [m for m in ('torch', 'rnn_parity.reference', 'scipy') if m in sys.modules]\n"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
