"""Every bad input to the model is answered with one clear ValueError (RNNParityError is one), on both sides.

One test per row of the README table "What happens with bad input"; the reference's forward and
loss_and_grads and TorchRNN's forward must refuse the same inputs, each naming what was wrong.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rnn_parity.reference import RNNConfig, forward, init_params, loss_and_grads
from rnn_parity.torch_impl import TorchRNN, to_torch

from .conftest import assert_one_line_error, assert_one_line_message

CONFIG = RNNConfig(3, 4, 2, num_layers=2, bidirectional=True)
T, B = 5, 2


@pytest.fixture(scope="module")
def params():
    return init_params(CONFIG, seed=0)


@pytest.fixture(scope="module")
def model(params):
    return to_torch(params)


def x_dense(dtype="float64"):
    return np.random.default_rng(0).standard_normal((T, B, CONFIG.input_size)).astype(dtype)


def reference_error(params, *args, **kw):
    with pytest.raises(ValueError) as e:
        forward(params, *args, **kw)
    return e.value


def torch_error(model, *args, **kw):
    with pytest.raises(ValueError) as e:
        model(*(torch.as_tensor(a) for a in args), **{k: torch.as_tensor(v) for k, v in kw.items()})
    return e.value


def both(params, model, args, kwargs, ref_needles, torch_needles):
    assert_one_line_message(reference_error(params, *args, **kwargs), *ref_needles)
    assert_one_line_message(torch_error(model, *args, **kwargs), *torch_needles)


# --- token ids -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [3, -1, 10**6])
def test_token_id_out_of_range(params, model, bad):
    ids = np.zeros((T, B), dtype=np.int64)
    ids[2, 1] = bad
    both(params, model, (ids,), {},
         [f"token id {bad} at (t, b) = (2, 1) is out of range [0, 3)"],
         ["token ids must lie in [0, 3)", str(bad)])


# --- empty sequences -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(0, B, 3), (0, B), (T, 0, 3)], ids=["T=0", "T=0 ids", "B=0"])
def test_empty_sequence(params, model, shape):
    x = np.zeros(shape, dtype=np.int64 if len(shape) == 2 else np.float64)
    t, b = shape[:2]
    both(params, model, (x,), {}, [f"x is empty: T={t}, B={b}"], [f"input is empty: T={t}, B={b}"])


def test_empty_phrase_and_empty_prefix():
    from rnn_parity import training

    task = training.load_task("sentiment")
    p = init_params(task.config(hidden=4), seed=0)
    with pytest.raises(ValueError) as e:
        training.sentiment_probabilities(p, task, "   ")
    assert_one_line_message(e.value, "empty phrase")


# --- lengths -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lengths, ref_needle, torch_needle", [
    ([T + 1, 1], f"lengths must lie in [1, T={T}], got min 1 and max {T + 1}", f"lengths must lie in [1, T={T}]"),
    ([0, T], f"lengths must lie in [1, T={T}], got min 0", f"lengths must lie in [1, T={T}], got min 0"),
    ([T, T, T], "lengths must have one entry per batch element (B=2), got shape (3,)",
     "lengths must be 2 integers (one per batch element)"),
    ([[T, T]], "lengths must have one entry per batch element (B=2), got shape (1, 2)",
     "lengths must be 2 integers (one per batch element)"),
    ([2.0, 3.0], "lengths must be integers, got dtype float64", "lengths must be 2 integers"),
], ids=["longer than T", "zero", "wrong count", "wrong shape", "floats"])
def test_bad_lengths(params, model, lengths, ref_needle, torch_needle):
    both(params, model, (x_dense(),), {"lengths": np.array(lengths)}, [ref_needle], [torch_needle])


# --- h0 ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(4, B + 1, 4), (2, B, 4), (B, 4), (4, B, 5)])
def test_h0_of_the_wrong_shape(params, model, shape):
    h0 = np.zeros(shape)
    both(params, model, (x_dense(),), {"h0": h0},
         [f"h0 has shape {shape}, expected (L * dirs, B, H) = (4, 2, 4)"],
         [f"h0 must have shape (L*dirs, B, H) = (4, 2, 4), got {shape}"])


# --- dtypes --------------------------------------------------------------------------------------------------

def test_input_dtype_differs_from_the_params(params, model):
    both(params, model, (x_dense("float32"),), {},
         ["x is float32 but params are float64", "astype"], ["input dtype torch.float32 differs", "float64"])


def test_h0_dtype_differs_from_the_params(params, model):
    h0 = np.zeros((4, B, 4), dtype=np.float32)
    both(params, model, (x_dense(),), {"h0": h0}, ["h0 is float32 but params are float64"],
         ["h0 dtype torch.float32 differs from the model's torch.float64"])


def test_params_of_mixed_dtypes(params):
    mixed = params.copy()
    mixed["Whh_l1"] = mixed["Whh_l1"].astype(np.float32)
    assert_one_line_message(reference_error(mixed, x_dense()), "params['Whh_l1'] is float32 but params['Why'] is float64")
    with pytest.raises(ValueError) as e:
        to_torch(mixed)
    assert_one_line_message(e.value, "'Whh_l1' has dtype float32, expected float64")


@pytest.mark.parametrize("x, needle", [
    (np.ones((T, B), dtype=bool), "got dtype bool"),
    (np.ones((T, B, 3), dtype=complex), "got dtype complex128"),
    (np.array([["a", "b"]]), "got dtype <U1"),
], ids=["bool", "complex", "strings"])
def test_input_of_no_usable_dtype(params, x, needle):
    assert_one_line_message(reference_error(params, x), "x must be float", needle)


def test_torch_input_that_is_no_tensor(model):
    with pytest.raises(ValueError) as e:
        model("a sentence")
    assert_one_line_message(e.value, "TorchRNN: input must be float", "got str")


def test_float32_model_refuses_float64_input():
    model = TorchRNN(CONFIG, dtype=torch.float32)
    with pytest.raises(ValueError) as e:
        model(torch.zeros(T, B, 3, dtype=torch.float64))
    assert_one_line_message(e.value, "input dtype torch.float64 differs from the model's torch.float32")


# --- targets (loss) ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("targets, needle", [
    (np.array([0, 2]), "targets must lie in [0, 2), got min 0 and max 2"),
    (np.array([0, -1]), "targets must lie in [0, 2)"),
    (np.array([0, 1, 1]), "targets have shape (3,), expected (2,)"),
    (np.array([0.0, 1.0]), "targets must be integer class ids"),
])
def test_bad_targets(params, targets, needle):
    with pytest.raises(ValueError) as e:
        loss_and_grads(params, x_dense(), targets)
    assert_one_line_message(e.value, needle)


# --- unknown words -------------------------------------------------------------------------------------------

def test_unknown_word_names_the_word_and_the_vocabulary():
    from rnn_parity import training

    task = training.load_task("sentiment")
    p = init_params(task.config(hidden=4), seed=0)
    with pytest.raises(ValueError) as e:
        training.sentiment_probabilities(p, task, "i am zorgly")
    assert_one_line_message(e.value, "unknown word 'zorgly'", "18-word vocabulary", "'happy'")


def test_unknown_letter():
    from rnn_parity import training

    task = training.load_task("fibonacci")
    p = init_params(task.config(hidden=4), seed=0)
    with pytest.raises(ValueError) as e:
        training.next_symbol_topk(p, task, "ab3")
    assert_one_line_message(e.value, "unknown letter '3'", "26-letter vocabulary")


# --- the same through the CLI --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sentiment_weights(tmp_path_factory):
    from rnn_parity import training
    from rnn_parity.torch_impl import save_weights

    path = tmp_path_factory.mktemp("predict") / "sentiment.npz"
    save_weights(init_params(training.load_task("sentiment").config(hidden=4), seed=0), path)
    return path


@pytest.mark.parametrize("phrase, needle", [
    ("i am zorgly", "unknown word 'zorgly': not in the 18-word vocabulary"),
    ("   ", "empty phrase"),
    ("", "empty phrase"),
])
def test_predict_bad_phrase(cli, sentiment_weights, phrase, needle):
    code, out, err = cli("predict", "sentiment", "--weights", sentiment_weights, phrase)
    assert_one_line_error(code, err, needle)


def test_predict_weights_of_another_task(cli, sentiment_weights):
    code, out, err = cli("predict", "fibonacci", "--weights", sentiment_weights, "ab")
    assert_one_line_error(code, err, "do not fit task 'fibonacci'")
