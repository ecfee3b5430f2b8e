"""The child process: imports the student's file, runs the probe plan on it, writes NumPy arrays back.

    python -m rnn_parity.grader.isolation.child WORKDIR

WORKDIR/job.json says what to grade; the child writes WORKDIR/result.json (what it found, what went
wrong) and WORKDIR/observations.npz (the implementation's outputs and gradients, plain float arrays),
and WORKDIR/progress.txt (the step under way, read by the grader when a time limit strikes).
Nothing the student's code builds leaves this process except as float arrays.
"""
from __future__ import annotations

import io
import json
import os
import sys


class CappedStream(io.TextIOBase):
    """A text stream that keeps the first `cap` characters and counts (then drops) the rest."""

    def __init__(self, cap: int):
        self.cap = cap
        self.kept: list[str] = []
        self.size = 0
        self.total = 0

    def writable(self):
        return True

    def write(self, s):
        s = str(s)
        self.total += len(s)
        if self.size < self.cap:
            piece = s[: self.cap - self.size]
            self.kept.append(piece)
            self.size += len(piece)
        return len(s)

    def flush(self):
        pass

    def text(self) -> str:
        return "".join(self.kept)


def main(workdir: str) -> int:
    with open(os.path.join(workdir, "job.json")) as f:
        job = json.load(f)
    out_cap = int(job.get("output_cap", 65536))
    real_stdout = sys.stdout
    captured = CappedStream(out_cap)
    sys.stdout = sys.stderr = captured  # the student's prints; fd-level writes are capped by the grader

    result = {"error": None, "info": {}, "notes": []}
    # Load everything the child itself needs before the student's code can touch NumPy or the import system.
    # The import guard below refuses every rnn_parity import, the child's own lazy ones too; modules
    # already in sys.modules are not imported again, so every child-side module is loaded here.
    from ..intake import definitions, loading, py2  # noqa: F401
    from ..judging import plan  # noqa: F401
    from .. import protocols  # noqa: F401
    from ..protocols import registry, supplied  # noqa: F401

    registry.registered()  # the protocol modules, which the registry imports by name
    from .guard import ImportGuard, why

    obs = Snapshots()
    if job.get("landlock"):  # no bubblewrap: the strongest confinement left
        from .landlock import confine

        result["info"]["confinement"] = confine([workdir, job["scratch"]])
    guard = ImportGuard.install(job.get("inert", ()))
    try:
        run(job, workdir, result, obs)
    except BaseException as e:  # noqa: BLE001 - report everything, hang on nothing
        from ..protocols import GradeError

        if isinstance(e, GradeError):
            result["error"] = {"kind": e.kind, "message": e.message}
        else:
            result["error"] = {"kind": "crash", "message": f"grader child failed: {type(e).__name__}: {e}"}
    error = result["error"]
    caused = [m for m in guard.refused if error and why(m) in error["message"]]
    if caused:  # the import hook said no: the verdict names that, not the ImportError it raised
        result["error"] = {"kind": "forbidden_import", "message": why(caused[0])}
    elif guard.refused:  # asked for and refused, but the file carried on without it
        result["notes"].append(f"the submission tried to import {', '.join(guard.refused)}: refused")
    result["output"] = {"chars": captured.total, "head": captured.text()[:2000]}
    obs.write(workdir, result)
    real_stdout.flush()
    os._exit(0)  # never wait for threads or atexit handlers the student's code may have left behind


class Snapshots(dict):
    """The observations, copied into plain float64 arrays the moment the driver records them, with NumPy
    functions taken before the student's module loaded: an array the student keeps and changes later, or
    a NumPy function it replaces, does not change what was recorded. (In-process, this raises the bar; it
    is not a proof: the parent trusts only float arrays and computes every expected value itself.)"""

    def __init__(self):
        import numpy as np

        super().__init__()
        self._array, self._float64, self._savez = np.array, np.float64, np.savez

    def __setitem__(self, key, value):
        try:
            value = self._array(value, dtype=self._float64, copy=True)
        except (TypeError, ValueError):
            return  # not numeric: left out, so its check fails as missing
        super().__setitem__(key, value)

    def write(self, workdir: str, result: dict):
        write_results(workdir, result, dict(self), savez=self._savez)


