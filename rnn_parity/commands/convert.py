"""rnn-parity convert IN OUT: convert a weight file between formats and naming schemes, then verify.

IN and OUT are .npz, .pt or .safetensors (by suffix); IN may be an .npz of seed-style arrays
(karpathy, coursera, uvw names, detected or named with --scheme), and --to-scheme writes OUT as one.
The config comes from IN when it records one, else from the shapes plus --config; what was assumed
is printed. Then OUT is read back, and the reference forward on IN's weights is compared with a
TorchRNN holding OUT's on random inputs: exit 1 when the largest difference is above
reference/tolerances.py's forward tolerance.

A torch checkpoint of another model (any module names, wrappers, embeddings, hand-written recurrences)
is read by structure and verified against the user's own model with --model; --like / --model write the
reference's weights back in their names. That half lives in convert_checkpoint.py.
"""
from __future__ import annotations

import json
import warnings

import numpy as np
import torch

from ..errors import RNNParityError

CHECK_STEPS, CHECK_BATCH = 6, 3


def add_arguments(parser) -> None:
    from ..torch_impl import SCHEMES

    parser.add_argument("input", metavar="IN", help="weight file to read (.npz, .pt, .safetensors)")
    parser.add_argument("output", metavar="OUT", help="weight file to write (.npz, .pt, .safetensors)")
    parser.add_argument("--scheme", default="auto", choices=("auto", *SCHEMES),
                        help="naming scheme of IN's arrays when they are seed-style (default: detect)")
    parser.add_argument("--to-scheme", choices=tuple(SCHEMES),
                        help="write OUT (.npz) with this seed scheme's names and (n, 1) column biases")
    parser.add_argument("--config", metavar="JSON|key=value,...",
                        help="config fields the file does not record, e.g. nonlinearity=relu,output=all "
                             "or '{\"nonlinearity\": \"relu\"}'")
    parser.add_argument("--fold-bias", action="store_true",
                        help="read a nonzero torch bias_hh into bias='single' as bh = bias_ih + bias_hh "
                             "(exact in function, not in training dynamics)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random check inputs (default 0)")
    parser.add_argument("--model", metavar="FILE.py:NAME",
                        help="your model (an nn.Module class built with no arguments, or a function returning one): "
                             "the port is verified by running it, and written only when a reading reproduces it")
    parser.add_argument("--forward", metavar="FILE.py:FUNC",
                        help="with --model: FUNC(model, x) returns the output, for models not called as model(x)")
    parser.add_argument("--layout", choices=("BT", "TB"),
                        help="with --model: the layout of x the model (or FUNC) takes (default: its nn.RNN's "
                             "batch_first, else both are tried)")
    parser.add_argument("--map", metavar="rnn=PREFIX,head=PREFIX,embedding=PREFIX",
                        help="which modules of a checkpoint are the RNN, the head and the embedding, when several "
                             "readings fit (head=none: no head; rnn=i2h+h2h for a hand-written pair)")
    parser.add_argument("--like", metavar="THEIR.pt",
                        help="write OUT as a state_dict with the key names and dtypes of this checkpoint")


def parse_config(text: str | None) -> dict:
    """--config as a dict: a JSON object, or key=value pairs separated by commas (values JSON or plain words)."""
    if not text or not text.strip():
        return {}
    text = text.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise RNNParityError(f"--config: not valid JSON: {e}") from None
        if not isinstance(data, dict):
            raise RNNParityError("--config: the JSON must be an object")
        return data
    data = {}
    for item in text.split(","):
        key, sep, value = (s.strip() for s in item.partition("="))
        if not sep or not key:
            raise RNNParityError(f"--config: expected key=value, got {item.strip()!r}")
        if value.lower() in ("true", "false"):
            data[key] = value.lower() == "true"
        else:
            try:
                data[key] = json.loads(value)
            except json.JSONDecodeError:
                data[key] = value  # a plain word such as relu
    return data


