"""The protocol engine's generic rules, on a toy protocol: crash, missing output, shape, values, diagnosis."""
import numpy as np

from rnn_parity import mutants as M
from rnn_parity.grader.judging import answers as A
from rnn_parity.grader.judging.judge import judge
from rnn_parity.grader.protocols import CheckSpec, Probe, Progress, Protocol, Recognition


class Toy(Protocol):
    """step(x, h, Wx, Wh, b) -> next_h and seq(x, h0, Wx, Wh, b) -> h, batch-major, CS231n orientation."""

    name, title, functions = "toy", "a toy", ("step", "seq")
    scopes = [("step:", "seq:"), ("seq:",), ("step:",)]
    phrasing = {"h0_ignored": ("h = 0", "h = h0")}

    def recognise(self, module):
        return Recognition(1.0, list(self.functions))

    def plan(self, seed):
        g = np.random.default_rng(seed).normal
        return {"x": g(size=(2, 3, 4)), "h0": g(size=(2, 5)), "Wx": g(size=(4, 5)), "Wh": g(size=(5, 5)) / 3,
                "b": g(size=5)}

    def probe(self, probe, p):
        probe.info["functions"] = list(self.functions)
        for fn, x in (("step", p["x"][:, :1]), ("seq", p["x"])):
            with probe.function(fn):
                probe.record(f"{fn}:h", probe.call(fn, x, p["h0"], p["Wx"], p["Wh"], p["b"]), "h")

    def checks(self, plan, info):
        return [CheckSpec("step:forward", "step", ["step:h"], "{key} of step"),
                CheckSpec("forward", "seq", ["seq:h"], "{key} of seq", time_axis=1)]

    def expected_parts(self, p, info):
        def h(x):
            return np.swapaxes(A.rnn(np.swapaxes(x, 0, 1), p["h0"], p["Wx"].T, p["Wh"].T, p["b"])["h"], 0, 1)
        return [lambda: {"step:h": h(p["x"][:, :1])}, lambda: {"seq:h": h(p["x"])}]


def _grade(step, seq, diagnose=True):
    module = type("M", (), {"step": staticmethod(step), "seq": staticmethod(seq)})
    proto = Toy()
    probe = Probe(module, "toy.py", Progress("/dev/null"))
    plan = proto.plan(0)
    proto.probe(probe, plan)
    results, findings = judge(proto, plan, probe.info, probe.obs, diagnose_mistakes=diagnose)
    return {r.name: r for r in results}, findings


def _rnn(x, h0, Wx, Wh, b, zero_h0=False):
    h, out = (0 * h0 if zero_h0 else h0), []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ Wx + h @ Wh + b)
        out.append(h)
    return np.stack(out, axis=1)


def test_right_values_pass():
    results, findings = _grade(_rnn, _rnn)
    assert all(r.status == "pass" and r.rel_error < 1e-12 for r in results.values()) and findings == []


def test_a_crash_fails_only_its_function():
    results, _ = _grade(lambda *a: 1 / 0, _rnn)
    assert results["step:forward"].status == "fail" and "ZeroDivisionError" in results["step:forward"].detail
    assert results["forward"].status == "pass"


def test_shape_is_checked_before_values():
    results, _ = _grade(_rnn, lambda *a: _rnn(*a)[:, :, None])
    assert results["forward"].detail == "h of seq has shape (2, 3, 1, 5), expected (2, 3, 5)"


def test_unreadable_output_fails_its_function():
    results, _ = _grade(lambda *a: {"not": "an array"}, _rnn)
    assert "is not a numeric array" in results["step:forward"].detail


def test_the_mistake_is_found_in_the_function_that_has_it():
    results, findings = _grade(_rnn, lambda *a: _rnn(*a, zero_h0=True))
    assert results["step:forward"].status == "pass"  # the step is right: the scope keeps it out
    assert results["forward"].detail.startswith("h of seq differs from the right values at")
    (finding,) = findings
    assert finding.mutant is M.get("h0_ignored") and finding.explains == ["forward"] and finding.full
    assert (finding.wrong, finding.correct) == ("h = 0", "h = h0")


class ToyWholeExpected(Toy):
    """A protocol that computes everything in one expected() (the first form of the interface)."""

    def expected(self, plan, info):
        out = {}
        for part in Toy.expected_parts(self, plan, info):
            out.update(part())
        return out


def test_a_protocol_overriding_expected_is_diagnosed_too():
    module = type("M", (), {"step": staticmethod(_rnn), "seq": staticmethod(lambda *a: _rnn(*a, zero_h0=True))})
    proto = ToyWholeExpected()
    probe = Probe(module, "toy.py", Progress("/dev/null"))
    proto.probe(probe, proto.plan(0))
    _, findings = judge(proto, proto.plan(0), probe.info, probe.obs)
    assert [f.mutant.id for f in findings] == ["h0_ignored"]


def test_a_none_placeholder_fails_its_function_saying_so():
    results, _ = _grade(lambda *a: None, _rnn)
    assert results["step:forward"].detail.startswith("h is None: not computed yet")
    assert results["forward"].status == "pass"


def test_a_failure_the_child_explained_says_why_and_is_not_diagnosed():
    module = type("M", (), {"step": staticmethod(_rnn), "seq": staticmethod(lambda *a: _rnn(*a, zero_h0=True))})
    proto = Toy()
    probe = Probe(module, "toy.py", Progress("/dev/null"))
    proto.probe(probe, proto.plan(0))
    probe.info["explained"] = {"seq": "it calls a step that is wrong"}
    results, findings = judge(proto, proto.plan(0), probe.info, probe.obs)
    (forward,) = [r for r in results if r.name == "forward"]
    assert forward.status == "fail" and forward.detail.endswith("(it calls a step that is wrong)")
    assert findings == []
