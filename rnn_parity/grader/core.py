"""grade(): run an implementation in a child process, compare with the reference, name the mistake."""
from __future__ import annotations

import os

from ..errors import RNNParityError
from . import checks as C
from . import plan as P
from .diagnosis import diagnose
from .expect import Replay
from .harness import DEFAULT_OUTPUT_CAP, DEFAULT_TIMEOUT, run_child
from .protocols import registry
from .report import GradeReport

PROTOCOLS = registry.names()  # auto, class, functions, then the registered protocols (cs231n, dlai, ...)


def grade(impl: str, seed: int = 0, class_name: str | None = None, protocol: str = "auto",
          timeout: float = DEFAULT_TIMEOUT, diagnose_mistakes: bool = True, tol: float = C.TOLERANCE,
          output_cap: int = DEFAULT_OUTPUT_CAP, zero_h0: bool = False, run_all_cells: bool = False,
          cwd: str | None = None) -> GradeReport:
    """Grade the RNN implementation in the Python file `impl`; see the README's "Grading" section.

    A Jupyter notebook (.ipynb) is graded through rnn_parity.grader.notebook: its definitions only, or
    every code cell in order with run_all_cells=True. cwd: where the child runs (default: impl's folder).
    """
    if not os.path.isfile(impl):
        raise RNNParityError(f"no such file: {impl}")
    if str(impl).lower().endswith(".ipynb"):
        from .notebook import grade_notebook

        return grade_notebook(impl, run_all_cells=run_all_cells, seed=seed, class_name=class_name,
                              protocol=protocol, timeout=timeout, diagnose_mistakes=diagnose_mistakes, tol=tol,
                              output_cap=output_cap, zero_h0=zero_h0)
    if protocol not in PROTOCOLS:
        raise RNNParityError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    if not timeout > 0:
        raise RNNParityError(f"timeout must be positive, got {timeout}")
    child = run_child(impl, seed=seed, class_name=class_name, protocol="class" if class_name else protocol,
                      timeout=timeout, output_cap=output_cap, zero_h0=zero_h0, cwd=cwd)
    info = child.info
    report = GradeReport(impl=impl, verdict="error", error=child.error, info=info, notes=list(child.notes),
                         output_chars=child.output_chars, seed=seed, seconds=child.seconds)
    if child.output_chars > 2000:
        report.notes.append(f"the implementation printed {child.output_chars:,} characters (output not shown)")
    if not info.get("step"):
        if report.error is None:
            report.error = {"kind": "crash", "message": "the child process reported nothing"}
        return report
    protos = registry.registered()
    if info.get("protocol") in protos:
        return _grade_registered(report, protos[info["protocol"]], child.obs, seed, tol, diagnose_mistakes)

    plan = P.build(seed, info["protocol"], info["step"], bool(info.get("many_to_one")),
                   has_clip=bool(info.get("clip_method")), has_update=bool(info.get("update_method")),
                   zero_h0=bool(info.get("zero_h0")))
    probs = info.get("output_kind") == "probs"
    skip_update = bool(info.get("update_skipped"))
    student = C.hidden_view(plan, child.obs, probs)

    if plan.step == "backprop":
        clip_found, clip_err, clip_detail = C.detect_backprop_clip(plan, child.obs, tol)
        replay_clip = clip_found or ("value", C.NOMINAL_CLIP)
    elif plan.step == "loss" and plan.has_clip:
        clip_found, clip_err, clip_detail = C.loss_clip_check(plan, child.obs, tol)
        replay_clip = clip_found
    else:
        clip_found, clip_err, clip_detail, replay_clip = None, None, "", None
    reference = C.hidden_view(plan, Replay(plan, probs, replay_clip, skip_update).run(), probs)
    report.checks, report.signal = C.run_checks(plan, info, student, reference, clip_found, clip_err,
                                                clip_detail, tol)
    try:  # pictures only (HTML report): never let them stop a grade
        report.evidence = C.evidence(plan, student, reference, report.checks, tol)
    except Exception:  # noqa: BLE001
        report.evidence = {}
    _notes(report, plan, info)
    if report.error:
        return report
    report.verdict = "fail" if any(c.status == "fail" for c in report.checks) else "pass"
    if report.verdict == "fail" and diagnose_mistakes:
        groups = C.groups_for(plan, student, skip_update)
        names = {"grad:" + c: "grad:" + info.get("naming", {}).get(c, c) for c in P.CANONICAL}
        failing = {c.group for c in report.checks if c.status == "fail"}
        report.diagnosis = diagnose(plan, student, groups, reference, probs, replay_clip, skip_update, names, tol,
                                    failing=failing)
    return report


def _grade_registered(report: GradeReport, proto, obs: dict, seed: int, tol: float,
                      diagnose_mistakes: bool) -> GradeReport:
    """A protocol of the engine (rnn_parity.grader.protocols): generic checks and diagnosis (judge)."""
    from .judge import judge

    info = report.info
    report.checks, report.diagnosis = judge(proto, proto.plan(seed), info, obs, tol, diagnose_mistakes)
    for fn, why in info.get("not_graded", {}).items():
        report.notes.append(f"{fn}: not graded ({why})")
    if report.error:
        return report
    if not report.checks:
        found = ", ".join(info.get("functions", [])) or "none"
        report.error = {"kind": "not_found", "message": f"the file defines none of the {proto.name} functions with "
                        f"their signatures ({', '.join(proto.functions)}); found: {found}"}
        return report
    report.verdict = "fail" if any(c.status == "fail" for c in report.checks) else "pass"
    return report


def _notes(report: GradeReport, plan: P.Plan, info: dict):
    if plan.step == "functions":
        report.notes.append("clip and update are not part of the function protocol: not checked")
        if info.get("zero_h0"):
            report.notes.append("--zero-h0: probed with h0 = 0, so the use of h0 is not checked")
    elif plan.step == "loss":
        if not plan.has_clip:
            report.notes.append("clip not checked: the class has no clip(value) method")
        if not plan.has_update:
            report.notes.append("update not checked: the class has no update(learn_rate) method "
                                "(update, optimize or step)")
        elif info.get("update_skipped"):
            report.notes.append(f"update not checked: {info['update_skipped']}")
