"""The student APIs the grader knows ("protocols"), and the engine new ones plug into.

Modules:
    student.py    loading and calling student code: GradeError, Progress, call_student, import_student, coercion
    discover.py   today's class / function protocols: which one a module follows
    classes.py    ClassDriver (seed-style classes)         functions.py  FunctionsDriver (forward/backward)
    engine.py     Protocol, Probe, CheckSpec, Recognition: the interface below
    registry.py   MODULES (the registered protocol modules), choose(): which protocol grades a module
    supplied/     helper modules a course file imports but did not hand in (rnn_utils, utils), our own math
    cs231n.py, dlai.py, ...  one module per registered protocol
    gated.py      what the gated-cell protocols share (dlfs2's LSTM/GRU layers: dlfs2_gated.py; karpathy.py; cmu.py):
                  the own-gradient check (judging/own_gradient.py) and reading a GRU's convention from its forward (settle)
    gated_mistakes.py  the LSTM/GRU mistake catalogue (mutants of rnn_parity/grader/judging/conventions.py, the answer key)

Writing a protocol (one module, <= 400 lines; add its name to registry.MODULES):

    class MyProtocol(engine.Protocol):
        name = "mine"                 # = the module's name; what --protocol NAME forces
        title = "what the file is"    # shown in the report
        functions = ("rnn_step_forward", ...)   # what it grades, named when a forced file has none
        phrasing = {"whh_not_transposed_backward": ("dprev_h = dtanh @ Wh", "dprev_h = dtanh @ Wh.T"), ...}
        scopes = [("step:", "seq:"), ("seq:",), ("step:",)]   # optional: see "diagnosis" below

        # ---- child side: runs next to the student's code. NumPy and this package only; NEVER import
        # rnn_parity.reference (the answer key) at module level or in these methods.
        def recognise(self, module) -> Recognition:   # score > 0 when it fits; the best score wins in "auto"
        def plan(self, seed) -> dict:                  # the probe inputs, a pure function of the seed
        def probe(self, probe: Probe, plan) -> None:   # call the functions, record what they return:
            with probe.function("rnn_step_forward", "rnn_step_backward"):   # one block per dependent chain
                next_h, cache = probe.unpack(probe.call("rnn_step_forward", x, ...), 2, "rnn_step_forward")
                probe.record("step:next_h", next_h, "next_h of rnn_step_forward")
                ...
            # methods and constructors: probe.call_as("RNN.backward", obj.backward, dh) (charged to that name)
            # an exception (or an unusable return value: probe.fail/unpack/record) inside the block is
            # charged to the function being called (info["crashed"]), the block's later functions are
            # "not run", and the next block still runs. probe.info (JSON-able) carries what was found
            # (layout, functions present, notes) to the parent; it must set info["functions"].
            # info["explained"] = {fn: why}: fn's failures have a known cause the code shows (optimize calls a
            # clip that clips nothing): its checks say why, and the catalogue is not searched for them.
            # A recorded None (a template's `= None` placeholder) fails the function, saying so.

        # ---- parent side: runs in the grader. May import rnn_parity.reference, lazily inside the methods.
        def checks(self, plan, info) -> [CheckSpec(name, function, keys, what)]   # report order
        def settle(self, plan, info, student) -> [note]   # optional: what the answer key depends on, read from the
            # student's forward (a GRU's convention) into info, before checks()/expected(); the notes go in the report
        mutants = (Mutant, ...)   # optional: more mistakes to diagnose (one of an id rnn_parity.mutants also has replaces it)
        # CheckSpec(..., against="own:", tol=...): compare with the student's OWN observations under that prefix
        # (the finite differences of the student's forward), never diagnosed
        def expected_parts(self, plan, info) -> [callable() -> {key: array}]   # one per function group:
            # the right value of every key, computed through rnn_parity.grader.judging.answers (or the reference's
            # modules, looked up at call time) so that the mutants of rnn_parity.mutants apply and the
            # diagnosis can replay each mistake. A part that raises under a mutant only drops its own keys.
            # (Overriding expected(self, plan, info) -> {key: array} instead works too, all or nothing.)

What the engine does with it (rnn_parity.grader.judging.judge, generic for every protocol):
    - check names are the student's own names without the d: forward, grad:x, grad:h0, grad:Wx,
      step:forward, step:grad:prev_h, clip, update;
    - shape before values: a key whose shape differs from the expected one fails its check, values aside;
    - a function that crashed (info["crashed"]), or ran past engine.CALL_LIMIT_S (5 s), fails its checks
      with the exception and the student's line; a function not run fails with the reason; the other
      functions are still graded;
    - the diagnosis replays the expected values under each mutant of rnn_parity.mutants.CATALOG and names
      the ones that reproduce the failing checks, phrased with `phrasing` when the protocol has an entry.
      With `scopes`, each mutant is also tried on only the keys starting with one of a scope's prefixes
      (a mistake in rnn_backward's loop leaves a correct rnn_step_backward correct);
    - only a file that cannot be loaded at all is "could not grade" (exit 2).

Optional hooks (see cs231n.py / cs231n_lstm.py for a protocol that uses them all):
    mutants = (...)        # the protocol's own Mutants (lstm_mistakes.MUTANTS), tried after the catalogue's
    def refine(self, results, specs, plan, info, student, expected, tol) -> {function: why}
                           # failures with a known cause (sizes.hardcoded: works only at the notebook's sizes)
    CheckSpec(..., axes=("D (input)", "4H: gate blocks"))   # the picture's row and column names
    grader.judging.own_gradient.record(probe, backward, run_forward, inputs, upstream, grads)   # in probe(): the
                           # backward against finite differences of the file's own forward (report line)
    check names "lstm:..." / "gru:..." make a part of the file (grader.parts): one verdict per part.
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
