"""Which protocol a student's module follows: today's class and function protocols (discover), and the
registered protocols of rnn_parity.grader.protocols, recognised by score (recognise).

Child side: runs next to the student's code, NumPy only.
"""
from __future__ import annotations

import inspect
import os
import sys

from .student import GradeError, signature_ok


# What tutorial classes call the two steps of the class protocol, first match wins.
FORWARD_NAMES = ("forward", "forward_propagation", "forward_pass", "feedforward", "feed_forward", "FeedForward",
                 "forwardPropagation", "ForwardPropagation")
BACKPROP_NAMES = ("backprop", "backpropagation", "back_propagation", "backward_propagation", "backward_pass",
                  "BackwardPropagation", "BackPropagation", "backwardPropagation")


def step_methods(cls) -> tuple:
    """(forward name, backprop name or None) of a class-protocol class; None when it has no forward step.
    `backward(d_y, learn_rate)` counts as backprop in a class without loss(): it updates in place."""
    fwd = next((n for n in FORWARD_NAMES if callable(getattr(cls, n, None))), None)
    bp = next((n for n in BACKPROP_NAMES if callable(getattr(cls, n, None))), None)
    if bp is None and not callable(getattr(cls, "loss", None)) and callable(getattr(cls, "backward", None)):
        bp = "backward" if signature_ok(cls.backward, None, None, 0.1) else None
    return fwd, bp


def _own(module, obj) -> bool:
    return getattr(obj, "__module__", None) == module.__name__


def _own_or_sibling(module, obj) -> bool:
    """Defined in the file, or in a file beside it that it imports (main.py's `from rnn import RNN`): the
    student's code either way, never a library's."""
    if _own(module, obj):
        return True
    where = getattr(sys.modules.get(getattr(obj, "__module__", None) or ""), "__file__", None)
    here = getattr(module, "__file__", None)
    return bool(where and here) and os.path.dirname(os.path.abspath(where)) == os.path.dirname(os.path.abspath(here))


def discover(module, class_name: str | None, protocol: str) -> dict:
    """Which protocol the module follows. Returns {"protocol": "class"|"functions", "class": name}."""
    classes = {n: o for n, o in vars(module).items() if inspect.isclass(o) and _own_or_sibling(module, o)}
    def loss_style(o):
        return callable(getattr(o, "loss", None)) and callable(getattr(o, "backward", None))
    candidates = [n for n, o in classes.items() if step_methods(o)[0] and (step_methods(o)[1] or loss_style(o))]
    if any(_own(module, classes[n]) for n in candidates):  # the file's own class wins over an imported one
        candidates = [n for n in candidates if _own(module, classes[n])]
    fwd, bwd = getattr(module, "forward", None), getattr(module, "backward", None)
    has_functions = inspect.isfunction(fwd) and inspect.isfunction(bwd)
    if class_name:
        obj = getattr(module, class_name, None)
        if not inspect.isclass(obj):
            raise GradeError("not_found", f"no class named {class_name!r} in the file "
                             f"(classes found: {', '.join(classes) or 'none'})")
        if class_name not in candidates:
            raise GradeError("not_found", f"class {class_name} needs forward() and either backprop() or "
                             "loss() and backward()")
        return {"protocol": "class", "class": class_name}
    if protocol == "functions" or (protocol == "auto" and has_functions and not candidates):
        if not has_functions:
            raise GradeError("not_found", "no module-level functions forward(params, inputs, h0) and "
                             "backward(params, cache, d_outputs)")
        return {"protocol": "functions", "class": None}
    if protocol == "auto" and has_functions and candidates:
        raise GradeError("not_found", f"the file follows both protocols (functions forward/backward and class "
                         f"{', '.join(candidates)}): choose with --class NAME or --protocol functions")
    if len(candidates) == 1:
        return {"protocol": "class", "class": candidates[0]}
    if len(candidates) > 1:
        raise GradeError("not_found", f"several classes could be the RNN ({', '.join(candidates)}): "
                         "name one with --class NAME")
    found_f = sorted(n for n, o in vars(module).items() if inspect.isfunction(o) and _own(module, o))
    raise GradeError("not_found", "found neither a class with forward() and backprop() (or loss() and "
                     "backward()) nor module-level functions forward() and backward(); classes: "
                     f"{', '.join(classes) or 'none'}; functions: {', '.join(found_f) or 'none'}")
