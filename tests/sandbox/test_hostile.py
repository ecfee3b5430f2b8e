"""The hostile battery: each submission is a correct RNN that also attacks the grader. For each, with and
without bubblewrap: the grade ends with the right verdict, no process it started survives, and nothing
outside the grade's scratch folder changes where the sandbox promises it (docs/grading.md says what the
no-sandbox mode does not isolate; those tests assert the documented leak, so a change shows).
"""
from __future__ import annotations

import json
import os
import socket
import time

import pytest

from rnn_parity.grader import grade

from .conftest import FLAGS, LANDLOCK, SANDBOXES, Hostile, changes, snapshot

pytestmark = [pytest.mark.parametrize("mode", SANDBOXES),
              pytest.mark.skipif(not os.path.isdir("/proc"), reason="the survivor checks read /proc (Linux)")]


def _grade(path, mode, **kw):
    start = time.monotonic()
    report = grade(str(path), sandbox=FLAGS[mode], **kw)
    assert report.sandbox == ("bubblewrap" if mode == "bubblewrap" else "none")
    if mode == "landlock" and report.seconds > 0:  # the child ran (an AST refusal runs nothing)
        assert any("landlock ABI" in n for n in report.notes), report.notes
    return report, time.monotonic() - start


@pytest.fixture(autouse=True)
def _flag(flag):
    """Every test here runs under its mode's --sandbox flag (and PATH)."""


def test_a_setsid_daemon_that_writes_later_dies_with_the_grade(hostile, mode):
    target = hostile.root / "daemon-was-here.txt"
    daemon = f'''\
import os, time
if os.fork():
    os._exit(0)
os.setsid()
if os.fork():
    os._exit(0)
time.sleep(1.5)
open({str(target)!r}, "w").write("written after the grade")
open("daemon-relative.txt", "w").write("written after the grade")
'''
    path = hostile.write(prelude=f"linger({daemon!r}, new_session=False)")
    before = snapshot(hostile.root)
    report, _ = _grade(path, mode)
    assert report.verdict == "pass", report.error
    time.sleep(2.5)  # past the daemon's 1.5 s
    assert hostile.survivors() == []
    assert not target.exists()
    assert changes(before, snapshot(hostile.root)) == []


def test_a_fork_bomb_is_killed_to_the_last_process(hostile, mode):
    # Bounded (2**7 = 128 sleeping processes, forked again as they go) so a broken sandbox cannot take the
    # machine down; it is killed with the grade either way.
    bomb = "import os, time\nfor _ in range(7):\n    os.fork()\ntime.sleep(60)"
    path = hostile.write(prelude=f"linger({bomb!r}, new_session=False)\nlinger({bomb!r})")
    report, seconds = _grade(path, mode)
    assert report.verdict == "pass", report.error
    assert hostile.survivors() == []


def test_a_connection_to_a_local_port(hostile, mode):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    port = server.getsockname()[1]
    dial = f'''\
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=1).sendall(b"the weights, please")
except OSError:
    pass'''
    path = hostile.write(prelude=dial)
    report, _ = _grade(path, mode)
    assert report.verdict == "pass", report.error
    try:
        conn, _ = server.accept()
        conn.close()
        connected = True
    except BlockingIOError:
        connected = False
    finally:
        server.close()
    blocked = mode == "bubblewrap" or (mode == "landlock" and LANDLOCK >= 4)
    assert connected != blocked, "no TCP under bubblewrap, nor under Landlock ABI 4+; with --sandbox off it works"
    assert hostile.survivors() == []


def test_writes_to_the_submission_home_working_and_output_folders(hostile, cli, mode):
    out = hostile.root / "out"
    out.mkdir()
    results = out / "results.json"
    targets = [hostile.path, hostile.folder / "extra.py", hostile.home / ".bashrc", hostile.cwd / "pwned.txt",
               results, out / "other.txt"]
    writes = "\n".join(f"""\
try:
    open({str(t)!r}, "a").write("pwned")
except OSError:
    pass""" for t in targets)
    prelude = writes + '''
for rel in ("pwned-relative.txt", os.path.expanduser("~/pwned-home.txt"), __file__):
    try:
        open(rel, "a").write("pwned")
    except OSError:
        pass'''
    path = hostile.write(prelude=prelude)
    before = snapshot(hostile.root, skip=[results])
    code, text, err = cli("grade", path, "--format", "gradescope", "--output", results, "--sandbox", FLAGS[mode])
    assert code == 0, err
    assert "verdict: PASS" in text
    data = json.loads(results.read_text())  # the grader's own results, whatever the submission wrote first
    assert data["tests"] and all(t["status"] == "passed" for t in data["tests"]), data
    changed = changes(before, snapshot(hostile.root, skip=[results]))
    if mode in ("bubblewrap", "landlock"):
        assert changed == []
    else:  # documented: --sandbox off, the child writes wherever the grader may
        assert str(hostile.home / ".bashrc") in changed and str(hostile.path) in changed
    assert hostile.survivors() == []


