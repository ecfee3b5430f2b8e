"""The stock half of rnn-parity convert: IN is one of rnn-parity's own weight files (or a TorchRNN-named
state_dict, or seed-style arrays); OUT is written, read back, and checked against a TorchRNN on random
inputs. Shared with convert_checkpoint.py (parse_config, run_stock, _check_inputs)."""
from __future__ import annotations

import json
import warnings

import numpy as np
import torch

from ..errors import RNNParityError

CHECK_STEPS, CHECK_BATCH = 6, 3


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
            t_logits, t_h_n = model(torch.from_numpy(x), as_torch(h0), lengths=torch.from_numpy(lengths))
        results.append(compare(f"logits ({kind})", logits, t_logits))
        pairs = zip(h_n, t_h_n) if config.has_cell_state else [(h_n, t_h_n)]  # an LSTM's (h_n, c_n)
        results += [compare(f"{name} ({kind})", a, b) for name, (a, b) in zip(("h_n", "c_n"), pairs)]
    failed = [r for r in results if not r.passed]
    tol = results[0].tol
    print(f"largest difference |reference - torch| on random inputs: {max(r.max_abs for r in results):.3g} "
          f"({'ABOVE' if failed else 'within'} the {dtype} forward tolerance rtol={tol.rtol:g}, atol={tol.atol:g})")
    for r in failed:
        print(f"FAIL: {r.message}")
    return 1 if failed else 0


def as_torch(h0):
    """h0 (or an LSTM's (h0, c0)) as torch tensors."""
    return tuple(map(torch.from_numpy, h0)) if isinstance(h0, tuple) else torch.from_numpy(h0)


def _check_inputs(config, dtype, seed: int):
    """Random dense inputs and token ids, each with a random h0 (an LSTM's (h0, c0)) and random lengths (one
    full-length sequence)."""
    rng = np.random.default_rng(seed)
    T, B = CHECK_STEPS, CHECK_BATCH
    LD = config.num_layers * config.num_directions
    h0 = (0.5 * rng.standard_normal((LD, B, config.state_size))).astype(dtype)
    if config.has_cell_state:
        h0 = (h0, (0.5 * rng.standard_normal((LD, B, config.hidden_size))).astype(dtype))
    lengths = rng.integers(1, T + 1, size=B)
    lengths[0] = T
    dense = rng.standard_normal((T, B, config.input_size)).astype(dtype)
    ids = rng.integers(0, config.input_size if config.vocab_size is None else config.vocab_size, size=(T, B))
    if config.batch_first:
        dense, ids = dense.transpose(1, 0, 2).copy(), ids.T.copy()
    if config.vocab_size is not None:  # the model embeds token ids: there is no dense input
        return {"token ids": (ids, h0, lengths)}
    return {"dense input": (dense, h0, lengths), "token ids": (ids, h0, lengths)}
