"""Benchmark: grade a folder of 20 notebook hand-ins into one CSV summary, the way a course would.

    python examples/notebooks/grade_folder_demo.py              # 20 notebooks, --jobs automatic
    python examples/notebooks/grade_folder_demo.py --jobs 1 --keep /tmp/hw

Builds 5 "students" x the 4 example notebooks (build.py, each student with its own seed) in a
temporary folder, then runs, as a course would,

    rnn-parity grade submissions/*.ipynb --summary grades.csv [--jobs N]

and times it. It checks every line of the CSV against what each notebook must give (pass; fail with
its mistake named; the notebook that needs --run-all-cells: could not grade, missing_global) and
exits 1 on any difference or if the whole run takes a minute or more.
"""
from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LIMIT_S = 60.0


def _build_module():
    spec = importlib.util.spec_from_file_location("rnn_parity_example_notebooks_build", HERE / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=5, help="hand-ins per example notebook (default 5: 20 files)")
    parser.add_argument("--jobs", type=int, default=0, help="passed to rnn-parity grade --jobs (default 0: automatic)")
    parser.add_argument("--keep", metavar="DIR", help="build in DIR and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)

    build = _build_module()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="rnn-parity-course-"))
    submissions = work / "submissions"
    submissions.mkdir(parents=True, exist_ok=True)
    expected = {}
    for k in range(args.students):
        for path in build.build_all(submissions, seed=100 + k, prefix=f"student{k:02d}_"):
            expected[path.name] = build.EXPECTED[path.stem.split("_", 1)[1]]
    files = sorted(str(p) for p in submissions.glob("*.ipynb"))
    summary = work / "grades.csv"
    exe = shutil.which("rnn-parity", path=os.path.dirname(sys.executable)) or shutil.which("rnn-parity")
    cmd = [exe] if exe else [sys.executable, "-m", "rnn_parity"]
    cmd += ["grade", *files, "--summary", str(summary), "--jobs", str(args.jobs)]
    print(f"grading {len(files)} notebooks in {submissions} (os.cpu_count() = {os.cpu_count()})")
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    print(proc.stdout.rstrip())
    if proc.stderr.strip():
        print(proc.stderr.rstrip(), file=sys.stderr)

    problems = []
    rows = list(csv.DictReader(summary.open())) if summary.exists() else []
    if len(rows) != len(files):
        problems.append(f"{len(rows)} CSV rows for {len(files)} files")
    for row in rows:
        verdict, mistake = expected[Path(row["file"]).name]
        if row["verdict"] != verdict:
            problems.append(f"{row['file']}: {row['verdict']}, expected {verdict}")
        if mistake and row["mistakes"] != mistake:
            problems.append(f"{row['file']}: mistakes {row['mistakes']!r}, expected {mistake!r}")
        if verdict == "error" and not row["error"].startswith("missing_global"):
            problems.append(f"{row['file']}: error {row['error'][:80]!r}, expected missing_global")
    per_file = [float(r["seconds"]) for r in rows]
    print(f"\n{len(files)} notebooks graded into {summary} in {elapsed:.1f} s wall "
          f"({elapsed / max(len(files), 1):.2f} s per notebook; per-file grading time "
          f"{min(per_file, default=0):.2f}-{max(per_file, default=0):.2f} s; limit {LIMIT_S:.0f} s)")
    if elapsed >= LIMIT_S:
        problems.append(f"took {elapsed:.1f} s, limit {LIMIT_S:.0f} s")
    for p in problems:
        print("PROBLEM:", p, file=sys.stderr)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
