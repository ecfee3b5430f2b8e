"""Benchmark: each side of `rnn-parity demo` against the loop a user would write instead, in one process.

- the demo's torch side (the torch runner's training steps in a lockstep run, as the demo reports them)
  against the plain PyTorch loop of the same task (benchmarks/torch_loop.py), one thread both;
- the demo's NumPy side (the NumPy runner's steps in the same run) against seed 000's own loop
  (benchmarks/classic_loop.py), one BLAS thread both;
- with the gated cells' torch side, when the project has one: `rnn-parity train --cell lstm`'s torch
  steps against the same plain loop with nn.LSTM.

Contenders run interleaved, round after round in a rotating order; each round gives a ratio to its own
plain loop, and the median over rounds is the figure. Setup (models, inputs) is left out on both sides:
each contender's time is its training loop over the same number of epochs.
"""
from __future__ import annotations

import statistics
import time

import numpy as np

from . import classic_loop, torch_loop

TARGETS = {"torch": 1.0, "lstm": 1.0}
STEPS_PER_EPOCH = 58  # the sentiment seed's training phrases (checked in make_contenders)  # the demo's torch side: at most this many times the plain loop


def _gated_cells_supported() -> bool:
    """Whether this checkout trains gated cells on the torch side: train(cell=) and an nn.LSTM in TorchRNN."""
    import inspect

    import torch

    from rnn_parity import training
    from rnn_parity.reference import RNNConfig
    from rnn_parity.torch_impl import TorchRNN

    if "cell" not in inspect.signature(training.train).parameters:
        return False
    try:
        model = TorchRNN(RNNConfig(input_size=2, hidden_size=2, output_size=2, cell="lstm"))
    except Exception:  # noqa: BLE001 - any refusal means: not there yet
        return False
    return isinstance(model.rnn, torch.nn.LSTM)


def make_contenders(epochs: int, seed: int = 0) -> dict:
    """name -> a zero-argument callable returning {"seconds": training time, ...}; one call, `epochs` epochs."""
    from rnn_parity import datasets, training

    data = datasets.load_sentiment()
    task = training.load_task("sentiment")
    if len(data.train) != STEPS_PER_EPOCH:
        raise RuntimeError(f"the sentiment task has {len(data.train)} training phrases, not {STEPS_PER_EPOCH}")
    quiet = dict(progress=False, log=lambda line: None)
    orders = [np.random.default_rng([seed, 1, e]).permutation(len(data.train)).tolist() for e in range(epochs)]

    def plain(cell: str):
        def run():
            rnn, fc = torch_loop.build(len(data.vocab), len(data.labels), cell, seed)
            examples = torch_loop.one_hot_inputs(data, len(data.vocab))
            t0, c0 = time.perf_counter(), time.thread_time()
            torch_loop.train(rnn, fc, examples, orders)
            return {"seconds": time.perf_counter() - t0, "cpu_seconds": time.thread_time() - c0}
        return run

    def seed_loop():
        word_to_idx = {w: i for i, w in enumerate(data.vocab.tokens)}
        items = [(p.text, p.label) for p in data.train]
        params = training.init_task_params(task.config(), task.defaults.init, seed=seed)
        rnn = classic_loop.ClassicRNN.from_params(params)
        t0, c0 = time.perf_counter(), time.thread_time()
        classic_loop.train(rnn, items, word_to_idx, orders)
        return {"seconds": time.perf_counter() - t0, "cpu_seconds": time.thread_time() - c0}

    def demo():
        result = training.train(task, framework="both", epochs=epochs, seed=seed, control=False, **quiet)
        wall, cpu = result.seconds_per_framework, result.cpu_seconds_per_framework
        return {"seconds": wall["torch"], "cpu_seconds": cpu["torch"],
                "numpy_seconds": wall["numpy"], "numpy_cpu_seconds": cpu["numpy"]}

    contenders = {"plain torch loop": plain("rnn"), "seed loop": seed_loop, "demo": demo}
    if _gated_cells_supported():
        def lstm_side():
            result = training.train(task, framework="torch", epochs=epochs, seed=seed, cell="lstm", **quiet)
            return {"seconds": result.seconds_per_framework["torch"],
                    "cpu_seconds": result.cpu_seconds_per_framework["torch"]}
        contenders.update({"plain nn.LSTM loop": plain("lstm"), "train --cell lstm": lstm_side})
    return contenders


