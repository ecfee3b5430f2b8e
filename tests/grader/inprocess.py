"""Grade one of our own example files in this process (no child): the protocol engine's child side and
parent side run as the child and grade() would run them. Only for trusted files (the examples), and only
where many seeds (or many files) make the per-grade process start the main cost. The child path itself is
covered by the one-grade-per-example tests."""
import contextlib
import importlib.util
import os
import sys
import types

from rnn_parity.grader.judging import checks as C
from rnn_parity.grader.judging.judge import judge
from rnn_parity.grader.intake.loading import _read, prepare
from rnn_parity.grader.protocols import Probe, Progress
from rnn_parity.grader.protocols.registry import choose, registered
from rnn_parity.grader.protocols.supplied import supply_missing


@contextlib.contextmanager
def _isolated_imports():
    path, modules = list(sys.path), set(sys.modules)
    try:
        yield
    finally:
        sys.path[:] = path
        for name in set(sys.modules) - modules:  # rnn_utils, utils: never leak into other tests
            del sys.modules[name]


def load(path):
    """(protocol, module) for an example file."""
    with _isolated_imports():
        sys.path.insert(0, os.path.dirname(path))
        supply_missing(str(path))
        spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return registered()[choose(module, None, "auto")["protocol"]], module


def checks(proto, module, seed: int) -> list:
    probe = Probe(module, module.__file__, Progress(os.devnull))
    plan = proto.plan(seed)
    proto.probe(probe, plan)
    results, _ = judge(proto, plan, probe.info, probe.obs, diagnose_mistakes=False)
    return results


def grade_in_process(path, seed: int = 0, protocol: str = "auto", diagnose: bool = False):
    """(protocol name, check results, info[, findings]) of a registered protocol on an example file loaded as
    the child loads it (Python 2 conversion, definitions only), under probe seed `seed`; with diagnose=True
    also the diagnosis findings."""
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
