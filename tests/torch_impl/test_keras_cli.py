"""rnn-parity convert with real Keras 3 files (built and saved by Keras on the torch backend): .keras, legacy .h5
and .weights.h5 in; the reference's weights back out as a file Keras's model.load_weights() accepts; --model
with the user's own Keras model. Skipped without Keras (pip install "rnn-parity[keras]")."""
from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np
import pytest

from rnn_parity.cli import main
from rnn_parity.reference.tolerances import parity_tolerance
from rnn_parity.torch_impl import load_weights, to_torch

os.environ["KERAS_BACKEND"] = "torch"
if importlib.util.find_spec("keras") is None:
    pytest.skip("Keras is not installed (pip install \"rnn-parity[keras]\")", allow_module_level=True)


class _Lazy:
    """keras (or one of its submodules), imported at first use: importing Keras takes ~3 s, which every xdist
    worker paid while collecting, though one of them runs these tests."""

    def __init__(self, attr=None):
        self._attr = attr

    def __getattr__(self, name):
        if name.startswith("_"):  # pytest's collection probes every module name for markers: not Keras's names
            raise AttributeError(name)
        module = pytest.importorskip("keras", minversion="3")
        return getattr(getattr(module, self._attr) if self._attr else module, name)


keras, L = _Lazy(), _Lazy("layers")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Keras's own numpy 2 chatter
MODELS = {  # real shapes: a sentiment LSTM, a stacked bidirectional GRU tagger, a SimpleRNN regressor
    "sentiment": lambda: [keras.Input((None,), dtype="int32"), L.Embedding(30, 6), L.LSTM(5), L.Dropout(0.3),
                          L.Dense(1, activation="sigmoid")],
    "tagger": lambda: [keras.Input((None, 4)), L.Bidirectional(L.GRU(5, return_sequences=True)),
                       L.Bidirectional(L.GRU(5, return_sequences=True)), L.TimeDistributed(L.Dense(3, activation="softmax"))],
    "regressor": lambda: [keras.Input((None, 2)), L.SimpleRNN(6, activation="relu", return_sequences=True),
                          L.SimpleRNN(6, activation="relu"), L.Dense(1)],
}
FORMATS = (".keras", ".h5", ".weights.h5")


def build(name, seed=0):
    model = keras.Sequential(MODELS[name]())
    rng = np.random.default_rng(seed)
    for w in model.weights:  # nonzero biases too, so that a misplaced bias shows
        w.assign((0.4 * rng.standard_normal(w.shape)).astype("float32"))
    return model


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keras")
    out = {}
    for name in MODELS:
        model = build(name)
        for fmt in FORMATS:
            path = folder / f"{name}{fmt}"
            model.save_weights(path) if fmt == ".weights.h5" else model.save(path)
            out[name, fmt] = path
        out[name] = model
    return out


