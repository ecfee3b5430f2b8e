"""The gated class protocols (dlfs2's LSTM/GRU layers, karpathy, cmu): correct files pass under 20 probe seeds
in every GRU convention, each catalogued mistake is named, the backward is checked against the finite
differences of the student's own forward, and check names carry the cell."""
import re

import pytest

from rnn_parity.grader import grade
from rnn_parity.grader.protocols.gated_mistakes import BY_ID

from .conftest import EXAMPLES
from .inprocess import grade_in_process

FOLDERS = {"gated_dlfs2": "dlfs2", "gated_karpathy": "karpathy", "gated_cmu": "cmu"}
CORRECT = [(f, p.name) for f in FOLDERS for p in sorted((EXAMPLES / f).glob("correct*.py"))]
MISTAKES = [(f, p.name) for f in FOLDERS for p in sorted((EXAMPLES / f).glob("mistake_*.py"))]
CONVENTION_OF = {"correct.py": None, "correct_gru_torch_convention.py": ["after", "old"],
                 "correct_gru_reset_before.py": ["before", "new"], "correct_reset_before.py": ["before", "new"]}


def _mistake_id(name: str) -> str:
    stem = name[len("mistake_"):-3]
    return re.sub(r"_(torch_convention|reset_before)$", "", stem)


@pytest.mark.parametrize("folder,name", CORRECT)
def test_correct_files_pass_under_20_seeds(folder, name):
    for seed in range(20):
        proto, results, info = grade_in_process(EXAMPLES / folder / name, seed)
        assert proto == FOLDERS[folder]
        failed = [(r.name, r.detail) for r in results if r.status != "pass"]
        assert not failed, (seed, failed)
        assert any(r.name.endswith("own-gradient") for r in results)


@pytest.mark.parametrize("folder,name", MISTAKES)
def test_each_mistake_is_named(folder, name):
    _, results, info, findings = grade_in_process(EXAMPLES / folder / name, 0, diagnose=True)
    assert any(r.status == "fail" for r in results)
    assert [f.mutant.id for f in findings] == [_mistake_id(name)], [r.name for r in results if r.status == "fail"]
    assert findings[0].notation, "phrased in the protocol's own notation"


def test_every_catalogued_gated_mistake_has_an_example():
    assert {_mistake_id(n) for _, n in MISTAKES} == set(BY_ID)


def _swap(text: str, pairs) -> str:
    for a, b in pairs:
        assert text.count(a) == 1, a
        text = text.replace(a, b)
    return text


# The other two GRU conventions, made from the CMU examples: update gate on the new state with the reset after
# the product, and on the old state with the reset before it. Both are correct GRUs.
UPDATE_NEW = [("return (1 - self.z) * self.n + self.z * h_prev_t", "return self.z * self.n + (1 - self.z) * h_prev_t"),
              ("dn = delta * (1 - self.z)", "dn = delta * self.z"),
              ("dz = delta * (self.hidden - self.n)", "dz = delta * (self.n - self.hidden)"),
              ("dh_prev_t = delta * self.z +", "dh_prev_t = delta * (1 - self.z) +")]
UPDATE_OLD = [(b, a) for a, b in UPDATE_NEW]


@pytest.mark.parametrize("source,pairs,convention", [("correct.py", UPDATE_NEW, ["after", "new"]),
                                                    ("correct_reset_before.py", UPDATE_OLD, ["before", "old"])])
def test_every_gru_convention_is_a_correct_gru(tmp_path, source, pairs, convention):
    path = tmp_path / f"cell_{'_'.join(convention)}.py"
    path.write_text(_swap((EXAMPLES / "gated_cmu" / source).read_text(), pairs))
    for seed in range(3):
        _, results, info = grade_in_process(path, seed)
        assert all(r.status == "pass" for r in results), [(r.name, r.detail) for r in results if r.status != "pass"]
        assert info["conventions"]["gru"][1:] == convention


