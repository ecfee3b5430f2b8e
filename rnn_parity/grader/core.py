"""grade(): the grader's front door. Run an implementation in a sandboxed child process, compare with
the reference, name the mistake. A notebook is first converted (grader.intake.notebook) and then graded here.
"""
from __future__ import annotations

import os
import re
import tempfile

from ..errors import RNNParityError
from .judging import checks as C
from .isolation import landlock
from . import parts
from .judging import plan as P
from .judging.diagnosis import diagnose
from .judging.expect import Replay
from .isolation.guard import inert_imports, scan, why
from .isolation.harness import run_child
from .options import GradeOptions
from .protocols import registry
from .protocols.gated import own_gradient_notes
from .reports.report import GradeReport
from .isolation.sandbox import SandboxUnavailable, choose

PROTOCOLS = registry.names()  # auto, class, functions, then the registered protocols (cs231n, dlai, ...)


def grade(impl: str, options: GradeOptions | None = None, **kwargs) -> GradeReport:
    """Grade the RNN implementation in the Python file or Jupyter notebook `impl`; see docs/grading.md.

    Options come as one GradeOptions, or as its fields by keyword (seed=1, timeout=10, sandbox="require",
    ...). A notebook runs its definitions only, or every code cell in order with run_all_cells=True.
    """
    options = (options or GradeOptions()).with_(**kwargs).validate()
    if not os.path.isfile(impl):
        raise RNNParityError(f"no such file: {impl}")
    try:
        kind, why_not = choose(options.sandbox)
    except SandboxUnavailable as e:
        raise RNNParityError(str(e)) from None
    if str(impl).lower().endswith(".ipynb"):
        return _grade_notebook(impl, options, kind, why_not)
    return _grade_file(impl, options, kind, why_not)


def _grade_file(impl: str, options: GradeOptions, kind: str, why_not: str) -> GradeReport:
    tol = C.TOLERANCE if options.tol is None else options.tol
    report = GradeReport(impl=impl, verdict="error", seed=options.seed, sandbox=kind)
    refused, inert = _forbidden(impl)
    if refused:
        report.error = refused
        return report
    child = run_child(impl, options.with_(inert=tuple(inert)), cwd=options.cwd, kind=kind)
    info = child.info
    report.error, report.info, report.notes = child.error, info, list(child.notes)
    report.output_chars, report.seconds = child.output_chars, child.seconds
    if inert:
        report.notes.append(f"{', '.join(inert)}: imported at the top level but used by no function or class: "
                            "given an inert stand-in (calling it fails)")
    confined = info.pop("confinement", None)
    if kind == "none" and options.sandbox != "off":
        if confined is None:  # the child never reported (a time limit, a crash): it confines itself first
            confined = landlock.describe(landlock.abi())
        report.notes.append(f"not sandboxed: {why_not}; " + (f"{confined} confined to the grade" if confined else
                                                             "no Landlock either: containment only"))
    if child.output_chars > 2000:
        report.notes.append(f"the implementation printed {child.output_chars:,} characters (output not shown)")
    if not info.get("step"):
        if report.error is None:
            report.error = {"kind": "crash", "message": "the child process reported nothing"}
        return report
    protos = registry.registered()
    if info.get("protocol") in protos:
        return _grade_registered(report, protos[info["protocol"]], child.obs, options.seed, tol,
                                 options.diagnose_mistakes)

    try:  # the plan comes from the parent's own options; the child only says which protocol it found
        plan = P.build(options.seed, info["protocol"], info["step"], bool(info.get("many_to_one")),
                       has_clip=bool(info.get("clip_method")), has_update=bool(info.get("update_method")),
                       zero_h0=options.zero_h0)
    except (KeyError, TypeError, ValueError) as e:
        report.error = {"kind": "crash", "message": f"the child's report does not describe a gradable protocol ({e})"}
        return report
    try:
        _judge(report, plan, info, child.obs, options, tol)
    except (ValueError, IndexError, TypeError) as e:  # arrays no honest child writes: still a verdict
        report.checks, report.diagnosis, report.signal, report.verdict = [], [], None, "error"
        report.error = {"kind": "crash", "message": "the child's observations do not fit the probes "
                                                    f"({type(e).__name__}: {e})"}
    return report


