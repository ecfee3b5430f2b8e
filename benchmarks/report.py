"""results.md from the results.json record (render) and a short console summary (summary_lines)."""
from __future__ import annotations


def _fmt_bytes(n: float) -> str:
    if n >= 2**20:
        return f"{n / 2**20:.2f} MiB"
    if n >= 2**10:
        return f"{n / 2**10:.1f} KiB"
    return f"{n:.0f} B"


def _load(values) -> str:
    return " / ".join(f"{v:.2f}" for v in values) if values else "n/a"


def _table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    return out + [""]


def _measured(section: dict) -> str:
    m = section.get("measured", {})
    quick = " (quick run)" if m.get("quick") else ""
    by = f" by `{m['command']}`" if m.get("command") else ""
    return (f"_Measured {m.get('date', '?')}{quick}{by}, {m.get('wall_s', 0):.0f} s wall; load average (1/5/15 min) "
            f"before {_load(m.get('load_average_before'))}, after {_load(m.get('load_average_after'))}._")


def _runtime_line(section: dict) -> str:
    rts = section.get("runtime")
    rts = rts if isinstance(rts, list) else [rts] if rts else []
    parts = [f"torch threads {r['torch_threads']}, numpy BLAS threads {r['numpy_blas_threads']}" for r in rts]
    return ("Threads in force: " + "; ".join(parts) + ".") if parts else ""


def _sentiment(s: dict) -> list[str]:
    st = s["settings"]
    out = [f"Seed 000's protocol: H={st['hidden']}, init {st['init']}, per-example SGD lr {st['lr']}, every gradient "
           f"clipped to [-{st['clip']}, {st['clip']}], {st['epochs']} epochs x {st['examples_per_epoch']} phrases, "
           f"{st['dtype']}, all from the same init and in the same order ({st['order']}). "
           f"Median of {st['repeats']} full training runs each, after a {st['warmup_epochs']}-epoch warm-up, "
           f"1 thread.", ""]
    rows = [[r["contender"], f"{r['median_s']:.2f}", f"{r['min_s']:.2f}", f"{r['max_s']:.2f}",
             f"{r['us_per_example']:.0f}", f"{r['ratio_to_classic']:.2f}"] for r in s["rows"]]
    out += _table(["contender", "median s", "min s", "max s", "us / example", "x classic"], rows)
    p = s["parity"]
    out += ["`reference` is `rnn_parity.reference.Trainer`; `reference train_step` is the general "
            "`train_step` on the same examples. The two compute the same numbers bit for bit (tests/reference/"
            "test_trainer.py); the Trainer makes fewer NumPy calls per step (flat parameter and gradient buffers, "
            "each example checked once by `Trainer.prepare` rather than once per epoch, the one-layer forward and "
            "BPTT in one function).", ""]
    out += [f"Final parameters: reference vs torch max |diff| = {p['max_abs_diff_reference_vs_torch']:.2e}; "
            f"reference vs classic loop max |diff| = {p['max_abs_diff_reference_vs_classic']:.2e}"
            + (f"; Trainer vs train_step max |diff| = {p['max_abs_diff_trainer_vs_train_step']:.1e}"
               if "max_abs_diff_trainer_vs_train_step" in p else "") + ".", ""]
    if len(p.get("by_seed", [])) > 1:
        out += ["Final parameters from other seeds' inits (untimed runs of the same protocol; the control as below):", ""]
        out += _table(["seed", "reference vs torch", "control: reference vs perturbed reference", "within 1e-8"],
                      [[r["seed"], f"{r['reference_vs_torch']:.1e}", f"{r['reference_vs_perturbed_reference']:.1e}",
                        "yes" if r["reference_vs_torch"] <= 1e-8 else "no"] for r in p["by_seed"]])
    if p.get("trajectory"):
        out += [f"Max |diff| of the weights along the way (snapshots taken inside the timed runs). The last column is "
                f"an untimed control: the reference against itself, started from Whh x (1 + "
                f"{p['control_perturbation']:g} N(0, 1)), i.e. a few ulps away. Where the control grows as much as "
                f"reference vs torch, the growth is the protocol amplifying float64 rounding, not a disagreement "
                f"between the implementations.", ""]
        out += _table(["epoch", "reference vs torch", "reference vs classic", "control: reference vs perturbed reference"],
                      [[r["epoch"], f"{r['reference_vs_torch']:.1e}", f"{r['reference_vs_classic']:.1e}",
                        f"{r['reference_vs_perturbed_reference']:.1e}"] for r in p["trajectory"]])
    out += [
            "The classic loop is `benchmarks/classic_loop.py`: the tutorial's column-vector loop with (D, 1) one-hot "
            "columns rebuilt per example, a dict of hidden states, per-step matmuls, `np.clip` and in-place SGD. "
            "One line differs from the seed: the seed propagates `d_h = Whh @ temp`, the gradient of the transposed "
            "recurrence; the baseline uses `Whh.T @ temp` (same cost) so that its weights can be compared.", ""]
    return out


