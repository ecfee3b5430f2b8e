"""The function protocol: forward(params, inputs, h0) -> (outputs, cache) and
backward(params, cache, d_outputs) -> grads keyed d<name>, params in one of the seed naming schemes.

Child side: runs next to the student's code, NumPy only.
"""
from __future__ import annotations

import numpy as np

from ..judging import plan as P
from ..judging.schemes import describe, variants
from .student import GradeError, Progress, call_student, canonical_grad, looks_like_probs, signature_ok, \
    signature_text, steps_matrix


class FunctionsDriver:
    def __init__(self, module, student_file: str, progress: Progress):
        self.file, self.progress = student_file, progress
        self.forward_fn, self.backward_fn = module.forward, module.backward
        if not signature_ok(self.forward_fn, 1, 2, 3):
            raise GradeError("signature", f"forward must be forward(params, inputs, h0); found {signature_text(self.forward_fn)}")
        if not signature_ok(self.backward_fn, 1, 2, 3):
            raise GradeError("signature",
                             f"backward must be backward(params, cache, d_outputs); found {signature_text(self.backward_fn)}")
        self.naming = None

    def student_params(self, params: dict) -> dict:
        return {self.naming[c]: (np.array(v).reshape(-1, 1) if c in ("bh", "by") else np.array(v))
                for c, v in params.items()}

    def _forward(self, params: dict, tokens, stage: str, O: int):
        T = len(tokens)
        res = call_student(self.progress, self.file, stage, self.forward_fn, self.student_params(params),
                           P.one_hot_columns(tokens), params_h0(self.h0))
        if not isinstance(res, (tuple, list)) or len(res) != 2:
            raise GradeError("signature", f"{stage}: forward must return (outputs, cache), got {type(res).__name__}"
                             + (f" of length {len(res)}" if isinstance(res, (tuple, list)) else ""))
        outputs, cache = res
        return steps_matrix(outputs, T, O, f"{stage}: outputs"), cache

    def detect(self, plan_params: dict, h0: np.ndarray) -> dict:
        """Find the naming scheme by trial: a KeyError on params means another scheme."""
        self.h0 = h0
        tokens = np.array([3, 1, 4])
        tried = []
        for scheme, naming in variants():
            self.naming = naming
            stage = f"forward(params, inputs, h0) with {scheme} names ({describe(naming)})"
            try:
                out, _ = self._forward(plan_params, tokens, stage, P.O)
            except GradeError as e:
                if e.kind == "exception" and e.message.split(": ", 1)[-1].startswith("KeyError"):
                    tried.append(scheme)
                    continue
                raise
            return {"scheme": scheme, "naming": naming, "output_kind": "probs" if looks_like_probs(out) else "logits",
                    "step": "functions", "many_to_one": False}
        raise GradeError("signature", "forward(params, ...) raised KeyError with every naming scheme "
                         f"({', '.join(dict.fromkeys(tried))}); params use the names Wxh Whh Why bh by, "
                         "Wax Waa Wya ba|b by, or U V W bh by")

    def run(self, call, plan, obs: dict, probs: bool):
        stage = f"call {call.index} ({call.tag}, length {call.T})"
        if call.tag == "hidden":
            params = dict(plan.params, **plan.identity_head)
            out, _ = self._forward(params, call.tokens, stage + ": forward(params, inputs, h0)", P.O_IDENTITY)
            obs[call.key("out")] = out
            return
        out, cache = self._forward(plan.params, call.tokens, stage + ": forward(params, inputs, h0)", P.O)
        obs[call.key("out")] = out
        d_outputs = [row.reshape(-1, 1).copy() for row in call.dy]
        grads = call_student(self.progress, self.file, stage + ": backward(params, cache, d_outputs)",
                             self.backward_fn, self.student_params(plan.params), cache, d_outputs)
        if not isinstance(grads, dict):
            raise GradeError("signature", f"{stage}: backward must return a dict of gradients keyed d<name>, "
                             f"got {type(grads).__name__}")
        for canon, name in self.naming.items():
            if "d" + name not in grads:
                raise GradeError("signature", f"{stage}: backward returned keys {sorted(map(str, grads))}; "
                                 f"missing d{name} (expected {', '.join('d' + n for n in self.naming.values())})")
            obs[call.key("grad:" + canon)] = canonical_grad(grads["d" + name], canon, f"{stage}: d{name}")


def params_h0(h0: np.ndarray) -> np.ndarray:
    return np.array(h0, dtype=np.float64).reshape(-1, 1)
