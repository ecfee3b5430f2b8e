"""A correct implementation is never failed: the correct examples under 20 different probe seeds."""
import pytest

from rnn_parity.grader import grade

from .conftest import CORRECT, EXAMPLES

SEEDS = range(1, 21)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", CORRECT)
def test_correct_example_passes_every_seed(name, seed):
    report = grade(str(EXAMPLES / name), seed=seed, diagnose_mistakes=False)
    assert report.verdict == "pass", report.to_table()
    worst = max(c.rel_error for c in report.checks)
    assert worst < 1e-9, f"seed {seed}: worst relative error {worst:.1e} (the pass bound is 1e-6)"
