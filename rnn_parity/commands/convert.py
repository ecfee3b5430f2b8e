"""rnn-parity convert IN OUT: convert a weight file between formats and naming schemes, then verify.

IN and OUT are .npz, .pt or .safetensors (by suffix); IN may be an .npz of seed-style arrays
(karpathy, coursera, uvw names, detected or named with --scheme), and --to-scheme writes OUT as one.
The config comes from IN when it records one, else from the shapes plus --config; what was assumed
is printed. Then OUT is read back, and the reference forward on IN's weights is compared with a
TorchRNN holding OUT's on random inputs: exit 1 when the largest difference is above
reference/tolerances.py's forward tolerance.

A torch checkpoint of another model (any module names, wrappers, embeddings, hand-written recurrences)
is read by structure and verified against the user's own model with --model; --like / --model write the
reference's weights back in their names. That half lives in convert_checkpoint.py; the
stock half in convert_stock.py.
"""
from __future__ import annotations

from ..errors import RNNParityError
from .convert_stock import parse_config, run_stock  # noqa: F401 - parse_config re-exported for callers


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
                             "readings fit (head=none: no head; rnn=i2h+h2h for a hand-written pair); gates=ifog: "
                             "the order a hand-written LSTM/GRU stores its gates in")
    parser.add_argument("--like", metavar="THEIR.pt",
                        help="write OUT as a state_dict with the key names and dtypes of this checkpoint")


def run(args) -> int:
    from .convert_checkpoint import run_like, run_read, wants_structure

    if args.forward and not args.model:
        raise RNNParityError("--forward needs --model FILE.py:NAME")
    if args.like or (args.model and not wants_structure(args)):
        return run_like(args)
    if wants_structure(args):
        return run_read(args)
    return run_stock(args)
