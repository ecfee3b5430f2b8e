"""The mutation battery: the parity checks that every catalogued mistake (rnn_parity.mutants) must fail.

One battery for `rnn-parity mutants` (the suite's mutation score) and parity_tests/test_mutations.py.
Its entries are chosen so that every configuration the catalogue's mistakes need shows up: many-to-one
and many-to-many, token ids (T < vocabulary) and a given h0, several layers and directions with lengths,
clipping and several optimizer steps (SGD and Adam), and the Trainer's fused one-layer path. The gated
cells' entries (GATED_BATTERY) cover the LSTM with and without a projection, the GRU with bias "torch" (so
b_hn is not zero: with "single" it is held at zero and its mistakes are invisible), lengths and both
directions, with forward parity for the mistakes made in a forward and finite differences as well as torch's
gradients for the backward ones; tiny sizes, so the whole catalogue is scored in seconds.
"""
from __future__ import annotations

from typing import NamedTuple

from .cases import case, setup
from .compare import Comparison
from .halves import check_clip, check_forward, check_gradcheck, check_loss, check_vjp
from .trajectory import check_trajectory


class Probe(NamedTuple):
    label: str  # what kind of check: forward, vjp, loss, clip, trajectory, trainer, gradcheck ("lstm vjp": gated)
    case: str  # a case id
    check: str  # "forward" | "vjp" | "loss" | "clip" | "gradcheck" | "trajectory:<recipe>" | "trainer:<recipe>"

    @property
    def cell(self) -> str:
        return case(self.case).cell


RNN_BATTERY = (
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

GATED_BATTERY = (
    Probe("lstm forward", "L1-uni-lstm-all-h0-T4", "forward"),
    Probe("lstm vjp", "L1-uni-lstm-all-h0-T4", "vjp"),
    Probe("lstm forward", "L1-bi-lstm-all-lengths-h0-P2", "forward"),  # projection, lengths, both directions
    Probe("lstm vjp", "L1-bi-lstm-all-lengths-h0-P2", "vjp"),
    Probe("lstm gradcheck", "L1-bi-lstm-all-lengths-h0-P2-T3-B2", "gradcheck"),
    Probe("gru forward", "L1-uni-gru-all-h0-torchbias-T4", "forward"),
    Probe("gru vjp", "L1-uni-gru-all-h0-torchbias-T4", "vjp"),
    Probe("gru vjp", "L1-bi-gru-last-lengths-torchbias", "vjp"),
    Probe("gru gradcheck", "L1-bi-gru-all-lengths-h0-torchbias-T3-B2", "gradcheck"),
)
BATTERY = RNN_BATTERY + GATED_BATTERY


def battery_for(cell: str) -> tuple:
    """The whole battery, the probes of `cell` first: a mistake in that cell's code is caught (and the
    scoring moves on) without running the other cells' probes first."""
    return tuple(p for p in BATTERY if p.cell == cell) + tuple(p for p in BATTERY if p.cell != cell)


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


def probe_failure(probe: Probe) -> str:
    """'' when the probe passes, else its first failure as 'label case: comparison name'.

    A reference that raises counts as a failure too (a mutant that crashes is caught).
    """
    try:
        results = run_probe(probe)
    except Exception as e:  # noqa: BLE001 - a mutant that makes the reference raise is caught too
        return f"{probe.label} {probe.case}: raised {type(e).__name__}: {str(e)[:80]}"
    bad = next((r for r in results if not r.passed), None)
    return "" if bad is None else f"{probe.label} {probe.case}: {bad.name}"


def first_failing(probes=None) -> tuple | None:
    """(the first probe that fails, why) or None when all pass; probes: the whole BATTERY by default."""
    for probe in BATTERY if probes is None else probes:
        why = probe_failure(probe)
        if why:
            return probe, why
    return None


def first_failure(probes=None) -> str:
    """'' when every probe passes (the whole BATTERY by default), else the first failure (probe_failure)."""
    failing = first_failing(probes)
    return "" if failing is None else failing[1]


__all__ = ["BATTERY", "GATED_BATTERY", "RNN_BATTERY", "Probe", "battery_for", "first_failing", "first_failure", "probe_failure",
           "run_probe"]
