"""`rnn-parity bench`: runs the benchmark sections, each in its own worker process, and writes
results.json and results.md.

Sections (in run order): sentiment, batched, gated, long, profile, anchors, torch_step, processes, suite.
Every timed section runs in a fresh worker with its thread counts fixed at start-up (1 thread, or all cores
for the second half of "batched"); "gated" and "anchors" run once under each OpenBLAS kernel setting;
"processes" and "suite" run their commands as subprocesses of the parent.
"""
from __future__ import annotations

import importlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import _env, report
from .batched import SIZES

# name -> (module, thread settings of its workers or None for in-parent)
SECTIONS: dict[str, tuple[str, tuple | None]] = {
    "sentiment": ("sentiment", (1,)),
    "batched": ("batched", (1, None)),
    "gated": ("gated", (1,)),
    "long": ("long_sequences", (1,)),
    "profile": ("profiling", (1,)),
    "anchors": ("anchors", (1,)),
    "torch_step": ("torch_step", (1,)),
    "processes": ("processes", None),
    "suite": ("suite", None),
}
DEFAULT_DIR = Path(__file__).resolve().parent
JSON_NAME, MD_NAME = "results.json", "results.md"
BLAS_SECTIONS = {"anchors", "gated"}  # one thread, once under each OpenBLAS kernel setting (_env.blas_kernel_envs)


def default_options(quick: bool) -> dict:
    if quick:
        return {"quick": True, "epochs": 2, "sentiment_repeats": 1, "warmup_epochs": 1, "repeats": 2, "warmup": 1,
                "min_time": 0.002, "sizes": [list(s) for s in SIZES[:2]], "long_T": [100, 1000], "long_repeats": 1,
                "profile_epochs": 1, "profile_calls": 2, "seed": 0, "parity_seeds": [], "thread_settings": [1, None],
                "process_epochs": 2, "process_rounds": 1, "anchor_epochs": 2, "anchor_rounds": 1, "step_repeats": 1}
    return {"quick": False, "epochs": 1000, "sentiment_repeats": 3, "warmup_epochs": 2, "repeats": 7, "warmup": 1,
            "min_time": 0.2, "sizes": [list(s) for s in SIZES], "long_T": [1000, 10000], "long_repeats": 3,
            "profile_epochs": 30, "profile_calls": 20, "seed": 0, "parity_seeds": [1, 2, 3, 4, 5],
            "thread_settings": [1, None], "process_epochs": 1000, "process_rounds": 3, "anchor_epochs": 100,
            "anchor_rounds": 9, "step_repeats": 15}


def _run_worker(module: str, opts: dict, threads: int | None, log, env_changes: dict | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="rnn-parity-bench-") as tmp:
        options_path, result_path = Path(tmp) / "options.json", Path(tmp) / "result.json"
        options_path.write_text(json.dumps({**opts, "threads": threads or _env.cpu_count()}), encoding="utf-8")
        cmd = [sys.executable, "-m", "rnn_parity.benchmarks.worker", module, str(options_path), str(result_path)]
        env = _env.with_changes(_env.thread_env(threads), env_changes or {})
        proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for line in proc.stderr.splitlines():
            if line.startswith("  "):
                log(line)
        if proc.returncode != 0 or not result_path.exists():
            tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
            raise RuntimeError(f"worker {module} (threads={threads or 'all'}) exited {proc.returncode}: {tail}")
        return json.loads(result_path.read_text(encoding="utf-8"))


def run_section(name: str, opts: dict, log) -> dict:
    module_name, settings = SECTIONS[name]
    started, load_before, t0 = _env.now_utc(), _env.load_average(), time.perf_counter()
    try:
        if settings is None:  # in the parent: the section times subprocesses itself
            record = importlib.import_module(f"rnn_parity.benchmarks.{module_name}").run(opts, log=log)
        else:
            if name == "batched":
                settings = tuple(opts["thread_settings"])
            module = importlib.import_module(f"rnn_parity.benchmarks.{module_name}")
            if name in BLAS_SECTIONS:
                parts = [_run_worker(module_name, {**opts, "blas_setting": label}, 1, log, changes)
                         for label, changes in _env.blas_kernel_envs().items()]
            else:
                parts = [_run_worker(module_name, opts, threads, log) for threads in settings]
            if hasattr(module, "combine"):
                record = module.combine(parts, opts)
                record["runtime"] = [p["runtime"] for p in parts]
            else:
                record = parts[0]
        record["status"] = "ok"
    except RuntimeError as e:
        record = {"title": name, "status": "error", "error": str(e), "checks": []}
        log(f"  {name}: ERROR {e}")
    record["measured"] = {"date": started, "wall_s": time.perf_counter() - t0, "load_average_before": load_before,
                          "load_average_after": _env.load_average(), "quick": opts["quick"],
                          "command": opts.get("command")}
    return record


def run(names: list[str], opts: dict, out_dir: Path, log=print, merge: bool = True,
        command: str = "rnn-parity bench") -> tuple[dict, Path, Path]:
    """Run the named sections; write results.json and results.md into out_dir. Returns (record, json, md).

    merge: keep the sections of an earlier results.json in out_dir that this run does not redo (each section
    carries its own date and load averages), as long as both runs are full runs or both quick ones.
    """
    meta = _env.machine_info()
    meta["command"] = command
    opts = {**opts, "command": command}
    meta["quick"] = opts["quick"]
    meta["options"] = opts
    sections = {}
    for name in SECTIONS:
        if name in names:
            log(f"[{name}]")
            sections[name] = run_section(name, opts, log)
    meta["load_average_end"] = _env.load_average()
    meta["date_end"] = _env.now_utc()

    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / JSON_NAME, out_dir / MD_NAME
    kept, earlier_runs = {}, []
    if merge and json_path.exists():
        try:
            previous = json.loads(json_path.read_text(encoding="utf-8"))
            if previous.get("meta", {}).get("quick") == opts["quick"]:
                kept = {k: v for k, v in previous.get("sections", {}).items() if k not in sections and k in SECTIONS}
                earlier_runs = previous["meta"].get("runs") or [_run_summary(previous["meta"])]
        except (OSError, ValueError, KeyError):
            kept, earlier_runs = {}, []
    # The runs whose sections the files hold, oldest first (one, unless --only merged into an earlier run).
    kept_dates = {v.get("measured", {}).get("date") for v in kept.values()}
    meta["runs"] = [r for r in earlier_runs if kept and _overlaps(r, kept_dates)] + [_run_summary(meta)]
    all_sections = {name: (sections.get(name) or kept.get(name)) for name in SECTIONS
                    if name in sections or name in kept}
    record = {"meta": meta, "sections": all_sections, "ran_now": sorted(sections)}
    json_path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    md_path.write_text(report.render(record), encoding="utf-8")
    return record, json_path, md_path


def _run_summary(meta: dict) -> dict:
    return {"command": meta.get("command", "rnn-parity bench"), "date": meta.get("date"),
            "date_end": meta.get("date_end"), "load_average_start": meta.get("load_average_start"),
            "load_average_end": meta.get("load_average_end"), "git": meta.get("git")}


def _overlaps(run: dict, dates: set) -> bool:
    """Whether a kept section was measured during `run` (its start date lies in the run's span)."""
    start, end = run.get("date") or "", run.get("date_end") or "~"
    return any(d and start <= d <= end for d in dates)
