"""The mutation battery: the parity checks that every catalogued mistake (rnn_parity.mutants) must fail.

One battery for `rnn-parity mutants` (the suite's mutation score) and parity_tests/test_mutations.py.
Its entries are chosen so that every configuration the catalogue's mistakes need shows up: many-to-one
and many-to-many, token ids (T < vocabulary) and a given h0, several layers and directions with lengths,
clipping and several optimizer steps (SGD and Adam), and the Trainer's fused one-layer path.
"""
from __future__ import annotations

from typing import NamedTuple

from .cases import setup
from .compare import Comparison
from .halves import check_clip, check_forward, check_gradcheck, check_loss, check_vjp
from .trajectory import check_trajectory


class Probe(NamedTuple):
    label: str  # what kind of check: forward, vjp, loss, clip, trajectory, trainer, gradcheck
    case: str  # a case id
    check: str  # "forward" | "vjp" | "loss" | "clip" | "gradcheck" | "trajectory:<recipe>" | "trainer:<recipe>"


BATTERY = (
    Probe("forward", "L1-uni-tanh-last", "forward"),
    Probe("forward", "L1-uni-tanh-all-ids-h0-T4", "forward"),
    Probe("vjp", "L1-uni-tanh-last", "vjp"),
    Probe("vjp", "L1-uni-tanh-all-ids-h0-T4", "vjp"),
    Probe("vjp", "L2-bi-relu-all-lengths-h0", "vjp"),
    Probe("loss", "L1-uni-tanh-all-ids-h0-T4", "loss"),
    Probe("clip", "L1-uni-tanh-last", "clip"),
    Probe("trajectory", "L1-uni-tanh-last", "trajectory:sgd-clipvalue"),
    Probe("trajectory", "L1-uni-tanh-all-ids-h0-T4", "trajectory:seeds-sgd"),
    Probe("trajectory", "L1-uni-tanh-last", "trajectory:adam-clipnorm"),
    Probe("trainer", "L1-uni-tanh-all-ids-h0-T4", "trainer:seeds-sgd"),
    Probe("gradcheck", "L1-uni-tanh-all-ids-h0-T4", "gradcheck"),
)


def run_probe(probe: Probe) -> list[Comparison]:
    numbers = setup(probe.case)
    kind, _, recipe = probe.check.partition(":")
    if kind == "forward":
        return check_forward(numbers)
    if kind == "vjp":
        return check_vjp(numbers)
    if kind == "loss":
        return check_loss(numbers, "sum")
    if kind == "clip":
        return check_clip(numbers, "value")
    if kind == "gradcheck":
        return check_gradcheck(numbers)
    if kind == "trajectory":
        return check_trajectory(numbers, recipe)
    if kind == "trainer":
        return check_trajectory(numbers, recipe, numpy_side="Trainer")
    raise ValueError(f"unknown battery check {probe.check!r}")


def first_failure(probes=BATTERY) -> str:
    """'' when every probe passes, else the first failure as 'label case: comparison name'.

    A reference that raises counts as a failure too (a mutant that crashes is caught).
    """
    for probe in probes:
        try:
            results = run_probe(probe)
        except Exception as e:  # noqa: BLE001 - a mutant that makes the reference raise is caught too
            return f"{probe.label} {probe.case}: raised {type(e).__name__}: {str(e)[:80]}"
        bad = next((r for r in results if not r.passed), None)
        if bad is not None:
            return f"{probe.label} {probe.case}: {bad.name}"
    return ""


__all__ = ["BATTERY", "Probe", "first_failure", "run_probe"]
