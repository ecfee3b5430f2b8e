"""`rnn-parity check`: the parity report, its summary lines and its exit status, cell by cell."""
import re
import sys

import pytest

from rnn_parity import mutants
from rnn_parity.parity import report
from rnn_parity.parity.cases import QUICK_GRIDS
from rnn_parity.cli import main as cli

TINY = report.CheckGrid(cases=["L1-uni-tanh-last"], trajectories=[], gradcheck=[])


def test_quick_check_of_the_lstm_passes_with_one_row_per_config_and_quantity(capsys):
    """The richest cell: its state is the pair (h, c), so c_n, dc0 and c0 get their own rows' members."""
    assert cli(["check", "--quick", "--cell", "lstm"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["cell", "config", "quantity", "max", "abs", "max", "rel", "of", "tol", "result",
                                "worst", "at"]
    rows = lines[2:-3]
    assert rows and all(re.match(r"lstm\s", ln) and re.search(r"\sPASS(\s|$)", ln) for ln in rows)
    for config in QUICK_GRIDS["lstm"]:
        assert re.search(rf"^lstm\s+{config}\s+forward logits\s", out, re.M), config
    assert "params (50 steps)" in out and "gradcheck (finite differences)" in out
    assert lines[-3].startswith("PASS: ") and "(lstm)" in lines[-3]
    assert lines[-2].startswith("lstm float64 largest abs / rel diff: forward ")
    assert lines[-1].startswith("lstm float32 largest abs / rel diff: forward ")
    assert "trajectory " in lines[-2] and "gradcheck rel " in lines[-2]


def test_a_failing_comparison_fails_the_check(monkeypatch, capsys):
    monkeypatch.setattr(report, "check_grid", lambda quick=False, cell="all": TINY)
    with mutants.applied(mutants.get("whh_not_transposed_backward")):
        status = cli(["check", "--quick"])
    out = capsys.readouterr().out
    assert status == 1
    assert "vjp grads" in out and " FAIL " in out
    assert "FAIL [L1-uni-tanh-last] vjp grad Whh" in out  # the failure message names quantity and worst index
    assert out.splitlines()[-2].startswith("FAIL: ")  # float64 only: no float32 line
    assert out.splitlines()[-1].startswith("rnn float64 largest abs / rel diff: ")


def test_an_unknown_cell_is_a_one_line_error(capsys):
    assert cli(["check", "--quick", "--cell", "lsmt"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "rnn-parity check: error: --cell must be one of rnn, lstm, gru, all, got 'lsmt'"


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
