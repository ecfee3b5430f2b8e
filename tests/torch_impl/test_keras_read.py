"""Keras files read without Keras: hand-built Keras 2 .h5 files (full model and save_weights layouts), checked
against Keras's own equations in NumPy (keras_helpers.keras_forward), and every refusal in one line."""
from __future__ import annotations

import numpy as np
import pytest

from rnn_parity.errors import RNNParityError
from rnn_parity.reference import forward
from rnn_parity.reference.params import Params
from rnn_parity.reference.tolerances import parity_tolerance
from rnn_parity.torch_impl.keras import read_keras

from keras_helpers import keras_forward, layer, rnn_config, rnn_weights, stack, write_keras2

CASES = {  # a sampled grid: each cell, stacked, bidirectional, embedding, head at every step, no head, no bias
    "simplernn-tanh": dict(cls="SimpleRNN"),
    "lstm-2-layers": dict(cls="LSTM", layers=2),
    "gru-bidirectional-2": dict(cls="GRU", layers=2, bidirectional=True),
    "lstm-embedding-softmax": dict(cls="LSTM", vocab=9, head_activation="softmax"),
    "gru-every-step": dict(cls="GRU", sequences=True, time_distributed=True),
    "lstm-bi-no-head": dict(cls="LSTM", bidirectional=True, head=0, sequences=True),
    "simplernn-no-bias": dict(cls="SimpleRNN", use_bias=False, layers=2),
}


def assert_matches_keras(params, reading, layers, rng):
    """Shape, then dtype, then values: the port's forward (then the head's activation) equals Keras's equations."""
    c = params.config
    x = rng.integers(0, c.vocab_size, (3, 7)) if c.vocab_size else rng.standard_normal((3, 7, c.input_size))
    logits, _, _ = forward(Params({k: v.astype(np.float64) for k, v in params.items()}, c), x)
    if reading.head_activation == "softmax":
        logits = np.exp(logits - logits.max(-1, keepdims=True))
        logits /= logits.sum(-1, keepdims=True)
    want = keras_forward(layers, x)
    assert logits.shape == want.shape, f"shape: port {logits.shape}, Keras {want.shape}"
    assert params.dtype == np.float32, f"dtype: {params.dtype}, the file's is float32"
    tol = parity_tolerance("forward", "float32")
    np.testing.assert_allclose(logits, want, rtol=tol.rtol, atol=tol.atol, err_msg="values: port vs Keras's equations")


@pytest.mark.parametrize("case", CASES)
def test_keras2_h5_matches_keras_equations(tmp_path, case):
    rng = np.random.default_rng(len(case))
    layers = stack(rng, **CASES[case])
    write_keras2(tmp_path / "m.h5", layers)
    params, reading = read_keras(tmp_path / "m.h5")
    assert reading.layout == "keras2" and reading.has_config
    assert_matches_keras(params, reading, layers, rng)
    assert params.config.batch_first, "Keras is batch-major"


@pytest.mark.parametrize("case", ["lstm-2-layers", "gru-bidirectional-2", "simplernn-no-bias"])
def test_keras2_save_weights_file_cells_from_shapes(tmp_path, case):
    rng = np.random.default_rng(1)
    layers = stack(rng, **CASES[case])
    write_keras2(tmp_path / "w.h5", layers, weights_only=True)
    params, reading = read_keras(tmp_path / "w.h5")
    assert not reading.has_config
    assert params.config.cell == {"SimpleRNN": "rnn", "LSTM": "lstm", "GRU": "gru"}[CASES[case]["cls"]]
    assert any("weights-only" in n for n in reading.notes), reading.notes
    assert_matches_keras(params, reading, layers, rng)


def test_keras2_functional_model_and_old_names(tmp_path):
    """A functional Keras 2 model (InputLayer, inbound_nodes) whose weights carry Keras 2.0's names lstm_1/kernel:0."""
    from keras_helpers import model_config

    rng = np.random.default_rng(2)
    layers = stack(rng, cls="LSTM", layers=2)
    write_keras2(tmp_path / "f.h5", layers, config=model_config(layers, functional=True), version="2.0.8")
    params, reading = read_keras(tmp_path / "f.h5")
    assert params.config.num_layers == 2
    assert_matches_keras(params, reading, layers, rng)


