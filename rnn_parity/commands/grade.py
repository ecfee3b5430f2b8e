"""`rnn-parity grade FILE`: the teaching oracle.

Runs a hand-written RNN (class or function protocol) in a separate process, checks its forward
outputs, hidden state, every gradient, clipping and a few learning steps against the reference,
localizes where gradients depart, and names the catalogued mistake its results reproduce.
Exit status: 0 pass, 1 fail, 2 could not grade.
"""
from __future__ import annotations

import json
import os

from ..errors import RNNParityError


def add_arguments(parser):
    parser.add_argument("file", help="the Python file holding the implementation")
    parser.add_argument("--class", dest="class_name", metavar="NAME",
                        help="grade this class (class protocol); found automatically when there is one")
    parser.add_argument("--protocol", choices=("auto", "class", "functions"), default="auto",
                        help="which protocol to grade when the file has both (default: auto)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--seed", type=int, default=0, help="seed of the probe weights and sequences (default 0)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="time limit in seconds for importing and running the file (default 30)")
    parser.add_argument("--tolerance", type=float, default=None,
                        help="largest relative error that passes (default 1e-6; float32 code may need 1e-4)")
    parser.add_argument("--zero-h0", action="store_true",
                        help="function protocol: call forward with h0 = 0 (for code that always starts from zeros)")
    parser.add_argument("--no-diagnosis", action="store_true", help="skip naming the mistake")


def run(args) -> int:
    from ..grader.checks import TOLERANCE
    from ..grader.core import grade
    from ..grader.report import GradeReport

    if not os.path.isfile(args.file):
        if args.json:
            report = GradeReport(impl=args.file, verdict="error",
                                 error={"kind": "not_found", "message": f"no such file: {args.file}"})
            print(json.dumps(report.to_json(), indent=2))
            return 2
        raise RNNParityError(f"no such file: {args.file}")
    tol = TOLERANCE if args.tolerance is None else args.tolerance
    if not tol > 0:
        raise RNNParityError(f"--tolerance must be positive, got {args.tolerance}")
    report = grade(args.file, seed=args.seed, class_name=args.class_name, protocol=args.protocol,
                   timeout=args.timeout, diagnose_mistakes=not args.no_diagnosis, tol=tol,
                   zero_h0=args.zero_h0)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(report.to_table())
    return report.exit_code
