"""`rnn-parity grade FILE` runs untrusted code: in a subprocess, with a time limit and an output cap, and never
in the grader's own process. Files that raise, hang, exit, kill themselves or print megabytes end in a
report (exit 2, "could not grade") and a grader that is still in charge.

Through the CLI: `rnn-parity grade FILE --json` in this process (so sys.modules and the process ids can be
checked) and once as a real subprocess. The tests whose submission writes a record outside its folder run
with --sandbox off (the bubblewrap sandbox would, rightly, stop the write); tests/sandbox/ runs hostile
submissions both ways.
"""
from __future__ import annotations

import json
import os
import sys
import textwrap
import time

import pytest


# A correct function-protocol RNN (karpathy names), with room for a prelude run at import and a hook in forward.
TEMPLATE = '''\
import json, os, signal, subprocess, sys, time
import numpy as np

RECORD = {record!r}

def record(**extra):
    info = dict(pid=os.getpid(), ppid=os.getppid(), pgid=os.getpgid(0), sid=os.getsid(0), **extra)
    with open(RECORD, "a") as f:
        f.write(json.dumps(info) + "\\n")

{prelude}

def forward(params, inputs, h0):
{hook}
    hs, ys = [h0], []
    for x in inputs:
        hs.append(np.tanh(params["Wxh"] @ x + params["Whh"] @ hs[-1] + params["bh"]))
        ys.append(params["Why"] @ hs[-1] + params["by"])
    return ys, (inputs, hs)


def backward(params, cache, d_outputs):
    inputs, hs = cache
    g = {{"d" + k: np.zeros_like(v) for k, v in params.items()}}
    dnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        g["dWhy"] += d_outputs[t] @ hs[t + 1].T
        g["dby"] += d_outputs[t]
        dz = (1 - hs[t + 1] ** 2) * (params["Why"].T @ d_outputs[t] + dnext)
        g["dWxh"] += dz @ inputs[t].T
        g["dWhh"] += dz @ hs[t].T
        g["dbh"] += dz
        dnext = params["Whh"].T @ dz
    return g
'''


def student_file(tmp_path, name="student_rnn", prelude="record()", hook="pass"):
    path = tmp_path / f"{name}.py"
    path.write_text(TEMPLATE.format(record=str(tmp_path / "record.jsonl"), prelude=prelude,
                                    hook=textwrap.indent(hook, "    ")))
    return path


def records(tmp_path) -> list[dict]:
    path = tmp_path / "record.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def grade_json(cli, path, *extra):
    code, out, err = cli("grade", path, "--json", *extra)
    assert "Traceback" not in err, err
    return code, json.loads(out), err


