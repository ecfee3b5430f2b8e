"""Smoke tests of the benchmark harness: it runs and writes valid output. No timing assertions."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from rnn_parity.cli import main


def test_bench_quick_batched_writes_valid_json(tmp_path):
    cmd = [sys.executable, "-m", "rnn_parity", "bench", "--quick", "--only", "batched", "--threads", "1",
           "--sizes", "8,1,18,64", "--out", str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    record = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert record["meta"]["quick"] is True
    section = record["sections"]["batched"]
    assert section["status"] == "ok"
    assert {(r["dtype"], r["torch_threads"]) for r in section["rows"]} == {("float64", 1), ("float32", 1)}
    for row in section["rows"]:
        assert row["reference_ms"] > 0 and row["torch_ms"] > 0
        assert row["max_abs_grad_diff"] < (1e-10 if row["dtype"] == "float64" else 1e-4)
    md = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "Quick run" in md and "(8, 1, 18, 64)" in md


def test_bench_unknown_name_is_one_line_error(capsys):
    assert main(["bench", "--only", "nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("rnn-parity bench: error:") and "\n" not in err


def test_classic_loop_baseline_matches_the_reference():
    """The classic-loop baseline computes the same training as the reference, so timing them is fair."""
    from rnn_parity.benchmarks import sentiment

    contenders, _ = sentiment.make_contenders(epochs=1)
    classic, reference = contenders["classic"](), contenders["reference"]()
    assert sentiment.max_abs_diff(classic, reference) < 1e-12


def test_classic_loop_can_reproduce_the_seed_transpose_slip():
    from rnn_parity.benchmarks import classic_loop

    rng = np.random.default_rng(0)
    H, D = 6, 4
    weights = dict(Wxh=rng.standard_normal((H, D)), Whh=rng.standard_normal((H, H)), Why=rng.standard_normal((2, H)),
                   bh=np.zeros(H), by=np.zeros(2))
    word_to_idx = {w: i for i, w in enumerate("abcd")}
    runs = []
    for slip in (False, True):
        rnn = classic_loop.ClassicRNN(**weights, seed_transpose_slip=slip)
        classic_loop.process_data(rnn, [("a b c d", 1)], word_to_idx, order=[0], learn_rate=0.1, clip=100.0)
        runs.append(rnn.arrays())
    assert not np.allclose(runs[0]["Wxh"], runs[1]["Wxh"])  # the slip changes dL/dh_{t-1}, hence Wxh's update
    np.testing.assert_array_equal(runs[0]["Why"], runs[1]["Why"])  # the head's gradient does not go through it


def test_sentiment_section_times_every_contender_and_the_trainer_matches_train_step():
    from rnn_parity.benchmarks import sentiment

    opts = {"epochs": 2, "sentiment_repeats": 1, "warmup_epochs": 0, "seed": 0, "parity_seeds": [1]}
    record = sentiment.run(opts, log=lambda *_: None)
    assert [r["contender"] for r in record["rows"]] == ["classic", "reference", "reference train_step", "torch"]
    assert record["parity"]["max_abs_diff_trainer_vs_train_step"] == 0.0
    assert [r["seed"] for r in record["parity"]["by_seed"]] == [0, 1]
    assert all(r["reference_vs_torch"] < 1e-12 for r in record["parity"]["by_seed"])  # 2 epochs: no chaos yet


def test_classic_loop_runs_as_seed_000s_script(capsys):
    """The whole-process baseline (benchmarks/processes.py) runs the classic loop as a script of its own."""
    from rnn_parity.benchmarks import classic_loop, processes

    assert classic_loop.main(["--epochs", "2"]) == 0
    assert capsys.readouterr().out.startswith("test accuracy ")
    cmds = processes.commands(7, "OUT")
    assert set(cmds) == {"classic", "train", "demo"}
    assert cmds["classic"][-2:] == ["--epochs", "7"] and "numpy" in cmds["train"] and "OUT" in cmds["demo"]


def test_gated_section_rows_checks_and_report():
    """The gated section in-process at one tiny size: a row per cell and dtype with matching gradients, a
    check per cell and OpenBLAS setting, and the report's table."""
    from rnn_parity.benchmarks import gated, report

    opts = {"sizes": [[3, 2, 4, 5]], "repeats": 1, "warmup": 0, "min_time": 0.0, "seed": 0, "threads": 1}
    part = gated.run(opts, log=lambda line: None)
    rows = part["rows"]
    assert [(r["cell"], r["dtype"]) for r in rows] == [("lstm", "float64"), ("lstm", "float32"),
                                                       ("gru", "float64"), ("gru", "float32")]
    for r in rows:
        assert r["reference_ms"] > 0 and r["torch_ms"] > 0 and r["ratio"] == r["reference_ms"] / r["torch_ms"]
        assert r["max_abs_grad_diff"] < (1e-10 if r["dtype"] == "float64" else 1e-4), r
        assert (r["torch_unfused_ms"] is not None) == ((r["cell"], r["dtype"]) == ("lstm", "float32"))
    other = {**part, "rows": [{**r, "blas_setting": "OPENBLAS_CORETYPE=Haswell"} for r in rows]}
    section = gated.combine([part, other], opts)
    assert len(section["checks"]) == 4 and all(c["target"].startswith("gated, ") for c in section["checks"])
    md = "\n".join(report.RENDERERS["gated"]({**section, "status": "ok"}))
    assert "**LSTM, " in md and "**GRU, " in md and "(3, 2, 4, 5)" in md


def test_gated_section_flips_the_openblas_kernel_setting():
    from rnn_parity.benchmarks import gated

    assert gated.blas_settings({}) == [{}, {"OPENBLAS_CORETYPE": "Haswell"}]
    assert gated.blas_settings({"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": "1"}) == [
        {}, {"OPENBLAS_CORETYPE": None, "OPENBLAS_L2_SIZE": None}]
