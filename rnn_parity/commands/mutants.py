"""`rnn-parity mutants`: the parity suite's mutation score over the catalogued mistakes.

Every mutant in rnn_parity.mutants.CATALOG is patched into the reference in turn and the parity
suite's checks run on its mutation battery (rnn_parity.parity.battery: forward, vjp, loss, clip and
trajectories against torch, the Trainer's fused path, and the finite-difference gradcheck). A mutant is
killed when any comparison fails (or the reference raises); a survivor is a mistake the suite cannot see.
Exit status 0 when every mutant is killed, 1 otherwise.
"""
from __future__ import annotations

import time

from ..errors import RNNParityError


def add_arguments(parser):
    parser.add_argument("--list", action="store_true", help="list the catalog (id, mistake, wrong line) and exit")
    parser.add_argument("--only", metavar="ID", action="append", default=[],
                        help="score only this mutant (repeatable)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the first failing comparison of each")


def run(args) -> int:
    from .. import mutants

    if args.list:
        for m in mutants.CATALOG:
            print(f"{m.id}\n    {m.mistake}\n    wrong: {m.math_wrong}    ({m.module}: {m.wrong_line()})")
        return 0
    chosen = [mutants.get(i) if i in mutants.BY_ID else None for i in args.only] if args.only else list(mutants.CATALOG)
    if None in chosen:
        unknown = [i for i in args.only if i not in mutants.BY_ID]
        raise RNNParityError(f"unknown mutant id(s) {', '.join(unknown)}; see `rnn-parity mutants --list`")
    from ..parity.battery import first_failure

    start = time.monotonic()
    why = first_failure()
    if why:
        raise RNNParityError(f"the unbroken reference fails the battery ({why}): fix that first")
    killed, survivors = 0, []
    for m in chosen:
        with mutants.applied(m):
            why = first_failure()
        if not why:
            survivors.append(m.id)
            print(f"  SURVIVED  {m.id}")
        else:
            killed += 1
            print(f"  killed    {m.id}" + (f"  <- {why}" if args.verbose else ""))
    total = len(chosen)
    percent = 100.0 * killed / total if total else 100.0
    print(f"mutation score: {killed}/{total} killed ({percent:.0f}%) in {time.monotonic() - start:.1f} s")
    if survivors:
        print("survivors: " + ", ".join(survivors))
        return 1
    return 0
