"""`rnn-parity bench`: the benchmarks (see benchmarks/runner.py); writes results.md and results.json."""
from __future__ import annotations

import argparse
import shlex
import tempfile
from pathlib import Path

from ..errors import RNNParityError

NAMES = ("sentiment", "batched", "gated", "long", "profile", "anchors", "torch_step", "processes", "suite")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _size(text: str) -> list[int]:
    parts = text.split(",")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4 or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected four positive integers T,B,D,H, got {text!r}")
    return values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help="tiny epochs, repeats and sizes: a smoke test, not a recorded result "
                             "(writes to a temporary folder unless --out is given)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help=f"run only these benchmarks (repeatable or comma-separated): {', '.join(NAMES)}")
    parser.add_argument("--epochs", type=_positive_int, help="sentiment and whole-process epochs (default 1000; 2 with --quick)")
    parser.add_argument("--repeats", type=_positive_int,
                        help="timed repeats per measurement (default: 7 batched, 3 sentiment and long; "
                             "1-2 with --quick)")
    parser.add_argument("--warmup", type=int, help="unrecorded warm-up rounds before the repeats (default 1)")
    parser.add_argument("--threads", choices=("1", "all", "both"), default="both",
                        help="thread settings of the batched benchmark (default both)")
    parser.add_argument("--sizes", type=_size, nargs="+", metavar="T,B,D,H",
                        help="sizes of the batched benchmark (default: the four of the issue; the first two "
                             "with --quick)")
    parser.add_argument("--long-T", dest="long_T", type=_positive_int, nargs="+", metavar="T",
                        help="sequence lengths of the long-sequence benchmark (default 1000 10000)")
    parser.add_argument("--seed", type=int, default=0, help="init and data seed (default 0)")
    parser.add_argument("--out", type=Path,
                        help="folder for results.md and results.json (default: the benchmarks/ folder; "
                             "a temporary folder with --quick)")


def _names(only: list[str] | None) -> list[str]:
    if not only:
        return list(NAMES)
    names = [n.strip() for item in only for n in item.split(",") if n.strip()]
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise RNNParityError(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(NAMES)}")
    return names


def run(args: argparse.Namespace) -> int:
    from ..benchmarks import report, runner

    names = _names(args.only)
    opts = runner.default_options(args.quick)
    if args.epochs is not None:
        opts["epochs"] = opts["process_epochs"] = args.epochs
    if args.repeats is not None:
        opts["repeats"] = opts["sentiment_repeats"] = opts["long_repeats"] = opts["process_rounds"] = args.repeats
        opts["anchor_rounds"] = opts["step_repeats"] = args.repeats
    if args.warmup is not None:
        if args.warmup < 0:
            raise RNNParityError(f"--warmup must be >= 0, got {args.warmup}")
        opts["warmup"] = args.warmup
    if args.sizes:
        opts["sizes"] = args.sizes
    if args.long_T:
        opts["long_T"] = sorted(set(args.long_T))
    opts["thread_settings"] = {"1": [1], "all": [None], "both": [1, None]}[args.threads]
    opts["seed"] = args.seed
    out = args.out
    if out is None:
        out = Path(tempfile.gettempdir()) / "rnn-parity-bench" if args.quick else runner.DEFAULT_DIR
    command = "rnn-parity bench" + "".join(" " + shlex.quote(a) for a in args.argv[1:])
    record, json_path, md_path = runner.run(names, opts, out, log=lambda m: print(m, flush=True), command=command)
    print()
    for line in report.summary_lines(record):
        print(line)
    print(f"wrote {md_path} and {json_path}")
    failed = [n for n in record["ran_now"] if record["sections"][n].get("status") != "ok"]
    return 1 if failed else 0
