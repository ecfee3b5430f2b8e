"""`pytest parity_tests --impl FILE` runs the oracle's checks as tests (and skips them without --impl)."""
import subprocess
import sys

from .conftest import EXAMPLES, ROOT


def _pytest(*args):
    cmd = [sys.executable, "-m", "pytest", "parity_tests/test_student_impl.py", "-q", "-p", "no:cacheprovider",
           "-p", "no:randomly", "-n", "0", *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_skips_without_impl():
    r = _pytest()
    assert r.returncode == 0, r.stdout + r.stderr
    assert "10 skipped" in r.stdout


def test_correct_impl_passes():
    r = _pytest("--impl", str(EXAMPLES / "correct_functions.py"))
    assert r.returncode == 0, r.stdout
    assert "8 passed, 2 skipped" in r.stdout  # clip and update are not in the function protocol


def test_mistake_fails_with_diagnosis():
    r = _pytest("--impl", str(EXAMPLES / "mistakes" / "hidden_grad_not_carried.py"))
    assert r.returncode == 1
    assert "test_check[grad:Wxh]" in r.stdout and "grad:Wax" in r.stdout
    assert "The hidden-state gradient is not carried to the previous step." in r.stdout


def test_impl_class_option():
    r = _pytest("--impl", str(ROOT / "tests" / "grader" / "impls" / "two_classes.py"), "--impl-class", "Good")
    assert r.returncode == 0, r.stdout
