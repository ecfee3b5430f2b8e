"""Benchmark 3: long sequences, B = 1, H = 64: time of forward + loss + BPTT, and the BPTT cache's memory.

A character-level many-to-many model (token ids, D = O = 27, output="all") on one sequence of T steps.

- time: rnn_parity.reference.loss_and_grads against TorchRNN (forward, cross_entropy sum, backward),
  paired as in the other benchmarks;
- memory of the reference's cache, two ways:
  - cache_bytes: the nbytes of every distinct array the ForwardCache holds (views counted once, through
    their base), leaving out the caller's own input x;
  - tracemalloc peaks (NumPy reports its buffers to tracemalloc): around forward alone (the cache plus the
    forward pass's temporaries and logits), and around the whole loss_and_grads (forward and backward).
"""
from __future__ import annotations

import tracemalloc

import numpy as np

from . import _timing

D, H, B = 27, 64, 1


def _root(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def cache_arrays(obj, found: dict | None = None) -> dict:
    """Every distinct ndarray buffer reachable from obj (tuples, NamedTuples), keyed by id of its root."""
    found = {} if found is None else found
    if isinstance(obj, np.ndarray):
        root = _root(obj)
        found[id(root)] = root
    elif isinstance(obj, (tuple, list)):
        for item in obj:
            cache_arrays(item, found)
    elif hasattr(obj, "__dict__"):
        for item in vars(obj).values():
            cache_arrays(item, found)
    return found


def cache_bytes(cache, x: np.ndarray) -> int:
    arrays = cache_arrays(cache)
    arrays.pop(id(_root(x)), None)
    return int(sum(a.nbytes for a in arrays.values()))


def make_pair(T: int, seed: int = 0):
    from rnn_parity.reference import RNNConfig, init_params

    from .batched import contenders

    config = RNNConfig(input_size=D, hidden_size=H, output_size=D, output="all")
    params = init_params(config, seed=seed)
    rng = np.random.default_rng([seed, T])
    x = rng.integers(0, D, size=(T, B))
    targets = rng.integers(0, D, size=(T, B))
    fns, _ = contenders(params, x, targets)
    return fns, params, x


def memory(params, x) -> dict:
    from rnn_parity.reference import forward, loss_and_grads

    targets = np.zeros(x.shape, dtype=np.int64)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        logits, _, cache = forward(params, x)
        held, peak = tracemalloc.get_traced_memory()
        forward_held, forward_peak = held - base, peak - base
        nbytes = cache_bytes(cache, x)
        del logits, cache
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        loss_and_grads(params, x, targets)
        full_peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    return {"cache_bytes": nbytes, "forward_held_bytes": forward_held, "forward_peak_bytes": forward_peak,
            "loss_and_grads_peak_bytes": full_peak}


def run(opts: dict, log=print) -> dict:
    from ._env import runtime_info

    rows = []
    for T in opts["long_T"]:
        contenders, params, x = make_pair(T, opts.get("seed", 0))
        loss, _ = contenders["reference"]()
        finished = bool(np.isfinite(loss))
        mem = memory(params, x)
        t = _timing.measure(contenders, repeats=opts["long_repeats"], warmup=opts["warmup"], number=1)
        rows.append({"T": T, "B": B, "D": D, "H": H, "finished": finished,
                     "reference_ms": t["reference"]["median_s"] * 1e3, "torch_ms": t["torch"]["median_s"] * 1e3,
                     "ratio": t["reference"]["median_s"] / t["torch"]["median_s"],
                     "reference_repeats_ms": [s * 1e3 for s in t["reference"]["repeats_s"]],
                     "torch_repeats_ms": [s * 1e3 for s in t["torch"]["repeats_s"]],
                     **mem, "cache_bytes_per_step": mem["cache_bytes"] / T})
        log(f"  long T={T}: reference {rows[-1]['reference_ms']:.1f} ms, torch {rows[-1]['torch_ms']:.1f} ms, "
            f"cache {mem['cache_bytes'] / 2**20:.2f} MiB ({mem['cache_bytes'] / T:.0f} B/step)")
    checks = []
    if len(rows) >= 2:
        small, big = rows[0], rows[-1]
        growth = big["cache_bytes"] / small["cache_bytes"]
        steps = big["T"] / small["T"]
        checks.append({"target": f"long: cache memory linear in T (T x{steps:g} -> bytes x{steps:g})",
                       "figure": f"x{growth:.3f} ({small['cache_bytes_per_step']:.0f} -> "
                                 f"{big['cache_bytes_per_step']:.0f} B/step)",
                       "met": abs(growth / steps - 1) < 0.05})
    longest = max(rows, key=lambda r: r["T"]) if rows else None
    if longest is not None:
        checks.append({"target": f"long: T={longest['T']} finishes (finite loss)",
                       "figure": f"{longest['reference_ms'] / 1e3:.2f} s per forward + BPTT",
                       "met": longest["finished"]})
    return {
        "title": "Benchmark 3: long sequences (B = 1, H = 64), time and BPTT cache memory",
        "settings": {"input": f"token ids, D = O = {D}", "output": "all", "B": B, "H": H, "dtype": "float64",
                     "repeats": opts["long_repeats"], "warmup_rounds": opts["warmup"]},
        "rows": rows,
        "checks": checks,
        "runtime": runtime_info(),
    }
