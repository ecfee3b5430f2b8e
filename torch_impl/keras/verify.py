"""Check a Keras port with Keras itself: Keras 3 on the torch backend (no TensorFlow), an optional extra
(pip install "rnn-parity[keras]"). Keras reads the file with its own model.load_weights, only after read.py
accepted it, into a model built here from the settings config.py read (never from the file's config), or
into the user's own model (--model FILE.py:NAME, a function returning it); its output on random inputs must
match the reference's forward on the port at the float32 forward tolerance. Models are built with Keras's floatx
at float64, so that Keras runs the recurrence on the file's values exactly widened (float32 rounding grows with
a layer's width: a 512-unit GRU run in float32 differs from float64 by 5e-5, beyond that tolerance). Keras's
matmul on the torch backend computes float64 in float32 (its result_type gives float32), so its Dense head
rounds once: the reference's head is rounded the same way for the comparison.
"""
from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import sys
import warnings

import numpy as np

from ...reference.config import RNNConfig
from ...reference.errors import RNNParityError
from ...reference.model import forward as reference_forward
from ...reference.params import Params
from ...reference.tolerances import parity_tolerance
from .config import parse_layers

CHECK_B, CHECK_T = 3, 7  # T != B, so a transposed output cannot match by accident
NO_KERAS = "Keras 3 is not installed (pip install \"rnn-parity[keras]\")"


def keras_module():
    """Keras 3 on the torch backend, or None when it is not installed."""
    if importlib.util.find_spec("keras") is None:
        return None
    os.environ["KERAS_BACKEND"] = "torch"  # read at import: no TensorFlow
    try:
        with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import keras
        if int(keras.__version__.split(".")[0]) < 3 or keras.backend.backend() != "torch":
            return None  # Keras 2, or imported earlier on another backend: the file is still read, and said
    except Exception:  # noqa: BLE001 - a broken Keras install is no Keras
        return None
    return keras


def require_keras(why: str):
    keras = keras_module()
    if keras is None:
        raise RNNParityError(f"{why} needs {NO_KERAS}")
    return keras


@contextlib.contextmanager
def float64(keras):
    """Keras layers created inside are float64 unless they say otherwise (floatx and the global dtype policy, which
    Keras caches on first use, both set and both restored)."""
    floatx, policy = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx("float64")
    keras.config.set_dtype_policy("float64")
    try:
        yield
    finally:
        keras.config.set_floatx(floatx)
        keras.config.set_dtype_policy(policy)


def build(keras, reading):
    """A Keras model of the layers read (same classes and settings, so that Keras's own loader places the file's
    weights in it as it would in theirs), in float64."""
    with float64(keras):
        return _build(keras, reading)


def _build(keras, reading):
    L, c = keras.layers, reading.config
    emb = next((x for x in reading.layers if x.kind == "embedding"), None)
    stack = [keras.Input(shape=(None,), dtype="int32") if emb else keras.Input(shape=(None, c.input_size))]
    for x in reading.layers:
        if x.kind == "embedding":
            stack.append(L.Embedding(x.input_dim, x.units, mask_zero=x.mask_zero))
        elif x.kind == "rnn":
            cls = x.cls.removeprefix("Bidirectional(").rstrip(")")
            kw = {"units": x.units, "return_sequences": x.return_sequences, "use_bias": x.use_bias}
            if cls == "SimpleRNN":
                kw["activation"] = x.activation
            layer = getattr(L, cls)(**kw)
            stack.append(L.Bidirectional(layer, merge_mode="concat") if x.bidirectional else layer)
        else:
            dense = L.Dense(x.units, activation=x.activation, use_bias=x.use_bias)
            stack.append(L.TimeDistributed(dense) if x.cls.startswith("TimeDistributed") else dense)
    return keras.Sequential(stack)


def user_model(keras, spec: str):
    """--model FILE.py:NAME for Keras: NAME() returns their keras.Model (their own code: importing it runs it)."""
    from ..user_model import _first_line, load_object

    obj = load_object(spec, "--model")
    try:
        with float64(keras):
            model = obj() if callable(obj) and not isinstance(obj, keras.Model) else obj
    except Exception as e:  # noqa: BLE001
        raise RNNParityError(f"--model {spec}: calling it failed ({type(e).__name__}: {_first_line(e)})") from None
    if not isinstance(model, keras.Model):
        raise RNNParityError(f"--model {spec} returned a {type(model).__name__}, not a Keras model")
    return model


