"""The checkpoint half of `rnn-parity convert`: real PyTorch checkpoints read by structure (any module
names, wrappers, embeddings, hand-written recurrences), verified against the user's own model (--model),
and the reference's weights written back in their model's names and dtypes (--like / --model).

Order of work: the checkpoint is read safely first (weights_only); only then is the user's model file
imported and run; OUT is written only after a reading reproduced their model (or, without --model,
after the stock nn.RNN + Linear check that run_stock does).
"""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import torch

from ..errors import RNNParityError
from ..reference.config import RNNConfig
from .convert_stock import parse_config, run_stock

# The keys a TorchRNN writes: such files keep the plain load_weights path (and its messages).
OWN_KEYS = re.compile(r"^(rnn\.(weight|bias)_(ih|hh)_l\d+(_reverse)?|fc\.(weight|bias)|embedding\.weight)$")
STOCK_ONLY = ("verified against a stock nn.RNN + Linear only: pass --model FILE.py:NAME to check the port "
              "against your own model")


def stock(config) -> str:
    """The torch module a config's TorchRNN holds: nn.RNN, nn.LSTM or nn.GRU."""
    return {"rnn": "nn.RNN", "lstm": "nn.LSTM", "gru": "nn.GRU"}[config.cell]


def wants_structure(args) -> bool:
    """Whether IN is a torch checkpoint to read by structure: not an .npz, no rnn-parity config, and either
    keys other than TorchRNN's or --map/--model given."""
    from ..torch_impl.checkpoint import load_checkpoint, missing_file

    suffix = Path(args.input).suffix.lower()
    if not Path(args.input).is_file():
        if suffix in (".npz", ".pt", ".pth", ".safetensors"):
            return False  # run_stock checks OUT's suffix first, then says IN is missing
        raise RNNParityError(missing_file(args.input))
    if suffix == ".npz":
        return False
    try:
        sd, stored, notes = load_checkpoint(args.input)
    except RNNParityError:
        if suffix in (".ckpt", ".bin", ".tar"):  # Lightning, Hugging Face, checkpoint.pth.tar: only this reader's
            raise
        return False  # the plain reader says what is wrong with the file, in its own words
    if stored is not None:
        return False
    if notes:  # nested in a training checkpoint ({"model_state_dict": ...}): load_weights reads only bare ones
        return True
    if args.map or args.model or Path(args.input).suffix.lower() not in (".pt", ".pth", ".safetensors"):
        return True  # e.g. a Lightning .ckpt or a .bin, which load_weights does not take
    if any(v.dtype in (torch.float16, torch.bfloat16) for v in sd.values() if isinstance(v, torch.Tensor)):
        return True  # read_checkpoint widens half precision, exactly; load_weights takes float32/float64 only
    return not (all(OWN_KEYS.match(k) for k in sd) and "fc.bias" in sd and _head_fits(sd))


def _head_fits(sd) -> bool:
    """Whether TorchRNN-named keys hold TorchRNN's head: fc.weight (O, H * dirs) on the last step's state."""
    hh, fc = sd.get("rnn.weight_hh_l0"), sd.get("fc.weight")
    dirs = 2 if "rnn.weight_hh_l0_reverse" in sd else 1
    return hh is not None and fc is not None and fc.ndim == 2 and hh.ndim == 2 and fc.shape[1] == hh.shape[0] * dirs


def run_read(args) -> int:
    """IN is their checkpoint: find the reading (by running --model when given), then write OUT as run_stock does."""
    from ..torch_impl.checkpoint import load_checkpoint, read_checkpoint

    overrides = parse_config(args.config)
    sd, _, _ = load_checkpoint(args.input)
    dtypes = sorted({str(v.dtype).removeprefix("torch.") for v in sd.values()})
    lines = [f"read {args.input}: {len(sd)} tensors, {', '.join(dtypes)}"]
    if args.model:
        from ..torch_impl.user_model import build_model, load_object
        from ..torch_impl.verify import read_verified

        built: list = []
        model = build_model(args.model, args.input, built)  # only now: the checkpoint was read weights_only
        lines += [f"note: {n}" for n in built]
        forward_fn = load_object(args.forward, "--forward") if args.forward else None
        params, reading, match = read_verified(args.input, model, args.map, forward_fn, args.layout, overrides,
                                               args.fold_bias, args.seed)
        verified = (f"verified against your model {args.model}: {match.describe(reading)} "
                    f"reproduces it (largest difference {match.max_diff:.2g})")
    else:
        params, reading = read_checkpoint(args.input, map=args.map, config=overrides, fold_bias=args.fold_bias)
        verified = STOCK_ONLY.replace("nn.RNN", stock(params.config))
    lines += [f"note: {n}" for n in reading.notes if not (args.model and "--model" in n)]
    lines += [f"reading: {reading.describe()}", verified]
    return run_stock(args, params, lines)