def is_gone(pid: int) -> bool:
    """No such process, or a zombie waiting to be reaped (it runs nothing any more)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return any(line.split()[1:2] == ["Z"] for line in f if line.startswith("State:"))
    except FileNotFoundError:
        return True


def wait_gone(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if is_gone(pid):
            return True
        time.sleep(0.05)
    return is_gone(pid)


# --- a subprocess, never an import here ----------------------------------------------------------------------

def test_the_code_runs_in_a_child_process_never_in_the_grader(cli, tmp_path):
    path = student_file(tmp_path, name="never_import_me", prelude="record(at='import')",
                        hook="record(at='forward')")
    code, report, err = grade_json(cli, path, "--sandbox", "off")
    assert code == 0 and report["verdict"] == "pass", report
    assert report["sandbox"] == "none"
    rows = records(tmp_path)
    assert rows and {r["at"] for r in rows} == {"import", "forward"}
    for r in rows:
        assert r["pid"] != os.getpid(), "the student's code ran inside the grader's process"
        assert r["ppid"] != os.getpid(), "its parent should be the reaper, so os.kill(os.getppid()) misses the grader"
        assert r["sid"] == r["ppid"], "the reaper should lead a session of its own, which the sweep kills"
        assert r["pgid"] == r["pid"], "the child should lead its own process group"
    assert len({r["pid"] for r in rows}) == 1
    assert "never_import_me" not in sys.modules
    assert not [m for m in list(sys.modules.values()) if str(tmp_path) in str(getattr(m, "__file__", "") or "")]


# --- a time limit, and nothing left running ------------------------------------------------------------------

def test_a_hang_hits_the_time_limit_and_everything_it_started_is_killed(cli, tmp_path):
    prelude = textwrap.dedent("""\
        sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        record(at="import", grandchild=sleeper.pid)""")
    path = student_file(tmp_path, prelude=prelude, hook="time.sleep(300)")
    start = time.monotonic()
    code, report, err = grade_json(cli, path, "--timeout", "3", "--sandbox", "off")
    elapsed = time.monotonic() - start
    assert code == 2 and report["verdict"] == "error", report
    assert report["reason"]["kind"] == "timeout"
    assert "time limit of 3 s" in report["reason"]["message"]
    assert elapsed < 20, f"the grader took {elapsed:.1f} s to give up on a 3 s limit"
    (row,) = records(tmp_path)
    assert wait_gone(row["pid"]), "the child still runs after the time limit"
    assert wait_gone(row["grandchild"]), "a process the child started still runs after the time limit"


# --- an output cap -------------------------------------------------------------------------------------------

FLOOD = textwrap.dedent("""\
    print("p" * 4_000_000)
    sys.stdout.flush()
    os.write(1, b"1" * 4_000_000)
    os.write(2, b"2" * 4_000_000)
    record()""")


def test_megabytes_of_output_are_capped(tmp_path, capfd, monkeypatch):
    from rnn_parity.cli import main

    path = student_file(tmp_path, prelude=FLOOD, hook='print("forward " * 100_000)')
    monkeypatch.setattr(sys, "argv", ["rnn-parity"])
    code = main(["grade", str(path), "--json", "--sandbox", "off"])
    out, err = capfd.readouterr()  # file-descriptor level: what the grader printed, and anything that leaked
    assert code == 0, err
    assert len(out) + len(err) < 50_000
    report = json.loads(out)
    assert report["verdict"] == "pass"
    assert any("printed" in note for note in report.get("notes", [])), report.get("notes")


def test_through_the_installed_command(run_cli, tmp_path):
    """The real `rnn-parity grade FILE --json` subprocess: its child is not itself, and the flood stays out."""
    path = student_file(tmp_path, prelude=FLOOD)
    proc = run_cli("grade", path, "--json", "--sandbox", "off", timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(proc.stdout) + len(proc.stderr) < 50_000
    assert json.loads(proc.stdout)["verdict"] == "pass"
    (row,) = records(tmp_path)
    assert row["ppid"] != os.getpid() and row["pid"] != row["ppid"]


# --- raises, exits, dies: could not grade (exit 2), the grader carries on -------------------------------------

CANNOT_GRADE = {
    "raises at import": ("raise RuntimeError('broken at import')", "pass", {"exception"}, "broken at import"),
    "raises in forward": ("pass", "raise ValueError('shapes do not align')", {"exception"}, "shapes do not align"),
    "sys.exit at import": ("sys.exit(0)", "pass", {"exit"}, "sys.exit(0)"),
    "os._exit in forward": ("pass", "os._exit(7)", {"exit"}, "status 7"),
    "kills itself": ("pass", "os.kill(os.getpid(), signal.SIGKILL)", {"crash"}, "SIGKILL"),
    "KeyboardInterrupt": ("pass", "raise KeyboardInterrupt", {"exception", "exit", "crash"}, ""),
    "reads stdin": ("input('weights? ')", "pass", {"exception"}, "EOFError"),
    "allocates 64 GiB": ("pass", "np.ones(8 * 2**30)", {"exception", "crash"}, ""),
}


@pytest.mark.parametrize("case", CANNOT_GRADE)
def test_could_not_grade(cli, tmp_path, case):
    prelude, hook, kinds, needle = CANNOT_GRADE[case]
    path = student_file(tmp_path, prelude=prelude, hook=hook)
    start = time.monotonic()
    code, report, err = grade_json(cli, path, "--timeout", "20")
    assert time.monotonic() - start < 20
    assert code == 2 and report["verdict"] == "error", report
    reason = report["reason"]
    assert reason["kind"] in kinds, reason
    assert needle in reason["message"], reason
    assert reason["message"].strip()
