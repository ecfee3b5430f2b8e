"""minchar: min-char-rnn files graded as written: the correct ones pass (20 probe seeds), each mistake fails
with the mistake named in min-char-rnn's notation; Python 2 and module-level training loops handled."""
import time

import pytest

from rnn_parity.grader import grade

from .conftest import EXAMPLES
from .inprocess import grade_in_process

FOLDER = EXAMPLES / "minchar"
CORRECT = sorted(p.name for p in FOLDER.glob("correct*.py"))
MISTAKES = sorted(p.stem.removeprefix("mistake_") for p in FOLDER.glob("mistake_*.py"))
WEIGHTS = ["grad:Wxh", "grad:Whh", "grad:Why", "grad:bh", "grad:by"]
RENAMED = {"correct_renamed_weights.py": ["grad:U", "grad:W", "grad:V", "grad:b_h", "grad:b_y"],
           "correct_descriptive_names_dict.py": ["grad:input_weights", "grad:recurrent_weights", "grad:output_weights",
                                                 "grad:hidden_bias", "grad:output_bias"]}


@pytest.mark.parametrize("name", CORRECT)
def test_correct_minchar_passes(name):
    report = grade(str(FOLDER / name))
    assert report.verdict == "pass" and report.info["protocol"] == "minchar", report.to_table()
    names = RENAMED.get(name, WEIGHTS)
    assert [c.name for c in report.checks][:7] == ["loss", *names, "hidden"]


@pytest.mark.parametrize("mistake", MISTAKES)
def test_minchar_mistake_fails_and_is_named(mistake):
    # in this process (our own example files): the child path is covered by the test below
    _, results, _, findings = grade_in_process(FOLDER / f"mistake_{mistake}.py", diagnose=True)
    assert any(r.status == "fail" for r in results)
    assert findings and findings[0].mutant.id == mistake and findings[0].full, [f.mutant.id for f in findings]


def test_a_mistake_through_the_child_is_named_in_minchar_notation():
    report = grade(str(FOLDER / "mistake_whh_not_transposed_backward.py"))
    assert report.verdict == "fail" and report.exit_code == 1
    d = report.to_json()["diagnosis"][0]
    assert d["id"] == "whh_not_transposed_backward"
    assert "dhnext = np.dot(Whh, dhraw)" in report.to_table() and "dhnext = np.dot(Whh.T, dhraw)" in report.to_table()


@pytest.mark.parametrize("name", CORRECT)
def test_correct_minchar_never_fails_over_20_seeds(name):
    for seed in range(1, 21):
        protocol, results, _ = grade_in_process(FOLDER / name, seed)
        assert protocol == "minchar"
        assert all(r.status == "pass" for r in results), (seed, [(r.name, r.detail) for r in results])


def test_clip_inside_lossfun_is_graded_and_clip_in_the_loop_is_not():
    inside = grade(str(FOLDER / "correct.py"))
    assert inside.check("clip").status == "pass"
    loop = grade(str(FOLDER / "correct_class_port.py"))
    assert loop.check("clip") is None
    assert any("does not clip its gradients" in n and "clip not graded" in n for n in loop.notes)


def test_python2_file_with_an_endless_training_loop_is_converted_and_never_run():
    start = time.monotonic()
    report = grade(str(FOLDER / "correct_py2.py"), timeout=20)
    assert time.monotonic() - start < 15  # its loop sleeps an hour per step
    assert report.verdict == "pass", report.to_table()
    notes = " ".join(report.notes)
    assert "converted from Python 2 in memory (fixers: print, xrange)" in notes
    assert "definitions only" in notes and "`while True:`" in notes


def test_rebinding_the_loop_variable_is_pointed_at_in_the_source():
    report = grade(str(FOLDER / "mistake_clip_rebinds_loop_variable.py"))
    assert [c.name for c in report.checks if c.status == "fail"] == ["clip"]
    assert any("`grad = np.clip(grad, -5, 5)`: that rebinds the loop variable" in n for n in report.notes)


def test_a_crash_in_lossfun_names_the_students_line(tmp_path):
    body = (FOLDER / "correct.py").read_text().replace("        dbh += dpre\n", "        dbh += dpre @ dh\n")
    (tmp_path / "crash.py").write_text(body)
    report = grade(str(tmp_path / "crash.py"))
    assert report.verdict == "fail" and report.error is None
    failed = report.check("grad:Wxh")
    assert failed.status == "fail" and "ValueError" in failed.detail and "crash.py, in lossFun" in failed.detail


