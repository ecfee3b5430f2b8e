"""The LSTM half of the dlai protocol: the correct file passes (20 seeds), every catalogued mistake is named
in the course's notation, the RNN and LSTM parts of one file are graded whole."""
import pytest

from rnn_parity.grader import grade
from rnn_parity.grader.protocols.dlai import PROTOCOL

from . import inprocess
from .conftest import EXAMPLES

DL = EXAMPLES / "dlai_lstm"
MISTAKES = sorted(p.stem for p in (DL / "mistakes").glob("*.py"))
WEIGHTS = ["Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo"]
CHECKS = (["lstm:step:forward", "lstm:step:output"] + [f"lstm:step:grad:{k}" for k in ["xt", "a_prev", "c_prev"] + WEIGHTS]
          + ["lstm:forward", "lstm:output"] + [f"lstm:grad:{k}" for k in ["x", "a0"] + WEIGHTS])


def test_correct_passes_and_its_backward_is_its_forwards_gradient():
    report = grade(str(DL / "correct.py"))
    assert report.verdict == "pass" and report.parts == {"lstm": "pass"}, report.to_table()
    assert [c.name for c in report.checks] == CHECKS
    assert all(v["consistent"] for v in report.own_gradient.values()) and len(report.own_gradient) == 2


def test_correct_never_fails_over_20_seeds():
    proto, module = inprocess.load(DL / "correct.py")
    for seed in range(1, 21):
        results = inprocess.checks(proto, module, seed)
        assert [c.name for c in results] == CHECKS
        worst = max(results, key=lambda c: c.rel_error if c.rel_error is not None else float("inf"))
        assert worst.status == "pass" and worst.rel_error < 1e-9, (seed, worst)


@pytest.mark.parametrize("mistake", MISTAKES)
def test_mistake_is_named_in_the_courses_notation(mistake):
    name, results, info, findings = inprocess.grade_in_process(DL / "mistakes" / f"{mistake}.py", diagnose=True)
    failing = [c.name for c in results if c.status == "fail"]
    assert name == "dlai" and failing, results
    assert [f.mutant.id for f in findings] == [mistake], [f.mutant.id for f in findings]
    (finding,) = findings
    assert finding.full and set(finding.explains) == set(failing)
    assert (finding.wrong, finding.correct) == PROTOCOL.phrasing[mistake]


def test_a_bias_gradient_without_its_column_axis_is_said_by_the_shape_check():
    _, results, _ = inprocess.grade_in_process(DL / "handed_in" / "db_keeps_wrong_shape.py")
    bf = next(c for c in results if c.name == "lstm:step:grad:bf")
    assert bf.detail.startswith("gradients['dbf'] of lstm_cell_backward has shape (6,), expected (6, 1) "
                                "(summed without keepdims=True"), bf.detail


def test_rnn_and_lstm_parts_of_one_notebook_file(tmp_path):
    rnn = (EXAMPLES / "dlai" / "correct.py").read_text()
    lstm = (DL / "mistakes" / "lstm_upstream_grad_alone.py").read_text().split('"""', 2)[2]
    path = tmp_path / "step_by_step.py"
    path.write_text(rnn + "\n\n" + lstm.replace("import numpy as np\n", "", 1))
    report = grade(str(path))
    assert report.verdict == "fail" and report.to_json()["parts"] == {"rnn": "pass", "lstm": "fail"}
    assert [f.mutant.id for f in report.diagnosis] == ["lstm_upstream_grad_alone"]
    assert report.diagnosis[0].wrong == "gradients = lstm_cell_backward(da[:, :, t], dc_prevt, caches[t])"


def test_a_backward_handed_in_alone_is_graded_on_the_courses_cache(tmp_path):
    text = (DL / "correct.py").read_text()
    start, end = text.index("def lstm_cell_forward("), text.index("def lstm_cell_backward(")
    path = tmp_path / "backward_only.py"
    path.write_text(text[:start] + text[end:])
    report = grade(str(path))
    assert report.verdict == "pass" and [c.name for c in report.checks] == [c for c in CHECKS if "grad:" in c]
    assert any(n.startswith("lstm_backward graded on the course's cache") for n in report.notes), report.notes