def test_the_report_names_the_convention_and_the_cell_in_check_names():
    report = grade(str(EXAMPLES / "gated_cmu" / "correct_reset_before.py"))
    assert report.verdict == "pass", report.to_table()
    assert any("reset before the recurrent product" in n and "update gate on the new state" in n for n in report.notes)
    assert report.to_json()["protocol"]["conventions"]["gru"][1:] == ["before", "new"]
    names = [c.name for c in report.checks]
    assert names[:3] == ["gru:step:forward", "gru:step:grad:x", "gru:step:grad:h_prev_t"]
    assert "gru:step:grad:Wrx" in names and names[-1] == "gru:step:own-gradient"


def test_check_names_use_the_students_names():
    _, results, _ = grade_in_process(EXAMPLES / "gated_karpathy" / "correct.py")
    assert {"lstm:forward", "lstm:grad:X", "lstm:grad:WLSTM", "lstm:grad:c0", "lstm:grad:h0", "gru:grad:WGRU",
            "lstm:own-gradient"} <= {r.name for r in results}
    _, results, _ = grade_in_process(EXAMPLES / "gated_dlfs2" / "correct.py")
    assert {"lstm:step:forward", "lstm:step:grad:c_prev", "lstm:grad:Wx", "lstm:grad:xs", "lstm:grad:h0",
            "gru:step:grad:h_prev", "gru:own-gradient"} <= {r.name for r in results}


def test_own_gradient_tells_a_wrong_forward_from_a_wrong_backward():
    # a forward that is not the standard LSTM, with the exact gradient of itself as backward
    report = grade(str(EXAMPLES / "gated_dlfs2" / "variant_lstm_no_cell_tanh.py"))
    status = {c.name: c.status for c in report.checks}
    assert status["lstm:step:forward"] == status["lstm:forward"] == "fail"
    assert status["lstm:step:own-gradient"] == status["lstm:own-gradient"] == "pass"
    assert any("without tanh on the cell output" in n for n in report.notes)
    assert any("your backward is the exact gradient of your forward" in n for n in report.notes)
    # the reverse: a right forward, a backward that is not its gradient
    _, results, _ = grade_in_process(EXAMPLES / "gated_cmu" / "mistake_gru_candidate_tanh_twice.py")
    status = {r.name: r.status for r in results}
    assert status["gru:step:forward"] == "pass" and status["gru:step:own-gradient"] == "fail"


def test_a_crash_fails_only_its_own_function(tmp_path):
    src = (EXAMPLES / "gated_karpathy" / "correct.py").read_text()
    path = tmp_path / "crash.py"
    line = "        WGRU, d = cache[\"WGRU\"], cache[\"d\"]\n"
    path.write_text(src.replace(line, line + "        raise ValueError('not yet')\n"))
    _, results, info = grade_in_process(path)
    status = {r.name: r.status for r in results}
    assert status["gru:forward"] == "pass" and status["gru:grad:WGRU"] == "fail"
    assert all(s == "pass" for n, s in status.items() if n.startswith("lstm:"))
    assert "not yet" in next(r.detail for r in results if r.name == "gru:grad:WGRU")


def test_a_template_stub_is_not_written_yet(tmp_path):
    src = (EXAMPLES / "gated_dlfs2" / "correct.py").read_text()
    path = tmp_path / "stub.py"
    path.write_text(src.replace("        return dA @ Wx.T, dA @ Wh.T, dc_prev\n", "        return None, None, None\n"))
    _, results, _ = grade_in_process(path)
    detail = next(r.detail for r in results if r.name == "lstm:step:grad:x")
    assert "None" in detail and "not computed yet" in detail


@pytest.mark.parametrize("index,protocol", [(0, "dlfs2"), (1, "karpathy"), (2, "cmu")])
def test_the_docs_minimal_examples_pass(tmp_path, index, protocol):
    page = (EXAMPLES.parent / "docs" / "protocols" / "gated_classes.md").read_text()
    block = re.findall(r"```python\n(.*?)```", page, re.S)[index]
    path = tmp_path / f"doc_{protocol}.py"
    path.write_text(block)
    name, results, _ = grade_in_process(path, 1)
    assert name == protocol
    assert results and all(r.status == "pass" for r in results), [(r.name, r.detail) for r in results
                                                                   if r.status != "pass"]