def layers_of(model, spec: str) -> list:
    """The layers of the user's own Keras model (its config is theirs: trusted like their code)."""
    return parse_layers(json.loads(model.to_json()), f"--model {spec}")[0]


def load_into(model, path, what: str) -> None:
    """Keras's own reading of the file (model.load_weights); a refusal in one line."""
    from ..user_model import _first_line

    try:
        with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.load_weights(os.fspath(path))
    except Exception as e:  # noqa: BLE001 - Keras's message, in one line
        raise RNNParityError(f"{what}: Keras's model.load_weights({os.path.basename(os.fspath(path))}) failed "
                             f"({type(e).__name__}: {_first_line(e)[:300]})") from None


def _head(logits: np.ndarray, act: str) -> np.ndarray:
    if act == "softmax" or act == "log_softmax":
        z = logits - logits.max(axis=-1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        return log_p if act == "log_softmax" else np.exp(log_p)
    return {"linear": lambda z: z, "sigmoid": lambda z: 0.5 * (1 + np.tanh(0.5 * z)), "tanh": np.tanh,
            "relu": lambda z: np.maximum(z, 0)}[act](logits)


def _reference_logits(params: Params, x, ran_in: str, dense: bool) -> np.ndarray:
    """The reference's logits in float64; with a Dense head run by Keras in float64, the head's product rounded to
    float32 as Keras's torch matmul rounds it."""
    import torch

    c = params.config
    p64 = Params({k: v.astype(np.float64) for k, v in params.items()}, c)
    x = x if c.vocab_size else x.astype(np.float64)
    if not dense or ran_in != "float64":
        return reference_forward(p64, x)[0]
    K = c.hidden_size * c.num_directions
    bare = RNNConfig.from_dict({**c.to_dict(), "output_size": K})  # the hidden states: an identity head
    states = reference_forward(Params({**p64, "Why": np.eye(K), "by": np.zeros(K)}, bare), x)[0]
    product = torch.matmul(torch.from_numpy(states).float(), torch.from_numpy(p64["Why"].T).float())
    return product.double().numpy() + p64["by"]


def compare(model, params: Params, reading, seed: int = 0, what: str = "Keras") -> float:
    """Largest |Keras - reference| on random batch-major inputs; refuses above the forward tolerance of the dtype
    Keras ran in."""
    import torch

    c, rng = params.config, np.random.default_rng(seed)
    emb = next((x for x in reading.layers if x.kind == "embedding"), None)
    if c.vocab_size is not None:  # token 0 is padding to a mask_zero Embedding: draw real tokens
        x = rng.integers(1 if emb is not None and emb.mask_zero else 0, c.vocab_size, size=(CHECK_B, CHECK_T))
    else:
        x = rng.standard_normal((CHECK_B, CHECK_T, c.input_size))
    # the dtype its weights are held in (a Dense's output may still come back float32: see the module's docstring)
    ran_in = "float64" if all(str(w.dtype) == "float64" for w in model.weights) else "float32"
    keras = sys.modules["keras"]
    with torch.no_grad(), contextlib.redirect_stderr(io.StringIO()), float64(keras):
        out = model(x.astype(np.int32) if c.vocab_size else x.astype(ran_in))
        theirs = np.asarray(out.detach().cpu().numpy(), np.float64)
    if ran_in == "float32" and not c.vocab_size:
        x = x.astype(np.float32)  # the inputs Keras saw
    mine = _head(_reference_logits(params, x, ran_in, any(layer.kind == "dense" for layer in reading.layers)),
                 reading.head_activation)
    if mine.shape != theirs.shape:
        raise RNNParityError(f"{what}'s output has shape {theirs.shape}, the port's {mine.shape}: not the same model")
    tol = parity_tolerance("forward", "float32")
    diff = float(np.abs(mine - theirs).max()) if np.isfinite(theirs).all() else float("inf")
    if not np.all(np.abs(mine - theirs) <= tol.atol + tol.rtol * np.abs(theirs)):
        raise RNNParityError(f"{what} and the port differ by {diff:.3g} on random inputs (above the float32 forward "
                             f"tolerance rtol={tol.rtol:g}, atol={tol.atol:g}): nothing written")
    return diff, ran_in
