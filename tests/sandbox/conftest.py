"""Hostile submissions, each otherwise a correct RNN, graded with and without the bubblewrap sandbox.

Every submission here starts a marked process (its command line holds a fresh marker) that would sleep
for a minute, so each test can check that nothing the submission started outlives the grade. Files
are snapshotted before and after to check that nothing outside the grade's scratch folder changed.
"""
from __future__ import annotations

import hashlib
import os
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from rnn_parity.grader.isolation import landlock
from rnn_parity.grader.isolation.sandbox import probe

_WHY_NOT = probe()
LANDLOCK = landlock.abi()
# How a test grades: under bubblewrap (--sandbox require); without it, as on a machine that lacks it
# (--sandbox auto with no bwrap on PATH: Landlock where the kernel has it); and --sandbox off.
SANDBOXES = [
    pytest.param("bubblewrap", id="bubblewrap",
                 marks=pytest.mark.skipif(_WHY_NOT is not None, reason=f"no sandbox here: {_WHY_NOT}")),
    pytest.param("landlock", id="no-bwrap-landlock",
                 marks=pytest.mark.skipif(LANDLOCK < 1, reason="this kernel has no Landlock")),
    pytest.param("off", id="sandbox-off"),
]
FLAGS = {"bubblewrap": "require", "landlock": "auto", "off": "off"}


@pytest.fixture
def flag(mode, monkeypatch, tmp_path):
    """The --sandbox value for `mode`; for "landlock", bwrap is taken off PATH for the test."""
    if mode == "landlock":
        monkeypatch.setenv("PATH", str(tmp_path / "no-bwrap") + ":/nonexistent")
    return FLAGS[mode]


# A correct function-protocol RNN (karpathy names): PRELUDE runs at import, HOOK at the top of forward.
TEMPLATE = '''\
import os, signal, socket, subprocess, sys, time
import numpy as np

MARKER = {marker!r}


def linger(code="import time; time.sleep(60)", new_session=True):
    """A process marked for the test's /proc scan, in a session of its own."""
    return subprocess.Popen([sys.executable, "-c", code + "  # " + MARKER],
                            start_new_session=new_session, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


{imports}
# The attack runs at import even where the grader loads definitions only (a file with top-level loops
# or file reads): a decorator is evaluated when its function is defined, as a real attacker would use it.
PRELUDE = {prelude!r}


@(lambda f: f())
def _at_import():
    linger()
    exec(compile(PRELUDE, __file__, "exec"), globals())


def forward(params, inputs, h0):
{hook}
    hs, ys = [{start}], []
    for x in inputs:
        hs.append(np.tanh(params["Wxh"] @ x + {recurrent}params["bh"]))
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
CORRECT = 'params["Whh"] @ hs[-1] + '


class Hostile:
    """One hostile submission in its own folder, with a marker for its processes."""

    def __init__(self, root: Path, name: str = "student"):
        self.root = root
        self.folder = root / "submissions"
        self.folder.mkdir(exist_ok=True)
        self.marker = f"rnn-parity-hostile-{uuid.uuid4().hex}"
        self.path = self.folder / f"{name}.py"

    def write(self, prelude: str = "", hook: str = "pass", correct: bool = True, uses_h0: bool = True,
              imports: str = "") -> Path:
        """correct=False drops the recurrent term; uses_h0=False starts from zeros whatever h0 is given;
        imports: top-level import lines, written as plain statements (the prelude runs through exec)."""
        self.path.write_text(TEMPLATE.format(marker=self.marker, prelude=textwrap.dedent(prelude), imports=imports,
                                             hook=textwrap.indent(textwrap.dedent(hook), "    "),
                                             recurrent=CORRECT if correct else "",
                                             start="h0" if uses_h0 else "np.zeros_like(h0)"))
        return self.path

    def survivors(self, seconds: float = 2.0) -> list:
        """Processes whose command line holds the marker, after waiting up to `seconds` for them to go."""
        deadline = time.monotonic() + seconds
        while True:
            found = marked(self.marker)
            if not found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)


def marked(marker: str) -> list:
    out = []
    needle = marker.encode()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmd = f.read()
            with open(f"/proc/{name}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in cmd and state != b"Z":
            out.append(int(name))
    return out


def snapshot(*roots: Path, skip=()) -> dict:
    """{path: sha256} of every file under the roots (symlinks not followed), and every folder."""
    skip = {str(p) for p in skip}
    out = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            if any(dirpath == s or dirpath.startswith(s + os.sep) for s in skip):
                continue
            out[dirpath] = "dir"
            for n in filenames:
                p = os.path.join(dirpath, n)
                if p in skip:
                    continue
                try:
                    with open(p, "rb") as f:
                        out[p] = hashlib.sha256(f.read()).hexdigest()
                except OSError:
                    out[p] = "unreadable"
    return out


def changes(before: dict, after: dict) -> list:
    return sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))


@pytest.fixture
def hostile(tmp_path, monkeypatch):
    """A Hostile in tmp_path, with HOME and the working directory moved into tmp_path so writes there show."""
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(cwd)
    h = Hostile(tmp_path)
    h.home, h.cwd = home, cwd
    yield h
    for pid in marked(h.marker):  # never leave a test's processes behind, even when it failed
        try:
            os.kill(pid, 9)
        except OSError:
            pass


@pytest.fixture
def grade_json(cli):
    """`rnn-parity grade ARGS --json` in this process -> (exit code, parsed JSON, stderr)."""
    import json

    def run(*argv):
        code, out, err = cli("grade", *argv, "--json")
        assert "Traceback" not in err, err
        return code, json.loads(out), err
    return run


@pytest.fixture
def cli(monkeypatch, capsys):
    from rnn_parity.cli import main

    def run(*argv):
        monkeypatch.setattr(sys, "argv", ["rnn-parity"])
        try:
            code = main([str(a) for a in argv])
        except SystemExit as e:
            code = e.code
        out, err = capsys.readouterr()
        return code, out, err
    return run