GRU_NO_BIAS = '''
import numpy as np

def sigmoid(a):
    return 1 / (1 + np.exp(-a))

class GRU:
    def __init__(self, Wx, Wh):
        self.Wx, self.Wh = Wx, Wh
        self.dWx = self.dWh = None

    def forward(self, x, h_prev):
        H = self.Wh.shape[0]
        z = sigmoid(x @ self.Wx[:, :H] + h_prev @ self.Wh[:, :H])
        r = sigmoid(x @ self.Wx[:, H:2 * H] + h_prev @ self.Wh[:, H:2 * H])
        hh = np.tanh(x @ self.Wx[:, 2 * H:] + (r * h_prev) @ self.Wh[:, 2 * H:])
        self.cache = (x, h_prev, z, r, hh)
        return (1 - z) * h_prev + z * hh

    def backward(self, dh_next):
        H = self.Wh.shape[0]
        x, h_prev, z, r, hh = self.cache
        dt = dh_next * z * (1 - hh ** 2)
        dhr = dt @ self.Wh[:, 2 * H:].T
        dz = dh_next * (hh - h_prev) * z * (1 - z)
        dr = dhr * h_prev * r * (1 - r)
        dA = np.hstack((dz, dr, dt))
        self.dWx = x.T @ dA
        self.dWh = np.hstack((h_prev.T @ dz, h_prev.T @ dr, (r * h_prev).T @ dt))
        return dA @ self.Wx.T, dh_next * (1 - z) + dhr * r + np.hstack((dz, dr)) @ self.Wh[:, :2 * H].T
'''


def test_a_dlfs2_gru_without_bias_keeping_its_gradients_as_attributes(tmp_path):
    # seen in public DLFS2 homework: GRU(Wx, Wh) without b, self.dWx / self.dWh instead of self.grads
    path = tmp_path / "gru_layers.py"
    path.write_text(GRU_NO_BIAS)
    _, results, info = grade_in_process(path)
    assert [r.name for r in results] == ["gru:step:forward", "gru:step:grad:x", "gru:step:grad:h_prev",
                                         "gru:step:grad:Wx", "gru:step:grad:Wh", "gru:step:own-gradient"]
    assert all(r.status == "pass" for r in results), [(r.name, r.detail) for r in results]
    path.write_text(GRU_NO_BIAS.replace("dz = dh_next * (hh - h_prev) * z * (1 - z)", "dz = dh_next * (hh - h_prev)")
                    .replace("dr = dhr * h_prev * r * (1 - r)", "dr = dhr * h_prev"))
    _, results, _, findings = grade_in_process(path, diagnose=True)
    assert [f.mutant.id for f in findings] == ["gru_gate_sigmoid_grad_missing"]


def test_a_time_layer_taking_batch_and_time_sizes(tmp_path):
    # seen in public DLFS2 homework: TimeLSTM(Wx, Wh, b, batch_size, time_size, stateful=True)
    src = (EXAMPLES / "gated_dlfs2" / "correct.py").read_text()
    path = tmp_path / "time_layers.py"
    path.write_text(_swap(src, [("class TimeLSTM:\n    def __init__(self, Wx, Wh, b, stateful=False):",
                                 "class TimeLSTM:\n    def __init__(self, Wx, Wh, b, batch_size, time_size, "
                                 "stateful=True):\n        self.N, self.T = batch_size, time_size")]))
    _, results, info = grade_in_process(path)
    assert info["gated"]["lstm:time"]["stateful"]
    assert all(r.status == "pass" for r in results), [(r.name, r.detail) for r in results if r.status != "pass"]


@pytest.mark.parametrize("folder,old,new,check", [
    ("gated_karpathy", "        return Hout, C[n - 1], Hout[n - 1], cache\n", "        pass\n", "lstm:forward"),
    ("gated_cmu", "        return dx, dh_prev_t\n", "        pass\n", "gru:step:grad:x"),
    ("gated_dlfs2", "        return dA @ Wx.T, dh_prev\n", "        pass\n", "gru:step:grad:x")])
