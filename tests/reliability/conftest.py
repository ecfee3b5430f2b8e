"""Fixtures of the reliability suite: the CLI in-process and as a real subprocess, and one-line-error checks."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RNN_PARITY = str(BIN / "rnn-parity") if (BIN / "rnn-parity").exists() else None


def child_env(**extra) -> dict:
    """The environment of a CLI subprocess: one BLAS/OpenMP thread (2 cores are shared by the whole suite)."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    env.pop("PYTHONHASHSEED", None)  # each process draws its own hash seed, as a user's would
    env.update(extra)
    return env


def cli_command(*argv) -> list[str]:
    """`rnn-parity ARGS` as an argv list: the installed script, else `python -m rnn_parity`."""
    head = [RNN_PARITY] if RNN_PARITY else [sys.executable, "-m", "rnn_parity"]
    return head + [str(a) for a in argv]


@pytest.fixture
def run_cli():
    """Run `rnn-parity ARGS` in a subprocess; returns CompletedProcess (text)."""
    def run(*argv, timeout=120, cwd=None):
        return subprocess.run(cli_command(*argv), capture_output=True, text=True, timeout=timeout,
                              env=child_env(), cwd=cwd, stdin=subprocess.DEVNULL)
    return run


@pytest.fixture
def cli(monkeypatch, capsys):
    """Run rnn_parity.cli.main(ARGS) in this process; returns (exit code, stdout, stderr)."""
    from rnn_parity.cli import main

    def run(*argv):
        monkeypatch.setattr(sys, "argv", ["rnn-parity"])
        try:
            code = main([str(a) for a in argv])
        except SystemExit as e:  # argparse's own usage errors
            code = e.code
        out, err = capsys.readouterr()
        return code, out, err
    return run


def assert_one_line_error(code, err: str, *needles: str, exit_code: int | None = None) -> str:
    """A user mistake: non-zero exit, exactly one line on stderr, no traceback, the needles in that line."""
    assert code not in (0, None), f"exit {code}, stderr {err!r}"
    if exit_code is not None:
        assert code == exit_code, (code, err)
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{err}"
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def assert_one_line_message(exc: BaseException, *needles: str) -> str:
    """An API error: a ValueError (RNNParityError is one) with a one-line message holding the needles."""
    assert isinstance(exc, ValueError), f"{type(exc).__name__}: {exc}"
    message = str(exc)
    assert message and "\n" not in message, repr(message)
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    return message


@pytest.fixture(scope="module")
def fast_dir():
    """A private directory on tmpfs when there is one (fsync costs nothing there), for tests that write
    thousands of files; removed at the end of the module."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    path = Path(tempfile.mkdtemp(prefix="rnn-parity-reliability-", dir=base))
    yield path
    shutil.rmtree(path, ignore_errors=True)
