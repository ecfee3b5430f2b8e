"""Paired timing: contenders measured in the same process, interleaved round by round, median of repeats."""
from __future__ import annotations

import gc
import statistics
import time
from typing import Callable


def _run(fn: Callable[[], object], number: int, clock: Callable[[], float] = time.perf_counter) -> float:
    start = clock()
    for _ in range(number):
        fn()
    return clock() - start


def calibrate(fn: Callable[[], object], min_time: float, max_number: int = 1_000_000) -> int:
    """Calls per repeat so that one repeat takes at least `min_time` seconds (1, 2, 5, 10, ... calls)."""
    number = 1
    while True:
        for factor in (1, 2, 5):
            n = number * factor
            if n >= max_number or _run(fn, n) >= min_time:
                return min(n, max_number)
        number *= 10


def measure(contenders: dict[str, Callable[[], object]], repeats: int, warmup: int = 1,
            min_time: float = 0.1, number: int | None = None,
            clock: Callable[[], float] = time.perf_counter) -> dict[str, dict]:
    """Time each contender: `warmup` unrecorded rounds, then `repeats` recorded rounds.

    Every round runs each contender once (`number` calls, calibrated per contender to `min_time` unless
    given), in a rotating order, so slow drifts in machine load hit all contenders alike.
    clock: wall time by default; time.thread_time measures the calling thread's CPU time (single-threaded
    work on a shared machine, where other jobs' load lengthens wall time unevenly).
    Returns, per contender: seconds per call (median over repeats), min, max, all repeats, calls per repeat.
    """
    names = list(contenders)
    numbers = {name: number or calibrate(contenders[name], min_time) for name in names}
    times: dict[str, list[float]] = {name: [] for name in names}
    gc_was_enabled = gc.isenabled()
    try:
        for round_ in range(warmup + repeats):
            shift = round_ % len(names)
            for name in names[shift:] + names[:shift]:
                gc.collect()
                gc.disable()
                elapsed = _run(contenders[name], numbers[name], clock)
                if gc_was_enabled:
                    gc.enable()
                if round_ >= warmup:
                    times[name].append(elapsed / numbers[name])
    finally:
        if gc_was_enabled:
            gc.enable()
    return {name: summary(times[name], numbers[name]) for name in names}


def summary(per_call: list[float], number: int = 1) -> dict:
    return {
        "median_s": statistics.median(per_call),
        "min_s": min(per_call),
        "max_s": max(per_call),
        "repeats_s": per_call,
        "calls_per_repeat": number,
    }
