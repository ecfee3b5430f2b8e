"""The `rnn-parity` command. Each subcommand lives in rnn_parity/commands/<name>.py and exposes
`add_arguments(parser)` and `run(args) -> int`; modules are imported only when their command runs,
so `rnn-parity --help` stays fast and one broken command cannot take the others down."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

# name -> one-line help. The module rnn_parity.commands.<name> implements it.
COMMANDS = {
    "demo": "the main job: the sentiment seed trained in NumPy and torch side by side",
    "check": "parity report over a grid of configs (NumPy reference vs torch)",
    "train": "train one seed task (sentiment, fibonacci, names, recurrent)",
    "predict": "predictions of a trained seed-task model",
    "convert": "convert a weight file between formats and naming schemes, then verify both sides agree",
    "grade": "the teaching oracle: judge a hand-written RNN and name the mistake",
    "mutants": "the parity suite's mutation score over the catalogued mistakes",
    "bench": "run the benchmarks and write benchmarks/results.md",
}


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """The parser; only the `chosen` command's module is imported (for its arguments)."""
    parser = argparse.ArgumentParser(prog="rnn-parity", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, help_text in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_command=name)
        if name == chosen:
            _module(name).add_arguments(p)
    return parser


def _module(name: str):
    return importlib.import_module(f"rnn_parity.commands.{name}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv[0] if argv else None)
    args = parser.parse_args(argv)
    args.argv = argv  # the command line as given (bench records it)
    try:
        return int(_module(args._command).run(args) or 0)
    except KeyboardInterrupt:
        print("rnn-parity: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `rnn-parity grade x --json | head`: the reader left, which is no error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except (ValueError, OSError) as e:  # user mistakes: one line, no traceback
        if os.environ.get("RNN_PARITY_DEBUG"):
            raise
        print(f"rnn-parity {args._command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
