"""Where the reference spends its time: cProfile over three workloads, top functions by own time.

- sentiment: the reference sides of benchmark 1 for a few epochs: the general train_step per example,
  and the Trainer (prepared examples, flat buffers);
- batched: loss_and_grads at (T, B, D, H) = (25, 32, 27, 100), float64;
- long: loss_and_grads at T = 10,000, B = 1, H = 64.

cProfile adds a fixed cost per Python call, so it inflates call-heavy code (the per-example loop)
more than BLAS-heavy code: read the shares, not the absolute times.
"""
from __future__ import annotations

import cProfile
import os
import pstats

from ._env import REPO


def _where(func: tuple) -> str:
    filename, line, name = func
    if filename == "~":
        return name  # a builtin, e.g. {method 'dot' of 'numpy.ndarray' objects}
    try:
        rel = os.path.relpath(filename, REPO)
        if rel.startswith(".."):
            rel = os.path.join(*filename.split(os.sep)[-2:])
        elif rel.startswith(".venv"):
            rel = rel.split("site-packages" + os.sep, 1)[-1]
    except ValueError:
        rel = filename
    return f"{rel}:{line}({name})"


# The reference's phases, found by (file, function): their cumulative time splits a training step.
PHASES = (
    ("forward", "model.py", "forward"),
    ("check_targets", "validate.py", "check_targets"),
    ("softmax_cross_entropy", "loss.py", "softmax_cross_entropy"),
    ("backward", "model.py", "backward"),
    ("nonfinite check", "clip.py", "raise_if_nonfinite"),
    ("clip_value", "clip.py", "clip_value"),
    ("SGD.step", "optim.py", "step"),
    ("Trainer: one-layer forward + BPTT", "fused.py", "single_layer_grads"),
    ("optimizer update (per tensor, or flat in the Trainer)", "optim.py", "update"),
)


def profile(fn, top: int) -> dict:
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    rows = []
    for func, (cc, nc, tt, ct, _callers) in stats.stats.items():
        rows.append({"function": _where(func), "calls": nc, "own_s": tt, "cumulative_s": ct,
                     "own_share": tt / total if total else 0.0})
    rows.sort(key=lambda r: r["own_s"], reverse=True)
    phases = []
    for label, filename, name in PHASES:
        hits = [(nc, ct) for (path, _line, fname), (_cc, nc, _tt, ct, _c) in stats.stats.items()
                if fname == name and path.endswith(os.sep + filename) and os.sep + "reference" + os.sep in path]
        if hits:
            calls, cum = sum(h[0] for h in hits), sum(h[1] for h in hits)
            phases.append({"phase": label, "calls": calls, "cumulative_s": cum, "share": cum / total if total else 0})
    return {"total_s": total, "rows": rows[:top], "phases": phases}


def run(opts: dict, log=print) -> dict:
    from . import batched, long_sequences, sentiment

    top = opts.get("profile_top", 15)
    workloads = {}

    contenders, _ = sentiment.make_contenders(opts["profile_epochs"], opts["seed"])
    for name, what in (("reference train_step", "train_step"), ("reference", "Trainer")):
        contenders[name]()  # warm
        log(f"  profile: sentiment {what}, {opts['profile_epochs']} epochs")
        workloads[f"sentiment {what}"] = {"what": f"reference {what} per example, {opts['profile_epochs']} "
                                                  f"epochs x 58", **profile(contenders[name], top)}

    pair, _, _ = batched.make_pair(25, 32, 27, 100, "float64")
    pair["reference"]()
    calls = opts["profile_calls"]
    log(f"  profile: batched (25, 32, 27, 100) float64, {calls} calls")

    def many():
        for _ in range(calls):
            pair["reference"]()
    workloads["batched"] = {"what": f"loss_and_grads at (T,B,D,H)=(25,32,27,100) float64, {calls} calls",
                            **profile(many, top)}

    T = max(opts["long_T"])
    pair, _, _ = long_sequences.make_pair(T)
    pair["reference"]()
    log(f"  profile: long T={T}")
    workloads["long"] = {"what": f"loss_and_grads at T={T}, B=1, H=64, 1 call", **profile(pair["reference"], top)}
    return {"title": "Profile of the reference (cProfile, top functions by own time)", "workloads": workloads,
            "checks": []}
