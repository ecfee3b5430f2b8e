"""Grading our own example files in this process (no child), for many probe seeds at the cost of one.

Only for the project's own examples: student code is always graded through the child process. The child
path itself is covered by the one-grade-per-example tests.
"""
import os
import types

from rnn_parity.grader import checks as C
from rnn_parity.grader.judge import judge
from rnn_parity.grader.loading import _read, prepare
from rnn_parity.grader.protocols import Probe, Progress
from rnn_parity.grader.protocols.registry import choose, registered


def grade_in_process(path, seed: int = 0, protocol: str = "auto", diagnose: bool = False):
    """(protocol name, check results, info[, findings]) of a registered protocol on an example file, under
    probe seed `seed`; with diagnose=True also the diagnosis findings."""
    path = str(path)
    pieces, _, _ = prepare(_read(path), path)
    module = types.ModuleType("example_" + os.path.basename(path).replace(".", "_"))
    module.__file__ = path
    for _, code in pieces:
        exec(code, module.__dict__)
    name = choose(module, None, protocol)["protocol"]
    proto = registered()[name]
    probe = Probe(module, path, Progress(os.devnull))
    proto.probe(probe, proto.plan(seed))
    results, findings = judge(proto, proto.plan(seed), probe.info, probe.obs, C.TOLERANCE, diagnose_mistakes=diagnose)
    return (name, results, probe.info, findings) if diagnose else (name, results, probe.info)
