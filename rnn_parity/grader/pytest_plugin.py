"""The teaching oracle as a pytest plugin: `pytest --rnn-impl FILE` grades FILE, one test item per check.

Installed with the package through the `pytest11` entry point `rnn_parity` (pyproject.toml), so it works
after `pip install rnn-parity` with no clone of this repository:

    pytest --rnn-impl homework.py                  # or homework.ipynb
    pytest --rnn-impl hw.ipynb --run-all-cells     # every cell, in an IPython shell in the grader's child
    pytest --rnn-impl hw.py --rnn-protocol minchar --rnn-class MyRNN --rnn-seed 3

Each check of the report (forward, grad:Wx, step:grad:prev_h, clip, ...) becomes an item named
`FILE::<check>` that passes or fails with the check's detail and the diagnosed mistake; a file that
cannot be graded gives one failing item `FILE::gradeable` with the one-line reason. The file is never
imported by pytest itself: it is graded by `rnn_parity.grader.grade`, which runs it in a child process.
Without --rnn-impl the plugin does nothing. `-p no:rnn_parity` turns it off.
"""
from __future__ import annotations

import os

import pytest

GROUP = "rnn-parity"
REPORTS = pytest.StashKey[list]()  # the GradeReports of this session, for the terminal summary


def pytest_addoption(parser):
    group = parser.getgroup(GROUP, "rnn-parity: grade a hand-written RNN (one test per check)")
    group.addoption("--rnn-impl", default=None, metavar="FILE", help="grade this .py or .ipynb file")
    group.addoption("--rnn-class", default=None, metavar="NAME", help="the class to grade, when the file has several")
    group.addoption("--rnn-protocol", default="auto", metavar="NAME", help="force a protocol (default: auto)")
    group.addoption("--rnn-seed", default=0, type=int, metavar="N", help="the probe seed (default 0)")
    group.addoption("--rnn-timeout", default=None, type=float, metavar="S", help="time limit of the child process")
    group.addoption("--rnn-zero-h0", action="store_true", default=False,
                    help="the implementation always starts from a zero hidden state")
    group.addoption("--run-all-cells", action="store_true", default=False,
                    help="for a notebook: run every code cell in an IPython shell, not just its definitions")


def _impl(config) -> str | None:
    impl = config.getoption("--rnn-impl", default=None)
    return os.path.abspath(impl) if impl else None


def pytest_configure(config):
    impl = _impl(config)
    if impl is None:
        return
    if not os.path.isfile(impl):
        raise pytest.UsageError(f"--rnn-impl: no such file: {config.getoption('--rnn-impl')}")
    # Grade the file even when pytest was given no path (it would otherwise walk the current folder).
    given = config.args_source == pytest.Config.ArgsSource.ARGS
    if not given:
        config.args = [impl]
    elif impl not in (os.path.abspath(a) for a in config.args):
        config.args = [*config.args, impl]


def _is_impl(config, path) -> bool:
    impl = _impl(config)
    return impl is not None and os.path.abspath(str(path)) == impl


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path, parent):
    # A .py file given on the command line would be imported by pytest's Python collector: never that.
    if _is_impl(parent.config, module_path):
        return GradedFile.from_parent(parent, path=module_path)
    return None


def pytest_collect_file(file_path, parent):
    if file_path.suffix != ".py" and _is_impl(parent.config, file_path):
        return GradedFile.from_parent(parent, path=file_path)
    return None


def grade_options(config) -> dict:
    options = {"class_name": config.getoption("--rnn-class"), "seed": config.getoption("--rnn-seed"),
               "run_all_cells": config.getoption("--run-all-cells"), "zero_h0": config.getoption("--rnn-zero-h0")}
    protocol = config.getoption("--rnn-protocol")
    if protocol and protocol != "auto":
        options["protocol"] = protocol
    if config.getoption("--rnn-timeout"):
        options["timeout"] = config.getoption("--rnn-timeout")
    return options


def diagnosis_text(report) -> str:
    """The diagnosed mistakes, one block each (empty when none)."""
    lines = []
    for finding in report.diagnosis or []:
        d = finding.to_json()
        lines.append(f"  {d.get('mistake', '')}")
        # in the protocol's own notation where it has one (finding.wrong), else the catalogue's math
        wrong, correct = getattr(finding, "wrong", "") or d.get("wrong_math"), getattr(finding, "correct", "") or \
            d.get("correct_math")
        if wrong and correct:
            lines.append(f"    wrong:   {wrong}\n    correct: {correct}")
    return ("diagnosis:\n" + "\n".join(lines)) if lines else ""


def check_failure(report, check) -> str:
    """The failure message of one failing check: its name, relative error, detail and the diagnosis."""
    err = "n/a" if check.rel_error is None else f"{check.rel_error:.2e}"
    return f"{check.name}: relative error {err}; {check.detail}\n{diagnosis_text(report)}".rstrip()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One block per graded file: its protocol, verdict and the report's notes (what was skipped, converted...)."""
    for report in config.stash.get(REPORTS, []):
        terminalreporter.section(f"rnn-parity: {os.path.basename(report.impl)}", sep="-")
        proto = report.info.get("protocol", "?")
        terminalreporter.write_line(f"protocol {proto}; verdict {report.verdict.upper()}")
        for note in report.notes:
            terminalreporter.write_line(f"note: {note}")


class CheckFailed(Exception):
    """A check the implementation fails (shown without a traceback)."""


class GradedFile(pytest.File):
    """The student's file: graded once, in a child process, when pytest collects it."""

    def collect(self):
        from ..errors import RNNParityError
        from . import grade

        try:
            report = grade(str(self.path), **grade_options(self.config))
        except RNNParityError as e:
            raise pytest.UsageError(f"--rnn-impl: {e}") from None
        self.config.stash.setdefault(REPORTS, []).append(report)
        if report.error or not report.checks:
            error = report.error or {"kind": "crash", "message": "nothing was graded"}
            yield CheckItem.from_parent(self, name="gradeable", report=report, check=None,
                                        failure=f"could not grade ({error['kind']}): {error['message']}")
        for check in report.checks:
            failure = check_failure(report, check) if check.status == "fail" else None
            yield CheckItem.from_parent(self, name=check.name, report=report, check=check, failure=failure)


class CheckItem(pytest.Item):
    def __init__(self, *, report, check, failure, **kwargs):
        super().__init__(**kwargs)
        self.report, self.check, self.failure = report, check, failure

    def runtest(self):
        if self.failure:
            raise CheckFailed(self.failure)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"rnn-parity {self.name}"
