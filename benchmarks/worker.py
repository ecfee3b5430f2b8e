"""One benchmark section in a fresh process: `python -m rnn_parity.benchmarks.worker SECTION OPTIONS RESULT`.

The parent (runner.py) starts it with the thread environment variables already set (see _env.thread_env),
so numpy's BLAS and torch's OpenMP pools have their size from the start. OPTIONS is a JSON file of the
run's options, RESULT the JSON file the section's record is written to. Progress goes to stderr.
"""
from __future__ import annotations

import importlib
import json
import sys


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str]) -> int:
    section, options_path, result_path = argv
    with open(options_path, encoding="utf-8") as f:
        opts = json.load(f)
    import torch

    torch.set_num_threads(opts["threads"])
    module = importlib.import_module(f"rnn_parity.benchmarks.{section}")
    record = module.run(opts, log=log)
    with open(result_path, "w", encoding="utf-8") as f:
        json.dump(record, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