def _batched(s: dict) -> list[str]:
    st = s["settings"]
    out = [f"One call = loss and all gradients for a batch: output {st['output']}, input {st['input']}, "
           f"bias {st['bias']}, init {st['init']}. Each pair measured in one process, interleaved; median of "
           f"{st['repeats']} repeats of at least {st['min_seconds_per_repeat']} s each, after "
           f"{st['warmup_rounds']} warm-up round(s). ratio = reference / torch (below 1: the reference is faster). "
           "With all threads, both libraries' pools use every core, so on a machine shared with other jobs they "
           "compete for the CPU: those figures are the noisiest here (OpenMP threads of torch wait for each other "
           "when a core is taken).", ""]
    groups: dict[tuple, list] = {}
    for r in s["rows"]:
        groups.setdefault((r["threads"], r["dtype"]), []).append(r)
    for (threads, dtype), rows in groups.items():
        blas = rows[0]["numpy_blas_threads"]
        out.append(f"**{dtype}, threads: {threads}** (torch {rows[0]['torch_threads']}, numpy BLAS {blas})")
        out.append("")
        out += _table(["(T, B, D, H)", "reference ms", "torch ms", "ratio", "max abs grad diff"],
                      [[f"({r['T']}, {r['B']}, {r['D']}, {r['H']})", f"{r['reference_ms']:.3f}", f"{r['torch_ms']:.3f}",
                        f"{r['ratio']:.2f}", f"{r['max_abs_grad_diff']:.1e}"] for r in rows])
    return out


def _gated(s: dict) -> list[str]:
    st = s["settings"]
    out = [f"The batched call of Benchmark 2 with cell=\"lstm\" and cell=\"gru\" (nn.LSTM / nn.GRU in TorchRNN): output "
           f"{st['output']}, input {st['input']}, bias {st['bias']}, init {st['init']}, {st['threads']} thread. "
           f"Each pair measured in one process, interleaved; median of {st['repeats']} repeats of at least "
           f"{st['min_seconds_per_repeat']} s each, after {st['warmup_rounds']} warm-up round(s). ratio = reference / "
           "torch. The section runs twice, in two worker processes: with the OpenBLAS kernel setting of the "
           "environment and with the other one (OPENBLAS_CORETYPE unset, or forced to Haswell); 'kernel' is the one "
           "in force, read back with threadpoolctl. load = the 1-minute load average after the measurement. torch runs "
           "a float32 LSTM through oneDNN's fused RNN kernel; those rows also time torch with oneDNN off (the "
           "unfused path it takes for float64 and the GRU): 'no oneDNN'.", ""]
    groups: dict[tuple, list] = {}
    for r in s["rows"]:
        groups.setdefault((r["cell"], r["blas_setting"]), []).append(r)
    for (cell, setting), rows in groups.items():
        out.append(f"**{cell.upper()}, {setting}** (kernel {rows[0]['blas_kernel']}; torch threads "
                   f"{rows[0]['torch_threads']}, numpy BLAS threads {rows[0]['numpy_blas_threads']})")
        out.append("")
        out += _table(["dtype", "(T, B, D, H)", "reference ms", "torch ms", "ratio", "torch ms, no oneDNN",
                       "ratio to it", "max abs grad diff", "load"],
                      [[r["dtype"], f"({r['T']}, {r['B']}, {r['D']}, {r['H']})", f"{r['reference_ms']:.3f}",
                        f"{r['torch_ms']:.3f}", f"{r['ratio']:.2f}",
                        "-" if r.get("torch_unfused_ms") is None else f"{r['torch_unfused_ms']:.3f}",
                        "-" if r.get("ratio_to_unfused") is None else f"{r['ratio_to_unfused']:.2f}",
                        f"{r['max_abs_grad_diff']:.1e}",
                        f"{r['load_average'][0]:.2f}" if r.get("load_average") else "n/a"] for r in rows])
    return out


