"""`rnn-parity check`: the parity report, its summary line and its exit status."""
import re
import sys

import pytest

from rnn_parity import mutants
from rnn_parity.parity import QUICK_GRID, report
from rnn_parity.cli import main as cli

TINY = report.CheckGrid(cases=["L1-uni-tanh-last"], trajectories=[], gradcheck=[])


def test_quick_check_passes_with_one_row_per_config_and_quantity(capsys):
    assert cli(["check", "--quick"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["config", "quantity", "max", "abs", "max", "rel", "of", "tol", "result", "worst", "at"]
    rows = lines[2:-3]
    assert rows and all(re.search(r"\sPASS(\s|$)", ln) for ln in rows)
    for config in QUICK_GRID:
        assert re.search(rf"^{config}\s+forward logits\s", out, re.M), config
    assert "params (50 steps)" in out and "gradcheck (finite differences)" in out
    assert lines[-3].startswith("PASS: ")
    assert lines[-2].startswith("float64 largest rel diff: forward ") and lines[-1].startswith("float32 largest")


def test_a_failing_comparison_fails_the_check(monkeypatch, capsys):
    monkeypatch.setattr(report, "check_grid", lambda quick=False: TINY)
    with mutants.applied(mutants.get("whh_not_transposed_backward")):
        status = cli(["check", "--quick"])
    out = capsys.readouterr().out
    assert status == 1
    assert "vjp grads" in out and " FAIL " in out
    assert "FAIL [L1-uni-tanh-last] vjp grad Whh" in out  # the failure message names quantity and worst index
    assert out.splitlines()[-2].startswith("FAIL: ")  # float64 only: no float32 line


def test_cuda_without_a_device_is_a_one_line_error(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert cli(["check", "--quick", "--device", "cuda"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("rnn-parity check: error: --device cuda: this machine has no CUDA device") and "\n" not in err


def test_the_dispatcher_leaves_sys_argv_alone(capsys):
    before = list(sys.argv)
    assert cli(["check", "--device", "tpu"]) == 2
    assert "--device must be cpu or cuda" in capsys.readouterr().err
    assert sys.argv == before
