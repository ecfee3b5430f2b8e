"""The checks: the implementation's observations against the reference replay's, with localization."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ...reference import clip as ref_clip
from . import plan as P

# An implementation passes a check when its relative error (Frobenius norm of the difference over the
# norm of the reference's value) stays at or below this. Correct float64 code lands near 1e-15;
# the catalogued mistakes land above 1e-3.
TOLERANCE = 1e-6
NOMINAL_CLIP = 1.0  # the seeds' element-wise bound, assumed where none can be detected


@dataclass
class CheckResult:
    name: str
    status: str  # "pass" | "fail"
    rel_error: float | None  # None when it cannot be computed (wrong shape, NaN)
    detail: str = ""
    departs_at: int | None = None  # earliest time step at which the result departs, where localized
    group: str = ""  # forward | hidden | grad:<canonical> | clip | update

    def to_json(self) -> dict:
        out = {"name": self.name, "status": self.status, "rel_error": _finite_or_none(self.rel_error)}
        if self.detail:
            out["detail"] = self.detail
        if self.departs_at is not None:
            out["departs_at_step"] = self.departs_at
        return out


def _finite_or_none(x):
    if x is None or not np.isfinite(x):
        return None
    return float(x)


def _norm(a: np.ndarray) -> float:
    """np.linalg.norm of a real array, computed as it computes it (sqrt of the flat dot product), without its
    per-call overhead: the diagnosis measures tens of thousands of small arrays per grade."""
    flat = a.ravel()
    return math.sqrt(float(flat.dot(flat)))


def rel_error(s: np.ndarray, e: np.ndarray, floor: float = 0.0) -> float:
    """||s - e|| / max(||e||, floor); inf for a shape mismatch or non-finite values."""
    s, e = np.asarray(s, dtype=np.float64), np.asarray(e, dtype=np.float64)
    if s.shape != e.shape or not np.isfinite(s).all():
        return float("inf")
    diff = _norm(s - e)
    den = max(_norm(e), floor)
    if den == 0.0:
        return 0.0 if diff == 0.0 else float("inf")
    return diff / den


def group_error(student: dict, expected: dict, keys: list) -> float:
    """The worst relative error over the keys, each measured against a floor of 1e-3 of the largest."""
    present = [k for k in keys if k in student and k in expected]
    if not present:
        return float("nan")
    scale = max(_norm(np.asarray(expected[k], dtype=np.float64)) for k in present)
    floor = max(1e-3 * scale, 1e-300)
    return max(rel_error(student[k], expected[k], floor) for k in present)


@dataclass
class Groups:
    """Which observation keys make up each check (same keys on both sides)."""

    keys: dict = field(default_factory=dict)  # group -> [keys]

    def add(self, group: str, key: str):
        self.keys.setdefault(group, []).append(key)


def groups_for(plan: P.Plan, student: dict, skip_update: bool = False) -> Groups:
    g = Groups()
    for call in plan.calls:
        if call.tag in ("grad", "prefix"):
            g.add("forward", call.key("out"))
            if plan.many_to_one:
                g.add("hidden", call.key("h"))
            for c in P.CANONICAL:
                g.add("grad:" + c, call.key("grad:" + c))
        elif call.tag == "hidden":
            g.add("hidden", call.key("out"))
        elif call.tag in ("clip_small", "clip_big"):
            for c in P.CANONICAL:
                g.add("clip", call.key("grad:" + c))
        elif call.tag == "clip":
            for c in P.CANONICAL:
                g.add("clip", call.key("grad:" + c))
                g.add("clip", call.key("clipped:" + c))
        elif call.tag == "update" and not skip_update:
            for c in P.CANONICAL:
                g.add("update", call.key("param:" + c))
    # keep only what the implementation produced (it may have stopped early)
    g.keys = {k: [key for key in v if key in student] for k, v in g.keys.items()}
    g.keys = {k: v for k, v in g.keys.items() if v}
    return g


def hidden_view(plan: P.Plan, obs: dict, probs: bool) -> dict:
    """The identity-head outputs turned into hidden states, so both sides compare states, not logits."""
    out = dict(obs)
    for call in plan.calls:
        k = call.key("out")
        if call.tag == "hidden" and k in obs:
            out[k] = P.hidden_from_identity_outputs(obs[k], probs)
    return out


def _calls(plan: P.Plan, tag: str) -> list:
    return [c for c in plan.calls if c.tag == tag]


def _last_step(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    return a[-1] if a.ndim == 2 else a


def first_prefix_departure(plan, student, expected, what: str, tol: float, last_row: bool = False):
    """The smallest prefix length L whose result departs, as the step index L - 1; None if none does."""
    for call in _calls(plan, "prefix"):
        k = call.key(what)
        if k not in student or k not in expected:
            return None
        s, e = student[k], expected[k]
        if last_row:
            s, e = _last_step(s), _last_step(e)
        scale = max(float(np.linalg.norm(expected[c.key(what)])) for c in _calls(plan, "prefix")
                    if c.key(what) in expected)
        if rel_error(s, e, max(1e-3 * scale, 1e-300)) > tol:
            return call.T - 1
    return None


def signal_departure(plan, student, expected, tol: float):
    """Where the backpropagated signal da_t first departs, walking back from the last step.

    Within the longest prefix the tokens are distinct, so column token_t of the input-weight gradient
    is exactly da_t, the gradient on step t's pre-activation. Returns (t, T) or None.
    """
    calls = _calls(plan, "prefix")
    if not calls:
        return None
    call = calls[-1]
    k = call.key("grad:Wxh")
    if k not in student or k not in expected or np.shape(student[k]) != np.shape(expected[k]):
        return None
    s, e = np.asarray(student[k]), np.asarray(expected[k])
    cols = [int(t) for t in call.tokens]
    scale = max(float(np.linalg.norm(e[:, c])) for c in cols)
    for t in reversed(range(call.T)):
        if rel_error(s[:, cols[t]], e[:, cols[t]], max(1e-9 * scale, 1e-300)) > tol:
            return t, call.T
    return None


def detect_backprop_clip(plan: P.Plan, student: dict, tol: float):
    """How backprop(d_y, lr) clips, from the two clipping probes; returns (clip, rel_error, detail)."""
    small = next((c for c in plan.calls if c.tag == "clip_small"), None)
    big = next((c for c in plan.calls if c.tag == "clip_big"), None)
    if small is None or big is None or any(big.key("grad:" + c) not in student for c in P.CANONICAL):
        return None, None, "not reached"
    try:
        gu = {c: np.asarray(student[small.key("grad:" + c)]) * (P.CLIP_BIG_SCALE / P.CLIP_SMALL_SCALE)
              for c in P.CANONICAL}
        gs = {c: np.asarray(student[big.key("grad:" + c)]) for c in P.CANONICAL}
        vu = np.concatenate([gu[c].ravel() for c in P.CANONICAL])
        vs = np.concatenate([gs[c].ravel() for c in P.CANONICAL])
    except ValueError:
        return None, float("inf"), "the weights changed shape"
    if vu.shape != vs.shape or not np.all(np.isfinite(vs)):
        return None, float("inf"), "the update under large gradients is not finite"
    c = float(np.max(np.abs(vs)))
    err_value = rel_error(vs, np.clip(vu, -c, c))
    if err_value <= tol and np.max(np.abs(vu)) > c * (1 + 1e-6):
        return ("value", c), err_value, f"element-wise clipping at +-{c:.6g}"
    s = float(vs @ vu / (vu @ vu)) if vu @ vu > 0 else 0.0
    err_norm = rel_error(vs, s * vu)
    if err_norm <= tol and 0 < s < 1 - 1e-6:  # s = 0: an update that changes nothing is not clipping
        max_norm = s * (float(np.linalg.norm(vu)) + 1e-6)
        return ("norm", max_norm), err_norm, f"global-norm clipping at {max_norm:.6g}"
    nominal = rel_error(vs, np.clip(vu, -NOMINAL_CLIP, NOMINAL_CLIP))
    if rel_error(vs, vu) <= tol:
        return None, nominal, (f"no clipping: with gradients up to {np.max(np.abs(vu)):.3g} the update used them "
                               "unclipped")
    return None, nominal, ("under large gradients the update matches neither element-wise nor global-norm "
                           "clipping of the implementation's own gradient")


def loss_clip_check(plan: P.Plan, student: dict, tol: float):
    call = next((c for c in plan.calls if c.tag == "clip"), None)
    if call is None or any(call.key("clipped:" + c) not in student for c in P.CANONICAL):
        return None, None, "not reached"
    gu = {c: np.asarray(student[call.key("grad:" + c)]) for c in P.CANONICAL}
    gc = np.concatenate([np.asarray(student[call.key("clipped:" + c)]).ravel() for c in P.CANONICAL])
    try:
        by_value = np.concatenate([ref_clip.clip_value(gu, call.clip)[c].ravel() for c in P.CANONICAL])
        by_norm = np.concatenate([ref_clip.clip_norm(gu, call.clip)[0][c].ravel() for c in P.CANONICAL])
    except ValueError:
        return None, float("inf"), "the gradients have the wrong shape"
    ev, en = rel_error(gc, by_value), rel_error(gc, by_norm)
    if ev <= tol:
        return ("value", call.clip), ev, f"element-wise clipping at +-{call.clip:g}"
    if en <= tol:
        return ("norm", call.clip), en, f"global-norm clipping at {call.clip:g}"
    return None, ev, f"clip({call.clip:g}) matches neither element-wise nor global-norm clipping"


def run_checks(plan: P.Plan, info: dict, student: dict, expected: dict, clip_found, clip_err, clip_detail,
               tol: float = TOLERANCE) -> tuple[list, dict | None]:
    """The check results, in the contract's order, and the backpropagated-signal localization."""
    naming = info.get("naming") or {c: c for c in P.CANONICAL}
    groups = groups_for(plan, student, bool(info.get("update_skipped")))
    results: list[CheckResult] = []

    def add(group, name, detail="", departs=None, err=None):
        if err is None:
            err = group_error(student, expected, groups.keys.get(group, []))
        if err != err:  # nan: nothing to compare
            return
        status = "pass" if err <= tol else "fail"
        results.append(CheckResult(name, status, err, detail if status == "fail" or group in ("clip",) else "",
                                   departs if status == "fail" else None, group))

    if "forward" in groups.keys:
        dep = first_prefix_departure(plan, student, expected, "out", tol, last_row=not plan.many_to_one)
        kind = "probabilities" if info.get("output_kind") == "probs" else "logits"
        add("forward", "forward", f"outputs ({kind}) depart from the reference" +
            (f" from step t={dep} on" if dep is not None else ""), dep)
    if "hidden" in groups.keys:
        dep = None
        long_call = [c for c in plan.calls if c.tag == "hidden"]
        if long_call:
            k = long_call[-1].key("out")
            if k in student and k in expected and np.shape(student[k]) == np.shape(expected[k]):
                s, e = np.atleast_2d(student[k]), np.atleast_2d(expected[k])
                for t in range(s.shape[0]):
                    if rel_error(s[t], e[t], 1e-3 * float(np.linalg.norm(e))) > tol:
                        dep = t
                        break
        if dep is None and plan.many_to_one:
            dep = first_prefix_departure(plan, student, expected, "h", tol)
        add("hidden", "hidden", "the hidden states depart from the reference" +
            (f" from step t={dep} on" if dep is not None else ""), dep)
    for c in P.CANONICAL:
        group = "grad:" + c
        if group not in groups.keys:
            continue
        bad_shape = next((k for k in groups.keys[group] if np.shape(student[k]) != np.shape(expected.get(k))), None)
        if bad_shape:
            results.append(CheckResult("grad:" + naming[c], "fail", None,
                                       f"shape {np.shape(student[bad_shape])}, expected "
                                       f"{np.shape(expected[bad_shape])}", None, group))
            continue
        dep = first_prefix_departure(plan, student, expected, group, tol)
        detail = ("wrong" + (f" from sequences of length {dep + 1} on (first departs at step t={dep})"
                             if dep is not None else " on the gradient probes"))
        add(group, "grad:" + naming[c], detail, dep)
    if plan.step == "backprop" or (plan.step == "loss" and plan.has_clip):
        if clip_err is not None:
            status = "pass" if clip_found is not None and clip_err <= tol else "fail"
            results.append(CheckResult("clip", status, clip_err, clip_detail, None, "clip"))
    if "update" in groups.keys:
        dep, worst = None, 0.0
        for k_step, call in enumerate(c for c in plan.calls if c.tag == "update"):
            keys = [call.key("param:" + c) for c in P.CANONICAL]
            if any(k not in student for k in keys):
                break
            try:
                s = np.concatenate([(np.asarray(student[k]) - plan.params[c]).ravel() for k, c in zip(keys, P.CANONICAL)])
                e = np.concatenate([(np.asarray(expected[k]) - plan.params[c]).ravel() for k, c in zip(keys, P.CANONICAL)])
                err = rel_error(s, e)
            except ValueError:
                err = float("inf")
            worst = max(worst, err)
            if err > tol and dep is None:
                dep = k_step + 1
        status = "pass" if worst <= tol else "fail"
        results.append(CheckResult("update", status, worst,
                                   f"the weights depart from the reference's after learning step {dep}"
                                   if dep else "", None, "update"))

    signal = None
    failed = {r.group for r in results if r.status == "fail"}
    if "grad:Wxh" in failed and "forward" not in failed and "hidden" not in failed:
        found = signal_departure(plan, student, expected, tol)
        if found:
            t, T = found
            signal = {"departs_at_step": t, "steps_back": T - 1 - t, "sequence_length": T}
    return results, signal