def _long(s: dict) -> list[str]:
    st = s["settings"]
    out = [f"One sequence, B={st['B']}, H={st['H']}, {st['input']}, output {st['output']}, {st['dtype']}; "
           f"time = loss_and_grads (forward + loss + BPTT), median of {st['repeats']}. cache = nbytes of the distinct "
           f"arrays the ForwardCache holds (the caller's x left out); peaks from tracemalloc (NumPy buffers only).",
           ""]
    rows = [[r["T"], f"{r['reference_ms']:.1f}", f"{r['torch_ms']:.1f}", f"{r['ratio']:.2f}", _fmt_bytes(r["cache_bytes"]),
             f"{r['cache_bytes_per_step']:.0f}", _fmt_bytes(r["forward_peak_bytes"]),
             _fmt_bytes(r["loss_and_grads_peak_bytes"]), "yes" if r["finished"] else "NO"] for r in s["rows"]]
    out += _table(["T", "reference ms", "torch ms", "ratio", "cache", "cache B / step", "peak, forward",
                   "peak, loss_and_grads", "finished"], rows)
    return out


def _suite(s: dict) -> list[str]:
    rows = []
    for r in s["rows"]:
        wall = f"{r['wall_s']:.1f}" if "wall_s" in r else "-"
        note = r.get("summary", "") + (f" ({r['note']})" if r.get("note") else "")
        rows.append([f"`{r['command']}`", r["status"], wall, note])
    return ["Each command once, as a subprocess from the repository root.", ""] + _table(
        ["command", "status", "wall s", "output tail"], rows)


def _processes(s: dict) -> list[str]:
    out = [f"{s['epochs']} epochs; {s['rounds']} interleaved rounds (classic, torch loop, train, demo, in a rotating "
           "order) under each OpenBLAS setting; each ratio is to the same round's alternative (train: the classic "
           "loop; demo: the classic loop twice plus the plain torch loop), the median over rounds quoted. CPU = user "
           f"+ sys of the process. Bytecode: {s.get('bytecode', 'not recorded')}.", ""]
    if "blas_settings" not in s:  # a record from before the alternatives were measured
        return out
    for label, b in s["blas_settings"].items():
        out += [f"**{label}** (OpenBLAS kernel {b['kernel']})", ""]
        rows = [[f"`{r['command']}`", f"{r['wall_s_median']:.2f}", f"{r['cpu_s_median']:.2f}",
                 r.get("alternative", "-"),
                 f"{r['ratio_cpu_median']:.2f}" if "ratio_cpu_median" in r else "-",
                 f"{r['ratio_wall_median']:.2f}" if "ratio_wall_median" in r else "-",
                 " ".join(f"{x:.2f}" for x in r.get("ratio_cpu_all", [])) or "-"] for r in b["rows"]]
        out += _table(["command", "wall s", "CPU s", "alternative", "x alt. (CPU)", "x alt. (wall)",
                       "per round (CPU)"], rows)
    return out


def _anchors(s: dict) -> list[str]:
    st = s["settings"]
    out = [f"In one worker process, 1 thread: {st['epochs']} epochs per call, {st['rounds']} interleaved rounds; "
           "each side's time is its training loop (setup left out on both sides); the demo's sides are its runners' "
           "steps in a lockstep run (no control), as `rnn-parity demo` reports them. Ratios per round, median quoted.",
           ""]
    for label, b in s.get("blas_settings", {"": s}).items():
        if label:
            out += [f"**{label}** (OpenBLAS kernel {b['kernel']})", ""]
        out += _table(["contender", "anchor", "CPU s", "anchor CPU s", "x anchor (CPU)", "x anchor (wall)",
                       "us / step (CPU)", "per round (CPU)"],
                      [[r["contender"], r["anchor"], f"{r['cpu_seconds_median']:.2f}",
                        f"{r['anchor_cpu_seconds_median']:.2f}", f"{r['ratio_cpu_seconds_median']:.2f}",
                        f"{r['ratio_seconds_median']:.2f}", f"{r['us_per_step']:.0f}",
                        " ".join(f"{x:.2f}" for x in r["ratio_cpu_seconds"])] for r in b["rows"]])
    if not st.get("gated_cells"):
        out += ["The gated cells' anchor (`train --cell lstm` against a plain nn.LSTM loop) was not measured: "
                "this checkout's torch side has no LSTM yet.", ""]
    return out


def _torch_step(s: dict) -> list[str]:
    st = s["settings"]
    return [f"One epoch ({st['steps_per_epoch']} steps) per call, 1 thread, {st['repeats']} interleaved repeats, "
            "median. Each row is the plain loop's step (benchmarks/torch_loop.py) plus ONE candidate cost (see "
            "benchmarks/torch_step.py); extra = its price per step against the plain step, below 0 a saving.", ""] + _table(
        ["candidate", "us / step", "extra us / step", "x plain"],
        [[r["candidate"], f"{r['us_per_step']:.1f}", f"{r['extra_us_per_step']:+.1f}", f"{r['ratio_to_plain']:.3f}"]
         for r in s["rows"]])


