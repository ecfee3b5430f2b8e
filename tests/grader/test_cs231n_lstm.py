"""The LSTM half of the cs231n protocol: the correct file passes (20 seeds), every catalogued mistake is named
in CS231n's notation, parts and own-gradient lines, Python 2 division, hard-coded sizes."""
import json

import pytest

from rnn_parity.cli import main
from rnn_parity.grader import grade
from rnn_parity.grader.protocols.cs231n import PROTOCOL

from . import inprocess
from .conftest import EXAMPLES

LS = EXAMPLES / "cs231n_lstm"
MISTAKES = sorted(p.stem for p in (LS / "mistakes").glob("*.py"))
CHECKS = ["lstm:step:forward", "lstm:step:grad:x", "lstm:step:grad:prev_h", "lstm:step:grad:prev_c",
          "lstm:step:grad:Wx", "lstm:step:grad:Wh", "lstm:step:grad:b", "lstm:forward", "lstm:grad:x",
          "lstm:grad:h0", "lstm:grad:Wx", "lstm:grad:Wh", "lstm:grad:b"]


def test_correct_passes_with_each_part_and_its_own_gradient(capsys):
    code = main(["grade", str(LS / "correct.py"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["verdict"] == "pass" and out["parts"] == {"lstm": "pass"}
    assert [c["name"] for c in out["checks"]] == CHECKS
    assert {fn: v["consistent"] for fn, v in out["own_gradient"].items()} == {"lstm_step_backward": True,
                                                                                "lstm_backward": True}


def test_correct_never_fails_over_20_seeds():
    proto, module = inprocess.load(LS / "correct.py")
    for seed in range(1, 21):
        results = inprocess.checks(proto, module, seed)
        assert [c.name for c in results] == CHECKS
        worst = max(results, key=lambda c: c.rel_error if c.rel_error is not None else float("inf"))
        assert worst.status == "pass" and worst.rel_error < 1e-9, (seed, worst)


@pytest.mark.parametrize("mistake", MISTAKES)
def test_mistake_is_named_in_cs231n_notation(mistake):
    name, results, info, findings = inprocess.grade_in_process(LS / "mistakes" / f"{mistake}.py", diagnose=True)
    failing = [c.name for c in results if c.status == "fail"]
    assert name == "cs231n" and failing, results
    assert [f.mutant.id for f in findings] == [mistake], [f.mutant.id for f in findings]
    (finding,) = findings
    assert finding.full and set(finding.explains) == set(failing)
    assert (finding.wrong, finding.correct) == PROTOCOL.phrasing[mistake]


def test_db_of_shape_1_by_4h_is_said_by_the_shape_check():
    name, results, info, findings = inprocess.grade_in_process(LS / "handed_in" / "db_keeps_batch_axis.py",
                                                               diagnose=True)
    assert [c.name for c in results if c.status == "fail"] == ["lstm:step:grad:b", "lstm:grad:b"] and not findings
    assert "has shape (1, 24), expected (24,) (summed over the batch with keepdims=True" in results[6].detail


def test_a_file_with_rnn_and_lstm_parts_passes_only_if_both_do(tmp_path):
    rnn = (EXAMPLES / "cs231n" / "correct.py").read_text()
    lstm = (LS / "mistakes" / "lstm_forget_gate_missing_from_dc_prev.py").read_text()
    path = tmp_path / "rnn_layers.py"
    path.write_text(rnn + "\n\n" + lstm.split('"""', 2)[2].replace("import numpy as np\n", "", 1))
    report = grade(str(path))
    assert report.verdict == "fail" and report.parts == {"rnn": "pass", "lstm": "fail"}, report.to_table()
    assert "parts: RNN PASS, LSTM FAIL" in report.to_table()
    assert [f.mutant.id for f in report.diagnosis] == ["lstm_forget_gate_missing_from_dc_prev"]


def test_backward_exact_for_a_forward_that_is_not_an_lstm(tmp_path):
    """Gates sliced i, f, g, o (torch's order) in both the forward and the backward: the backward is the exact
    gradient of the student's forward, and the report says the forward is the mistake."""
    text = (LS / "correct.py").read_text()
    for old, new in (("o = sigmoid(pre[:, 2 * H:3 * H])", "o = sigmoid(pre[:, 3 * H:])"),
                     ("g = np.tanh(pre[:, 3 * H:])", "g = np.tanh(pre[:, 2 * H:3 * H])"),
                     ("dpre = np.hstack([d_i, d_f, d_o, d_g])", "dpre = np.hstack([d_i, d_f, d_g, d_o])")):
        assert text.count(old) == 1
        text = text.replace(old, new)
    path = tmp_path / "torch_order.py"
    path.write_text(text)
    report = grade(str(path))
    assert report.check("lstm:forward").status == "fail" and report.check("lstm:grad:Wx").status == "fail"
    line = report.own_gradient["lstm_backward"]["sentence"]
    assert line.startswith("lstm_backward is the exact gradient of your lstm_forward") and "is not an LSTM" in line


def test_python2_homework_divides_as_python2_did():
    report = grade(str(LS / "handed_in" / "python2.py"))  # H = b.shape[0] / 4, print statements, xrange
    assert report.verdict == "pass", report.to_table()
    assert any("`/` keeps Python 2's meaning" in n for n in report.notes), report.notes


def test_a_size_hard_coded_at_the_notebooks_value_is_named_with_its_line():
    path = LS / "handed_in" / "hardcoded_size.py"
    report = grade(str(path))
    line = path.read_text().splitlines().index("    h = np.zeros((N, T, 4))") + 1
    detail = report.check("lstm:forward").detail
    assert f"works only at the notebook's sizes: a size is hard-coded (line {line}: `h = np.zeros((N, T, 4))`)" \
        in detail, detail
    assert report.check("lstm:step:forward").status == "pass"


def test_time_major_lstm_is_told_by_shape(tmp_path):
    text = (LS / "correct.py").read_text()
    for old, new in (("N, T, D = x.shape", "T, N, D = x.shape"), ("h = np.zeros((N, T, H))", "h = np.zeros((T, N, H))"),
                     ("(x[:, t, :], prev_h", "(x[t], prev_h"), ("h[:, t, :] = prev_h", "h[t] = prev_h"),
                     ("N, T, H = dh.shape", "T, N, H = dh.shape"), ("dx = np.zeros((N, T, D))", "dx = np.zeros((T, N, D))"),
                     ("dx[:, t, :], dprev_h", "dx[t], dprev_h"), ("dh[:, t, :] + dprev_h", "dh[t] + dprev_h")):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "time_major.py"
    path.write_text(text)
    report = grade(str(path))
    assert report.verdict == "pass", report.to_table()
    assert any("time-major" in n for n in report.notes)


@pytest.mark.parametrize("path, check, step", [
    (LS / "mistakes" / "lstm_upstream_grad_alone.py", "lstm:grad:x", 2),  # (dlai's pictures: the same code path)
])
def test_html_report_draws_each_failing_lstm_check_in_the_students_names(path, check, step):
    from rnn_parity.grader.reports.html_report import render_html

    report = grade(str(path))
    page = render_html(report)
    failing = [c for c in report.checks if c.status == "fail"]
    assert page.count('class="grad-heatmap"') == len(failing) > 0
    assert f'alt="{check}: yours, reference, difference"' in page and "<h2>Failing gradients</h2>" in page
    assert report.check(check).departs_at == step and f"<td>t={step}</td>" in page
    assert 'class="per-step"' in page and "Your backward against your own forward" in page