def run_like(args) -> int:
    """IN is the reference's weights: write OUT in their model's names and dtypes, verified by running it."""
    from ..reference.fsutil import atomic_write
    from ..torch_impl import ConfigAssumedWarning, load_weights
    from ..torch_impl.checkpoint import load_checkpoint, pick, write_like

    with warnings.catch_warnings(record=True) as caught:  # first: IN's own problem (e.g. a pickled model) comes first
        warnings.simplefilter("always", ConfigAssumedWarning)
        params = load_weights(args.input, config=parse_config(args.config) or None, scheme=args.scheme,
                              fold_bias=args.fold_bias)
    suffix = Path(args.output).suffix.lower()
    if suffix == ".npz" or args.to_scheme:
        raise RNNParityError(f"--like/--model write a torch state_dict in their names: name OUT .pt, .pth, .bin or "
                             f".safetensors, not {args.output}")
    lines = [f"read {args.input}: {len(params)} arrays, {params.dtype}"]
    lines += [f"note: {w.message}" for w in caught if issubclass(w.category, ConfigAssumedWarning)]
    like = None
    if args.like:
        like, _, notes = load_checkpoint(args.like)
        lines += [f"note: {n}" for n in notes]
    if args.model:
        from ..torch_impl.user_model import build_model, load_object
        from ..torch_impl.verify import write_verified

        built = []
        model = build_model(args.model, args.like, built)
        lines += [f"note: {n}" for n in built]
        forward_fn = load_object(args.forward, "--forward") if args.forward else None
        out, reading, match = write_verified(params, model, like, args.map, forward_fn, args.layout, args.seed)
        verified = (f"verified: your model {args.model} loads OUT with strict=True and computes the reference's "
                    f"function ({match.describe(reading)}; largest difference {match.max_diff:.2g})")
    else:
        from ..torch_impl.structure import find_readings
        from ..torch_impl.keymap import as_numpy

        reading = pick(find_readings({k: as_numpy(v, k, args.like) for k, v in like.items()}, args.map), None)
        if reading.open_variant:
            lines.append(f"note: the shapes cannot tell {reading.open_variant}: written as {reading.variant} "
                         "(pass --model to check it)")
        out = write_like(params, like, reading=reading)
        verified = None  # checked after writing, on the file itself
    cast = sorted({f"{params.dtype} -> {str(t.dtype).removeprefix('torch.')}" for t in out.values()
                   if str(t.dtype) != f"torch.{params.dtype}"})
    lines.append(f"reading of their model: {reading.describe()}")
    if cast:
        lines.append(f"note: cast {', '.join(cast)} (their dtypes; rounds the values)")
    if suffix == ".safetensors":
        import safetensors.torch

        data = safetensors.torch.save(out)
        atomic_write(args.output, lambda f: f.write(data))
    else:
        atomic_write(args.output, lambda f: torch.save(out, f))
    back, _, _ = load_checkpoint(args.output)
    same = list(back) == list(out) and all(back[k].dtype == out[k].dtype and torch.equal(back[k], out[k]) for k in out)
    if not same:
        raise RNNParityError(f"{args.output} does not read back bit-exact")
    if verified is None:
        verified = _read_back_check(args.output, params, 0, args.map, args.seed)
    for line in lines:
        print(line)
    if like is not None and any(k not in like for k in out):
        print("note: wrote the keys without the checkpoint's wrapper prefixes, as their nn.Module names them")
    print(f"wrote {args.output}: {len(out)} tensors in their names ({', '.join(list(out)[:4])}"
          f"{', ...' if len(out) > 4 else ''}); it reads back bit-exact")
    print(verified)
    return 0


def _read_back_check(path, params, variant, map, seed) -> str:
    """Without their model: OUT read back by structure is the same model (bit for bit at their dtype), and it
    computes what the reference computes in a stock nn.RNN + Linear."""
    from ..compare import compare
    from ..reference import forward
    from ..torch_impl import to_torch
    from ..torch_impl.checkpoint import read_checkpoint
    from .convert_stock import _check_inputs, as_torch

    c = params.config
    again, _ = read_checkpoint(path, map=map, variant=variant,
                               config={k: c.to_dict()[k] for k in ("nonlinearity", "output", "batch_first")})
    from ..torch_impl.checkpoint import load_checkpoint, missing_file

    stored = {v.dtype for v in load_checkpoint(path)[0].values()}  # their dtype: half precision reads widened
    theirs = stored.pop() if len(stored) == 1 else None
    def at_theirs(a):  # the reference's values rounded as OUT holds them
        return (torch.from_numpy(a).to(theirs).double().numpy() if theirs is not None else a)

    changed = [k for k in again if not np.array_equal(again[k], at_theirs(params[k]).astype(again[k].dtype))]
    if changed or again.config != RNNConfig.from_dict({**c.to_dict(), "bias": again.config.bias}):
        raise RNNParityError(f"{path} does not read back as the same model: {changed or again.config}")
    model, results = to_torch(again), []
    for kind, (x, h0, lengths) in _check_inputs(again.config, again.dtype, seed).items():
        logits, _, _ = forward(again, x, h0=h0, lengths=lengths)
        with torch.no_grad():
            t_logits, _ = model(torch.from_numpy(x), as_torch(h0), lengths=torch.from_numpy(lengths))
        results.append(compare(f"logits ({kind})", logits, t_logits))
    failed = [r for r in results if not r.passed]
    if failed:
        raise RNNParityError(f"{path}: the stock {stock(c)} + Linear check failed: {failed[0].message.splitlines()[0]}")
    return (f"verified against a stock {stock(c)} + Linear only: OUT reads back by structure as the same model, "
            f"bit for bit at its dtype (reference vs torch: largest difference {max(r.max_abs for r in results):.2g}); "
            "pass --model FILE.py:NAME to run your own model on it")
