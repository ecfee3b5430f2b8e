"""`pytest parity_tests --impl FILE` runs the oracle's checks as tests (and skips them without --impl)."""
import subprocess
import sys

from .conftest import EXAMPLES, ROOT


def _pytest(*args):
    cmd = [sys.executable, "-m", "pytest", "parity_tests/test_student_impl.py", "-q", "-p", "no:cacheprovider",
           "-p", "no:randomly", "-p", "no:hypothesispytest", "-n", "0", *args]  # hypothesis: ~1 s of start-up
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


# ----------------------------------------------------------------------------------------------
# `pytest --rnn-impl FILE`: the installed plugin (pytest11 entry point), from a folder outside the repository


def _rnn_pytest(folder, *args):
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
           "-p", "no:hypothesispytest", *args]
    return subprocess.run(cmd, cwd=folder, capture_output=True, text=True, timeout=300)


def test_plugin_is_registered_as_a_pytest11_entry_point():
    from importlib.metadata import entry_points

    found = {e.name: e.value for e in entry_points(group="pytest11")}
    assert found.get("rnn_parity") == "rnn_parity.grader.pytest_plugin"


def test_rnn_impl_turns_each_check_into_a_passing_test(tmp_path):
    (tmp_path / "hw.py").write_text((EXAMPLES / "correct_functions.py").read_text())
    r = _rnn_pytest(tmp_path, "--rnn-impl", "hw.py", "-rA")
    assert r.returncode == 0, r.stdout + r.stderr
    for check in ("forward", "hidden", "grad:Wax", "grad:Waa", "grad:ba", "grad:Wya", "grad:by"):
        assert f"PASSED hw.py::{check}" in r.stdout
    assert "7 passed" in r.stdout
    assert "rnn-parity: hw.py" in r.stdout and "protocol functions; verdict PASS" in r.stdout


def test_rnn_impl_fails_the_wrong_checks_with_the_mistake_named(tmp_path):
    (tmp_path / "hw.py").write_text((EXAMPLES / "mistakes" / "hidden_grad_not_carried.py").read_text())
    r = _rnn_pytest(tmp_path, "--rnn-impl", "hw.py")
    assert r.returncode == 1
    assert "FAILED hw.py::grad:Wax" in r.stdout and "hw.py::forward" not in r.stdout.split("short test summary")[1]
    assert "The hidden-state gradient is not carried to the previous step." in r.stdout


def test_rnn_impl_never_imports_the_file_in_pytest(tmp_path):
    # Named like a test module and given as a path too: pytest's own collector would import it.
    body = (EXAMPLES / "correct_functions.py").read_text() + "\nopen('IMPORTED', 'w').write('yes')\n"
    (tmp_path / "test_hw.py").write_text(body)
    r = _rnn_pytest(tmp_path, "test_hw.py", "--rnn-impl", "test_hw.py")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "7 passed" in r.stdout and not (tmp_path / "IMPORTED").exists()


def test_rnn_impl_reports_an_ungradeable_file_as_one_failing_item(tmp_path):
    (tmp_path / "hw.py").write_text("def unrelated():\n    return 1\n")
    r = _rnn_pytest(tmp_path, "--rnn-impl", "hw.py")
    assert r.returncode == 1 and "FAILED hw.py::gradeable" in r.stdout and "could not grade (not_found)" in r.stdout


def test_rnn_impl_missing_file_is_a_one_line_usage_error(tmp_path):
    r = _rnn_pytest(tmp_path, "--rnn-impl", "nope.py")
    assert r.returncode == 4 and "--rnn-impl: no such file: nope.py" in r.stderr


def test_rnn_impl_notebook_with_run_all_cells(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in (
        "%matplotlib inline", "assert get_ipython() is not None",
        (EXAMPLES / "correct_functions.py").read_text())]
    for i, cell in enumerate(nb.cells):
        cell.id = f"c{i}"
    (tmp_path / "hw.ipynb").write_text(nbformat.writes(nb))
    r = _rnn_pytest(tmp_path, "--rnn-impl", "hw.ipynb", "--run-all-cells")
    assert r.returncode == 0 and "7 passed" in r.stdout, r.stdout + r.stderr
