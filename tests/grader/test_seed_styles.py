"""seed_styles: the seed documents' own function styles graded as written: correct files pass (20 seeds),
each mistake fails named in the seed's notation; a crash in one function leaves the others graded."""
import pytest

from rnn_parity.grader import grade

from .conftest import EXAMPLES
from .inprocess import grade_in_process

FOLDER = EXAMPLES / "seed_styles"
CORRECT = sorted(p.name for p in FOLDER.glob("correct*.py"))
MISTAKES = sorted(p.stem.removeprefix("mistake_") for p in FOLDER.glob("mistake_*.py"))
SAME_RESULTS = {"hidden_grad_not_carried": {"hidden_grad_not_carried", "upstream_grad_alone"}}  # one mistake, two names
CHECKS = {"correct_001.py": ["forward", "hidden", "loss", "grad:U", "grad:V", "grad:W", "grad:bh", "grad:by", "clip",
                             "update"],
          "correct_002.py": ["step:forward", "loss", "forward", "hidden", "grad:Wax", "grad:Waa", "grad:Wya", "grad:ba",
                             "grad:by", "grad:a_next", "update"],
          # its own cache, (step_caches, xs, hs, probs, Y): rnn_backward must be handed what its rnn_forward built
          "correct_002_own_cache.py": ["step:forward", "loss", "forward", "hidden", "grad:Wax", "grad:Waa",
                                       "grad:Wya", "grad:ba", "grad:by", "grad:a0", "update"],
          # the deeplearning.ai assignment's key 'b' for the hidden bias, where seed 002 writes 'ba'
          "correct_002_bias_b.py": ["step:forward", "loss", "forward", "hidden", "grad:Wax", "grad:Waa", "grad:Wya",
                                    "grad:b", "grad:by", "grad:a_next", "update"],
          # rnn_forward -> (loss, cache, y_hat, Y); update_parameters updates in place and returns None
          "correct_002_in_place.py": ["step:forward", "loss", "forward", "hidden", "grad:Wax", "grad:Waa",
                                      "grad:Wya", "grad:ba", "grad:by", "update"],
          # rnn_forward(X, a0, parameters) -> (y_hat, a, x, z): not graded, but its cache is rnn_backward's
          "correct_002_forward_other_signature.py": ["grad:Wax", "grad:Waa", "grad:Wya", "grad:ba", "grad:by",
                                                     "update"]}


@pytest.mark.parametrize("name", CORRECT)
def test_correct_seed_style_passes(name):
    report = grade(str(FOLDER / name))
    assert report.verdict == "pass" and report.info["protocol"] == "seed_styles", report.to_table()
    assert [c.name for c in report.checks] == CHECKS[name]


@pytest.mark.parametrize("mistake", MISTAKES)
def test_seed_style_mistake_fails_and_is_named(mistake):
    _, results, _, findings = grade_in_process(FOLDER / f"mistake_{mistake}.py", diagnose=True)
    expected = mistake.split("_", 1)[1]
    assert any(r.status == "fail" for r in results)
    assert findings and findings[0].full and findings[0].mutant.id in SAME_RESULTS.get(expected, {expected}), \
        [f.mutant.id for f in findings]


def test_a_mistake_through_the_child_is_named_in_the_seeds_notation():
    report = grade(str(FOLDER / "mistake_002_one_hot_from_position.py"))
    assert report.verdict == "fail" and report.diagnosis[0].mutant.id == "one_hot_from_position"
    assert "x[t] = one_hot_encode(t, n_x)" in report.to_table()


@pytest.mark.parametrize("name", CORRECT)
def test_correct_seed_style_never_fails_over_20_seeds(name):
    for seed in range(1, 21):
        protocol, results, _ = grade_in_process(FOLDER / name, seed)
        assert protocol == "seed_styles"
        assert all(r.status == "pass" for r in results), (seed, [(r.name, r.detail) for r in results])


def test_seed_002_step_forward_is_not_taken_for_cs231n():
    report = grade(str(FOLDER / "correct_002.py"))
    assert report.info["protocol"] == "seed_styles" and "step:forward" in [c.name for c in report.checks]


def test_a_crash_in_the_step_function_leaves_rnn_backward_graded(tmp_path):
    # rnn_step_forward reads a name it never defines; rnn_forward calls it; rnn_backward is handed its cache.
    body = (FOLDER / "correct_002.py").read_text().replace('parameters["ba"])', 'ba)')
    (tmp_path / "hw.py").write_text(body)
    report = grade(str(tmp_path / "hw.py"))
    assert report.verdict == "fail" and report.error is None
    for name in ("step:forward", "loss", "forward", "hidden"):
        assert "NameError: name 'ba' is not defined" in report.check(name).detail
    assert all(report.check(n).status == "pass" for n in ("grad:Wax", "grad:Waa", "grad:ba", "update"))
