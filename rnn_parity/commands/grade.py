"""`rnn-parity grade FILE...`: the teaching oracle.

Runs a hand-written RNN (class or function protocol, in a .py file or a Jupyter notebook) in a
separate process, checks its forward outputs, hidden state, every gradient, clipping and a few
learning steps against the reference, localizes where gradients depart, and names the catalogued
mistake its results reproduce. Several files are graded a few at a time (--jobs) into a CSV
summary (--summary); --format gradescope, --junit-xml and --html write course-tool outputs.
Exit status: 0 pass, 1 fail, 2 could not grade (the worst over all files).
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time

from ..errors import RNNParityError

FORMATS = ("table", "json", "gradescope")
MAX_AUTO_JOBS = 4


def _protocols() -> tuple:
    from ..grader.protocols.registry import names

    return names()


def add_arguments(parser):
    from ..grader.reports.autograder import VISIBILITY
    from ..grader.options import SANDBOX_MODES

    parser.add_argument("files", nargs="+", metavar="FILE",
                        help="the Python file(s) or Jupyter notebook(s) (.ipynb) holding the implementation")
    parser.add_argument("--class", dest="class_name", metavar="NAME",
                        help="grade this class (class protocol); found automatically when there is one")
    parser.add_argument("--protocol", choices=_protocols(), default="auto",
                        help="grade the file as this protocol (default: auto, recognised from the names and "
                             "signatures it defines)")
    parser.add_argument("--run-all-cells", action="store_true",
                        help="notebooks: run every code cell in order (default: only imports, functions, classes "
                             "and constant assignments, so training and plotting cells do not run)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON (same as --format json)")
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="table (default), json, or gradescope: write Gradescope's results.json to --output")
    parser.add_argument("--output", metavar="PATH",
                        help="where --format gradescope writes (default results.json); with --format json, "
                             "a file to write instead of printing")
    parser.add_argument("--junit-xml", metavar="FILE", help="also write JUnit XML (one test case per check)")
    parser.add_argument("--html", metavar="PATH",
                        help="also write a self-contained HTML report; with several files, PATH is a folder "
                             "that gets one page per file")
    parser.add_argument("--summary", metavar="CSV", help="also write a CSV summary, one line per file")
    parser.add_argument("--jobs", "-j", type=int, default=0,
                        help=f"files graded at once (default: one per CPU core, at most {MAX_AUTO_JOBS})")
    parser.add_argument("--max-score", type=float, default=None, metavar="POINTS",
                        help="Gradescope and CSV scores: spread POINTS evenly over the checks "
                             "(default: one point per check)")
    parser.add_argument("--visibility", choices=VISIBILITY, default="visible",
                        help="Gradescope visibility of the results (default: visible)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the probe weights and sequences (default 0)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="time limit in seconds for importing and running each file (default 30)")
    parser.add_argument("--tolerance", type=float, default=None,
                        help="largest relative error that passes (default 1e-6; float32 code may need 1e-4)")
    parser.add_argument("--zero-h0", action="store_true",
                        help="function protocol: call forward with h0 = 0 (for code that always starts from zeros)")
    parser.add_argument("--no-diagnosis", action="store_true", help="skip naming the mistake")
    parser.add_argument("--sandbox", choices=SANDBOX_MODES, default="auto",
                        help="run the code under bubblewrap: auto (default: when it works here), require (refuse "
                             "to grade without it), off (a child process with limits only); see docs/grading.md")


def _options(args, tol: float, private: tuple = ()):
    from ..grader.options import GradeOptions

    return GradeOptions(seed=args.seed, class_name=args.class_name, protocol=args.protocol, timeout=args.timeout,
                        diagnose_mistakes=not args.no_diagnosis, tol=tol, zero_h0=args.zero_h0,
                        run_all_cells=args.run_all_cells, sandbox=args.sandbox, private_paths=private)


def _private_paths(args, files: list) -> tuple:
    """What no submission may see: every file of this run (each grade binds back its own) and the outputs."""
    from ..grader.options import abspaths

    outputs = [p for p in (args.output, args.junit_xml, args.summary, args.html) if p]
    return abspaths(list(files) + outputs)


def grade_file(path: str, options):
    """(report, wall seconds) for one file; a missing file is a report, not an exception. Runs in a worker."""
    from ..grader.core import grade
    from ..grader.reports.report import GradeReport

    start = time.monotonic()
    if not os.path.isfile(path):
        report = GradeReport(impl=path, verdict="error", seed=options.seed,
                             error={"kind": "not_found", "message": f"no such file: {path}"})
    else:
        own = os.path.realpath(path)
        report = grade(path, options.with_(private_paths=tuple(p for p in options.private_paths if p != own)))
    return report, time.monotonic() - start


def _pool_context():
    import multiprocessing as mp

    # fork is quick and never re-imports __main__; with threads about (pytest-xdist) spawn is the safe one.
    if os.name == "posix" and threading.active_count() == 1 and "fork" in mp.get_all_start_methods():
        return mp.get_context("fork")
    return mp.get_context("spawn")


def _grade_all(files: list, options, jobs: int, on_result):
    if jobs <= 1 or len(files) <= 1:
        for path in files:
            on_result(path, *grade_file(path, options))
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs, mp_context=_pool_context()) as pool:
        futures = [pool.submit(grade_file, path, options) for path in files]
        try:
            for path, fut in zip(files, futures):
                on_result(path, *fut.result())
        except BaseException:
            for fut in futures:
                fut.cancel()
            raise


def _check_outputs(args, several: bool, fmt: str):
    from ..reference.fsutil import check_writable

    if fmt == "gradescope" or (fmt == "json" and args.output):
        check_writable(args.output or "results.json", "--output")
    if args.junit_xml:
        check_writable(args.junit_xml, "--junit-xml")
    if args.summary:
        check_writable(args.summary, "--summary")
    if args.html:
        if several:
            if os.path.exists(args.html) and not os.path.isdir(args.html):
                raise RNNParityError(f"--html {args.html!r}: with several files, --html names a folder "
                                     "(one page per file)")
            parent = os.path.dirname(os.path.abspath(args.html))
            if not os.path.isdir(parent):
                raise RNNParityError(f"--html {args.html!r}: directory {parent!r} does not exist")
        else:
            check_writable(args.html, "--html")


def _html_paths(folder: str, reports: list) -> list:
    used, out = set(), []
    for r in reports:
        stem = os.path.splitext(os.path.basename(r.impl))[0] or "report"
        name, k = stem, 2
        while name in used:
            name, k = f"{stem}-{k}", k + 1
        used.add(name)
        out.append(os.path.join(folder, name + ".html"))
    return out


def _one_line(report, seconds: float) -> str:
    n = len(report.checks)
    passed = sum(c.status == "pass" for c in report.checks)
    line = f"{report.verdict.upper():<6}{passed:>2}/{n:<2} {seconds:5.1f} s  {report.impl}"
    if report.diagnosis:
        line += "  -- " + ", ".join(f.mutant.id for f in report.diagnosis)
    elif report.error:
        msg = report.error["message"]
        line += f"  -- {report.error['kind']}: {msg[:100]}{'...' if len(msg) > 100 else ''}"
    return line


def run(args) -> int:
    from ..grader.judging.checks import TOLERANCE

    fmt = "json" if args.json and args.format in (None, "json") else (args.format or "table")
    if args.json and args.format not in (None, "json"):
        raise RNNParityError(f"--json and --format {args.format} disagree: choose one")
    files = list(args.files)
    several = len(files) > 1
    tol = TOLERANCE if args.tolerance is None else args.tolerance
    if not tol > 0:
        raise RNNParityError(f"--tolerance must be positive, got {args.tolerance}")
    if not args.timeout > 0:
        raise RNNParityError(f"--timeout must be positive, got {args.timeout}")
    if args.jobs < 0:
        raise RNNParityError(f"--jobs must be 0 (automatic) or more, got {args.jobs}")
    if args.max_score is not None and not args.max_score > 0:
        raise RNNParityError(f"--max-score must be positive, got {args.max_score}")
    if fmt == "gradescope" and several:
        raise RNNParityError("--format gradescope writes one submission's results.json: grade one file at a time")
    if not several and not os.path.isfile(files[0]) and fmt == "table" and not (args.summary or args.junit_xml):
        raise RNNParityError(f"no such file: {files[0]}")
    _check_outputs(args, several, fmt)
    jobs = args.jobs or min(MAX_AUTO_JOBS, os.cpu_count() or 1, len(files))

    options = _options(args, tol, _private_paths(args, files)).validate()
    if args.sandbox == "require":  # one line, before any file is tried
        from ..grader.isolation.sandbox import probe

        reason = probe()
        if reason:
            raise RNNParityError(f"--sandbox require: {reason}")
    results: list = []
    start = time.monotonic()

    def on_result(path, report, seconds):
        results.append((report, seconds))
        if several and fmt == "table":
            print(_one_line(report, seconds), flush=True)

    _grade_all(files, options, jobs, on_result)
    wall = time.monotonic() - start
    reports = [r for r, _ in results]
    seconds = [s for _, s in results]

    if fmt == "json":
        data = reports[0].to_json() if not several else [r.to_json() for r in reports]
        text = json.dumps(data, indent=2)
        if args.output:
            from ..reference.fsutil import atomic_write

            atomic_write(args.output, text + "\n")
            _wrote(args.output, "JSON report")
        else:
            print(text)
    elif fmt == "gradescope":
        from ..grader.reports.autograder import write_gradescope

        print(reports[0].to_table())
        path = write_gradescope(reports[0], args.output or "results.json", max_score=args.max_score,
                                visibility=args.visibility, execution_time=seconds[0])
        _wrote(path, "Gradescope results")
    elif not several:
        print(reports[0].to_table())
    if several and fmt == "table":
        counts = {v: sum(r.verdict == v for r in reports) for v in ("pass", "fail", "error")}
        print(f"graded {len(reports)} files in {wall:.1f} s ({jobs} at a time): {counts['pass']} pass, "
              f"{counts['fail']} fail, {counts['error']} could not grade")
    if args.junit_xml:
        from ..grader.reports.autograder import write_junit

        _wrote(write_junit(reports, args.junit_xml, seconds), "JUnit XML")
    if args.summary:
        from ..grader.reports.autograder import write_summary

        _wrote(write_summary(results, args.summary, max_score=args.max_score), "CSV summary")
    if args.html:
        from ..grader.reports.html_report import write_html

        if several:
            os.makedirs(args.html, exist_ok=True)
            for report, path in zip(reports, _html_paths(args.html, reports)):
                write_html(report, path)
            _wrote(args.html, f"{len(reports)} HTML reports")
        else:
            _wrote(write_html(reports[0], args.html), "HTML report")
    return max(r.exit_code for r in reports)


def _wrote(path, what: str):
    print(f"rnn-parity grade: wrote {what}: {path}", file=sys.stderr)