def run(args) -> int:
    from .convert_checkpoint import run_like, run_read, wants_structure

    if args.forward and not args.model:
        raise RNNParityError("--forward needs --model FILE.py:NAME")
    if args.like or (args.model and not wants_structure(args)):
        return run_like(args)
    if wants_structure(args):
        return run_read(args)
    return run_stock(args)


def run_stock(args, params=None, lines=()) -> int:
    """Write params (read from IN by load_weights unless given) to OUT, read back, check against a TorchRNN."""
    from ..compare import compare
    from ..reference import forward
    from ..torch_impl import ConfigAssumedWarning, load_weights, save_weights, to_torch
    from ..torch_impl.weights_io import weight_format

    if weight_format(args.output) != ".npz" and args.to_scheme:
        raise RNNParityError(f"--to-scheme writes an .npz, not {args.output}")
    caught = []
    if params is None:
        overrides = parse_config(args.config)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConfigAssumedWarning)
            params = load_weights(args.input, config=overrides or None, scheme=args.scheme, fold_bias=args.fold_bias)
        print(f"read {args.input}: {len(params)} arrays, {params.dtype}")
    config, dtype = params.config, params.dtype
    for line in lines:
        print(line)
    print("config: " + ", ".join(f"{k}={v}" for k, v in config.to_dict().items()))
    for w in caught:
        if issubclass(w.category, ConfigAssumedWarning):
            print(f"note: {w.message}")
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    if args.to_scheme and config.vocab_size is not None:
        raise RNNParityError("--to-scheme: the seed schemes have no embedding table; write .npz without --to-scheme")

    save_weights(params, args.output, scheme=args.to_scheme)
    back = load_weights(args.output, config=config, scheme=args.to_scheme or "auto")
    changed = [k for k in params if not np.array_equal(back[k], params[k])]
    if changed:
        print(f"FAIL: {args.output} does not read back bit-exact: {changed}")
        return 1
    print(f"wrote {args.output}" + (f" ({args.to_scheme} names)" if args.to_scheme else "")
          + "; it reads back bit-exact")

    model = to_torch(back)
    results = []
    for kind, (x, h0, lengths) in _check_inputs(config, dtype, args.seed).items():
        logits, h_n, _ = forward(params, x, h0=h0, lengths=lengths)
        with torch.no_grad():
            t_logits, t_h_n = model(torch.from_numpy(x), torch.from_numpy(h0), lengths=torch.from_numpy(lengths))
        results += [compare(f"logits ({kind})", logits, t_logits), compare(f"h_n ({kind})", h_n, t_h_n)]
    failed = [r for r in results if not r.passed]
    tol = results[0].tol
    print(f"largest difference |reference - torch| on random inputs: {max(r.max_abs for r in results):.3g} "
          f"({'ABOVE' if failed else 'within'} the {dtype} forward tolerance rtol={tol.rtol:g}, atol={tol.atol:g})")
    for r in failed:
        print(f"FAIL: {r.message}")
    return 1 if failed else 0


def _check_inputs(config, dtype, seed: int):
    """Random dense inputs and token ids, each with a random h0 and random lengths (one full-length sequence)."""
    rng = np.random.default_rng(seed)
    T, B = CHECK_STEPS, CHECK_BATCH
    h0 = (0.5 * rng.standard_normal((config.num_layers * config.num_directions, B, config.hidden_size))).astype(dtype)
    lengths = rng.integers(1, T + 1, size=B)
    lengths[0] = T
    dense = rng.standard_normal((T, B, config.input_size)).astype(dtype)
    ids = rng.integers(0, config.input_size if config.vocab_size is None else config.vocab_size, size=(T, B))
    if config.batch_first:
        dense, ids = dense.transpose(1, 0, 2).copy(), ids.T.copy()
    if config.vocab_size is not None:  # the model embeds token ids: there is no dense input
        return {"token ids": (ids, h0, lengths)}
    return {"dense input": (dense, h0, lengths), "token ids": (ids, h0, lengths)}