def run(opts: dict, log=print) -> dict:
    from ._env import runtime_info

    epochs, rounds = opts.get("anchor_epochs", 200), opts.get("anchor_rounds", 7)
    for fn in make_contenders(2, opts["seed"]).values():  # warm-up: imports and first-call costs, unrecorded
        fn()
    contenders = make_contenders(epochs, opts["seed"])
    names = list(contenders)
    times: dict[str, list[dict]] = {name: [] for name in names}
    log(f"  anchors: {epochs} epochs per call, {rounds} interleaved rounds of {', '.join(names)}")
    for k in range(rounds):
        shift = k % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(contenders[name]())
        log(f"  anchors round {k + 1}: " + ", ".join(f"{n} {times[n][-1]['seconds']:.2f} s" for n in names))

    def series(name, key):
        return [t[key] for t in times[name]]

    pairs = [("demo torch side", "demo", "", "plain torch loop", "torch"),
             ("demo NumPy side", "demo", "numpy_", "seed loop", None)]
    if "train --cell lstm" in times:
        pairs.append(("train --cell lstm, torch side", "train --cell lstm", "", "plain nn.LSTM loop", "lstm"))
    rows, checks = [], []
    for what, name, prefix, anchor, target in pairs:
        row = {"contender": what, "anchor": anchor}
        for unit in ("seconds", "cpu_seconds"):
            mine, theirs = series(name, prefix + unit), series(anchor, unit)
            row[f"{unit}_median"], row[f"anchor_{unit}_median"] = statistics.median(mine), statistics.median(theirs)
            row[f"ratio_{unit}"] = [a / b for a, b in zip(mine, theirs)]
            row[f"ratio_{unit}_median"] = statistics.median(row[f"ratio_{unit}"])
        row["us_per_step"] = row["cpu_seconds_median"] / (epochs * STEPS_PER_EPOCH) * 1e6
        rows.append(row)
        if target is not None:
            # CPU time of the training thread: what the wall time is on a core of its own (a shared machine's
            # other jobs lengthen wall time by waits that fall on contenders unevenly); both are recorded.
            got = row["ratio_cpu_seconds_median"]
            checks.append({"target": f"{what} <= {TARGETS[target]:g}x the {anchor} (same thread count, CPU time)",
                           "figure": f"{got:.2f}x (wall {row['ratio_seconds_median']:.2f}x; rounds "
                                     f"{' '.join(f'{r:.2f}' for r in row['ratio_cpu_seconds'])})",
                           "met": got <= TARGETS[target]})
    return {"title": "The demo's sides against the loops a user would write instead",
            "settings": {"epochs": epochs, "rounds": rounds, "seed": opts["seed"], "threads": 1,
                         "gated_cells": "train --cell lstm" in times},
            "blas_setting": opts.get("blas_setting"), "kernel": blas_kernel(),
            "rows": rows, "runs": times, "checks": checks, "runtime": runtime_info()}


def blas_kernel() -> str:
    from ._env import _numpy_blas

    info = _numpy_blas()
    return str(info.get("architecture", "unknown")) if info else "unknown"


def combine(parts: list[dict], opts: dict) -> dict:
    """One record from the runs under each OpenBLAS setting (runner.BLAS_SECTIONS)."""
    first = parts[0]
    checks = [{**c, "target": f"{c['target']} [{p['blas_setting']}: OpenBLAS {p['kernel']}]"}
              for p in parts for c in p["checks"]]
    return {"title": first["title"], "settings": first["settings"], "checks": checks,
            "blas_settings": {p["blas_setting"]: {"kernel": p["kernel"], "rows": p["rows"], "runs": p["runs"]}
                              for p in parts}}
