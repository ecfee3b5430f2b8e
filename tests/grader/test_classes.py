"""dlfs2 and wildml: tutorial classes graded as written: correct ones pass (20 probe seeds), each mistake
fails with the mistake named in the class's own notation; the book's shared-gradient contract and WildML's
truncated BPTT are reported."""
import pytest

from rnn_parity.grader import grade

from .conftest import EXAMPLES
from .inprocess import grade_in_process

FOLDERS = {"classes_dlfs2": "dlfs2", "wildml": "wildml"}
CORRECT = [(f, p) for f, p in FOLDERS.items()]
MISTAKES = sorted((f, p.stem.removeprefix("mistake_")) for f in FOLDERS for p in (EXAMPLES / f).glob("mistake_*.py")
                  if p.stem != "mistake_grads_rebound")
SAME_RESULTS = {"hidden_grad_not_carried": {"hidden_grad_not_carried", "upstream_grad_alone"}}
CHECKS = {
    "classes_dlfs2": ["step:forward", "step:grad:x", "step:grad:h_prev", "step:grad:Wx", "step:grad:Wh", "step:grad:b",
                      "forward", "grad:xs", "grad:h0", "grad:Wx", "grad:Wh", "grad:b"],
    "wildml": ["forward", "hidden", "grad:U", "grad:V", "grad:W", "loss", "update"],
}


@pytest.mark.parametrize("folder, protocol", CORRECT)
def test_correct_class_passes(folder, protocol):
    report = grade(str(EXAMPLES / folder / "correct.py"))
    assert report.verdict == "pass" and report.info["protocol"] == protocol, report.to_table()
    assert [c.name for c in report.checks] == CHECKS[folder]


@pytest.mark.parametrize("folder, mistake", MISTAKES)
def test_class_mistake_fails_and_is_named(folder, mistake):
    _, results, _, findings = grade_in_process(EXAMPLES / folder / f"mistake_{mistake}.py", diagnose=True)
    assert any(r.status == "fail" for r in results)
    assert findings and findings[0].mutant.id in SAME_RESULTS.get(mistake, {mistake}), [f.mutant.id for f in findings]


@pytest.mark.parametrize("folder, mistake, wrong", [
    ("classes_dlfs2", "h_t_in_recurrent_grad", "dWh = np.dot(h_next.T, dt)"),
    ("wildml", "whh_not_transposed_backward", "delta_t = self.W.dot(delta_t)"),
])
def test_a_mistake_through_the_child_is_named_in_the_class_notation(folder, mistake, wrong):
    report = grade(str(EXAMPLES / folder / f"mistake_{mistake}.py"))
    assert report.verdict == "fail" and report.diagnosis[0].mutant.id == mistake
    assert wrong in report.to_table()


@pytest.mark.parametrize("folder, protocol", CORRECT)
def test_correct_class_never_fails_over_20_seeds(folder, protocol):
    for seed in range(1, 21):
        name, results, _ = grade_in_process(EXAMPLES / folder / "correct.py", seed)
        assert name == protocol
        assert all(r.status == "pass" for r in results), (seed, [(r.name, r.detail) for r in results])


def test_rebinding_self_grads_fails_from_the_shared_arrays_with_the_reason():
    report = grade(str(EXAMPLES / "classes_dlfs2" / "mistake_grads_rebound.py"))
    assert [c.name for c in report.checks if c.status == "fail"] == ["step:grad:Wx"]
    assert any("rebinds self.grads[0] instead of writing into it" in n for n in report.notes)


def test_wildml_is_graded_untruncated_and_the_truncation_effect_reported():
    report = grade(str(EXAMPLES / "wildml" / "correct.py"))
    note = next(n for n in report.notes if "bptt_truncate" in n)
    assert "graded with bptt_truncate >= T (7)" in note and "own bptt_truncate=4 the gradients differ" in note
    assert report.info["truncation"]["relative_difference"] > 1e-6


def test_methods_attached_after_the_class_survive_definitions_only_loading():
    report = grade(str(EXAMPLES / "wildml" / "correct.py"))
    assert any("definitions only" in n and "line 77 `for epoch" in n for n in report.notes)
    assert report.check("update").status == "pass"  # RNNNumpy.sgd_step = sgd_step was kept


