"""The mutant catalog: guarded against drift, applied and restored cleanly, usable without torch."""
import subprocess
import sys

import numpy as np
import pytest

from rnn_parity import mutants
from rnn_parity import reference


def _case(output="all", T=4, h0=True):
    config = reference.RNNConfig(6, 4, 3, output=output)
    params = reference.init_params(config, seed=1)
    rng = np.random.default_rng(0)
    x = rng.permutation(6)[:T].reshape(T, 1)
    x[0, 0] = 3  # a token that is not its position
    targets = rng.integers(0, 3, size=(1,) if output == "last" else (T, 1))
    return params, x, targets, (rng.normal(size=(1, 1, 4)) if h0 else None)


def _everything(params, x, targets, h0):
    """Forward, gradients, three clipped SGD steps and two Adam steps through train_step, and the same through
    the Trainer's fused path: what a mutant can change."""
    logits, h_n, cache = reference.forward(params, x, h0=h0)
    _, _, dh0 = reference.backward(params, cache, np.ones_like(logits))  # the gradient on h0 (a mutant may hit only it)
    loss, grads = reference.loss_and_grads(params, x, targets, h0=h0)
    _, repeated = reference.loss_and_grads(params, np.array([[1], [1], [2], [1]]), targets, h0=h0)  # a token used twice
    # a batch of two (a bias gradient averaged over the batch equals the sum for one example)
    _, batch2 = reference.loss_and_grads(params, np.array([[1, 4], [0, 2], [2, 5], [3, 3]]),
                                         np.array([[0, 1], [2, 2], [1, 0], [0, 2]]))
    p = params.copy()
    opt = reference.SGD(p, lr=0.1)
    for _ in range(3):
        reference.train_step(p, opt, x, targets, h0=h0, clip_value=0.05)
    adam = params.copy()
    opt = reference.Adam(adam, lr=0.1)
    for _ in range(2):
        reference.train_step(adam, opt, x, targets, h0=h0)
    return [logits, h_n, dh0, *grads.values(), *repeated.values(), *batch2.values(), *p.values(),
            *adam.values()]


def _trainer_run(params, x, targets, h0):
    """Three SGD steps of the Trainer (one layer: its fused forward + BPTT), then three on a batch of two."""
    p = params.copy()
    trainer = reference.Trainer(p, reference.SGD(p, lr=0.1))
    for _ in range(3):
        trainer.step(x, targets, h0)
    for _ in range(3):
        trainer.step(np.array([[1, 4], [0, 2], [2, 5], [3, 3]]), np.array([[0, 1], [2, 2], [1, 0], [0, 2]]), None)
    return list(p.values())


def test_catalog_shape():
    assert len(mutants.CATALOG) >= 12
    assert len(mutants.BY_ID) == len(mutants.ALL) == len(mutants.CATALOG) + len(mutants.GATED)
    assert {m.cell for m in mutants.CATALOG} == {"rnn"}
    for m in mutants.ALL:
        assert m.mistake.endswith(".") and m.mistake.count(". ") == 0, m.id
        assert m.explanation and m.math_correct and m.math_wrong, m.id
        assert m.module.startswith("rnn_parity.reference."), m.id
        assert m.correct != m.wrong
        assert m.wrong_line() and m.correct_line()


@pytest.mark.parametrize("mutant", mutants.CATALOG, ids=lambda m: m.id)
def test_snippet_occurs_exactly_once(mutant):
    sources = mutants.mutated_sources(mutant)  # raises CatalogDriftError when the reference has moved on
    assert mutant.wrong in sources[mutant.module]


def test_drift_is_caught():
    drifted = mutants.Mutant("x", "x.", "x", "rnn_parity.reference.layers", "no such code", "y")
    with pytest.raises(mutants.CatalogDriftError):
        with mutants.applied(drifted):
            pass


@pytest.mark.parametrize("mutant", mutants.CATALOG, ids=lambda m: m.id)
def test_applied_changes_the_reference_and_restores_it(mutant):
    case = _case(output="all", h0=True)
    before = _everything(*case)
    forward_before = reference.forward
    with mutants.applied(mutant):
        try:
            during = _everything(*case)
        except ValueError:  # e.g. a bias gradient of the wrong shape, which the optimizer refuses: a change too
            during = None
    after = _everything(*case)
    assert reference.forward is forward_before
    assert all(np.array_equal(a, b) for a, b in zip(before, after))
    assert during is None or any(a.shape != b.shape or not np.allclose(a, b, rtol=1e-9, atol=0) for a, b in zip(before, during)), \
        f"{mutant.id} changed nothing"


FUSED_REACH = [m for m in mutants.CATALOG if any(e.module == mutants.FUSED for e in m.edits)]


@pytest.mark.parametrize("mutant", FUSED_REACH, ids=lambda m: m.id)
def test_bptt_mutants_reach_the_trainers_fused_path(mutant):
    case = _case(output="all", h0=True)
    before = _trainer_run(*case)
    with mutants.applied(mutant):
        during = _trainer_run(*case)
    assert all(np.array_equal(a, b) for a, b in zip(before, _trainer_run(*case)))
    assert any(not np.allclose(a, b, rtol=1e-9, atol=0) for a, b in zip(before, during)), \
        f"{mutant.id} did not change the Trainer"


def test_applied_restores_after_an_exception():
    original = reference.model.forward
    with pytest.raises(RuntimeError):
        with mutants.applied(mutants.get("one_hot_from_position")):
            assert reference.model.forward is not original
            raise RuntimeError("boom")
    assert reference.model.forward is original and reference.forward is original


def test_two_mutants_at_once():
    a, b = mutants.get("whh_not_transposed_backward"), mutants.get("update_in_clip_loop")
    assert mutants.compatible(a, b)
    assert not mutants.compatible(mutants.get("update_in_clip_loop"), mutants.get("clip_after_update"))
    with mutants.applied(a, b):
        pass


def test_usable_without_torch():
    code = ("import sys; from rnn_parity import mutants, reference\n"
            "with mutants.applied(mutants.CATALOG[0]): pass\n"
            "assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_child_side_imports_no_torch_and_no_reference():
    code = ("import sys; import rnn_parity.grader.isolation.child, rnn_parity.grader.protocols, rnn_parity.grader.judging.plan\n"
            "bad = [m for m in ('torch', 'rnn_parity.reference', 'scipy') if m in sys.modules]\n"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)
