"""The registered protocols, and how the child chooses one for a student's module.

Child side: NumPy only. To add a protocol, write its module in this package and add its name to MODULES.
"""
from __future__ import annotations

import importlib

from .discover import discover
from .student import GradeError

# Modules of this package, each defining PROTOCOL = <a Protocol instance> whose name is the module's name.
MODULES = ("cs231n", "dlai", "minchar", "seed_styles", "dlfs2", "wildml", "karpathy", "cmu")
LEGACY = ("class", "functions")  # today's two protocols, driven by classes.py and functions.py


def registered() -> dict:
    """name -> Protocol, in MODULES order."""
    out = {}
    for mod in MODULES:
        proto = importlib.import_module(f"{__package__}.{mod}").PROTOCOL
        assert proto.name == mod, f"protocol module {mod} names its protocol {proto.name!r}"
        out[proto.name] = proto
    return out


def names() -> tuple:
    return ("auto",) + LEGACY + MODULES  # without importing them (the CLI's choices)


def choose(module, class_name: str | None, protocol: str) -> dict:
    """{"protocol": name, "class": ..., "recognised": [found names]} for the module.

    protocol: "auto", a legacy name, or a registered name (forced: graded as that protocol even when it
    recognises nothing, so the report names every function it expected).
    """
    protos = registered()
    if protocol in protos:
        rec = protos[protocol].recognise(module)
        return {"protocol": protocol, "class": None, "recognised": rec.found}
    if class_name or protocol in LEGACY:
        return discover(module, class_name, protocol)
    scored = sorted(((p.recognise(module), name) for name, p in protos.items()), key=lambda r: -r[0].score)
    if scored and scored[0][0].score > 0:
        best, name = scored[0]
        ties = [n for r, n in scored[1:] if r.score == best.score]
        if ties:
            raise GradeError("not_found", f"the file fits several protocols ({', '.join([name] + ties)}): "
                             "choose one with --protocol NAME")
        return {"protocol": name, "class": None, "recognised": best.found}
    try:
        return discover(module, class_name, protocol)
    except GradeError as e:
        known = ", ".join(protos)
        raise GradeError(e.kind, f"{e.message}; nor the functions of a known course protocol ({known})") from None
