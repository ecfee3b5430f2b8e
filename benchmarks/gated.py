"""Benchmark: the gated cells' batched forward + loss + BPTT, the reference's LSTM and GRU against nn.LSTM and
nn.GRU (TorchRNN) on the CPU, one thread, at the batched benchmark's sizes, in float64 and float32.

One call is what benchmarks/batched.py times for the RNN (loss_and_grads against zero_grad + forward +
summed cross-entropy + backward, output="all", bias="single", torch's init), with cell="lstm" or "gru".

OpenBLAS picks its kernels by CPU unless OPENBLAS_CORETYPE forces one (some machines here force Haswell
kernels, since older OpenBLAS builds went wrong on their CPUs). The runner times the section twice, in
two worker processes: with the environment as it is, and with the other setting (the variable unset
where it was set, OPENBLAS_CORETYPE=Haswell where it was not). Every row records the kernel in force, read
back with threadpoolctl. Each worker pairs reference and torch interleaved, round by round (_timing).

torch runs a float32 LSTM through oneDNN's fused RNN primitive (one kernel for a step's gates, where the
reference makes a NumPy call per operation). Those rows also time torch with oneDNN switched off
(torch.backends.mkldnn.flags(enabled=False)): the same unfused path torch takes for float64 and the GRU.
"""
from __future__ import annotations

import os

import numpy as np

from . import _env, _timing
from .batched import DTYPES, SIZES, make_pair

CELLS = ("lstm", "gru")
GOAL = 1.0  # reference <= GOAL x torch at every size


def _kernel() -> str | None:
    """The OpenBLAS kernel numpy runs with (threadpoolctl's 'architecture'), or None."""
    import threadpoolctl

    infos = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
    return infos[0].get("architecture") if infos else None


def _grad_diff(params, grads, model) -> float:
    from rnn_parity.torch_impl.keymap import torch_key_map

    return max(float(np.max(np.abs(grads[ref] - model.get_parameter(key).grad.numpy())))
               for key, ref in torch_key_map(params.config).items() if ref)


def _without_onednn(step):
    import warnings

    import torch

    def torch_unfused():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a note about TF32 on Intel GPUs, each time the flag is set
            with torch.backends.mkldnn.flags(enabled=False):
                return step()

    return torch_unfused


def run(opts: dict, log=print) -> dict:
    """Every cell, dtype and size, in this worker's environment (one thread)."""
    info = _env.runtime_info()
    kernel, coretype = _kernel(), os.environ.get("OPENBLAS_CORETYPE")
    setting = f"OPENBLAS_CORETYPE={coretype}" if coretype else "OPENBLAS_CORETYPE unset"
    rows = []
    for cell in opts.get("cells", CELLS):
        for dtype in opts.get("dtypes", DTYPES):
            for T, B, D, H in [tuple(s) for s in opts["sizes"]]:
                contenders, params, model = make_pair(T, B, D, H, dtype, opts.get("seed", 0), cell=cell)
                _, grads = contenders["reference"]()
                contenders["torch"]()
                diff = _grad_diff(params, grads, model)
                if cell == "lstm" and dtype == "float32":
                    contenders["torch_unfused"] = _without_onednn(contenders["torch"])
                t = _timing.measure(contenders, repeats=opts["repeats"], warmup=opts["warmup"],
                                    min_time=opts["min_time"])
                ref_s, torch_s = t["reference"]["median_s"], t["torch"]["median_s"]
                unfused_s = t["torch_unfused"]["median_s"] if "torch_unfused" in t else None
                rows.append({
                    "cell": cell, "dtype": dtype, "T": T, "B": B, "D": D, "H": H, "blas_setting": setting,
                    "blas_kernel": kernel, "torch_threads": info["torch_threads"],
                    "numpy_blas_threads": info["numpy_blas_threads"],
                    "reference_ms": ref_s * 1e3, "torch_ms": torch_s * 1e3, "ratio": ref_s / torch_s,
                    "reference_repeats_ms": [x * 1e3 for x in t["reference"]["repeats_s"]],
                    "torch_repeats_ms": [x * 1e3 for x in t["torch"]["repeats_s"]],
                    "calls_per_repeat": {k: v["calls_per_repeat"] for k, v in t.items()},
                    "max_abs_grad_diff": diff, "load_average": _env.load_average(),
                    "torch_unfused_ms": None if unfused_s is None else unfused_s * 1e3,
                    "ratio_to_unfused": None if unfused_s is None else ref_s / unfused_s,
                })
                log(f"  gated {cell} {dtype} (T,B,D,H)={(T, B, D, H)} [{setting}, kernel {kernel}]: reference "
                    f"{ref_s * 1e3:.3f} ms, torch {torch_s * 1e3:.3f} ms, ratio {ref_s / torch_s:.2f}"
                    + ("" if unfused_s is None else f"; torch without oneDNN {unfused_s * 1e3:.3f} ms, "
                                                    f"ratio {ref_s / unfused_s:.2f}"))
    return {"rows": rows, "runtime": info}


def combine(parts: list[dict], opts: dict) -> dict:
    """The section record from the two workers (one per OpenBLAS setting), with the goal checked."""
    rows = [r for p in parts for r in p["rows"]]
    checks = []
    for setting in dict.fromkeys(r["blas_setting"] for r in rows):
        for cell in dict.fromkeys(r["cell"] for r in rows):
            mine = [r for r in rows if r["cell"] == cell and r["blas_setting"] == setting]
            worst = max(mine, key=lambda r: r["ratio"])
            checks.append({"target": f"gated, {cell.upper()}, 1 thread, {setting}: reference <= {GOAL:g} x torch "
                                     f"at every size and dtype",
                           "figure": f"worst {worst['ratio']:.2f} x ({worst['dtype']}, (T,B,D,H)=({worst['T']},"
                                     f"{worst['B']},{worst['D']},{worst['H']})); kernel {worst['blas_kernel']}",
                           "met": all(r["ratio"] <= GOAL for r in mine)})
    return {
        "title": "Benchmark 2b: the gated cells, batched forward + loss + BPTT, reference vs nn.LSTM / nn.GRU (CPU)",
        "settings": {"output": "all (O = D), targets at every step, reduction sum",
                     "input": "dense float (T, B, D), standard normal", "bias": "single",
                     "init": "torch scheme U(-1/sqrt(H), 1/sqrt(H))", "threads": 1, "repeats": opts["repeats"],
                     "warmup_rounds": opts["warmup"], "min_seconds_per_repeat": opts["min_time"],
                     "sizes": [list(s) for s in opts["sizes"]], "cells": list(opts.get("cells", CELLS))},
        "rows": rows,
        "checks": checks,
    }


__all__ = ["CELLS", "GOAL", "SIZES", "combine", "run"]