# Real ports, as found in public repositories: each shape below once made the grader answer wrongly.
@pytest.mark.parametrize("name, found, note", [
    ("correct_renamed_weights.py", "loss_function", "names the weights its own way: U for Wxh, W for Whh"),
    ("correct_flat_vectors.py", "lossFun", "keeps the biases and the hidden state flat"),
    ("correct_nested_in_main.py", "lossFun", "lossFun, sample defined inside main() (line 10)"),
    ("correct_class_train_method.py", "TextModel.train", ""),
    ("correct_returns_more_values.py", "lossFun", "returns 8 values: graded the first 7"),
    ("correct_weights_as_arguments.py", "Model.lossFun", ""),
    ("correct_class_reads_global_sizes.py", "CharModel.lossFun", ""),
    ("correct_descriptive_names_dict.py", "step", "recurrent_weights for Whh"),
    ("correct_one_hot_inputs.py", "CharNet.lossFun", "runs on one-hot columns (T, V, 1) for inputs and targets"),
    ("correct_grads_dict.py", "CharLevelRNN.loss_and_grads", ""),
])
def test_real_port_shapes_are_found_and_said(name, found, note):
    report = grade(str(FOLDER / name))
    assert report.verdict == "pass" and report.info["functions"] == [found], report.to_table()
    assert any(note in n for n in report.notes), report.notes


@pytest.mark.parametrize("name, old, new, failing", [
    ("correct_flat_vectors.py", "dhnext = Whh.T @ dhraw", "dhnext = Whh @ dhraw", "grad:Whh"),
    ("correct_renamed_weights.py", "dh_next = np.dot(W.T, dz)", "dh_next = np.dot(W, dz)", "grad:W"),
    ("correct_class_train_method.py", "dh_next = self.Whh.T @ draw", "dh_next = self.Whh @ draw", "grad:Whh"),
    ("correct_weights_as_arguments.py", "dhnext = np.dot(Whh.T, dhraw)", "dhnext = np.dot(Whh, dhraw)", "grad:Whh"),
    ("correct_descriptive_names_dict.py", "carry = recurrent_weights.T @ d_raw", "carry = recurrent_weights @ d_raw",
     "grad:recurrent_weights"),
    ("correct_one_hot_inputs.py", "dhnext = self.Whh.T @ dhraw", "dhnext = self.Whh @ dhraw", "grad:Whh"),
    ("correct_grads_dict.py", "dh_next = self.Whh.T @ dh_raw", "dh_next = self.Whh @ dh_raw", "grad:Whh"),
])
def test_a_mistake_in_a_real_port_shape_is_still_named(tmp_path, name, old, new, failing):
    body = (FOLDER / name).read_text()
    assert old in body
    (tmp_path / name).write_text(body.replace(old, new))
    report = grade(str(tmp_path / name))
    assert report.check(failing).status == "fail", report.to_table()
    assert report.to_json()["diagnosis"][0]["id"] == "whh_not_transposed_backward"


def test_the_lstm_variant_is_refused_in_one_line_naming_the_cell_state():
    report = grade(str(FOLDER / "lstm_lossfun.py"))
    assert report.exit_code == 2 and report.info["protocol"] == "minchar"
    assert "takes an LSTM's cell state (cprev)" in report.error["message"], report.error


def test_an_unfinished_loss_function_under_its_own_name_fails_saying_nothing_came_back():
    report = grade(str(FOLDER / "unfinished_compute_loss.py"))
    assert report.verdict == "fail" and report.info["functions"] == ["compute_loss"], report.to_table()
    assert "must return 7 values; got NoneType" in report.check("grad:W_in").detail


def test_states_in_a_list_whose_last_slot_holds_hprev_fail_whh_with_a_note():
    report = grade(str(FOLDER / "list_state_overwritten.py"))
    assert [c.name for c in report.checks if c.status == "fail"] == ["grad:Whh"], report.to_table()
    assert any("keeps `hs` in a list and writes `hs[-1]`" in n for n in report.notes), report.notes
