"""Course outputs: Gradescope's results.json, JUnit XML, the CSV summary and the HTML report."""
import csv
import json
import re
import xml.etree.ElementTree as ET

import pytest

from rnn_parity.cli import main
from rnn_parity.grader.reports.autograder import CHECK_GROUPS, gradescope_results, junit_tree
from rnn_parity.grader.reports.html_report import render_html

from .conftest import NOTEBOOKS, build, graded

NAMES = list(build.NAMES)
TEST_KEYS = {"name", "score", "max_score", "status", "output", "visibility", "number", "tags", "name_format",
             "output_format", "extra_data"}
TOP_KEYS = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
            "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def validate_gradescope(data: dict):
    """The documented fields of Gradescope's results.json, and nothing else."""
    assert isinstance(data, dict) and set(data) <= TOP_KEYS, set(data) - TOP_KEYS
    assert isinstance(data["tests"], list) and data["tests"]
    for t in data["tests"]:
        assert set(t) <= TEST_KEYS, set(t) - TEST_KEYS
        assert isinstance(t["name"], str) and t["name"]
        assert isinstance(t["score"], (int, float)) and isinstance(t["max_score"], (int, float))
        assert 0 <= t["score"] <= t["max_score"] or t["max_score"] == 0 == t["score"]
        assert isinstance(t["output"], str)
        assert t.get("status", "passed") in ("passed", "failed")
        assert t.get("visibility", "visible") in VISIBILITY
    if "score" in data:
        assert isinstance(data["score"], (int, float))
        assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
    assert isinstance(data.get("output", ""), str)
    assert data.get("visibility", "visible") in VISIBILITY
    assert data.get("stdout_visibility", "visible") in VISIBILITY


@pytest.mark.parametrize("name", NAMES)
def test_gradescope_results(name):
    report = graded(name)
    data = gradescope_results(report)
    validate_gradescope(data)
    json.dumps(data)  # plain JSON
    if report.verdict == "error":
        (test,) = data["tests"]
        assert test["status"] == "failed" and data["score"] == 0
        assert "vocab_size" in test["output"] and "--run-all-cells" in test["output"]
        return
    assert len(data["tests"]) == len(report.checks)  # one test per check
    for test, check in zip(data["tests"], report.checks):
        assert test["name"].startswith(check.name)
        assert test["status"] == ("passed" if check.status == "pass" else "failed")
        assert test["score"] == (1.0 if check.status == "pass" else 0.0) and test["max_score"] == 1.0
    if report.verdict == "fail":
        mistake = report.diagnosis[0].mutant
        failing = [t for t in data["tests"] if t["status"] == "failed"]
        assert all(mistake.mistake in t["output"] and mistake.math_wrong in t["output"] for t in failing)
        assert mistake.mistake in data["output"]


def test_gradescope_max_score_spreads_points():
    report = graded("mistake_hidden_grad_not_carried")  # function protocol: 7 checks
    data = gradescope_results(report, max_score=70, visibility="after_due_date")
    validate_gradescope(data)
    assert sum(t["max_score"] for t in data["tests"]) == pytest.approx(70)
    assert data["score"] == pytest.approx(40)  # 4 of 7 pass
    assert data["visibility"] == "after_due_date"


def test_junit_xml_parses():
    reports = [graded(n) for n in NAMES]
    tree = junit_tree(reports)
    root = ET.fromstring(ET.tostring(tree.getroot()))
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == len(reports)
    for suite, report in zip(suites, reports):
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        failures = [c for c in cases if c.find("failure") is not None]
        errors = [c for c in cases if c.find("error") is not None]
        assert int(suite.get("failures")) == len(failures) == sum(c.status == "fail" for c in report.checks)
        assert int(suite.get("errors")) == len(errors) == (report.verdict == "error")
        assert suite.find("system-out").text.startswith("rnn-parity grade:")
        for case in failures:
            assert report.diagnosis[0].mutant.math_wrong in case.find("failure").text
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites)
    skipped = [c.get("name") for c in suites[3].findall("testcase") if c.find("skipped") is not None]
    assert skipped == ["clip", "update"]  # not part of the function protocol


