"""The cs231n protocol (CS231n rnn_layers.py): correct files pass in both layouts, every mistake is named in
CS231n's notation, a crash or a wrong shape fails only its own checks."""
import json
import subprocess
import sys

import pytest

from rnn_parity.cli import main
from rnn_parity.grader import grade

from . import inprocess
from .conftest import EXAMPLES

CS = EXAMPLES / "cs231n"
MISTAKES = sorted(p.stem for p in (CS / "mistakes").glob("*.py"))
CORRECT = {"correct.py": "batch-major", "correct_time_major.py": "time-major"}
CHECKS = ["step:forward", "step:grad:x", "step:grad:prev_h", "step:grad:Wx", "step:grad:Wh", "step:grad:b",
          "forward", "grad:x", "grad:h0", "grad:Wx", "grad:Wh", "grad:b", "embedding:forward", "embedding:grad:W",
          "temporal_affine:forward", "temporal_affine:grad:x", "temporal_affine:grad:w", "temporal_affine:grad:b",
          "temporal_softmax_loss", "temporal_softmax_loss:grad:x"]


def _variant(tmp_path, edits, name="variant.py", source="correct.py"):
    text = (CS / source).read_text()
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _failing(report):
    return [c.name for c in report.checks if c.status == "fail"]


@pytest.mark.parametrize("name", CORRECT)
def test_correct_passes_in_its_layout(name):
    report = grade(str(CS / name))
    assert report.verdict == "pass", report.to_table()
    rnn = [c for c in report.checks if not c.name.startswith("lstm:")]
    assert [c.name for c in rnn] == CHECKS
    assert all(c.rel_error < 1e-10 for c in rnn)
    assert report.info["protocol"] == "cs231n" and report.info["layout"] == CORRECT[name]


@pytest.mark.parametrize("mistake", MISTAKES)
def test_mistake_is_named_in_cs231n_notation(mistake):
    from rnn_parity.grader.protocols.cs231n import PROTOCOL

    report = grade(str(CS / "mistakes" / f"{mistake}.py"))
    assert report.verdict == "fail" and report.exit_code == 1, report.to_table()
    assert [f.mutant.id for f in report.diagnosis] == [mistake], report.to_table()
    (finding,) = report.diagnosis
    assert finding.full and set(finding.explains) == set(_failing(report))
    assert (finding.wrong, finding.correct) == PROTOCOL.phrasing[mistake]


