"""The grade report: a readable table by default, or the contract's JSON."""
from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from .. import parts
from ..judging import plan as P
from ..judging.schemes import describe

EXIT = {"pass": 0, "fail": 1, "error": 2}


@dataclass
class GradeReport:
    impl: str
    verdict: str  # pass | fail | error
    checks: list = field(default_factory=list)  # CheckResult
    diagnosis: list = field(default_factory=list)  # Finding
    error: dict | None = None  # {"kind", "message"}
    info: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    signal: dict | None = None
    output_chars: int = 0
    seed: int = 0
    seconds: float = 0.0
    sandbox: str = "none"  # "bubblewrap" | "none": how the child was isolated (docs/grading.md)
    # The arrays behind the checks, for visual reports (rnn_parity.grader.reports.html_report); never in the JSON.
    # See rnn_parity.grader.judging.checks.evidence.
    evidence: dict = field(default_factory=dict, repr=False, compare=False)
    # backward -> {"rel_errors", "consistent", "sentence"}: each backward against its own forward (own_gradient)
    own_gradient: dict = field(default_factory=dict)
    parts: dict = field(default_factory=dict)  # part -> verdict, for a file with LSTM/GRU parts (grader.parts)

    @property
    def exit_code(self) -> int:
        return EXIT[self.verdict]

    def check(self, name: str):
        return next((c for c in self.checks if c.name == name), None)

    def to_json(self) -> dict:
        out = {
            "verdict": self.verdict,
            "checks": [c.to_json() for c in self.checks],
            "diagnosis": [d.to_json() for d in self.diagnosis],
            "implementation": self.impl,
            "protocol": self.protocol_summary(),
            "seed": self.seed,
            "sandbox": self.sandbox,
        }
        if self.error:
            out["reason"] = self.error
        if self.parts:
            out["parts"] = self.parts
        if self.own_gradient:
            out["own_gradient"] = {fn: {"consistent": v["consistent"], "sentence": v["sentence"],
                                        "rel_errors": {k: _json_float(e) for k, e in v["rel_errors"].items()}}
                                   for fn, v in self.own_gradient.items()}
        if self.signal:
            out["signal"] = self.signal
        if self.notes:
            out["notes"] = self.notes
        return out

    def protocol_summary(self) -> dict:
        i = self.info
        keys = ("protocol", "class", "scheme", "naming", "step", "many_to_one", "output_kind", "bias_shape",
                "clip_method", "update_method", "functions", "layout", "crashed", "not_graded", "conventions")
        return {k: i[k] for k in keys if k in i and i[k] is not None}

    def describe_impl(self) -> str:
        i = self.info
        if not i.get("protocol"):
            return ""
        if i.get("title"):  # a protocol of the engine (rnn_parity.grader.protocols)
            graded = ", ".join(i.get("functions", [])) or "none of its functions"
            layout = f"; {i['layout']} layout" if i.get("layout") else ""
            return f"{i['protocol']} protocol ({i['title']}): {graded}{layout}"
        naming = i.get("naming")
        names = f"{i.get('scheme')} names ({describe(naming)})" if naming else ""
        if i["protocol"] == "functions":
            head = "function protocol: forward(params, inputs, h0), backward(params, cache, d_outputs)"
            shape = "many-to-many"
        else:
            step = "backprop(d_y, learn_rate)" if i.get("step") == "backprop" else "loss(Y) + backward()"
            head = f"class {i.get('class')}: forward(inputs), {step}"
            shape = "" if "many_to_one" not in i else ("many-to-one (y, h)" if i["many_to_one"] else "many-to-many")
        kind = {"probs": "outputs softmax probabilities", "logits": "outputs logits"}.get(i.get("output_kind"), "")
        return ", ".join(x for x in (head, names, shape, kind) if x)

    def to_table(self) -> str:
        lines = [f"rnn-parity grade: {self.impl}"]
        desc = self.describe_impl()
        if desc:
            lines += textwrap.wrap(desc, 100, initial_indent="  ", subsequent_indent="    ")
        if self.info.get("step") and not self.info.get("title"):
            lines.append(f"  probes: sequences of lengths {', '.join(map(str, P.MAIN_LENGTHS))} and prefixes "
                         f"1-{P.LOCALIZE_LENGTH} of one more; D={P.D} H={P.H} O={P.O}; seed {self.seed}")
        if self.checks:
            lines.append("")
            width = max(12, max(len(c.name) for c in self.checks) + 2)
            lines.append(f"  {'check':<{width}}{'result':<8}{'rel. error':<12}detail")
            for c in self.checks:
                err = "-" if c.rel_error is None or c.rel_error != c.rel_error else (
                    "inf" if c.rel_error == float("inf") else f"{c.rel_error:.1e}")
                lines.append(f"  {c.name:<{width}}{c.status.upper():<8}{err:<12}{c.detail}".rstrip())
        if self.signal:
            s = self.signal
            T = s["sequence_length"]
            if s["steps_back"] == 0:
                where = f"already wrong at the last step (t={T - 1}), before any step back"
            else:
                where = (f"right at the last step (t={T - 1}) and departs at t={s['departs_at_step']}, "
                         f"{s['steps_back']} step{'s' if s['steps_back'] != 1 else ''} back")
            lines += ["", f"  backpropagated signal (over a sequence of length {T}): {where}"]
        if self.parts:
            lines += ["", "  parts: " + ", ".join(f"{p.upper()} {v.upper() if v != parts.NOT_WRITTEN else v}"
                                                  for p, v in self.parts.items())]
        if self.own_gradient:
            lines += ["", "  each backward against your own forward (finite differences):"]
            for v in self.own_gradient.values():
                lines += textwrap.wrap(v["sentence"], 96, initial_indent="    ", subsequent_indent="      ")
        if self.error:
            lines += ["", f"  could not grade ({self.error['kind']}): {self.error['message']}"]
        if self.diagnosis:
            lines += ["", "  diagnosis:"]
            for n, f in enumerate(self.diagnosis, 1):
                m = f.mutant
                lines += textwrap.wrap(m.mistake, 96, initial_indent=f"    {n}. ", subsequent_indent="       ")
                lines.append(f"       wrong:   {f.wrong}")
                lines.append(f"       correct: {f.correct}")
                lines += textwrap.wrap(m.explanation, 96, initial_indent="       ", subsequent_indent="       ")
                tail = f"[{m.id}; reproduces {', '.join(f.explains)}"
                tail += "]" if f.full else "; a partial match: other failures remain unexplained]"
                lines += textwrap.wrap(tail, 96, initial_indent="       ", subsequent_indent="        ")
        elif self.verdict == "fail" and any(c.status == "fail" and c.rel_error is not None for c in self.checks):
            # (only for wrong values: a crash or a wrong shape is said in its check's detail)
            lines += ["", "  diagnosis: no catalogued mistake reproduces these results "
                          "(see `rnn-parity mutants --list`)"]
        for note in self.notes:
            lines += textwrap.wrap(f"note: {note}", 100, initial_indent="  ", subsequent_indent="    ")
        lines += ["", f"  verdict: {self.verdict.upper()}  (sandbox: {self.sandbox})"]
        return "\n".join(lines)


def _json_float(x: float):
    return float(x) if x == x and abs(x) != float("inf") else None