def test_timernn_without_a_stateful_mode_is_probed_from_zeros(tmp_path):
    body = (EXAMPLES / "classes_dlfs2" / "correct.py").read_text().replace(
        "    def __init__(self, Wx, Wh, b, stateful=False):", "    def __init__(self, Wx, Wh, b):").replace(
        "        self.stateful = stateful\n", "        self.stateful = False\n")
    (tmp_path / "layers.py").write_text(body)
    report = grade(str(tmp_path / "layers.py"))
    assert report.verdict == "pass" and report.check("grad:h0") is None
    assert any("probed from h = 0" in n for n in report.notes)


@pytest.mark.parametrize("protocol", ["minchar", "seed_styles", "dlfs2", "wildml"])
def test_forcing_a_protocol_on_a_file_without_its_functions_is_one_line(protocol):
    report = grade(str(EXAMPLES / "correct_functions.py"), protocol=protocol)
    assert report.verdict == "error" and report.exit_code == 2 and report.error["kind"] == "not_found"
    assert f"defines none of the {protocol} functions" in report.error["message"]
    assert "\n" not in report.error["message"]


def test_book_style_float32_storage_and_lstm_layers_in_the_same_file(tmp_path):
    # The book stores hs and dxs in float32 (dtype='f') and keeps LSTM / TimeLSTM (same constructor) next to RNN.
    src = (EXAMPLES / "classes_dlfs2" / "correct.py").read_text()
    src = src.replace("hs = np.empty((N, T, H))", "hs = np.empty((N, T, H), dtype='f')")
    lstm = ("class TimeLSTM:\n    def __init__(self, Wx, Wh, b, stateful=False):\n        self.params = [Wx, Wh, b]\n\n"
            "    def forward(self, xs):\n        raise NotImplementedError\n\n"
            "    def backward(self, dhs):\n        raise NotImplementedError\n\n\n")
    at = src.index("class RNN:")
    (tmp_path / "time_layers.py").write_text(src[:at] + lstm + src[at:])
    report = grade(str(tmp_path / "time_layers.py"))
    assert report.info["classes"] == {"RNN": "RNN", "TimeRNN": "TimeRNN"}
    # the RNN layers pass; the TimeLSTM template is graded too (issue 21), and only its own checks fail
    assert all(c.status == "pass" for c in report.checks if not c.name.startswith("lstm:")), report.to_table()
    lstm = [c for c in report.checks if c.name.startswith("lstm:")]
    assert lstm[0].name == "lstm:forward" and "NotImplementedError" in lstm[0].detail
    assert all(c.status == "fail" and c.detail == "not run: TimeLSTM.forward failed" for c in lstm[1:])


def test_wildml_port_with_biases_and_another_forward_name(tmp_path):
    src = (EXAMPLES / "wildml" / "correct.py").read_text()
    edits = [
        ("        self.W = np.random",
         "        self.bh, self.by = np.zeros(hidden_dim), np.zeros(word_dim)\n        self.W = np.random"),
        ("s[t] = np.tanh(self.U[:, x[t]] + self.W.dot(s[t - 1]))",
         "s[t] = np.tanh(self.U[:, x[t]] + self.W.dot(s[t - 1]) + self.bh)"),
        ("o[t] = softmax(self.V.dot(s[t]))", "o[t] = softmax(self.V.dot(s[t]) + self.by)"),
        ("    dLdU, dLdV, dLdW = np.zeros(self.U.shape), np.zeros(self.V.shape), np.zeros(self.W.shape)\n",
         "    dLdU, dLdV, dLdW = np.zeros(self.U.shape), np.zeros(self.V.shape), np.zeros(self.W.shape)\n"
         "    dLdbh, dLdby = np.zeros(self.bh.shape), np.zeros(self.by.shape)\n"),
        ("        dLdV += np.outer(delta_o[t], s[t])\n",
         "        dLdV += np.outer(delta_o[t], s[t])\n        dLdby += delta_o[t]\n"),
        ("            dLdU[:, x[step]] += delta_t\n",
         "            dLdU[:, x[step]] += delta_t\n            dLdbh += delta_t\n"),
        ("    return [dLdU, dLdV, dLdW]", "    return [dLdU, dLdV, dLdW, dLdbh, dLdby]"),
        ("    dLdU, dLdV, dLdW = self.bptt(x, y)\n", "    dLdU, dLdV, dLdW, dLdbh, dLdby = self.bptt(x, y)\n"
         "    self.bh -= learning_rate * dLdbh\n    self.by -= learning_rate * dLdby\n"),
    ]
    for old, new in edits:
        assert src.count(old) == 1, old
        src = src.replace(old, new)
    src = src.replace("forward_propagation", "forward_propagate")
    (tmp_path / "rnn_bias.py").write_text(src)
    report = grade(str(tmp_path / "rnn_bias.py"))
    assert report.verdict == "pass", report.to_table()
    assert [c.name for c in report.checks] == ["forward", "hidden", "grad:U", "grad:V", "grad:W", "grad:bh", "grad:by",
                                               "loss", "update"]


