"""`rnn-parity train` / `predict` / `demo`: the happy path and every bad argument ends in one line, exit != 0."""
import sys

import pytest

from rnn_parity.cli import main


@pytest.fixture
def cli(monkeypatch, capsys):
    def run(*argv):
        monkeypatch.setattr(sys, "argv", ["rnn-parity"])
        try:
            code = main(list(argv))
        except SystemExit as e:  # argparse's own errors
            code = e.code
        out, err = capsys.readouterr()
        return code, out, err
    return run


def one_line_error(code, err, *needles):
    assert code not in (0, None)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_train_then_predict(cli, tmp_path):
    weights, plot = tmp_path / "w.npz", tmp_path / "p.png"
    code, out, err = cli("train", "sentiment", "--epochs", "2", "--no-progress", "--save", str(weights),
                         "--plot", str(plot))
    assert code == 0, err
    assert "max |numpy - torch|" in out and "test loss" in out
    assert weights.exists() and plot.exists()
    code, out, err = cli("predict", "sentiment", "--weights", str(weights), "i am not sad", "This is good")
    assert code == 0, err
    assert len(out.strip().splitlines()) == 2 and "P(positive)" in out


def test_train_fibonacci_and_names_outputs(cli, tmp_path):
    w = tmp_path / "fib.pt"
    code, out, err = cli("train", "fibonacci", "--epochs", "1", "--framework", "numpy", "--no-progress",
                         "--save", str(w))
    assert code == 0, err
    assert "chance 1/26" in out
    code, out, err = cli("predict", "fibonacci", "--weights", str(w), "abc", "--top", "3")
    assert code == 0, err
    assert out.startswith("'abc' -> ") and "(rule: d)" in out  # b + c = 1 + 2 = 3 = d


def test_predict_names(cli, tmp_path):
    from rnn_parity import training
    from rnn_parity.torch_impl import save_weights
    task = training.load_task("names")
    w = tmp_path / "names.safetensors"
    save_weights(training.init_task_params(task.config(), "dlai", seed=0), str(w))
    code, out, err = cli("predict", "names", "--weights", str(w), "--count", "4", "--seed", "7",
                         "--temperature", "0.8")
    assert code == 0, err
    assert len(out.splitlines()) == 4
    assert cli("predict", "names", "--weights", str(w), "--count", "4", "--seed", "7",
               "--temperature", "0.8")[1] == out


def test_unknown_task(cli):
    code, _, err = cli("train", "poetry")
    one_line_error(code, err, "unknown task 'poetry'")


@pytest.mark.parametrize("epochs", ["-3", "0"])
def test_bad_epochs(cli, epochs):
    code, _, err = cli("train", "sentiment", "--epochs", epochs)
    one_line_error(code, err, "--epochs")


def test_unwritable_plot_path_fails_before_training(cli, tmp_path):
    code, out, err = cli("train", "sentiment", "--plot", str(tmp_path / "no" / "such" / "dir" / "p.png"))
    one_line_error(code, err, "--plot", "does not exist")
    assert "epoch" not in out  # nothing was trained
    code, _, err = cli("train", "sentiment", "--plot", "/proc/p.png")
    one_line_error(code, err, "--plot")


def test_bad_save_suffix(cli, tmp_path):
    code, _, err = cli("train", "sentiment", "--save", str(tmp_path / "w.txt"))
    one_line_error(code, err, "--save", ".npz")


def test_bad_framework_and_lr(cli):
    one_line_error(*_ce(cli("train", "sentiment", "--framework", "jax")), "framework")
    one_line_error(*_ce(cli("train", "sentiment", "--lr", "-1")), "--lr")


def _ce(result):
    code, _, err = result
    return code, err


def test_predict_unknown_word(cli, tmp_path):
    from rnn_parity import training
    from rnn_parity.torch_impl import save_weights
    task = training.load_task("sentiment")
    w = tmp_path / "s.npz"
    save_weights(training.init_task_params(task.config(), "sentiment", seed=0), str(w))
    code, _, err = cli("predict", "sentiment", "--weights", str(w), "i am glad")
    one_line_error(code, err, "unknown word 'glad'")


