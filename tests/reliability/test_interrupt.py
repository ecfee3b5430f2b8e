"""Ctrl-C during `rnn-parity train ... --save FILE`: a real SIGINT to a real subprocess.

The exit is clean (one line on stderr, no traceback, not killed by the signal), the previous FILE is intact
or the new one is complete, no temporary file is left, and the message names where the last good weights are.
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

from .conftest import assert_one_line_error, child_env, cli_command

WEIGHT_PATH = re.compile(r"([^\s'\"(),;]+\.(?:npz|pt|safetensors))")
HIDDEN = 16


def start_training(save, *extra):
    """Start a long sentiment run that reports every epoch; return once it has finished an epoch."""
    cmd = cli_command("train", "sentiment", "--epochs", "100000", "--log-every", "1", "--hidden", HIDDEN,
                      "--no-progress", "--save", save, *extra)
    # Ctrl-C as in a terminal: SIGINT at its default in the child. A shell's background job (`cmd &`) inherits
    # SIGINT ignored, and Python then keeps ignoring it (as nohup intends), so the run would never stop.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            text=True, env=child_env(PYTHONUNBUFFERED="1"),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 90
    try:
        for line in proc.stdout:  # epoch lines: "epoch      1/100000  numpy  train loss ..."
            if re.match(r"epoch\s+[1-9]\d*/", line):
                return proc
            if time.monotonic() > deadline:
                break
    except BaseException:
        proc.kill()
        raise
    proc.kill()
    out, err = proc.communicate()
    pytest.fail(f"training never reported an epoch: exit {proc.returncode}, stderr {err[-2000:]!r}")


def interrupt(proc) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"the run did not stop within 60 s of Ctrl-C; stderr {err[-2000:]!r}")
    return proc.returncode, out, err


def test_ctrl_c_keeps_the_previous_file_and_says_where_the_last_good_weights_are(tmp_path):
    from rnn_parity import training

    previous = tmp_path / "model.npz"  # FILE as an earlier run left it
    save_weights(init_params(training.load_task("sentiment").config(hidden=HIDDEN), seed=99), previous)
    before = previous.read_bytes()

    code, out, err = interrupt(start_training(previous))

    assert code > 0, f"killed by signal {-code}: the KeyboardInterrupt was not handled"
    line = assert_one_line_error(code, err, "interrupted")
    assert "Traceback" not in out
    if previous.read_bytes() != before:  # replaced: then it must be a complete, valid weight file
        assert all(np.isfinite(v).all() for v in load_weights(previous).values())
    named = WEIGHT_PATH.findall(line)
    assert named, f"the message names no weight file: {line!r}"
    kept = load_weights(named[0])
    assert all(np.isfinite(v).all() for v in kept.values())
    assert kept.config.hidden_size == HIDDEN
    if named[0] != str(previous):
        assert previous.read_bytes() == before, "FILE changed although the weights went elsewhere"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert not leftovers, f"temporary files left behind: {leftovers}"
