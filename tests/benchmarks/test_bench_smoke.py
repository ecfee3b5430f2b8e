"""Smoke tests of the benchmark harness: it runs and writes valid output. No timing assertions."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

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
    assert set(cmds) == {"classic", "torch loop", "train", "demo"}
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


def test_the_openblas_kernel_setting_is_flipped_in_the_benchmark_alone(monkeypatch):
    from rnn_parity.benchmarks import _env, runner

    assert {"anchors", "gated"} <= runner.BLAS_SECTIONS
    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    monkeypatch.delenv("OPENBLAS_L2_SIZE", raising=False)
    assert list(_env.blas_kernel_envs().values()) == [{}, {"OPENBLAS_CORETYPE": "Haswell"}]
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("OPENBLAS_L2_SIZE", "1")
    assert list(_env.blas_kernel_envs().values()) == [{}, {"OPENBLAS_CORETYPE": None, "OPENBLAS_L2_SIZE": None}]


def test_plain_torch_loop_trains_the_same_task_as_our_torch_side(capsys):
    """The plain PyTorch anchor computes what our torch side computes (a stock nn.RNN: bias "torch"), so timing
    the two is fair; and it runs as a script of its own."""
    import torch

    from rnn_parity import datasets
    from rnn_parity.benchmarks import torch_loop
    from rnn_parity.reference import RNNConfig
    from rnn_parity.torch_impl import TorchRNN
    from rnn_parity.torch_impl.train import TorchTrainer

    data = datasets.load_sentiment()
    D, O = len(data.vocab), len(data.labels)
    rnn, fc = torch_loop.build(D, O, "rnn", seed=4)
    model = TorchRNN(RNNConfig(D, torch_loop.HIDDEN, O, bias="torch"))
    model.rnn.load_state_dict(rnn.state_dict())
    model.fc.load_state_dict(fc.state_dict())
    examples = torch_loop.one_hot_inputs(data, D)
    orders = [np.random.default_rng(e).permutation(len(examples)).tolist() for e in range(2)]
    history = torch_loop.train(rnn, fc, examples, orders)
    trainer = TorchTrainer(model, torch.optim.SGD(model.parameters(), lr=torch_loop.LR), clip_value=torch_loop.CLIP)
    prepared = [trainer.prepare(x, y) for x, y in examples]
    for epoch, order in enumerate(orders):
        losses = [trainer.step(prepared[i])[0] for i in order]
        assert abs(np.mean(losses) - history[epoch][0]) < 1e-12
    for theirs, mine in ((rnn, model.rnn), (fc, model.fc)):
        for key, value in theirs.state_dict().items():
            np.testing.assert_allclose(mine.state_dict()[key].numpy(), value.numpy(), rtol=0, atol=1e-12)
    assert torch_loop.main(["--epochs", "1"]) == 0
    assert capsys.readouterr().out.startswith("train loss ")


def test_processes_ratios_are_to_each_rounds_alternative():
    from rnn_parity.benchmarks import processes

    cmds = processes.commands(1, "OUT")
    runs = {name: [{"wall_s": w, "cpu_s": w / 2, "exit": 0} for w in walls] for name, walls in
            {"classic": [2.0, 4.0], "torch loop": [10.0, 10.0], "train": [1.0, 1.5], "demo": [12.0, 20.0]}.items()}
    rows, checks = processes.summarize(cmds, runs, "OUT")
    by = {r["name"]: r for r in rows}
    assert by["train"]["ratio_wall_all"] == [0.5, 0.375]
    assert by["demo"]["ratio_cpu_all"] == [12.0 / 14.0, 20.0 / 18.0]
    assert [c["met"] for c in checks] == [True, False]  # train median 0.4375 <= 0.5; demo median 0.983 > 0.9
    runs["train"][0]["exit"] = 1
    assert not processes.summarize(cmds, runs, "OUT")[1][0]["met"]  # a failed run never meets a target


def test_blas_kernel_settings_change_the_childs_environment_alone(monkeypatch):
    from rnn_parity.benchmarks import _env

    monkeypatch.delenv("OPENBLAS_CORETYPE", raising=False)
    monkeypatch.delenv("OPENBLAS_L2_SIZE", raising=False)
    envs = _env.blas_kernel_envs()
    assert list(envs.values()) == [{}, {"OPENBLAS_CORETYPE": "Haswell"}]
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    envs = _env.blas_kernel_envs()
    assert list(envs) == ["as set", "unset"]
    child = _env.with_changes({"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": "1", "X": "y"}, envs["unset"])
    assert child == {"X": "y"}
    assert os.environ["OPENBLAS_CORETYPE"] == "Haswell"  # this process's own environment is left as it was


def test_bench_quick_anchors_section(tmp_path):
    cmd = [sys.executable, "-m", "rnn_parity", "bench", "--quick", "--only", "anchors", "--out", str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode in (0, 1), proc.stderr  # 1: a target missed, which a 2-epoch quick run says nothing about
    record = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    anchors = record["sections"]["anchors"]
    assert anchors["status"] == "ok" and len(anchors["blas_settings"]) == 2
    for setting in anchors["blas_settings"].values():
        assert [r["contender"] for r in setting["rows"]][:2] == ["demo torch side", "demo NumPy side"]
        assert all(r["cpu_seconds_median"] > 0 and r["anchor_cpu_seconds_median"] > 0 for r in setting["rows"])
    assert "demo torch side" in (tmp_path / "results.md").read_text(encoding="utf-8")


def test_torch_step_prices_every_candidate_against_the_plain_step():
    from rnn_parity.benchmarks import report, torch_step

    record = torch_step.run({"seed": 0, "step_repeats": 1, "warmup": 0}, log=lambda *_: None)
    assert [r["candidate"] for r in record["rows"]] == list(torch_step.CANDIDATES)
    assert record["rows"][0]["extra_us_per_step"] == 0.0 and all(r["us_per_step"] > 0 for r in record["rows"])
    assert "set_to_none by hand" in "\n".join(report._torch_step(record))


def test_the_fresh_clone_row_runs_make_test_in_a_clone_of_head(monkeypatch):
    """The suite's fresh-machine row: `make test` in a new clone of HEAD (not in this checkout), naming the commit."""
    import shutil

    from rnn_parity.benchmarks import suite

    if shutil.which("git") is None or not (suite.REPO / ".git").exists():
        pytest.skip("needs git and a checkout")
    seen = {}

    def timed(cmd, cwd, timeout):
        seen.update(cmd=cmd, cwd=cwd, makefile=(cwd / "Makefile").read_text(), venv=(cwd / ".venv").exists())
        return {"command": " ".join(cmd), "status": "ok", "wall_s": 1.0, "exit": 0, "summary": ""}
    monkeypatch.setattr(suite, "_timed", timed)
    row = suite._fresh_make_test(60)
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=suite.REPO, capture_output=True,
                          text=True).stdout.strip()
    assert seen["cmd"][1:] == ["test"] and seen["cwd"] != suite.REPO and not seen["venv"]
    assert seen["makefile"] == subprocess.run(["git", "show", "HEAD:Makefile"], cwd=suite.REPO, capture_output=True,
                                              text=True).stdout
    assert row["command"] == "make test (fresh clone)" and f"commit {head}" in row["note"]
    assert not seen["cwd"].exists(), "the clone is removed afterwards"