def test_a_pass_template_is_not_written_yet(tmp_path, folder, old, new, check):
    path = tmp_path / "template.py"
    path.write_text(_swap((EXAMPLES / folder / "correct.py").read_text(), [(old, new)]))
    _, results, _ = grade_in_process(path)
    detail = next(r.detail for r in results if r.name == check)
    assert "not written yet" in detail, detail


def test_a_cmu_cell_graded_away_from_its_activation_module(tmp_path):
    # the handout's cell imports Sigmoid / Tanh from mytorch, which a student grading gru_cell.py alone lacks:
    # rnn-parity's stand-ins serve act(x), act.derivative() and act.backward(dout, state=...)
    src = (EXAMPLES / "gated_cmu" / "correct.py").read_text()
    head, cell = src.split("class GRUCell:")
    path = tmp_path / "gru_cell.py"
    path.write_text("import numpy as np\nfrom mytorch.nn.activation import *\n\n\nclass GRUCell:" + _swap(cell, [
        ("dn_act = dn * self.h_act.derivative()", "dn_act = self.h_act.backward(dn, state=self.n)"),
        ("dz_act = dz * self.z_act.derivative()", "dz_act = self.z_act.backward(dz)")]))
    report = grade(str(path))
    assert report.verdict == "pass", report.to_table()
    assert any("Sigmoid, Tanh from rnn-parity's definitions" in n for n in report.notes)


def test_a_forward_in_no_convention_is_said_and_judged_against_the_courses(tmp_path):
    # b_hn outside the reset gate: none of the four GRU conventions; the backward is its own forward's gradient
    path = tmp_path / "gru_cell.py"
    path.write_text(_swap((EXAMPLES / "gated_cmu" / "correct.py").read_text(), [
        ("self.hn = self.Wnh @ h_prev_t + self.bnh\n", "self.hn = self.Wnh @ h_prev_t\n"),
        ("self.bnx + self.r * self.hn)", "self.bnx + self.r * self.hn + self.bnh)"),
        ("self.dbnh = dhn", "self.dbnh = dn_act")]))
    report = grade(str(path))
    status = {c.name: c.status for c in report.checks}
    assert status["gru:step:forward"] == "fail" and status["gru:step:own-gradient"] == "pass"
    assert any("not a GRU in any of the four conventions" in n and "torch's convention" in n for n in report.notes)
    assert report.to_json()["protocol"]["conventions"]["gru"][1:] == ["after", "old"]


def test_a_karpathy_forward_without_initial_states(tmp_path):
    # GRU.forward(X, WGRU) starting from zeros: graded from zeros, its dh0 still checked
    path = tmp_path / "gru.py"
    path.write_text(_swap((EXAMPLES / "gated_karpathy" / "correct.py").read_text(), [
        ("def forward(X, WGRU, h0=None):", "def forward(X, WGRU):"),
        ("        h_prev = np.zeros((b, d)) if h0 is None else h0\n        Hout = np.zeros((n, b, d))\n        steps",
         "        h_prev = np.zeros((b, d))\n        Hout = np.zeros((n, b, d))\n        steps")]))
    _, results, info = grade_in_process(path)
    assert info["karpathy"]["gru"]["states"] == []
    assert all(r.status == "pass" for r in results), [(r.name, r.detail) for r in results if r.status != "pass"]


def test_finite_differences_that_cannot_be_taken_fail_only_the_own_gradient_check(tmp_path):
    # a forward that refuses inputs other than the ones it was first given (here: a cached first X)
    path = tmp_path / "gru.py"
    path.write_text(_swap((EXAMPLES / "gated_karpathy" / "correct.py").read_text(), [
        ("    def forward(X, WGRU, h0=None):\n", "    def forward(X, WGRU, h0=None):\n"
         "        if getattr(GRU, 'seen', None) is not None and not np.array_equal(GRU.seen, WGRU):\n"
         "            raise RuntimeError('weights changed')\n        GRU.seen = WGRU.copy()\n")]))
    _, results, _ = grade_in_process(path)
    status = {r.name: (r.status, r.detail) for r in results if r.name.startswith("gru:")}
    assert status["gru:own-gradient"][0] == "fail" and "weights changed" in status["gru:own-gradient"][1]
    assert all(s == "pass" for n, (s, _) in status.items() if n != "gru:own-gradient"), status