def _judge(report: GradeReport, plan: P.Plan, info: dict, obs: dict, options: GradeOptions, tol: float):
    """The checks, the verdict and the diagnosis, from the child's observations and the reference's replay."""
    probs = info.get("output_kind") == "probs"
    skip_update = bool(info.get("update_skipped"))
    student = C.hidden_view(plan, obs, probs)

    if plan.step == "backprop":
        clip_found, clip_err, clip_detail = C.detect_backprop_clip(plan, obs, tol)
        replay_clip = clip_found or ("value", C.NOMINAL_CLIP)
    elif plan.step == "loss" and plan.has_clip:
        clip_found, clip_err, clip_detail = C.loss_clip_check(plan, obs, tol)
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
        return
    report.verdict = "fail" if any(c.status == "fail" for c in report.checks) else "pass"
    if report.verdict == "fail" and options.diagnose_mistakes:
        groups = C.groups_for(plan, student, skip_update)
        names = {"grad:" + c: "grad:" + info.get("naming", {}).get(c, c) for c in P.CANONICAL}
        failing = {c.group for c in report.checks if c.status == "fail"}
        report.diagnosis = diagnose(plan, student, groups, reference, probs, replay_clip, skip_update, names, tol,
                                    failing=failing)


def _forbidden(impl: str) -> tuple:
    """(the refusal for a file whose AST imports the answer key or an autodiff library, before it runs, or
    None; the autodiff libraries it imports inertly, see guard.inert_imports)."""
    try:
        with open(impl, encoding="utf-8", errors="replace") as f:
            source = f.read()
    except OSError:
        return None, []
    found, inert = scan(source, impl), inert_imports(source, impl)
    if not found:
        return None, inert
    line, module = found[0]
    more = f" (and {len(found) - 1} more import{'s' if len(found) > 2 else ''})" if len(found) > 1 else ""
    return {"kind": "forbidden_import",
            "message": f"{why(module)} (line {line} of {os.path.basename(impl)}){more}"}, inert


def _grade_registered(report: GradeReport, proto, obs: dict, seed: int, tol: float,
                      diagnose_mistakes: bool) -> GradeReport:
    """A protocol of the engine (rnn_parity.grader.protocols): generic checks and diagnosis (judge)."""
    from .judging.judge import judge

    info = report.info
    plan = proto.plan(seed)
    report.checks, report.diagnosis = judge(proto, plan, info, obs, tol, diagnose_mistakes, report.evidence)
    info["check_functions"] = {spec.name: spec.function for spec in proto.checks(plan, info)}
    report.notes += info.pop("settled", [])  # what the answer key was read to depend on (a GRU's convention)
    report.notes += own_gradient_notes(report.checks)  # which half is wrong: the forward or the backward
    for fn, why in info.get("not_graded", {}).items():
        report.notes.append(f"{fn}: not graded ({why})")
    if report.error:
        return report
    if not report.checks:
        found = ", ".join(info.get("functions", [])) or "none"
        report.error = {"kind": "not_found", "message": f"the file defines none of the {proto.name} functions with "
                        f"their signatures ({', '.join(proto.functions)}); found: {found}"}
        return report
    report.parts = parts.verdicts(report.checks)
    report.verdict = parts.file_verdict(report.checks)
    for part, verdict in report.parts.items():
        if verdict == parts.NOT_WRITTEN:
            report.notes.append(f"the {part.upper()} part is not written yet (its functions are still the "
                                "template's): the file passes only when every part does")
    _own_gradient(report, proto, tol)
    return report


