"""Task outputs: sentiment probabilities, top-k next letters, sampled names; and the plot."""
import pytest

from rnn_parity import training
from rnn_parity.datasets import UnknownTokenError
from rnn_parity.errors import RNNParityError
from rnn_parity.training.plots import plot_training
from rnn_parity.reference.fsutil import check_writable


def params_for(name, seed=0):
    task = training.load_task(name)
    return task, training.init_params(task.config(), seed=seed, scheme="torch")


def test_sentiment_probabilities():
    task, params = params_for("sentiment")
    p = training.sentiment_probabilities(params, task, "I am not sad")
    assert p.shape == (2,) and abs(p.sum() - 1) < 1e-12
    with pytest.raises(UnknownTokenError, match="'glad'"):
        training.sentiment_probabilities(params, task, "i am glad")


def test_next_symbol_topk():
    task, params = params_for("fibonacci")
    top = training.next_symbol_topk(params, task, "abc", k=5)
    assert len(top) == 5
    probs = [p for _, p in top]
    assert probs == sorted(probs, reverse=True) and sum(probs) <= 1 + 1e-12
    assert {s for s, _ in top} <= set("abcdefghijklmnopqrstuvwxyz")
    with pytest.raises(RNNParityError):
        training.next_symbol_topk(params, task, "", k=5)


def test_sample_names_seeded():
    task, params = params_for("names")
    a = training.sample_names(params, task, count=5, temperature=1.0, seed=1)
    assert a == training.sample_names(params, task, count=5, temperature=1.0, seed=1)
    assert a != training.sample_names(params, task, count=5, temperature=1.0, seed=2)
    assert all(len(n) <= 20 and "\n" not in n for n in a)
    assert all(len(n) <= 3 for n in training.sample_names(params, task, count=5, seed=1, max_length=3))
    with pytest.raises(RNNParityError, match="temperature"):
        training.sample_names(params, task, temperature=0)


def test_weights_must_fit_the_task():
    task, _ = params_for("sentiment")
    _, other = params_for("fibonacci")
    with pytest.raises(RNNParityError, match="do not fit"):
        training.check_params_fit(other, task)


def test_position_accuracy_shape():
    task, params = params_for("fibonacci")
    acc = training.position_accuracy(params, task)
    assert acc.shape == (5,) and ((0 <= acc) & (acc <= 1)).all()


def test_plot_writes_a_png(tmp_path):
    from dataclasses import replace
    task = training.load_task("sentiment")
    task = replace(task, train=task.train[:8], test=task.test[:4])
    result = training.train(task, framework="both", epochs=3, log_every=1, progress=False, log=lambda s: None)
    path = plot_training(result, tmp_path / "curves.png")
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_check_writable(tmp_path):
    assert check_writable(tmp_path / "a.png", "--plot", (".png",)) == tmp_path / "a.png"
    with pytest.raises(RNNParityError, match="does not exist"):
        check_writable(tmp_path / "missing" / "a.png", "--plot")
    with pytest.raises(RNNParityError, match="directory"):
        check_writable(tmp_path, "--plot")
    with pytest.raises(RNNParityError, match=r"\.png"):
        check_writable(tmp_path / "a.jpg", "--plot", (".png",))
    (tmp_path / "file").write_text("x")
    with pytest.raises(RNNParityError):
        check_writable(tmp_path / "file" / "a.png", "--plot")