def _profile(s: dict) -> list[str]:
    out = ["cProfile adds a fixed cost to every Python-level call, so it inflates the call-heavy per-example loop "
           "more than BLAS-heavy batches: read the shares, not the absolute times.", ""]
    for name, w in s["workloads"].items():
        out.append(f"**{name}**: {w['what']}; profiled total {w['total_s']:.3f} s")
        out.append("")
        if w.get("phases"):
            out.append("Phases (cumulative time, share of the profiled total): " + ", ".join(
                f"{ph['phase']} {100 * ph['share']:.0f}%" for ph in w["phases"]) + ".")
            out.append("")
        out += _table(["function", "calls", "own s", "own share", "cumulative s"],
                      [[f"`{r['function']}`", r["calls"], f"{r['own_s']:.4f}", f"{100 * r['own_share']:.1f}%",
                        f"{r['cumulative_s']:.4f}"] for r in w["rows"]])
    return out


RENDERERS = {"sentiment": _sentiment, "batched": _batched, "gated": _gated, "long": _long, "suite": _suite,
             "profile": _profile, "processes": _processes, "anchors": _anchors, "torch_step": _torch_step}


def render(record: dict) -> str:
    meta, sections = record["meta"], record["sections"]
    lines = ["# Benchmarks", "",
             "Written by `rnn-parity bench` (`make bench`); do not edit by hand. The raw figures, every repeat "
             "included, are in `results.json` beside this file.", ""]
    if meta.get("quick"):
        lines += ["> **Quick run** (`--quick`): tiny repeat counts and sizes, for a smoke test. "
                  "These figures are not a recorded result.", ""]
    runs = meta.get("runs") or [{"command": meta.get("command"), "date": meta["date"], "date_end": meta.get("date_end"),
                                  "load_average_start": meta.get("load_average_start"),
                                  "load_average_end": meta.get("load_average_end"), "git": meta.get("git")}]
    rows = []
    for run in runs:
        git = run.get("git") or {}
        rows.append([f"run `{run.get('command') or 'rnn-parity bench'}`",
                     f"{run.get('date')} to {run.get('date_end', '?')}; load average (1/5/15 min) start "
                     f"{_load(run.get('load_average_start'))}, end {_load(run.get('load_average_end'))}; commit "
                     f"{git.get('commit')}{' + uncommitted changes' if git.get('dirty') else ''}"])
    rows += [
        ["CPU", f"{meta['host_cpu']}, {meta['cores']} cores available, {meta.get('memory_gib')} GiB RAM"],
        ["OS", meta["os"]],
        ["Python", meta["python"]],
        ["numpy", f"{meta['numpy']} ({meta['numpy_blas']})"],
        ["scipy", meta.get("scipy")],
        ["torch", f"{meta.get('torch')} (CPU)"],
        ["thread control", meta["blas_thread_control"]],
    ]
    lines += ["## Machine", ""] + _table(["", ""], rows)
    cuda = any((rt or {}).get("cuda_available") for s in sections.values()
               for rt in (s.get("runtime") if isinstance(s.get("runtime"), list) else [s.get("runtime")]))
    lines += ["**GPU:** " + ("a CUDA device was visible, but these benchmarks measure the CPU only." if cuda else
                             "no GPU machine is lent to this task and torch sees no CUDA device, so there are no "
                             "CUDA figures here."), "",
              f"**Noise:** the machine has {meta['cores']} cores shared with other jobs (see the load averages above "
              "and per section below; a load above the core count means the benchmark competed for the CPU). "
              "Medians over interleaved repeats damp that noise but cannot remove it; every repeat is in "
              "results.json.", ""]

    checks = [(name, c) for name, s in sections.items() for c in s.get("checks", [])]
    if checks:
        lines += ["## Targets", ""] + _table(["target", "figure", "met"],
                                             [[c["target"], c["figure"], "yes" if c["met"] else "**no**"]
                                              for _, c in checks])
    for name, s in sections.items():
        lines += [f"## {s.get('title', name)}", "", _measured(s), ""]
        if s.get("status") != "ok":
            lines += [f"**Did not run:** {s.get('error', 'unknown error')}", ""]
            continue
        lines += RENDERERS[name](s)
        rt = _runtime_line(s)
        if rt:
            lines += [rt, ""]
    return "\n".join(lines).rstrip() + "\n"


def summary_lines(record: dict) -> list[str]:
    out = []
    for name, s in record["sections"].items():
        if name not in record.get("ran_now", []):
            continue
        if s.get("status") != "ok":
            out.append(f"{name}: ERROR {s.get('error')}")
        for c in s.get("checks", []):
            out.append(f"{'met ' if c['met'] else 'MISSED'} {c['target']}: {c['figure']}")
    return out