# Real tutorial files, as found in public repositories: each shape below once made the grader answer wrongly.
@pytest.mark.parametrize("folder, name, protocol, note", [
    ("classes_dlfs2", "correct_book_imports.py", "dlfs2", "supplied common.np from rnn-parity's definitions: np, GPU"),
    ("wildml", "correct_tutorial_py2.py", "wildml", "star import from them gets softmax"),
    ("wildml", "correct_sizes_reordered.py", "wildml", "graded with bptt_truncate >= T"),
    ("classes_dlfs2", "correct_snake_case_names.py", "dlfs2", ""),
    ("wildml", "correct_truncation_required.py", "wildml", "RNNNumpy has no default bptt_truncate to compare with"),
])
def test_a_tutorial_file_as_handed_out_passes(folder, name, protocol, note):
    report = grade(str(EXAMPLES / folder / name))
    assert report.verdict == "pass" and report.info["protocol"] == protocol, report.to_table()
    assert not note or any(note in n for n in report.notes), report.notes


@pytest.mark.parametrize("folder, name, old, new, failing", [
    ("classes_dlfs2", "correct_book_imports.py", "np.dot(dt, Wh.T)", "np.dot(dt, Wh)", "step:grad:h_prev"),
    ("wildml", "correct_tutorial_py2.py", "self.W.T.dot(delta_t)", "self.W.dot(delta_t)", "grad:W"),
    ("wildml", "correct_sizes_reordered.py", "delta = (self.W.T @ delta)", "delta = (self.W @ delta)", "grad:W"),
    ("classes_dlfs2", "correct_snake_case_names.py", "da @ W_h.T", "da @ W_h", "step:grad:h_prev"),
])
def test_a_mistake_in_a_tutorial_file_as_handed_out_fails(tmp_path, folder, name, old, new, failing):
    body = (EXAMPLES / folder / name).read_text()
    assert old in body
    (tmp_path / name).write_text(body.replace(old, new))
    report = grade(str(tmp_path / name))
    assert report.check(failing).status == "fail", report.to_table()
    assert report.diagnosis and report.diagnosis[0].mutant.id == "whh_not_transposed_backward"


def test_the_theano_version_is_refused_in_one_line():
    # Theano is an autodiff library: the answer-key guard refuses the file from its AST, before it runs
    # (the wildml protocol's own refusal, "RNNTheano is built with Theano", is the fallback without the guard)
    report = grade(str(EXAMPLES / "wildml" / "theano_class.py"))
    assert report.exit_code == 2 and report.error["kind"] == "forbidden_import"
    assert "imports theano, an automatic-differentiation library" in report.error["message"]
    assert "\n" not in report.error["message"]


def test_the_other_layers_of_time_layers_are_listed_as_not_graded():
    report = grade(str(EXAMPLES / "classes_dlfs2" / "correct_book_imports.py"))
    assert "TimeAffine: not graded (not a recurrent layer: dlfs2 grades RNN, LSTM and GRU layers)" in report.notes
    assert not any(n.startswith(("RNN:", "TimeRNN:")) for n in report.notes)


def test_a_model_that_imports_the_book_layers_is_pointed_at_the_layers_file():
    report = grade(str(EXAMPLES / "classes_dlfs2" / "model_only.py"))
    assert report.exit_code == 2 and report.info["protocol"] == "dlfs2"
    assert "TinyRnnlm is a model built from the book's layers" in report.error["message"], report.error