def refuse(tmp_path, layers, *needles, weights_only=False, config=None):
    write_keras2(tmp_path / "bad.h5", layers, weights_only=weights_only, config=config)
    with pytest.raises(RNNParityError) as e:
        read_keras(tmp_path / "bad.h5")
    msg = str(e.value)
    assert "\n" not in msg and all(n in msg for n in needles), msg
    return msg


def test_refusals_name_the_layer_and_the_setting(tmp_path):
    rng = np.random.default_rng(3)
    lstm = stack(rng, cls="LSTM")
    lstm[0]["config"]["recurrent_activation"] = "hard_sigmoid"
    refuse(tmp_path, lstm, "'lstm_1'", "recurrent_activation='hard_sigmoid'")
    gru = stack(rng, cls="GRU")
    gru[0]["config"]["reset_after"] = False
    gru[0]["weights"]["gru_1/bias:0"] = np.zeros(12, np.float32)
    refuse(tmp_path, gru, "'gru_1'", "reset_after=False", "keras-team/keras#15915")
    refuse(tmp_path, gru, "reset_after=False", weights_only=True)  # from the (3H,) bias alone
    relu = stack(rng, cls="LSTM")
    relu[0]["config"]["activation"] = "relu"
    refuse(tmp_path, relu, "'lstm_1'", "activation='relu'")
    bi = stack(rng, cls="GRU", bidirectional=True)
    bi[0]["config"]["merge_mode"] = "sum"
    refuse(tmp_path, bi, "'bidirectional_1'", "merge_mode='sum'")
    wide = stack(rng, cls="LSTM", layers=2)
    wide[1]["config"]["units"] = 7
    refuse(tmp_path, wide, "'lstm_2'", "units=7", "different widths")
    mixed = stack(rng, cls="LSTM", layers=1, sequences=True)[:1] + stack(rng, cls="GRU", d_in=4)
    refuse(tmp_path, mixed, "'gru_1'", "cells")
    lam = stack(rng, cls="LSTM")
    lam.insert(1, layer("Lambda", {"name": "lambda_1", "function": ["4wEAAAAAAAAA", None, None]}))
    refuse(tmp_path, lam, "'lambda_1'", "Lambda", "never runs")
    conv = stack(rng, cls="LSTM")
    conv.insert(0, layer("Conv1D", {"name": "conv1d_1", "filters": 3}))
    refuse(tmp_path, conv, "'conv1d_1'", "Conv1D")


def test_inconsistent_kernels_and_missing_weights(tmp_path):
    rng = np.random.default_rng(4)
    bad = stack(rng, cls="LSTM", layers=2)
    bad[1]["weights"]["lstm_2/kernel:0"] = rnn_weights(rng, "LSTM", 5, 4)[0]  # input 5 where layer 1 outputs 4
    refuse(tmp_path, bad, "'lstm_2'", "kernel", "(5, 16)", "inconsistent shapes")
    short = stack(rng, cls="GRU")
    del short[0]["weights"]["gru_1/recurrent_kernel:0"]
    refuse(tmp_path, short, "'gru_1'", "missing weights")
    nan = stack(rng, cls="SimpleRNN")
    nan[0]["weights"]["simplernn_1/kernel:0"][0, 0] = np.nan
    refuse(tmp_path, nan, "'simplernn_1'", "NaN")


def test_weights_only_defaults_and_config_overrides(tmp_path):
    rng = np.random.default_rng(5)
    layers = [layer("SimpleRNN", rnn_config("SimpleRNN", 4, name="rnn", activation="relu"),
                    dict(zip(("rnn/kernel:0", "rnn/recurrent_kernel:0", "rnn/bias:0"), rnn_weights(rng, "SimpleRNN", 3, 4))))]
    write_keras2(tmp_path / "w.h5", layers, weights_only=True)
    params, reading = read_keras(tmp_path / "w.h5")
    assert params.config.nonlinearity == "tanh" and any("assumed" in n for n in reading.notes)
    params, _ = read_keras(tmp_path / "w.h5", {"nonlinearity": "relu", "output": "all"})
    layers[0]["config"]["return_sequences"] = True
    assert_matches_keras(params, reading, layers, rng)
    with pytest.raises(RNNParityError, match="contradicts the Keras config"):
        write_keras2(tmp_path / "m.h5", layers)
        read_keras(tmp_path / "m.h5", {"nonlinearity": "tanh"})