def test_reading_a_neighbouring_submission_in_a_folder_run(hostile, grade_json, mode):
    secret = "bob-secret-" + hostile.marker[-8:]
    neighbour = Hostile(hostile.root, "bob")
    bob = neighbour.write(prelude=f"SECRET = {secret!r}")
    steal = f'''\
for guess in ("bob.py", os.path.join(os.path.dirname(os.path.abspath(__file__)), "bob.py"), {str(bob)!r}):
    try:
        text = open(guess).read()
    except OSError:
        continue
    raise RuntimeError("STOLEN " + [line for line in text.splitlines() if "SECRET =" in line][0])'''
    alice = hostile.write(prelude=steal)
    code, reports, err = grade_json(alice, bob, "--jobs", "1", "--sandbox", FLAGS[mode])
    by_name = {os.path.basename(r["implementation"]): r for r in reports}
    assert by_name["bob.py"]["verdict"] == "pass"
    if mode == "bubblewrap":
        assert by_name["student.py"]["verdict"] == "pass", by_name["student.py"].get("reason")
        assert secret not in json.dumps(reports)
    else:  # documented: without bubblewrap a submission can read its neighbours (Landlock leaves reading open)
        assert by_name["student.py"]["verdict"] == "error" and secret in by_name["student.py"]["reason"]["message"]
    assert hostile.survivors() == [] and neighbour.survivors() == []


def test_the_answer_key_cannot_be_imported(hostile, mode):
    static = hostile.write(imports="from rnn_parity.reference import forward as _answers")
    report, _ = _grade(static, mode)
    assert report.verdict == "error" and report.error["kind"] == "forbidden_import"
    assert report.error["message"].startswith("the submission imports rnn_parity.reference, which holds the answers")
    assert f"line {static.read_text().splitlines().index('from rnn_parity.reference import forward as _answers') + 1}" \
        in report.error["message"]
    assert not report.checks and report.info == {}, "a refused file must not run at all"

    dynamic = hostile.write(prelude='import importlib\n_ref = importlib.import_module("rnn_" + "parity.reference")')
    report, _ = _grade(dynamic, mode)
    assert report.verdict == "error" and report.error["kind"] == "forbidden_import", report.error
    assert "rnn_parity.reference, which holds the answers" in report.error["message"]
    assert hostile.survivors() == []


@pytest.mark.parametrize("library", ["torch"])
def test_autodiff_libraries_cannot_be_imported(hostile, mode, library):
    path = hostile.write(prelude=f'_lib = __import__("".join({list(library)!r}))')
    report, _ = _grade(path, mode)
    assert report.verdict == "error" and report.error["kind"] == "forbidden_import", report.error
    assert f"imports {library}, an automatic-differentiation library" in report.error["message"]


def test_the_grader_source_is_out_of_reach(hostile, mode):
    import rnn_parity.grader.judging.expect as expect
    import rnn_parity.reference.model as model

    steal = f'''\
for source in ({model.__file__!r}, {expect.__file__!r}, "/etc/shadow"):
    try:
        code = open(source).read()
    except OSError:
        continue
    raise RuntimeError("READ " + source)'''
    report, _ = _grade(hostile.write(prelude=steal), mode)
    if mode == "bubblewrap":
        assert report.verdict == "pass", report.error
    else:  # documented: without bubblewrap the files are readable (the import guard only stops imports)
        assert report.verdict == "error" and "READ " in report.error["message"]
    assert hostile.survivors() == []


def test_monkeypatching_numpy_cannot_forge_a_pass(hostile, mode):
    """A wrong RNN (no recurrent term) that patches NumPy in the child: the plan's generator, comparisons,
    array conversion and the observation writer. The parent rebuilds the plan and computes every expected
    value itself, and the child copied each observation with NumPy functions taken before the file loaded."""
    forge = '''\
import json as _json
_real_rng = np.random.default_rng
np.random.default_rng = lambda *a, **k: _real_rng(0)  # a different plan in the child
np.allclose = np.array_equal = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.shape(a), bool)
np.testing.assert_allclose = lambda *a, **k: None
def _savez(path, **arrays):
    with open(os.path.join(os.path.dirname(path), "result.json"), "w") as f:
        _json.dump({"verdict": "pass", "checks": [], "info": {"step": "functions"}}, f)
np.savez = _savez
_asarray = np.asarray
np.asarray = lambda a, *r, **k: _asarray(a, *r, **k) * 0.0 if isinstance(a, np.ndarray) else _asarray(a, *r, **k)
'''
    report, _ = _grade(hostile.write(prelude=forge, correct=False), mode)
    assert report.verdict != "pass"
    assert report.verdict == "fail", report.error
    failed = {c.name for c in report.checks if c.status == "fail"}
    assert {"forward", "grad:Whh"} <= failed
    assert hostile.survivors() == []


