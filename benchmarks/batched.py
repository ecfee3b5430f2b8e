"""Benchmark 2: one batched forward + loss + BPTT, the reference against TorchRNN on the CPU.

One call = the loss and every parameter's gradient for a (T, B, D) dense batch, many-to-many
(output="all", O = D, targets at every step, summed cross-entropy), bias="single":

- reference: rnn_parity.reference.loss_and_grads(params, x, targets);
- torch: zero_grad(set_to_none=True), TorchRNN forward, F.cross_entropy(reduction="sum"), backward, loss.item().

Both sides start from the same weights (to_torch); their gradients are compared once per size, so the
timings are of the same computation. Sizes, dtypes and thread settings run in one process, each pair
interleaved round by round (see _timing.measure).
"""
from __future__ import annotations

import numpy as np

from . import _env, _timing

SIZES = [(8, 1, 18, 64), (25, 32, 27, 100), (50, 64, 64, 128), (200, 32, 64, 256)]  # (T, B, D, H)
DTYPES = ("float64", "float32")


def contenders(params, x: np.ndarray, targets: np.ndarray):
    """The timed pair for one batch of a many-to-many model: the reference's loss_and_grads, and TorchRNN's
    zero_grad + forward + summed cross-entropy + backward, from the same weights. Returns (fns, model)."""
    import torch

    from rnn_parity.reference import loss_and_grads
    from rnn_parity.torch_impl import to_torch

    O = params.config.output_size
    model = to_torch(params)
    xt, tt = torch.from_numpy(x), torch.from_numpy(targets).reshape(-1)
    cross_entropy = torch.nn.functional.cross_entropy

    def reference():
        return loss_and_grads(params, x, targets)

    def torch_step():
        model.zero_grad(set_to_none=True)
        logits, _ = model(xt)
        loss = cross_entropy(logits.reshape(-1, O), tt, reduction="sum")
        loss.backward()
        return loss.item()

    return {"reference": reference, "torch": torch_step}, model


def make_pair(T: int, B: int, D: int, H: int, dtype: str, seed: int = 0, cell: str = "rnn"):
    from rnn_parity.reference import RNNConfig, init_params

    config = RNNConfig(input_size=D, hidden_size=H, output_size=D, output="all", cell=cell)
    params = init_params(config, seed=seed, dtype=dtype)
    rng = np.random.default_rng([seed, T, B, D, H])
    x = rng.standard_normal((T, B, D)).astype(dtype)
    targets = rng.integers(0, D, size=(T, B))
    fns, model = contenders(params, x, targets)
    return fns, params, model


def run(opts: dict, log=print) -> dict:
    """Every size and dtype at the thread count this worker process was started with."""
    from rnn_parity.torch_impl.keymap import torch_key_map

    info = _env.runtime_info()
    label = "1" if opts["threads"] == 1 else f"all ({info['torch_threads']})"
    rows = []
    for dtype in opts.get("dtypes", DTYPES):
        for T, B, D, H in [tuple(s) for s in opts["sizes"]]:
            contenders, params, model = make_pair(T, B, D, H, dtype, opts.get("seed", 0))
            _, grads = contenders["reference"]()
            contenders["torch"]()
            diff = max(float(np.max(np.abs(grads[ref] - model.get_parameter(key).grad.numpy())))
                       for key, ref in torch_key_map(params.config).items() if ref)
            t = _timing.measure(contenders, repeats=opts["repeats"], warmup=opts["warmup"], min_time=opts["min_time"])
            ratio = t["reference"]["median_s"] / t["torch"]["median_s"]
            rows.append({
                "threads": label, "torch_threads": info["torch_threads"],
                "numpy_blas_threads": info["numpy_blas_threads"],
                "dtype": dtype, "T": T, "B": B, "D": D, "H": H,
                "reference_ms": t["reference"]["median_s"] * 1e3, "torch_ms": t["torch"]["median_s"] * 1e3,
                "ratio": ratio,
                "reference_repeats_ms": [x * 1e3 for x in t["reference"]["repeats_s"]],
                "torch_repeats_ms": [x * 1e3 for x in t["torch"]["repeats_s"]],
                "calls_per_repeat": {k: v["calls_per_repeat"] for k, v in t.items()},
                "max_abs_grad_diff": diff,
            })
            log(f"  batched threads={label} {dtype} (T,B,D,H)={(T, B, D, H)}: reference "
                f"{rows[-1]['reference_ms']:.3f} ms, torch {rows[-1]['torch_ms']:.3f} ms, ratio {ratio:.2f}")
    return {"rows": rows, "runtime": info}


def combine(parts: list[dict], opts: dict) -> dict:
    """The section record from the per-thread-setting workers, with the targets checked."""
    rows = [r for p in parts for r in p["rows"]]
    single64 = [r for r in rows if r["torch_threads"] == 1 and r["dtype"] == "float64"]
    checks = []
    if single64:
        worst = max(single64, key=lambda r: r["ratio"])
        checks.append({"target": "batched, float64, 1 thread: reference <= 1.25 x torch at every size",
                       "figure": f"worst {worst['ratio']:.2f} x, at (T,B,D,H)=({worst['T']},{worst['B']},"
                                 f"{worst['D']},{worst['H']})",
                       "met": all(r["ratio"] <= 1.25 for r in single64)})
        smallest = min(single64, key=lambda r: r["T"] * r["B"] * r["H"])
        checks.append({"target": "batched, float64, 1 thread: reference faster than torch at the smallest size",
                       "figure": f"{smallest['ratio']:.2f} x at (T,B,D,H)=({smallest['T']},{smallest['B']},"
                                 f"{smallest['D']},{smallest['H']})",
                       "met": smallest["ratio"] < 1.0})
    return {
        "title": "Benchmark 2: batched forward + loss + BPTT, reference vs TorchRNN (CPU)",
        "settings": {"output": "all (O = D), targets at every step, reduction sum",
                     "input": "dense float (T, B, D), standard normal", "bias": "single",
                     "init": "torch scheme U(-1/sqrt(H), 1/sqrt(H))", "repeats": opts["repeats"],
                     "warmup_rounds": opts["warmup"], "min_seconds_per_repeat": opts["min_time"],
                     "sizes": [list(s) for s in opts["sizes"]], "thread_settings": opts["thread_settings"]},
        "rows": rows,
        "checks": checks,
    }
