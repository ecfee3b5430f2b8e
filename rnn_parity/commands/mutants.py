"""`rnn-parity mutants`: the parity suite's mutation score over the catalogued mistakes.

Every mutant in rnn_parity.mutants.CATALOG is patched into the reference in turn and the parity
suite's checks (rnn_parity.parity: forward, vjp, loss, clip and trajectory against torch, and the
finite-difference gradcheck) run on a small battery of cases. A mutant is killed when any
comparison fails (or the reference raises); a survivor is a mistake the suite cannot see.
Exit status 0 when every mutant is killed, 1 otherwise.
"""
from __future__ import annotations

import time

from ..errors import RNNParityError

# (label, case id, protocol): chosen so that every configuration the catalog's mistakes need shows up:
# many-to-one and many-to-many, token ids (T < vocabulary) and a given h0, clipping and several steps.
BATTERY = (
    ("forward", "L1-uni-tanh-last", "forward"),
    ("forward", "L1-uni-tanh-all-ids-h0-T4", "forward"),
    ("vjp", "L1-uni-tanh-last", "vjp"),
    ("vjp", "L1-uni-tanh-all-ids-h0-T4", "vjp"),
    ("loss", "L1-uni-tanh-all-ids-h0-T4", "loss"),
    ("clip", "L1-uni-tanh-last", "clip"),
    ("trajectory", "L1-uni-tanh-last", "trajectory:sgd-clipvalue"),
    ("trajectory", "L1-uni-tanh-all-ids-h0-T4", "trajectory:seeds-sgd"),
    ("gradcheck", "L1-uni-tanh-all-ids-h0-T4", "gradcheck"),
)


def add_arguments(parser):
    parser.add_argument("--list", action="store_true", help="list the catalog (id, mistake, wrong line) and exit")
    parser.add_argument("--only", metavar="ID", action="append", default=[],
                        help="score only this mutant (repeatable)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the first failing comparison of each")


def _run_protocol(check, setup, protocol: str):
    if protocol == "forward":
        return check.check_forward(setup)
    if protocol == "vjp":
        return check.check_vjp(setup)
    if protocol == "loss":
        return check.check_loss(setup, "sum")
    if protocol == "clip":
        return check.check_clip(setup, "value")
    if protocol == "gradcheck":
        return check.check_gradcheck(setup)
    if protocol.startswith("trajectory:"):
        return check.check_trajectory(setup, protocol.split(":", 1)[1])
    raise ValueError(protocol)


def battery(check):
    """Runs the battery; returns (passed, first failure as 'label case: quantity')."""
    for label, case_id, protocol in BATTERY:
        try:
            results = _run_protocol(check, check.setup(case_id), protocol)
        except Exception as e:  # noqa: BLE001 - a mutant that makes the reference raise is caught too
            return False, f"{label} {case_id}: raised {type(e).__name__}: {str(e)[:80]}"
        bad = next((r for r in results if not r.passed), None)
        if bad is not None:
            return False, f"{label} {case_id}: {bad.name}"
    return True, ""


def run(args) -> int:
    from .. import mutants as M

    if args.list:
        for m in M.CATALOG:
            print(f"{m.id}\n    {m.mistake}\n    wrong: {m.math_wrong}    ({m.module}: {m.wrong_line()})")
        return 0
    chosen = [M.get(i) if i in M.BY_ID else None for i in args.only] if args.only else list(M.CATALOG)
    if None in chosen:
        unknown = [i for i in args.only if i not in M.BY_ID]
        raise RNNParityError(f"unknown mutant id(s) {', '.join(unknown)}; see `rnn-parity mutants --list`")
    from .. import parity as check

    start = time.monotonic()
    ok, why = battery(check)
    if not ok:
        raise RNNParityError(f"the unbroken reference fails the battery ({why}): fix that first")
    killed, survivors = 0, []
    for m in chosen:
        with M.applied(m):
            passed, why = battery(check)
        if passed:
            survivors.append(m.id)
            print(f"  SURVIVED  {m.id}")
        else:
            killed += 1
            print(f"  killed    {m.id}" + (f"  <- {why}" if args.verbose else ""))
    total = len(chosen)
    score = 100.0 * killed / total if total else 100.0
    print(f"mutation score: {killed}/{total} killed ({score:.0f}%) in {time.monotonic() - start:.1f} s")
    if survivors:
        print("survivors: " + ", ".join(survivors))
        return 1
    return 0
