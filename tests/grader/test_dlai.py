"""The dlai protocol (deeplearning.ai Step by Step, Dinosaur Island): correct files pass, every mistake is
named in the course's notation, missing helper modules are supplied and reported."""
import pytest

from rnn_parity.grader import grade

from . import inprocess
from .conftest import EXAMPLES

DL = EXAMPLES / "dlai"
MISTAKES = sorted(p.stem for p in (DL / "mistakes").glob("*.py"))
STEP_CHECKS = ["step:forward", "step:output", "step:grad:xt", "step:grad:a_prev", "step:grad:Wax", "step:grad:Waa",
               "step:grad:ba", "forward", "output", "grad:x", "grad:a0", "grad:Wax", "grad:Waa", "grad:ba"]
DINO_CHECKS = ["clip", "optimize:loss", "optimize:gradients", "optimize:hidden", "update"]
CORRECT = {"correct.py": STEP_CHECKS, "correct_dinosaur.py": DINO_CHECKS}


def _variant(tmp_path, source, edits, name="variant.py"):
    text = (DL / source).read_text()
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _failing(report):
    return [c.name for c in report.checks if c.status == "fail"]


@pytest.mark.parametrize("name", CORRECT)
def test_correct_passes(name):
    report = grade(str(DL / name))
    assert report.verdict == "pass", report.to_table()
    assert [c.name for c in report.checks] == CORRECT[name]
    assert all(c.rel_error < 1e-10 for c in report.checks)


@pytest.mark.parametrize("mistake", MISTAKES)
def test_mistake_is_named_in_the_courses_notation(mistake):
    from rnn_parity.grader.protocols.dlai import PROTOCOL

    report = grade(str(DL / "mistakes" / f"{mistake}.py"))
    assert report.verdict == "fail" and report.exit_code == 1, report.to_table()
    assert [f.mutant.id for f in report.diagnosis] == [mistake], report.to_table()
    (finding,) = report.diagnosis
    assert finding.full and set(finding.explains) == set(_failing(report))
    assert (finding.wrong, finding.correct) == PROTOCOL.phrasing[mistake]


@pytest.mark.parametrize("name", CORRECT)
def test_correct_never_fails(name):
    # 20 probe seeds, in this process (the child would run the same code; see inprocess.py)
    proto, module = inprocess.load(DL / name)
    for seed in range(1, 21):
        results = [c for c in inprocess.checks(proto, module, seed) if not c.name.startswith("lstm:")]
        assert [c.name for c in results] == CORRECT[name]  # (its LSTM half is a stub: graded in test_dlai_lstm)
        worst = max(results, key=lambda c: c.rel_error if c.rel_error is not None else float("inf"))
        assert worst.status == "pass" and worst.rel_error < 1e-9, (seed, worst)


def test_missing_helper_modules_are_supplied_and_reported():
    step, dino = grade(str(DL / "correct.py")), grade(str(DL / "correct_dinosaur.py"))
    assert "supplied rnn_utils from rnn-parity's definitions: softmax, sigmoid" in step.notes
    note = next(n for n in dino.notes if n.startswith("supplied utils"))
    for name in ("rnn_forward", "rnn_backward", "update_parameters", "softmax", "smooth", "print_sample"):
        assert name in note


def test_a_helper_module_that_is_there_is_used_not_supplied(tmp_path):
    (tmp_path / "rnn_utils.py").write_text(
        "import numpy as np\n\ndef softmax(x):\n    return np.exp(x) / np.exp(x).sum(axis=0)  # the student's own\n")
    report = grade(_variant(tmp_path, "correct.py", []))
    assert report.verdict == "pass"
    assert not any(n.startswith("supplied") for n in report.notes)


def test_a_wrong_helper_module_of_the_students_is_what_runs(tmp_path):
    (tmp_path / "rnn_utils.py").write_text("def softmax(x):\n    return x  # not a softmax\n")
    report = grade(_variant(tmp_path, "correct.py", []))
    assert _failing(report) == ["step:output", "output"]


def test_supplied_modules_never_import_rnn_parity():
    import ast

    from rnn_parity.grader.protocols import supplied

    for name in supplied.SUPPLIED + ("cs231n",):
        tree = ast.parse(open(supplied.file_of(name) if name != "cs231n" else f"{supplied.HERE}/cs231n/__init__.py").read())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert imported <= {"numpy"}, (name, imported)


