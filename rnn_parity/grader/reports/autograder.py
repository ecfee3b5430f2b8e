"""Grade reports for course tooling: Gradescope's results.json, JUnit XML, and a CSV summary.

    from rnn_parity.grader.reports.autograder import write_gradescope, write_junit, write_summary
    write_gradescope(report, "results.json")            # one test per check
    write_junit([report, ...], "grades.xml")             # one <testsuite> per graded file
    write_summary([(report, seconds), ...], "grades.csv")

Scoring: every check is worth the same; a file that could not be graded scores 0. With
`max_score=POINTS` the points are spread evenly over the checks (so a function-protocol file, with
fewer checks, still totals POINTS).

Gradescope's format (https://gradescope-autograders.readthedocs.io/en/latest/specs/): a top-level
"tests" list whose entries hold "name", "score", "max_score", "output" and "status" ("passed" or
"failed"); the optional top-level "score", "output", "visibility", "stdout_visibility" and
"execution_time".
"""
from __future__ import annotations

import csv
import json
import os
import re
import xml.etree.ElementTree as ET

from ...reference.fsutil import atomic_write
from ..judging.checks import TOLERANCE

from ..judging.plan import CHECK_ORDER as CHECK_GROUPS
DESCRIPTIONS = {
    "forward": "forward outputs",
    "hidden": "hidden states",
    "clip": "gradient clipping",
    "update": "learning steps (weights after 3 updates)",
}
VISIBILITY = ("visible", "hidden", "after_due_date", "after_published")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def describe_check(check) -> str:
    if check.group.startswith("grad:"):
        return f"gradient of {check.name[5:]}"
    if ":grad:" in check.name:  # a course protocol's function group: step:grad:prev_h, temporal_affine:grad:w
        where, name = check.name.rsplit(":grad:", 1)
        return f"gradient of {name} ({where.replace('_', ' ')})"
    if check.name.endswith(":forward"):
        return f"{check.name[:-len(':forward')].replace('_', ' ')} forward outputs"
    return DESCRIPTIONS.get(check.group, check.name)


def _points(report, max_score: float | None) -> tuple[float, float]:
    """(points per check, total available)."""
    n = len(report.checks)
    if max_score is None:
        return 1.0, float(n)
    return (max_score / n if n else 0.0), float(max_score)


def score(report, max_score: float | None = None) -> tuple[float, float | None]:
    """(score, max score); a report that could not be graded scores 0 of max_score (None if unknown)."""
    if report.verdict == "error":
        return 0.0, max_score
    each, total = _points(report, max_score)
    return round(each * sum(c.status == "pass" for c in report.checks), 6), total


def _err(x) -> str:
    if x is None or x != x:
        return "n/a (wrong shape or not finite)"
    return "inf" if x == float("inf") else f"{x:.2e}"


def findings_for(report, check_name: str) -> list:
    return [f for f in report.diagnosis if check_name in f.explains]


def diagnosis_text(findings: list) -> str:
    lines = []
    for f in findings:
        m = f.mutant
        lines += [f"Diagnosis: {m.mistake}", f"  wrong:   {f.wrong}", f"  correct: {f.correct}",
                  f"  {m.explanation}", f"  (catalogued mistake {m.id})"]
    return "\n".join(lines)


def check_output(report, check) -> str:
    tol = report.evidence.get("tolerance", TOLERANCE) if report.evidence else TOLERANCE
    head = f"{check.status.upper()}: {describe_check(check)}, relative error {_err(check.rel_error)} " \
           f"(passes at or below {tol:g})"
    parts = [head]
    if check.detail:
        parts.append(check.detail)
    if check.status == "fail":
        found = findings_for(report, check.name)
        if found:
            parts.append(diagnosis_text(found))
        elif report.diagnosis:
            parts.append("None of the diagnosed mistakes reproduces this check.")
        else:
            parts.append("No catalogued mistake reproduces these results.")
    return "\n".join(parts)


# ----------------------------------------------------------------------------------------------
# Gradescope