def _own_gradient(report: GradeReport, proto, tol: float):
    """Each backward against finite differences of the student's own forward (grader.judging.own_gradient): one line
    each, in report.own_gradient, saying where the mistake sits."""
    from .judging import own_gradient as OG

    pairs = getattr(proto, "forward_of", {})
    for backward, errors in OG.verdicts(report.info).items():
        forward = pairs.get(backward, backward.replace("backward", "forward"))
        mine = [c for c in report.checks if c.group and _function_of(report, c) == forward]
        theirs = [c for c in report.checks if _function_of(report, c) == backward]
        fwd_ok = all(c.status == "pass" for c in mine) if mine else None
        bwd_ok = all(c.status == "pass" for c in theirs) if theirs else None
        what = "a GRU" if backward.startswith("gru") else "an LSTM" if "lstm" in backward.lower() else "an RNN"
        tol_own = OG.tolerance(report.info, backward)  # float64's, or float32's for a forward that rounds
        report.own_gradient[backward] = {"rel_errors": errors, "consistent": all(e <= tol_own for e in errors.values()),
                                         "sentence": OG.sentence(backward, forward, errors, tol_own, fwd_ok, bwd_ok,
                                                                 what)}


def _function_of(report: GradeReport, check) -> str:
    return report.info.get("check_functions", {}).get(check.name, "")


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


# ----------------------------------------------------------------------------------------------------------
# Notebooks: convert (grader.intake.notebook), grade the generated file from the notebook's folder, map messages back


def _grade_notebook(notebook: str, options: GradeOptions, kind: str, why_not: str) -> GradeReport:
    from .intake.notebook import NotebookError, convert

    with tempfile.TemporaryDirectory(prefix="rnn-parity-nb-") as tmp:
        try:
            conv = convert(notebook, run_all_cells=options.run_all_cells, out_dir=tmp)
        except NotebookError as e:
            return GradeReport(impl=notebook, verdict="error", error={"kind": "notebook", "message": str(e)},
                               seed=options.seed, sandbox=kind)
        folder = os.path.dirname(os.path.abspath(notebook))
        report = _grade_file(conv.path, options.with_(cwd=folder), kind, why_not)
    report.impl = notebook
    report.notes = conv.notes() + report.notes
    report.info["notebook"] = {"mode": conv.mode, "code_cells": conv.code_cells, "kept_cells": conv.kept_cells}
    if report.error:
        report.error = map_error(report.error, conv)
    return report


_LINE_OF = r"line (\d+) of {name}"
_NAME_ERROR = re.compile(r"NameError: name '([A-Za-z_]\w*)' is not defined")


def map_error(error: dict, conv) -> dict:
    """The child's error with lines of the generated file mapped to notebook cells, and a missing global
    explained (definitions mode). conv: a grader.intake.notebook.Converted."""
    from .intake.notebook import ALL_CELLS, DEFINITIONS

    name = re.escape(os.path.basename(conv.path))
    message = re.sub(_LINE_OF.format(name=name), lambda m: conv.where(int(m.group(1))), error["message"])
    nb = os.path.basename(conv.notebook)
    running = "running the notebook's definitions" if conv.mode == DEFINITIONS else "running the notebook's cells"
    message = message.replace("importing the file", running)
    kind = error["kind"]
    if kind == "timeout" and conv.mode == ALL_CELLS:
        message += "; --run-all-cells runs training and plotting cells too: leave it out, or raise --timeout"
    if kind == "exception" and "ModuleNotFoundError" in message:
        message += ("; the notebook imports a module this Python lacks: install it where you grade, or drop the "
                    "import if the implementation does not need it")
    missing = _NAME_ERROR.search(message) if kind == "exception" and conv.mode == DEFINITIONS else None
    if missing:
        var = missing.group(1)
        built = conv.built_by_skipped.get(var)
        at = re.search(r" \((code cell \d+, line \d+.*)\)\s*$", message, re.S)
        used = f" ({at.group(1)})" if at else ""
        if built:
            why_missing = (f"only code cell {built.cell} builds it (line {built.line}: `{_short(built.text, 60)}`), "
                           "and by default only imports, functions, classes and constant assignments run")
        else:
            why_missing = "no cell of the notebook assigns it at the top level"
        message = (f"NameError: the notebook's definitions use the global `{var}`{used}, which is not defined: "
                   f"{why_missing}. Grade with --run-all-cells to run every cell of {nb} in order, or define "
                   f"`{var}` as a constant")
        kind = "missing_global"
    return {**error, "kind": kind, "message": message}


def _short(text: str, n: int) -> str:
    text = text.strip()
    return text if len(text) <= n else text[: n - 3] + "..."