def convert(monkeypatch, capsys, *argv):
    monkeypatch.setattr(sys, "argv", ["rnn-parity"])
    code = main(["convert", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def predict(model, x):
    return np.asarray(model(x).detach().cpu().numpy(), np.float64)


def inputs(name, rng):
    return rng.integers(0, 30, (2, 5)).astype("int32") if name == "sentiment" else \
        rng.standard_normal((2, 5, 4 if name == "tagger" else 2)).astype("float32")


@pytest.mark.parametrize("name, fmt", [("sentiment", ".keras"), ("tagger", ".h5"), ("regressor", ".keras"),
                                       ("tagger", ".weights.h5")])
def test_keras_to_torch_computes_what_keras_computes(tmp_path, monkeypatch, capsys, saved, name, fmt):
    out = tmp_path / "out.pt"
    code, text, err = convert(monkeypatch, capsys, saved[name, fmt], out)
    assert code == 0, err
    assert "verified against Keras" in text and "torch backend, float64" in text, text
    assert keras.config.floatx() == "float32" and keras.config.dtype_policy().name == "float32", "Keras's globals leaked"
    # independent of the port's own checks: the stock torch model the .pt loads into vs Keras's model
    params = load_weights(out)
    rng = np.random.default_rng(7)
    x = inputs(name, rng)
    import torch

    with torch.no_grad():
        logits, _ = to_torch(params)(torch.from_numpy(x.astype(np.int64) if name == "sentiment" else x))
    logits = logits.double().numpy()
    act = {"sentiment": lambda z: 1 / (1 + np.exp(-z)), "tagger": lambda z: np.exp(z) / np.exp(z).sum(-1, keepdims=True),
           "regressor": lambda z: z}[name]
    want = predict(saved[name], x)
    assert logits.shape == want.shape, f"shape: torch {logits.shape}, Keras {want.shape}"
    tol = parity_tolerance("forward", "float32")
    np.testing.assert_allclose(act(logits), want, rtol=tol.rtol, atol=tol.atol, err_msg="values: torch vs Keras")


@pytest.mark.parametrize("like", [".keras", ".h5"])
def test_torch_to_keras_loads_in_keras(tmp_path, monkeypatch, capsys, saved, like):
    """Both directions: Keras -> .pt -> their layout; Keras's load_weights gives back the same model."""
    name = "tagger"
    assert convert(monkeypatch, capsys, saved[name, ".keras"], tmp_path / "mid.pt")[0] == 0
    out = tmp_path / ("back.weights.h5" if like == ".keras" else "back.h5")
    code, text, err = convert(monkeypatch, capsys, tmp_path / "mid.pt", out, "--like", saved[name, like])
    assert code == 0, err
    assert "model.load_weights() accepts OUT" in text, text
    fresh = build(name, seed=99)
    fresh.load_weights(out)
    x = inputs(name, np.random.default_rng(3))
    np.testing.assert_array_equal(predict(fresh, x), predict(saved[name], x), err_msg="values: reloaded vs original")


def test_write_refuses_a_mismatched_layout_and_model(tmp_path, monkeypatch, capsys, saved):
    assert convert(monkeypatch, capsys, saved["tagger", ".keras"], tmp_path / "mid.pt")[0] == 0
    code, _, err = convert(monkeypatch, capsys, tmp_path / "mid.pt", tmp_path / "x.h5", "--like", saved["tagger", ".keras"])
    assert code == 2 and "name OUT *.weights.h5" in err and not (tmp_path / "x.h5").exists(), err
    code, _, err = convert(monkeypatch, capsys, tmp_path / "mid.pt", tmp_path / "x.weights.h5",
                           "--like", saved["sentiment", ".keras"])
    assert code == 2 and "do not fit their Keras model" in err and not (tmp_path / "x.weights.h5").exists(), err


MODEL_FILE = '''
from layers_beside import head  # a module beside the model file, as a script would import it
import keras


def make():
    return keras.Sequential([keras.Input((None, 2)), keras.layers.SimpleRNN(6, activation="relu", return_sequences=True),
                             keras.layers.SimpleRNN(6, activation="relu"), head()])
'''


def test_model_function_settles_a_weights_only_file(tmp_path, monkeypatch, capsys, saved):
    (tmp_path / "layers_beside.py").write_text("import keras\n\ndef head():\n    return keras.layers.Dense(1)\n")
    (tmp_path / "mine.py").write_text(MODEL_FILE)
    path = saved["regressor", ".weights.h5"]
    # without --model a weights-only file cannot say its activation: the stated default, said so
    code, text, err = convert(monkeypatch, capsys, path, tmp_path / "a.pt")
    assert code == 0 and "assumed output='last', nonlinearity='tanh'" in text and "stated defaults" in text, text
    code, text, err = convert(monkeypatch, capsys, path, tmp_path / "b.pt", "--model", f"{tmp_path / 'mine.py'}:make")
    assert code == 0, err
    assert "verified against your Keras model" in text and "nonlinearity=relu" in text, text


def test_model_that_differs_is_refused(tmp_path, monkeypatch, capsys, saved):
    (tmp_path / "other.py").write_text("import keras\n\ndef make():\n    return keras.Sequential([keras.Input((None, 2)), "
                                       "keras.layers.SimpleRNN(6, return_sequences=True), keras.layers.SimpleRNN(6), "
                                       "keras.layers.Dense(1)])\n")
    code, _, err = convert(monkeypatch, capsys, saved["regressor", ".keras"], tmp_path / "c.pt",
                           "--model", f"{tmp_path / 'other.py'}:make")
    assert code == 2 and "your model" in err and "differ" in err and not (tmp_path / "c.pt").exists(), err


def test_without_keras_says_what_was_verified(tmp_path, monkeypatch, capsys, saved):
    monkeypatch.setattr("rnn_parity.torch_impl.keras.verify.keras_module", lambda: None)
    code, text, err = convert(monkeypatch, capsys, saved["sentiment", ".keras"], tmp_path / "d.safetensors")
    assert code == 0, err
    assert "verified against the reference's reading of the saved config only" in text, text
    code, _, err = convert(monkeypatch, capsys, saved["sentiment", ".keras"], tmp_path / "e.pt", "--model", "x.py:f")
    assert code == 2 and "needs Keras 3" in err, err


def test_functional_chain_and_a_branching_model(tmp_path, monkeypatch, capsys):
    x = keras.Input((None, 3))
    chain = keras.Model(x, L.Dense(2)(L.GRU(4)(L.Dropout(0.1)(x))))
    chain.save(tmp_path / "chain.keras")
    code, text, err = convert(monkeypatch, capsys, tmp_path / "chain.keras", tmp_path / "chain.pt")
    assert code == 0 and "verified against Keras" in text, err
    branch = keras.Model(x, L.Dense(1)(L.Concatenate()([L.LSTM(4)(x), L.GRU(4)(x)])))
    branch.save(tmp_path / "branch.keras")
    code, _, err = convert(monkeypatch, capsys, tmp_path / "branch.keras", tmp_path / "branch.pt")
    assert code == 2 and "one chain of layers" in err and not (tmp_path / "branch.pt").exists(), err
