"""Ctrl-C during `rnn-parity train ... --save FILE`: a real SIGINT to a real subprocess.

The exit is clean (one line on stderr, no traceback, not killed by the signal), the previous FILE is intact
or the new one is complete, and the message names where the last good weights are.
"""
from __future__ import annotations

import re
import signal
import subprocess
import time

import numpy as np
import pytest

from rnn_parity.reference import init_params
from rnn_parity.torch_impl import load_weights, save_weights

from .conftest import assert_one_line_error, child_env, cli_command, waiting_for

WEIGHT_PATH = re.compile(r"([^\s'\"(),;]+\.(?:npz|pt|safetensors))")


def start_training(save, *extra):
    """Start a long sentiment run that reports every epoch; return (process, the first epoch line)."""
    cmd = cli_command("train", "sentiment", "--epochs", "100000", "--log-every", "1", "--hidden", "16",
                      "--no-progress", "--save", save, *extra)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            text=True, env=child_env(PYTHONUNBUFFERED="1"))
    deadline = time.monotonic() + 90
    try:
        for line in proc.stdout:  # epoch lines: "epoch      1/100000  numpy  train loss ..."
            if re.match(r"epoch\s+[1-9]\d*/", line):
                return proc, line
            if time.monotonic() > deadline:
                break
    except BaseException:
        proc.kill()
        raise
    proc.kill()
    out, err = proc.communicate()
    pytest.fail(f"training never reported an epoch: exit {proc.returncode}, stderr {err[-2000:]!r}")


@pytest.fixture
def previous_file(tmp_path):
    """FILE as an earlier run left it: weights of the sentiment task's shape."""
    from rnn_parity import training

    path = tmp_path / "model.npz"
    save_weights(init_params(training.load_task("sentiment").config(hidden=16), seed=99), path)
    return path


def interrupt(proc) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the run did not stop within 60 s of Ctrl-C; stderr {err[-2000:]!r}")
    return proc.returncode, out, err


def test_ctrl_c_exits_cleanly_and_leaves_the_previous_file_intact(previous_file):
    before = previous_file.read_bytes()
    proc, _ = start_training(previous_file)
    code, out, err = interrupt(proc)
    assert code > 0, f"killed by signal {-code}: the KeyboardInterrupt was not handled"
    assert_one_line_error(code, err, "interrupted")
    assert "Traceback" not in out
    now = previous_file.read_bytes()
    if now != before:  # replaced: then it must be a complete, valid weight file
        params = load_weights(previous_file)
        assert all(np.isfinite(v).all() for v in params.values())
    leftovers = [p.name for p in previous_file.parent.iterdir() if p.name.endswith(".tmp")]
    assert not leftovers, f"temporary files left behind: {leftovers}"


@waiting_for("training", "on Ctrl-C, `train --save FILE` must say where the last good weights are "
                         "(FILE, complete, or another file it names); today it prints only 'rnn-parity: interrupted'")
def test_ctrl_c_says_where_the_last_good_weights_are(previous_file):
    before = previous_file.read_bytes()
    proc, _ = start_training(previous_file)
    code, out, err = interrupt(proc)
    line = assert_one_line_error(code, err)
    named = WEIGHT_PATH.findall(line)
    assert named, f"the message names no weight file: {line!r}"
    kept = load_weights(named[0])
    assert all(np.isfinite(v).all() for v in kept.values())
    assert kept.config.hidden_size == 16
    if named[0] != str(previous_file):
        assert previous_file.read_bytes() == before, "FILE changed although the weights went elsewhere"