def test_the_child_writes_with_numpy_functions_taken_before_the_file_loaded(hostile, mode):
    """A correct RNN that breaks np.savez for whoever calls it next: its observations still reach the
    grader intact."""
    report, _ = _grade(hostile.write(prelude="np.savez = lambda *a, **k: None"), mode)
    assert report.verdict == "pass", report.error


def test_observations_of_the_wrong_shape_end_in_a_verdict(hostile, mode):
    """A file that replaces the child's writer with one of its own, writing arrays no probe could give:
    the grader says so instead of failing with a traceback."""
    rewrite = """\
_child = sys.modules.get("rnn_parity.grader.isolation.child") or sys.modules["__main__"]  # -m runs it as __main__
_write = _child.write_results
_child.write_results = lambda w, r, obs, **k: _write(w, r, {key: np.zeros((0, 2)) for key in obs}, **k)
"""
    report, _ = _grade(hostile.write(prelude=rewrite), mode)
    assert report.verdict in ("fail", "error")
    assert report.verdict != "error" or "do not fit the probes" in report.error["message"], report.error


def test_forged_claims_about_the_probes_are_not_believed(hostile, mode):
    """An RNN that ignores h0 passes only under --zero-h0. This one rebuilds the child's plan with h0 = 0
    and rewrites the child's report to claim --zero-h0: the grader builds its plan from its own options."""
    forge = """\
import json as _json
_plan = sys.modules["rnn_parity.grader.judging.plan"]
_build = _plan.build
_plan.build = lambda *a, **k: _build(*a, **{**k, "zero_h0": True})
_dump = _json.dump
def _claim(obj, f, *a, **k):
    if isinstance(obj, dict) and isinstance(obj.get("info"), dict):
        obj["info"]["zero_h0"] = True
    return _dump(obj, f, *a, **k)
_json.dump = _claim
"""
    path = hostile.write(prelude=forge, uses_h0=False)
    report, _ = _grade(path, mode)
    assert report.verdict == "fail", report.error
    assert "forward" in {c.name for c in report.checks if c.status == "fail"}
    honest, _ = _grade(hostile.write(uses_h0=False), mode, zero_h0=True)
    assert honest.verdict == "pass", "an RNN that ignores h0 passes when the grader is told to probe with h0 = 0"


def test_megabytes_of_output(hostile, mode, capfd):
    flood = '''\
print("p" * 4_000_000)
sys.stdout.flush()
os.write(1, b"1" * 4_000_000)
os.write(2, b"2" * 4_000_000)'''
    report, _ = _grade(hostile.write(prelude=flood, hook='print("forward " * 100_000)'), mode)
    out, err = capfd.readouterr()
    assert report.verdict == "pass", report.error
    assert report.output_chars > 12_000_000
    assert len(out) + len(err) < 50_000
    assert hostile.survivors() == []


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT", "SIGSTOP"])
def test_signals_sent_to_the_parent_do_not_stop_the_grade(hostile, mode, sig):
    send = f"try:\n    os.kill(os.getppid(), signal.{sig})\nexcept OSError:\n    pass  # Landlock ABI 6 scopes signals"
    path = hostile.write(prelude=send + "\ntime.sleep(0.3)", hook=send)
    report, seconds = _grade(path, mode, timeout=20)
    assert report.verdict == "pass", report.error
    assert seconds < 10, f"a {sig} to the parent held the grade up for {seconds:.1f} s"
    assert hostile.survivors() == []


def test_a_hang_hits_the_time_limit_and_takes_its_processes_along(hostile, mode):
    path = hostile.write(prelude="linger(new_session=False)", hook="time.sleep(300)")
    report, seconds = _grade(path, mode, timeout=2)
    assert report.verdict == "error" and report.error["kind"] == "timeout", report.error
    assert seconds < 2 + 8, f"{seconds:.1f} s for a 2 s limit"
    assert hostile.survivors() == []
