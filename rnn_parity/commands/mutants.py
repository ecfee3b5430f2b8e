"""`rnn-parity mutants`: the parity suite's mutation score over the catalogued mistakes.

Every mutant of the whole catalogue, rnn_parity.mutants.ALL (the RNN's and the gated cells'), is patched
into the reference in turn and the parity suite's checks run on its mutation battery
(rnn_parity.parity.battery: forward, vjp, loss, clip and trajectories against torch, the Trainer's fused
path, and the finite-difference gradcheck, for the RNN, the LSTM and the GRU), the probes of the mutant's
own cell first. A mutant is killed when any comparison fails (or the reference raises); a survivor is a
mistake the suite cannot see. A kill counts only when the probe that made it passes on the unbroken
reference (that control runs once per probe used). The score is given per cell and in total.
Exit status 0 when every mutant is killed, 1 otherwise.
"""
from __future__ import annotations

import time

from ..errors import RNNParityError

CELL_CHOICES = ("rnn", "lstm", "gru", "all")  # as `rnn-parity check --cell`


def add_arguments(parser):
    parser.add_argument("--list", action="store_true", help="list the catalog (id, mistake, wrong line) and exit")
    parser.add_argument("--only", metavar="ID", action="append", default=[],
                        help="score only this mutant (repeatable)")
    parser.add_argument("--cell", default="all", metavar="{rnn,lstm,gru,all}",
                        help="score only the mistakes of this cell's catalogue (default: all)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the first failing comparison of each")


def _chosen(args, mutants) -> list:
    if args.cell not in CELL_CHOICES:  # checked here, not by argparse choices: one line naming every choice
        raise RNNParityError(f"--cell must be one of {', '.join(CELL_CHOICES)}, got {args.cell!r}")
    catalogue = mutants.ALL if args.cell == "all" else mutants.for_cell(args.cell)
    if not args.only:
        return list(catalogue)
    unknown = [i for i in args.only if i not in mutants.BY_ID]
    if unknown:
        raise RNNParityError(f"unknown mutant id(s) {', '.join(unknown)}; see `rnn-parity mutants --list`")
    outside = [i for i in args.only if mutants.BY_ID[i] not in catalogue]
    if outside:
        raise RNNParityError(f"mutant id(s) {', '.join(outside)} not in the {args.cell} catalogue")
    return [mutants.BY_ID[i] for i in args.only]


def _score(killed: int, total: int) -> str:
    percent = 100.0 * killed / total if total else 100.0
    return f"{killed}/{total} killed ({percent:.0f}%)"


def run(args) -> int:
    from .. import mutants

    chosen = _chosen(args, mutants)
    if args.list:
        for m in chosen:
            print(f"{m.id}  [{m.cell}]\n    {m.mistake}\n    wrong: {m.math_wrong}    ({m.module}: {m.wrong_line()})")
        return 0
    from ..parity.battery import battery_for, first_failing, probe_failure

    start = time.monotonic()
    unbroken: dict = {}  # probe -> its failure on the unbroken reference ('' when it passes), run once each
    killed: dict = {}
    survivors = []
    for m in chosen:
        with mutants.applied(m):
            failing = first_failing(battery_for(m.cell))
        if failing is not None:
            # The control, for the probes that kill: a kill counts only where the reference itself passes.
            probe, why = failing
            if probe not in unbroken:
                unbroken[probe] = probe_failure(probe)
            if unbroken[probe]:
                raise RNNParityError(f"the unbroken reference fails the battery ({unbroken[probe]}): fix that first")
        killed.setdefault(m.cell, [0, 0])[1] += 1
        if failing is None:
            survivors.append(m.id)
            print(f"  SURVIVED  {m.id}")
        else:
            killed[m.cell][0] += 1
            print(f"  killed    {m.id}" + (f"  <- {failing[1]}" if args.verbose else ""))
    for cell in mutants.CELLS:
        if cell in killed:
            print(f"  {cell:5s} {_score(*killed[cell])}")
    total = sum(k for k, _ in killed.values())
    print(f"mutation score: {_score(total, len(chosen))} in {time.monotonic() - start:.1f} s")
    if survivors:
        print("survivors: " + ", ".join(survivors))
        return 1
    return 0