def test_phrasing_in_the_report(capsys):
    code = main(["grade", str(CS / "mistakes" / "whh_not_transposed_backward.py"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["verdict"] == "fail" and out["protocol"]["protocol"] == "cs231n"
    (finding,) = out["diagnosis"]
    assert finding["wrong_math"] == "dprev_h = dtanh @ Wh" and finding["correct_math"] == "dprev_h = dtanh @ Wh.T"
    assert [c["name"] for c in out["checks"] if not c["name"].startswith("lstm:")] == CHECKS


@pytest.mark.parametrize("name", CORRECT)
def test_correct_never_fails(name):
    # 20 probe seeds, in this process (the child would run the same code; see inprocess.py)
    proto, module = inprocess.load(CS / name)
    for seed in range(1, 21):
        results = [c for c in inprocess.checks(proto, module, seed) if not c.name.startswith("lstm:")]
        assert [c.name for c in results] == CHECKS
        worst = max(results, key=lambda c: c.rel_error if c.rel_error is not None else float("inf"))
        assert worst.status == "pass" and worst.rel_error < 1e-9, (seed, worst)


def test_crash_in_one_function_fails_only_its_checks(tmp_path):
    path = _variant(tmp_path, [("    dx = dout @ w.T\n", "    dx = dout @ w.T + undefined_name\n")])
    report = grade(path)
    assert report.verdict == "fail" and report.error is None
    failing = _failing(report)
    assert failing == ["temporal_affine:grad:x", "temporal_affine:grad:w", "temporal_affine:grad:b"]
    detail = report.check("temporal_affine:grad:w").detail
    line = open(path).read().splitlines().index("    dx = dout @ w.T + undefined_name") + 1
    assert "NameError" in detail and f"line {line} of variant.py" in detail and "undefined_name" in detail


def test_crash_in_a_forward_marks_its_backward_not_run(tmp_path):
    path = _variant(tmp_path, [("    next_h = np.tanh(", "    next_h = 1 / 0 + np.tanh(")])
    report = grade(path)
    assert report.verdict == "fail"
    assert "ZeroDivisionError" in report.check("step:forward").detail
    assert report.check("step:grad:Wx").detail == "not run: rnn_step_forward failed"
    assert report.check("embedding:forward").status == "pass"  # the other functions are still graded


def test_shape_before_values(tmp_path):
    path = _variant(tmp_path, [("    db = dtanh.sum(axis=0)\n", "    db = dtanh.sum(axis=0, keepdims=True)\n"),
                               ("        db += db_t\n", "        db = db + db_t\n")])
    report = grade(path)
    step_b, b = report.check("step:grad:b"), report.check("grad:b")
    assert step_b.status == "fail" and step_b.detail.startswith(
        "db of rnn_step_backward has shape (1, 6), expected (6,) (summed over the batch with keepdims=True")
    assert b.status == "fail" and "shape (1, 6), expected (6,)" in b.detail
    assert _failing(report) == ["step:grad:b", "grad:b"]  # the values are right: nothing else fails


def test_an_lstm_half_still_the_template_is_not_written_yet(tmp_path):
    path = tmp_path / "rnn_layers.py"
    path.write_text((CS / "correct.py").read_text() + "\n\ndef lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):\n"
                    "    raise NotImplementedError\n")
    report = grade(str(path))
    assert report.verdict == "fail" and report.to_json()["parts"] == {"rnn": "pass", "lstm": "not written yet"}
    assert any(n.startswith("the LSTM part is not written yet") for n in report.notes), report.notes
    assert "NotImplementedError" in report.check("lstm:step:forward").detail

def test_a_file_with_only_the_step_functions(tmp_path):
    text = (CS / "correct.py").read_text()
    path = tmp_path / "steps.py"
    path.write_text(text[:text.index("def rnn_forward(")])
    report = grade(str(path))
    assert report.verdict == "pass" and [c.name for c in report.checks] == CHECKS[:6]  # no LSTM: no parts
    assert "parts" not in report.to_json()


def test_the_students_own_argument_names(tmp_path):
    path = _variant(tmp_path, [("def rnn_step_forward(x, prev_h, Wx, Wh, b):", "def rnn_step_forward(x, h_prev, Wx, Wh, b):"),
                               ("    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)\n    return next_h, (x, prev_h, Wx, Wh, next_h)",
                                "    next_h = np.tanh(x @ Wx + h_prev @ Wh + b)\n    return next_h, (x, h_prev, Wx, Wh, next_h)")])
    assert "step:grad:h_prev" in [c.name for c in grade(path).checks]


@pytest.mark.parametrize("check,edit", [
    ("embedding:forward", ("    return W[x], (x, W.shape)", "    return W[x] * 1.5, (x, W.shape)")),
    ("embedding:grad:W", ("    np.add.at(dW, x, dout)", "    dW[x] += dout")),
    ("temporal_affine:forward", ("    return x @ w + b, (x, w)", "    return x @ w, (x, w)")),
    ("temporal_affine:grad:w", ("    dw = x.reshape(N * T, D).T @ dout.reshape(N * T, -1)",
                                "    dw = x.reshape(N * T, D).T @ dout.reshape(N * T, -1) / N")),
    ("temporal_affine:grad:b", ("    db = dout.sum(axis=(0, 1))", "    db = dout.sum(axis=(0, 1)) * 0")),
    ("temporal_softmax_loss", ("    loss = -np.sum(m * log_probs[np.arange(N * T), y_flat]) / N",
                               "    loss = -np.sum(log_probs[np.arange(N * T), y_flat]) / N")),
    ("temporal_softmax_loss:grad:x", ("    dx *= m[:, None] / N", "    dx *= m[:, None]")),
])
def test_each_other_layer_check_can_fail(tmp_path, check, edit):
    report = grade(_variant(tmp_path, [edit]))
    assert _failing(report) == [check], report.to_table()


def test_time_major_mistake_is_still_named(tmp_path):
    path = _variant(tmp_path, [("    dprev_h = dtanh @ Wh.T\n", "    dprev_h = dtanh @ Wh\n")], source="correct_time_major.py")
    report = grade(path)
    assert report.info["layout"] == "time-major"
    assert [f.mutant.id for f in report.diagnosis] == ["whh_not_transposed_backward"]


def test_forced_protocol_names_what_is_missing(tmp_path):
    path = tmp_path / "empty.py"
    path.write_text("import numpy as np\n")
    report = grade(str(path), protocol="cs231n")
    assert report.verdict == "error" and "cs231n" in report.error["message"]
    assert grade(str(CS / "correct.py"), protocol="cs231n").verdict == "pass"


def test_child_side_never_imports_the_answer_key():
    code = ("import sys; from rnn_parity.grader.protocols import registry, supplied\n"
            "protos = registry.registered(); assert set(protos) >= {'cs231n', 'dlai'}\n"
            "for p in protos.values(): p.plan(0)\n"
            "bad = [m for m in ('torch', 'rnn_parity.reference', 'rnn_parity.grader.judging.answers', 'scipy') if m in sys.modules]\n"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_forward_only_versions_are_graded_on_their_outputs(tmp_path):
    # later course versions have forwards that return the output alone (autograd does the backward)
    path = tmp_path / "forward_only.py"
    path.write_text("import numpy as np\n\n"
                    "def rnn_step_forward(x, prev_h, Wx, Wh, b):\n    return np.tanh(x @ Wx + prev_h @ Wh + b)\n\n"
                    "def rnn_forward(x, h0, Wx, Wh, b):\n    h, prev = [], h0\n    for t in range(x.shape[1]):\n"
                    "        prev = rnn_step_forward(x[:, t], prev, Wx, Wh, b)\n        h.append(prev)\n"
                    "    return np.stack(h, axis=1)\n\n"
                    "def word_embedding_forward(x, W):\n    return W[x] + 0 * x[..., None]\n")
    report = grade(str(path))
    assert report.verdict == "pass", report.to_table()
    assert [c.name for c in report.checks] == ["step:forward", "forward", "embedding:forward"]
    assert any(n.startswith("forward only") for n in report.notes)


def test_the_documented_example_passes(tmp_path):
    import re

    doc = (EXAMPLES.parent / "docs" / "protocols" / "cs231n.md").read_text()
    (code,) = re.findall(r"```python\n(.*?)```", doc, re.S)
    path = tmp_path / "rnn_layers.py"
    path.write_text(code)
    report = grade(str(path))
    assert report.verdict == "pass" and [c.name for c in report.checks] == CHECKS[:12]


def test_course_tool_outputs_name_the_protocols_checks(tmp_path):
    from rnn_parity.grader.reports.autograder import gradescope_results, junit_tree

    report = grade(str(CS / "mistakes" / "h0_ignored.py"))
    cases = [c.get("name") for c in junit_tree([report]).getroot().iter("testcase")]
    assert cases == CHECKS  # no skipped entries for the class / function protocols' checks
    tests = gradescope_results(report)["tests"]
    assert tests[1]["name"] == "step:grad:x: gradient of x (step)"


def test_a_backpropagation_mistake_names_the_wrong_steps():
    report = grade(str(CS / "mistakes" / "whh_not_transposed_backward.py"))
    assert report.check("grad:x").detail.endswith("at steps t = 0, 1, 2 of 4")  # the last step is right


def test_batch_major_input_with_time_major_output_fails_on_the_shape(tmp_path):
    path = _variant(tmp_path, [("    return h, caches\n", "    return h.transpose(1, 0, 2), caches\n")])
    report = grade(path)
    assert report.info["layout"] == "batch-major"
    assert report.check("forward").detail == "h of rnn_forward has shape (4, 3, 6), expected (3, 4, 6)"
    assert report.check("step:forward").status == "pass"


def test_an_endless_loop_in_one_function_fails_only_its_checks(tmp_path):
    path = _variant(tmp_path, [("    x, w = cache\n", "    x, w = cache\n    while True:\n        pass\n")])
    report = grade(path)
    assert report.verdict == "fail" and report.error is None
    assert _failing(report) == ["temporal_affine:grad:x", "temporal_affine:grad:w", "temporal_affine:grad:b"]
    assert "did not finish within 5 s (an endless loop?)" in report.check("temporal_affine:grad:w").detail


def test_a_hidden_size_hard_coded_at_the_notebooks_value_is_named(tmp_path):
    path = _variant(tmp_path, [("    h = np.zeros((N, T, h0.shape[1]))\n", "    h = np.zeros((N, T, 5))\n")])
    report = grade(path)
    line = open(path).read().splitlines().index("    h = np.zeros((N, T, 5))") + 1
    detail = report.check("forward").detail
    assert detail.endswith(f"(works only at the notebook's sizes: a size is hard-coded (line {line}: "
                           "`h = np.zeros((N, T, 5))`))"), detail
    assert report.check("grad:x").detail == "not run: rnn_forward failed"  # the size sits in the forward