def write_results(workdir: str, result: dict, obs: dict, savez=None):
    import numpy as np

    arrays = {}
    for k, v in obs.items():
        try:
            arrays[k] = np.asarray(v, dtype=np.float64)
        except (TypeError, ValueError):
            continue
    tmp = os.path.join(workdir, "observations.tmp.npz")
    (savez or np.savez)(tmp, **arrays)
    os.replace(tmp, os.path.join(workdir, "observations.npz"))
    with open(os.path.join(workdir, "result.json.tmp"), "w") as f:
        json.dump(result, f)
    os.replace(os.path.join(workdir, "result.json.tmp"), os.path.join(workdir, "result.json"))


def run(job: dict, workdir: str, result: dict, obs: dict):
    import numpy as np

    from ..judging import plan as P
    from ..intake.loading import load_student
    from ..protocols import ClassDriver, FunctionsDriver, GradeError, Progress
    from ..protocols.registry import choose, registered
    from ..protocols.supplied import supply_missing

    np.seterr(all="ignore")
    progress = Progress(os.path.join(workdir, "progress.txt"))
    path = os.path.abspath(job["impl"])
    sys.path.insert(0, os.path.dirname(path))  # the student's own sibling modules
    if job.get("cwd") and os.path.abspath(job["cwd"]) != os.path.dirname(path):
        sys.path.insert(1, os.path.abspath(job["cwd"]))  # a notebook's folder (its file is generated elsewhere)
    result["notes"] += supply_missing(path)  # a course's helper module (rnn_utils, utils) the file imports
    module, notes = load_student(path, progress)
    result["notes"] += notes
    path = getattr(module, "__file__", path) or path
    progress.set("looking for a class or functions")
    found = choose(module, job.get("class"), job.get("protocol", "auto"))
    info = result["info"]
    info.update(found)
    seed = int(job.get("seed", 0))

    protos = registered()
    if found["protocol"] in protos:  # the protocol engine: see rnn_parity.grader.protocols
        run_registered(protos[found["protocol"]], module, path, progress, seed, result, obs)
        return
    if found["protocol"] == "functions":
        driver = FunctionsDriver(module, path, progress)
        plan = P.build(seed, "functions", "functions", False, zero_h0=bool(job.get("zero_h0")))
        info["zero_h0"] = bool(job.get("zero_h0"))
        info.update(driver.detect(plan.params, plan.h0))
    else:
        driver = ClassDriver(module, found["class"], path, progress)
        info.update(driver.detect())
        params0 = P.make_params(P.plan_rng(seed))
        info.update(driver.detect_mode(params0))
        plan = P.build(seed, "class", driver.step, info["many_to_one"],
                       has_clip=bool(info.get("clip_method")), has_update=bool(info.get("update_method")))
    probs = info.get("output_kind") == "probs"
    info["calls"] = len(plan.calls)
    done = 0
    for call in plan.calls:
        if call.tag == "update" and plan.step == "loss" and driver.update_disabled:
            continue
        try:
            driver.run(call, plan, obs, probs)
        except GradeError as e:
            if call.tag == "update" and plan.step == "loss" and call.reset:
                # An optional update method that does not take a learning rate: leave the check out.
                driver.update_disabled = e.message
                info["update_skipped"] = e.message
                for k in [k for k in obs if k.startswith(f"{call.index}:")]:
                    del obs[k]
                continue
            info["calls_done"] = done
            raise
        done += 1
    info["calls_done"] = done
    progress.set("done")


def run_registered(proto, module, path: str, progress, seed: int, result: dict, obs: dict):
    """One registered protocol: its probe calls the functions; crashes stay inside the function's checks."""
    from ..protocols import Probe

    probe = Probe(module, path, progress)
    result["info"]["step"] = proto.name  # before the probe: a protocol that refuses the file still names itself
    result["info"]["title"] = proto.title
    proto.probe(probe, proto.plan(seed))
    notes = probe.info.pop("notes", [])
    result["info"].update(probe.info)
    result["notes"] += notes
    obs.update(probe.obs)
    progress.set("done")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
