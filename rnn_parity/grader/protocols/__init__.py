"""The student APIs the grader knows ("protocols"), and the engine new ones plug into.

Modules:
    student.py    loading and calling student code: GradeError, Progress, call_student, import_student, coercion
    discover.py   today's class / function protocols: which one a module follows
    classes.py    ClassDriver (seed-style classes)         functions.py  FunctionsDriver (forward/backward)
    engine.py     Protocol, Probe, CheckSpec, Recognition: the interface below
    registry.py   MODULES (the registered protocol modules), choose(): which protocol grades a module
    supplied/     helper modules a course file imports but did not hand in (rnn_utils, utils), our own math
    cs231n.py, dlai.py, ...  one module per registered protocol

Writing a protocol (one module, <= 400 lines; add its name to registry.MODULES):

    class MyProtocol(engine.Protocol):
        name = "mine"; title = "what the file is"
        phrasing = {"whh_not_transposed_backward": ("dprev_h = dtanh @ Wh", "dprev_h = dtanh @ Wh.T"), ...}

        # ---- child side: runs next to the student's code. NumPy and this package only; NEVER import
        # rnn_parity.reference (the answer key) at module level or in these methods.
        def recognise(self, module) -> Recognition:   # score > 0 when it fits; the best score wins in "auto"
        def plan(self, seed) -> dict:                  # the probe inputs, a pure function of the seed
        def probe(self, probe: Probe, plan) -> None:   # call the functions, record what they return:
            with probe.function("rnn_step_forward", "rnn_step_backward"):   # one block per dependent chain
                next_h, cache = probe.unpack(probe.call("rnn_step_forward", x, ...), 2, "rnn_step_forward")
                probe.record("step:next_h", next_h, "next_h of rnn_step_forward")
                ...
            # an exception (or an unusable return value: probe.fail/unpack/record) inside the block is
            # charged to the function being called (info["crashed"]), the block's later functions are
            # "not run", and the next block still runs. probe.info (JSON-able) carries what was found
            # (layout, functions present, notes) to the parent; it must set info["functions"].

        # ---- parent side: runs in the grader. May import rnn_parity.reference, lazily inside the methods.
        def checks(self, plan, info) -> [CheckSpec(name, function, keys, what)]   # report order
        def expected(self, plan, info) -> {key: array}  # the right value of every key, computed through
            # rnn_parity.reference's modules at call time (ref_model.forward, ref_clip.clip_value, ...) so
            # that the mutants of rnn_parity.mutants apply, and the diagnosis can replay each mistake.

What the engine does with it (rnn_parity.grader.judge, generic for every protocol):
    - check names are the student's own names without the d: forward, grad:x, grad:h0, grad:Wx,
      step:forward, step:grad:prev_h, clip, update;
    - shape before values: a key whose shape differs from the expected one fails its check, values aside;
    - a function that crashed (info["crashed"]) fails its checks with the exception and the student's
      line; a function not run fails with the reason; the other functions are still graded;
    - the diagnosis replays `expected` under each mutant of rnn_parity.mutants.CATALOG and names the ones
      that reproduce the failing checks, phrased with `phrasing` when the protocol has an entry;
    - only a file that cannot be loaded at all is "could not grade" (exit 2).
"""
from __future__ import annotations

from .classes import CLIP_METHODS, UPDATE_METHODS, ClassDriver
from .discover import discover
from .engine import CheckSpec, Probe, Protocol, Recognition
from .functions import FunctionsDriver, params_h0
from .student import (GradeError, Progress, as_float_array, call_student, canonical_grad, import_student,
                      looks_like_probs, steps_matrix, student_file_of)

__all__ = ["CLIP_METHODS", "UPDATE_METHODS", "CheckSpec", "ClassDriver", "FunctionsDriver", "GradeError", "Probe",
           "Progress", "Protocol", "Recognition", "as_float_array", "call_student", "canonical_grad", "discover",
           "import_student", "looks_like_probs", "params_h0", "steps_matrix", "student_file_of"]