def test_crash_in_one_function_fails_only_its_checks(tmp_path):
    path = _variant(tmp_path, "correct.py", [("    dWaa = np.dot(dtanh, a_prev.T)\n",
                                              "    dWaa = np.dot(dtanh, a_prev)  # (n_a, m) @ (n_a, m): a crash\n")])
    report = grade(path)
    assert report.verdict == "fail" and report.error is None
    assert _failing(report) == STEP_CHECKS[2:7] + STEP_CHECKS[9:]  # rnn_backward calls the cell: both fail
    assert "ValueError" in report.check("step:grad:Waa").detail and "variant.py" in report.check("grad:x").detail
    assert report.check("forward").status == "pass"


def test_shape_before_values(tmp_path):
    path = _variant(tmp_path, "correct.py", [("    dba = np.sum(dtanh, axis=1, keepdims=True)\n",
                                              "    dba = np.sum(dtanh, axis=1)\n"),
                                             ("np.zeros((n_a, n_a)), np.zeros((n_a, 1))", "np.zeros((n_a, n_a)), np.zeros(n_a)")])
    report = grade(path)
    assert _failing(report) == ["step:grad:ba", "grad:ba"]
    assert report.check("step:grad:ba").detail == ("gradients['dba'] of rnn_cell_backward has shape (6,), expected "
                                                   "(6, 1) (summed without keepdims=True: a column bias's gradient is "
                                                   "a column too)")


def test_a_missing_gradient_key_is_named(tmp_path):
    path = _variant(tmp_path, "correct.py", [('    return {"dxt": dxt, "da_prev": da_prev,', '    return {"dx": dxt, "da_prev": da_prev,')])
    report = grade(path)
    assert "missing 'dxt'" in report.check("step:grad:xt").detail


def test_an_lstm_half_still_the_template_is_not_written_yet(tmp_path):
    path = tmp_path / "step_by_step.py"
    path.write_text((DL / "correct.py").read_text() + "\n\ndef lstm_cell_forward(xt, a_prev, c_prev, parameters):\n"
                    "    pass\n")
    report = grade(str(path))
    assert report.verdict == "fail" and report.parts == {"rnn": "pass", "lstm": "not written yet"}
    assert "returned None" in report.check("lstm:step:forward").detail or \
        "not written yet" in report.check("lstm:step:forward").detail, report.to_table()

def test_a_notebook_as_handed_in(tmp_path):
    """The notebook's own imports (rnn_utils, public_tests) are missing and its test cells call helpers that
    are not there: definitions are graded, the modules supplied, and the report says so."""
    import nbformat

    body = (DL / "correct.py").read_text().split("from rnn_utils import softmax\n", 1)[1]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import numpy as np\nfrom rnn_utils import *\nfrom public_tests import *"),
                nbformat.v4.new_code_cell(body),
                nbformat.v4.new_code_cell("rnn_cell_forward_tests(rnn_cell_forward)\n%matplotlib inline")]
    path = tmp_path / "Building_a_Recurrent_Neural_Network_Step_by_Step.ipynb"
    nbformat.write(nb, str(path))
    report = grade(str(path))
    assert report.verdict == "pass", report.to_table()
    assert [c.name for c in report.checks] == STEP_CHECKS
    assert "supplied an empty public_tests (the course's own test helpers are not part of grading)" in report.notes


def test_unreadable_results_fail_only_their_function(tmp_path):
    # optimize swaps a parameter for one of another shape: its change cannot even be computed
    path = _variant(tmp_path, "correct_dinosaur.py", [("    return loss, gradients, a[len(X) - 1]",
                                                       "    parameters['Wax'] = parameters['Wax'][:2]\n"
                                                       "    return loss, gradients, a[len(X) - 1]")])
    report = grade(path)
    assert report.error is None and _failing(report) == DINO_CHECKS[1:]
    assert "optimize: what it returned could not be read (ValueError" in report.check("update").detail


def test_a_size_hard_coded_at_the_notebooks_value_is_named(tmp_path):
    path = _variant(tmp_path, "correct.py", [("    a = np.zeros((n_a, m, T_x))\n", "    a = np.zeros((5, m, T_x))\n")])
    report = grade(path)
    line = open(path).read().splitlines().index("    a = np.zeros((5, m, T_x))") + 1
    assert report.check("forward").detail.endswith(
        f"(works only at the notebook's sizes: a size is hard-coded (line {line}: `a = np.zeros((5, m, T_x))`))")
    assert report.check("step:forward").status == "pass"