def evidence(plan: P.Plan, student: dict, expected: dict, results: list, tol: float = TOLERANCE) -> dict:
    """The arrays and per-step errors behind the checks, for pictures (never part of the JSON report).

    gradients: {check name: {"student", "reference", "sequence_length", "rel_error"}} for each failing
        gradient check: the full-sequence probe where it departs most (canonical orientation, biases (n,)).
    per_step: {check name: [relative error of the result for the sequence ending at step t, t = 0, 1, ...]}
        over the localization prefixes, for forward, hidden and every gradient (inf: wrong shape or not finite).
    signal: [relative error of the backpropagated signal da_t at each step t of the longest prefix], or None.
    """
    by_group = {r.group: r for r in results}
    out = {"tolerance": tol, "gradients": {}, "per_step": {}, "signal": None}
    for group, r in by_group.items():
        if not group.startswith("grad:") or r.status != "fail":
            continue
        what = group
        best = None
        for call in plan.calls:
            if call.tag != "grad":
                continue
            k = call.key(what)
            if k not in student or k not in expected:
                continue
            s, e = np.asarray(student[k], dtype=np.float64), np.asarray(expected[k], dtype=np.float64)
            err = rel_error(s, e)
            rank = (err if err == err else float("inf"), call.T)
            if best is None or rank > best[0]:
                best = (rank, s, e, call.T, err)
        if best is not None:
            _, s, e, T, err = best
            out["gradients"][r.name] = {"student": s, "reference": e, "sequence_length": T, "rel_error": err}
    prefixes = _calls(plan, "prefix")
    for group, r in by_group.items():
        if group == "forward":
            series = _prefix_errors(prefixes, student, expected, "out", last_row=not plan.many_to_one)
        elif group == "hidden":
            long_call = [c for c in plan.calls if c.tag == "hidden"]
            if long_call:
                k = long_call[-1].key("out")
                series = []
                if k in student and k in expected and np.shape(student[k]) == np.shape(expected[k]):
                    s, e = np.atleast_2d(student[k]), np.atleast_2d(expected[k])
                    series = [rel_error(s[t], e[t], 1e-3 * float(np.linalg.norm(e))) for t in range(s.shape[0])]
            else:
                series = _prefix_errors(prefixes, student, expected, "h")
        elif group.startswith("grad:"):
            series = _prefix_errors(prefixes, student, expected, group)
        else:
            continue
        if series:
            out["per_step"][r.name] = series
    if prefixes:
        call = prefixes[-1]
        k = call.key("grad:Wxh")
        if k in student and k in expected and np.shape(student[k]) == np.shape(expected[k]):
            s, e = np.asarray(student[k]), np.asarray(expected[k])
            cols = [int(t) for t in call.tokens]
            scale = max(float(np.linalg.norm(e[:, c])) for c in cols)
            out["signal"] = [rel_error(s[:, cols[t]], e[:, cols[t]], max(1e-9 * scale, 1e-300))
                             for t in range(call.T)]
    return out


def _prefix_errors(prefixes: list, student: dict, expected: dict, what: str, last_row: bool = False) -> list:
    """Relative error of each localization prefix's result (the floor first_prefix_departure uses)."""
    present = [c for c in prefixes if c.key(what) in student and c.key(what) in expected]
    if not present:
        return []
    scale = max(float(np.linalg.norm(expected[c.key(what)])) for c in present)
    errs = []
    for call in present:
        s, e = student[call.key(what)], expected[call.key(what)]
        if last_row:
            s, e = _last_step(s), _last_step(e)
        errs.append(rel_error(s, e, max(1e-3 * scale, 1e-300)))
    return errs
