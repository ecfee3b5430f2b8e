"""Files that raise, hang, exit, flood the output or do not follow a protocol: a clear report, never a hang."""
import time

import pytest

from rnn_parity.cli import main
from rnn_parity.grader import grade


def test_raises(impls):
    report = grade(str(impls / "raises.py"))
    assert report.verdict == "error" and report.exit_code == 2
    assert report.error["kind"] == "exception"
    msg = report.error["message"]
    assert "RuntimeError: backprop is not written yet" in msg
    assert "backprop(d_y, learn_rate)" in msg and "raises.py" in msg
    # what ran before the exception is still reported
    assert report.check("forward") is not None and report.check("forward").status == "pass"


@pytest.mark.parametrize("name", ["hangs.py", "hangs_at_import.py"])
def test_hang_hits_the_time_limit(impls, name):
    start = time.monotonic()
    report = grade(str(impls / name), timeout=3)
    assert time.monotonic() - start < 20
    assert report.verdict == "error" and report.error["kind"] == "timeout"
    assert "time limit of 3 s" in report.error["message"]
    where = "importing the file" if "import" in name else "forward(params, inputs, h0)"
    assert where in report.error["message"]


def test_sys_exit(impls):
    report = grade(str(impls / "exits.py"))
    assert report.error["kind"] == "exit"
    assert "sys.exit(3)" in report.error["message"]
    report = grade(str(impls / "exits_at_import.py"))
    assert report.error["kind"] == "exit" and "importing the file" in report.error["message"]


def test_os_exit(impls):
    report = grade(str(impls / "os_exit.py"))
    assert report.verdict == "error" and report.error["kind"] == "exit"
    assert "exited with status 0" in report.error["message"]


def test_megabytes_of_output_are_capped(impls):
    start = time.monotonic()
    report = grade(str(impls / "floods.py"))
    assert time.monotonic() - start < 30
    assert report.verdict == "pass", report.to_table()
    assert report.output_chars > 6_000_000
    assert any("printed" in n for n in report.notes)
    assert len(report.to_table()) < 5000


def test_megabytes_of_output_cli(impls, capsys):
    code = main(["grade", str(impls / "floods.py")])
    out = capsys.readouterr()
    assert code == 0
    assert len(out.out) + len(out.err) < 5000


@pytest.mark.parametrize("name, kind, text", [
    ("nothing.py", "not_found", "found neither"),
    ("bad_signature.py", "signature", "forward must be forward(params, inputs, h0)"),
    ("bad_shapes.py", "shapes", "Wxh has shape (10, 6), expected (6, 10)"),
    ("syntax_error.py", "exception", "SyntaxError"),
    ("two_classes.py", "not_found", "--class NAME"),
])
def test_could_not_grade(impls, name, kind, text):
    report = grade(str(impls / name))
    assert report.verdict == "error" and report.exit_code == 2
    assert report.error["kind"] == kind
    assert text in report.error["message"], report.error["message"]


def test_class_option_picks_the_class(impls):
    assert grade(str(impls / "two_classes.py"), class_name="Good").verdict == "pass"
    bad = grade(str(impls / "two_classes.py"), class_name="Bad")
    assert bad.verdict == "fail" and bad.check("forward").status == "fail"
    missing = grade(str(impls / "two_classes.py"), class_name="Nope")
    assert missing.error["kind"] == "not_found"


def test_missing_file_is_one_line(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "nope.py")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file" in err


def test_error_json(impls, capsys):
    import json

    assert main(["grade", str(impls / "hangs.py"), "--json", "--timeout", "2"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["verdict"] == "error" and out["reason"]["kind"] == "timeout"
    assert out["checks"] == [] and out["diagnosis"] == []


def test_the_grader_never_imports_student_code(impls):
    import sys

    grade(str(impls / "raises.py"))
    assert "student_impl" not in sys.modules
    assert not any(getattr(m, "__file__", None) and str(impls) in str(m.__file__) for m in list(sys.modules.values()))