def test_predict_errors(cli, tmp_path):
    code, _, err = cli("predict", "sentiment", "--weights", str(tmp_path / "missing.npz"), "i am")
    one_line_error(code, err, "missing.npz")
    code, _, err = cli("predict", "poetry", "--weights", str(tmp_path / "w.npz"), "x")
    one_line_error(code, err, "unknown task")


def test_demo_bad_arguments(cli, tmp_path):
    one_line_error(*_ce(cli("demo", "--epochs", "-1")), "--epochs")
    f = tmp_path / "file"
    f.write_text("x")
    one_line_error(*_ce(cli("demo", "--out", str(f))), "--out")


def test_divergence_is_one_line_and_keeps_the_weights(cli, tmp_path):
    w = tmp_path / "last.npz"
    code, _, err = cli("train", "sentiment", "--epochs", "3", "--lr", "1e307", "--clip", "none", "--hidden", "8",
                       "--framework", "numpy", "--no-progress", "--save", str(w))
    one_line_error(code, err, "diverged in epoch 1", "the initial weights", str(w))
    from rnn_parity.torch_impl import load_weights
    assert load_weights(str(w)).config.hidden_size == 8


def test_a_numpy_run_imports_only_what_it_uses():
    """`rnn-parity train --framework numpy` (no bar, no plot, no save) starts without torch, matplotlib, tqdm or
    scipy: each costs a whole process tens to hundreds of milliseconds of start-up."""
    import subprocess

    heavy = ("torch", "matplotlib", "tqdm", "scipy")
    code = ("import sys; from rnn_parity.cli import main; "
            "status = main(['train', 'sentiment', '--framework', 'numpy', '--epochs', '2', '--no-progress']); "
            f"print('imported:', [m for m in {heavy!r} if m in sys.modules]); sys.exit(status)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "imported: []"


def test_the_progress_bar_still_draws_when_asked(capsys):
    from rnn_parity import training

    result = training.train("recurrent", framework="numpy", epochs=3, log_every=1, progress=True)
    out, err = capsys.readouterr()
    assert "recurrent (numpy)" in err and "epoch" in err  # tqdm's bar on stderr
    assert out.count("epoch ") == 4 and len(result.history.train["numpy"]) == 3  # report lines on stdout


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_train_a_gated_cell(cli, tmp_path, cell):
    weights, plot = tmp_path / f"{cell}.npz", tmp_path / f"{cell}.png"
    code, out, err = cli("train", "recurrent", "--cell", cell, "--epochs", "3", "--no-progress",
                         "--save", str(weights), "--plot", str(plot))
    assert code == 0, err
    first = out.splitlines()[0]
    assert f"nn.{cell.upper()}" in first and "torch's default, U(-1/sqrt(H), 1/sqrt(H))" in first and "lr 0.1" in first
    assert f"recurrent ({cell.upper()}): 3 epochs" in out and "largest parameter difference numpy vs torch" in out
    assert plot.exists()
    from rnn_parity.torch_impl import load_weights
    assert load_weights(str(weights)).config.cell == cell  # the weight file records the cell


def test_gated_cell_arguments_are_one_line_errors(cli, tmp_path):
    one_line_error(*_ce(cli("train", "recurrent", "--cell", "lstmm")), "unknown cell 'lstmm'", "rnn, lstm, gru")
    one_line_error(*_ce(cli("demo", "--cell", "transformer", "--out", str(tmp_path / "out"))), "unknown cell")
    assert not (tmp_path / "out").exists()  # refused before anything was written
    one_line_error(*_ce(cli("train", "recurrent", "--cell", "gru", "--lr", "-1")), "--lr")


def test_demo_with_a_gated_cell_keeps_the_rnn_files(cli, tmp_path):
    code, out, err = cli("demo", "--cell", "gru", "--epochs", "1", "--no-progress", "--no-control",
                         "--out", str(tmp_path))
    assert code in (0, 1), err  # 1 epoch does not reach accuracy 1.0: the demo says so and exits 1
    assert "many-to-one GRU with H=64" in out and "torch's default" in out and "lr 0.05" in out
    assert "largest parameter difference numpy vs torch at the end" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sentiment-gru.npz", "sentiment-gru.png"]