def test_html_has_one_heatmap_per_failing_gradient():
    for name in NAMES:
        report = graded(name)
        page = render_html(report)
        failing = [c for c in report.checks if c.group.startswith("grad:") and c.status == "fail"]
        heatmaps = re.findall(r'<img class="grad-heatmap"[^>]*src="data:image/png;base64,[A-Za-z0-9+/=]{200,}"', page)
        assert len(heatmaps) == len(failing), name
        assert page.count("<img") == len(failing) + (1 if report.checks else 0)  # + the per-step plot
        assert 'src="http' not in page and "<script" not in page  # self-contained
        assert f">{report.verdict.upper()}</span>" in page
        for f in report.diagnosis:
            assert f.mutant.mistake in page and f.mutant.math_wrong.replace("^", "^") in page
        if report.error:
            assert "vocab_size" in page


def test_cli_gradescope_html_and_junit(tmp_path, capsys):
    nb = NOTEBOOKS / "mistake_whh_not_transposed.ipynb"
    results, page, xml = tmp_path / "results.json", tmp_path / "r.html", tmp_path / "j.xml"
    code = main(["grade", str(nb), "--format", "gradescope", "--output", str(results), "--html", str(page),
                 "--junit-xml", str(xml)])
    out = capsys.readouterr()
    assert code == 1
    assert "verdict: FAIL" in out.out and "wrote Gradescope results" in out.err
    data = json.loads(results.read_text())
    validate_gradescope(data)
    assert data["score"] == 5 and len(data["tests"]) == 9 and "execution_time" in data
    assert page.read_text().count('class="grad-heatmap"') == 3
    ET.parse(xml)


def test_cli_gradescope_writes_results_for_a_missing_submission(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["grade", "homework.ipynb", "--format", "gradescope"])
    assert code == 2
    data = json.loads((tmp_path / "results.json").read_text())
    validate_gradescope(data)
    assert data["score"] == 0 and "no such file" in data["tests"][0]["output"]


def test_cli_several_files_into_a_csv_summary(tmp_path, capsys):
    files = [str(NOTEBOOKS / "correct_class.ipynb"), str(NOTEBOOKS / "mistake_hidden_grad_not_carried.ipynb"),
             str(tmp_path / "missing.ipynb")]
    summary, pages = tmp_path / "grades.csv", tmp_path / "pages"
    code = main(["grade", *files, "--summary", str(summary), "--html", str(pages), "--jobs", "2",
                 "--junit-xml", str(tmp_path / "all.xml")])
    out = capsys.readouterr().out
    assert code == 2  # the worst: one could not be graded
    assert "graded 3 files" in out and "1 pass, 1 fail, 1 could not grade" in out
    rows = list(csv.DictReader(summary.open()))
    assert [r["file"] for r in rows] == files
    assert [r["verdict"] for r in rows] == ["pass", "fail", "error"]
    assert rows[0]["score"] == rows[0]["max_score"] == "9"
    assert rows[1]["score"] == "4" and rows[1]["max_score"] == "7"
    assert rows[1]["mistakes"] == "hidden_grad_not_carried" and rows[1]["grad:Wxh"] == "fail"
    assert rows[1]["clip"] == "" and rows[0]["clip"] == "pass"
    assert rows[2]["error"].startswith("not_found")
    assert set(CHECK_GROUPS) <= set(rows[0])
    assert sorted(p.name for p in pages.iterdir()) == ["correct_class.html", "missing.html",
                                                        "mistake_hidden_grad_not_carried.html"]
    assert len(ET.parse(tmp_path / "all.xml").getroot().findall("testsuite")) == 3


def test_cli_refuses_gradescope_for_several_files(capsys):
    code = main(["grade", str(NOTEBOOKS / "correct_class.ipynb"), str(NOTEBOOKS / "needs_run_all.ipynb"),
                 "--format", "gradescope"])
    assert code == 2
    assert "one file at a time" in capsys.readouterr().err
