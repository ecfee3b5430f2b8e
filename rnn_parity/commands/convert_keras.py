"""The Keras half of `rnn-parity convert`: a .keras / Keras 2 .h5 / .weights.h5 file in (read with h5py and its
JSON config; nothing in it runs), or the reference's weights out as a Keras weights file in their model's
layout (--like THEIR.keras|.h5). Checked by Keras itself when it is installed (torch backend), against the
user's own Keras model with --model FILE.py:NAME (a function returning it); else said plainly.

Order of work: the Keras file is read and bounded first; only then does Keras's own loader see it, and only then
is the user's model file imported... except that a weights-only file needs their model's layers to be read:
then their file (their own code) is imported first.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..errors import RNNParityError
from .convert_stock import parse_config, run_stock

ONLY_REFERENCE = "verified against the reference's reading of the saved config only"


def wants_keras(args) -> bool:
    from ..torch_impl.keras.read import is_keras_path

    return is_keras_path(args.input) or is_keras_path(args.output)


def run_keras(args) -> int:
    from ..torch_impl.keras.read import is_keras_path

    for flag in ("forward", "layout", "map"):
        if getattr(args, flag, None):
            raise RNNParityError(f"--{flag} applies to torch checkpoints, not to Keras files")
    if is_keras_path(args.input):
        if is_keras_path(args.output):
            raise RNNParityError("IN and OUT are both Keras files: convert to .pt, .npz or .safetensors, or from one")
        if args.like:
            raise RNNParityError("--like writes their format: IN is already a Keras file; name OUT .pt, .npz or "
                                 ".safetensors")
        return _read(args)
    return _write(args)


def _verify_read(args, params, reading, keras, model) -> str:
    from ..torch_impl.keras.verify import NO_KERAS, build, compare, load_into

    if model is not None:
        load_into(model, args.input, f"your model {args.model}")
        diff, ran_in = compare(model, params, reading, args.seed, f"your model {args.model}")
        return (f"verified against your Keras model {args.model}: Keras's own reading of {args.input} "
                f"(model.load_weights) computes what the port computes (largest difference {diff:.2g}, Keras in "
                f"{ran_in})")
    if keras is None:
        what = ONLY_REFERENCE if reading.has_config else \
            "verified against the reference's reading of the saved weights and the stated defaults only"
        return f"{what} ({NO_KERAS}: then Keras itself checks it, or pass --model FILE.py:NAME)"
    built = build(keras, reading)
    load_into(built, args.input, "Keras")
    diff, ran_in = compare(built, params, reading, args.seed, f"Keras {keras.__version__}")
    what = "the saved config" if reading.has_config else "the layers the weights show, with the stated defaults"
    return (f"verified against Keras {keras.__version__} (torch backend, {ran_in}) running {what}: its own reading of "
            f"the file matches the port (largest difference {diff:.2g}); pass --model FILE.py:NAME to check your "
            "own model")


def _read(args) -> int:
    from ..torch_impl.keras import read_keras
    from ..torch_impl.keras.verify import keras_module, layers_of, require_keras, user_model

    overrides = parse_config(args.config)
    keras, model, like_layers = keras_module(), None, None
    if args.model:
        keras = require_keras("--model with a Keras file")
        model = user_model(keras, args.model)
        like_layers = layers_of(model, args.model)
    params, reading = read_keras(args.input, overrides, like_layers)
    n = sum(len(x.arrays) for x in reading.layers)
    version = "3" if reading.layout == "keras3" else "2"
    lines = [f"read {args.input}: a {reading.kind} (Keras {version} weights layout), "
             f"{n} arrays, {reading.dtype}"]
    lines += [f"note: {note}" for note in reading.notes]
    lines.append(f"reading: {reading.describe()}")
    lines.append(_verify_read(args, params, reading, keras, model))
    return run_stock(args, params, lines, run_in="float64")  # float32 rounding grows with width: test the port


def _load_in(args):
    """The reference's weights from IN: rnn-parity's own files or a stock state_dict, else a checkpoint by structure."""
    from ..torch_impl import ConfigAssumedWarning, load_weights

    notes = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConfigAssumedWarning)
        try:
            params = load_weights(args.input, config=parse_config(args.config) or None, scheme=args.scheme,
                                  fold_bias=args.fold_bias)
        except RNNParityError as first:
            from ..torch_impl.checkpoint import read_checkpoint

            try:
                params, reading = read_checkpoint(args.input, config=parse_config(args.config),
                                                  fold_bias=args.fold_bias)
            except RNNParityError:
                raise first from None
            notes += [f"note: {n}" for n in reading.notes] + [f"reading: {reading.describe()}"]
    notes = [f"note: {w.message}" for w in caught if issubclass(w.category, ConfigAssumedWarning)] + notes
    return params, notes


def _write(args) -> int:
    from ..torch_impl.keras import read_keras
    from ..torch_impl.keras.mapping import to_keras
    from ..torch_impl.keras.read import is_keras_path
    from ..torch_impl.keras.verify import NO_KERAS, build, compare, keras_module, load_into, require_keras, user_model
    from ..torch_impl.keras.write import write_keras

    if not args.like or not is_keras_path(args.like):
        raise RNNParityError(f"OUT {args.output} is a Keras weights file: give --like THEIR.keras|.h5|.weights.h5, "
                             "whose layout and names it takes")
    params, lines = _load_in(args)
    lines = [f"read {args.input}: {len(params)} arrays, {params.dtype}"] + lines
    c = params.config
    _, like = read_keras(args.like)
    if not like.has_config:  # a weights-only file cannot say these: the weights' own
        _, like = read_keras(args.like, {"output": c.output, "nonlinearity": c.nonlinearity})
    lines += [f"note: {n}" for n in like.notes if "assumed" not in n]
    lines.append(f"their model: {like.describe()}")
    arrays = to_keras(params, like)
    keras = keras_module()
    model = None
    if args.model:  # their code, imported before anything is written
        keras = require_keras("--model with a Keras file")
        model = user_model(keras, args.model)
    count = write_keras(args.output, arrays, like, args.like)
    back, _ = read_keras(args.output, like_layers=like.layers)
    again = to_keras(back, like)
    if set(again) != set(arrays) or any(not np.array_equal(again[k], arrays[k]) for k in arrays):
        raise RNNParityError(f"{args.output} does not read back bit-exact")
    dtypes = sorted({a.dtype.name for a in arrays.values()})
    cast = [f"{params.dtype} -> {d}" for d in dtypes if d != params.dtype.name]
    if cast:
        lines.append(f"note: cast {', '.join(cast)} (their dtypes; rounds the values)")
    if model is not None or keras is not None:
        target = model if model is not None else build(keras, like)
        who = f"your model {args.model}" if model is not None else f"Keras {keras.__version__}"
        try:
            load_into(target, args.output, who)
            diff, ran_in = compare(target, params, like, args.seed, who)
        except RNNParityError:
            import os

            os.remove(args.output)  # written only when verified
            raise
        verified = (f"verified: {who}'s model.load_weights() accepts OUT and computes the reference's function "
                    f"(largest difference {diff:.2g}, Keras in {ran_in})")
    else:
        verified = f"{ONLY_REFERENCE}: OUT reads back as these weights ({NO_KERAS}: then Keras itself loads it)"
    for line in lines:
        print(line)
    print(f"wrote {args.output}: {count} arrays in their Keras layout; it reads back bit-exact")
    print(verified)
    return 0