def gradescope_results(report, max_score: float | None = None, visibility: str = "visible",
                       execution_time: float | None = None) -> dict:
    """Gradescope's results.json for one graded file."""
    if visibility not in VISIBILITY:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITY)}, got {visibility!r}")
    tests = []
    if report.verdict == "error":
        err = report.error or {"kind": "error", "message": "could not grade"}
        tests.append({"name": "grading", "score": 0.0, "max_score": float(max_score if max_score is not None else 1),
                      "status": "failed", "visibility": visibility,
                      "output": f"Could not grade ({err['kind']}): {err['message']}"})
        for c in report.checks:  # what ran before grading stopped, shown but not scored
            tests.append({"name": c.name, "score": 0.0, "max_score": 0.0,
                          "status": "passed" if c.status == "pass" else "failed", "visibility": visibility,
                          "output": check_output(report, c) + "\n(not scored: grading did not finish)"})
    else:
        each, _ = _points(report, max_score)
        for c in report.checks:
            got = each if c.status == "pass" else 0.0
            tests.append({"name": f"{c.name}: {describe_check(c)}", "score": round(got, 6),
                          "max_score": round(each, 6), "status": "passed" if c.status == "pass" else "failed",
                          "visibility": visibility, "output": check_output(report, c)})
    for n, t in enumerate(tests, 1):
        t["number"] = str(n)
    total, _ = score(report, max_score)
    out = {
        "score": total,
        "output": report.to_table(),
        "output_format": "text",
        "test_output_format": "text",
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    if execution_time is not None:
        out["execution_time"] = round(float(execution_time), 3)
    return out


def write_gradescope(report, path, **kwargs) -> str:
    data = gradescope_results(report, **kwargs)
    atomic_write(path, json.dumps(data, indent=2) + "\n")
    return str(path)


# ----------------------------------------------------------------------------------------------
# JUnit XML


def _clean(text) -> str:
    return _XML_ILLEGAL.sub("\ufffd", str(text))


def junit_tree(reports: list, durations: list | None = None) -> ET.ElementTree:
    """<testsuites> with one <testsuite> per graded file and one <testcase> per check."""
    durations = durations or [r.seconds for r in reports]
    root = ET.Element("testsuites", name="rnn-parity grade")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    total_time = 0.0
    for report, seconds in zip(reports, durations):
        stem = re.sub(r"[^\w.-]+", "_", os.path.splitext(os.path.basename(report.impl))[0]) or "impl"
        suite = ET.SubElement(root, "testsuite", name=_clean(report.impl))
        props = ET.SubElement(suite, "properties")
        for k, v in (("verdict", report.verdict), ("seed", report.seed),
                     ("mistakes", ",".join(f.mutant.id for f in report.diagnosis))):
            ET.SubElement(props, "property", name=k, value=_clean(v))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for c in report.checks:
            case = ET.SubElement(suite, "testcase", classname=f"rnn_parity.grade.{stem}", name=_clean(c.name),
                                 time="0")
            counts["tests"] += 1
            if c.status == "fail":
                counts["failures"] += 1
                fail = ET.SubElement(case, "failure", type="mismatch",
                                     message=_clean(f"{c.name}: relative error {_err(c.rel_error)}; {c.detail}"))
                fail.text = _clean(check_output(report, c))
        if report.verdict == "error":
            err = report.error or {"kind": "error", "message": "could not grade"}
            case = ET.SubElement(suite, "testcase", classname=f"rnn_parity.grade.{stem}", name="grading",
                                 time=f"{seconds:.3f}")
            e = ET.SubElement(case, "error", type=_clean(err["kind"]), message=_clean(err["message"][:500]))
            e.text = _clean(err["message"])
            counts["tests"] += 1
            counts["errors"] += 1
        else:
            seen = {c.group for c in report.checks}
            # the class / function protocols list the checks they leave out; a course protocol's checks
            # are the functions the file has (rnn_parity.grader.protocols)
            for group in () if report.info.get("title") else CHECK_GROUPS:
                if group in seen:
                    continue
                why = next((n for n in report.notes if group.split(":")[0] in n), "not part of this protocol")
                case = ET.SubElement(suite, "testcase", classname=f"rnn_parity.grade.{stem}", name=group, time="0")
                ET.SubElement(case, "skipped", message=_clean(why))
                counts["tests"] += 1
                counts["skipped"] += 1
        out = ET.SubElement(suite, "system-out")
        out.text = _clean(report.to_table())
        for k, v in counts.items():
            suite.set(k, str(v))
            totals[k] += v
        suite.set("time", f"{seconds:.3f}")
        total_time += seconds
    for k, v in totals.items():
        root.set(k, str(v))
    root.set("time", f"{total_time:.3f}")
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(reports: list, path, durations: list | None = None) -> str:
    tree = junit_tree(reports, durations)
    text = ET.tostring(tree.getroot(), encoding="unicode", xml_declaration=False)
    atomic_write(path, '<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n")
    return str(path)


# ----------------------------------------------------------------------------------------------
# CSV summary

SUMMARY_FIELDS = ("file", "verdict", "score", "max_score", *CHECK_GROUPS, "mistakes", "diagnosis", "error",
                  "seconds")


def summary_row(report, seconds: float | None = None, max_score: float | None = None) -> dict:
    total, available = score(report, max_score)
    row = {"file": report.impl, "verdict": report.verdict, "score": f"{total:g}",
           "max_score": "" if available is None else f"{available:g}"}
    by_group = {c.group: c.status for c in report.checks}
    for group in CHECK_GROUPS:
        row[group] = by_group.get(group, "")
    row["mistakes"] = ";".join(f.mutant.id for f in report.diagnosis)
    row["diagnosis"] = " | ".join(f.mutant.mistake for f in report.diagnosis)
    row["error"] = f"{report.error['kind']}: {report.error['message']}" if report.error else ""
    row["seconds"] = f"{(report.seconds if seconds is None else seconds):.2f}"
    return row


def write_summary(rows: list, path, max_score: float | None = None) -> str:
    """rows: [(report, seconds)]; one CSV line per graded file."""
    import io

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=SUMMARY_FIELDS, lineterminator="\n")
    writer.writeheader()
    for report, seconds in rows:
        writer.writerow(summary_row(report, seconds, max_score))
    atomic_write(path, buf.getvalue())
    return str(path)
