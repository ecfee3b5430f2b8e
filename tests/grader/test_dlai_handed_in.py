"""deeplearning.ai files in the shapes real homework takes (examples/dlai/handed_in, written for rnn-parity):
notebooks with Keras cells and test cells, helper modules under other names or not there at all, templates
handed in half done. Each is graded as written: (file, verdict, the checks that fail, a note it must carry)."""
import pytest

from rnn_parity.grader import grade

from .conftest import EXAMPLES

HANDED_IN = EXAMPLES / "dlai" / "handed_in"
STEP_GRADS = ["step:grad:xt", "step:grad:a_prev", "step:grad:Wax", "step:grad:Waa", "step:grad:ba"]


@pytest.mark.parametrize("name, verdict, failing, note", [
    ("dinosaur_island_notebook.ipynb", "pass", [], "stand-ins took their place (a name taken from them fails only "
                                                   "where it is used): shakespeare_utils"),
    ("dinosaur_island_notebook.ipynb", "pass", [], "tensorflow: imported at the top level but used by no function"),
    ("own_helpers_star_import.py", "pass", [], "star import from them gets softmax from rnn-parity's definitions"),
    ("course_package_utils.py", "pass", [], "supplied utils as deep_learning.sequence_models.utils"),
    ("unfinished_template.py", "fail", STEP_GRADS, "supplied rnn_utils"),
    ("clip_left_empty.py", "fail", ["clip", "optimize:gradients", "update"], "supplied utils"),
    ("dinosaur_with_own_helpers.py", "pass", [], ""),
    ("helpers_module_by_name.py", "pass", [], "softmax taken from them by name: rnn-parity's definitions"),
    ("backward_returns_extra.py", "pass", [], "rnn_backward returns a tuple of 2: graded its gradients dict"),
    ("step_by_step_notebook.ipynb", "pass", [], "stand-ins took their place (a name taken from them fails only "
                                                "where it is used): w2v_utils"),
    ("step_by_step_export.py", "pass", [], "rnn_cell_forward_tests, rnn_forward_test do nothing"),
    ("clip_result_dropped.py", "fail", ["optimize:gradients", "update"], "supplied utils"),
    ("softmax_left_a_stub.py", "fail", ["step:output", "output"], ""),
    ("backward_only.py", "pass", [], "rnn_cell_backward graded on the course's cache"),
])
def test_handed_in(name, verdict, failing, note):
    report = grade(str(HANDED_IN / name))
    assert report.error is None and report.verdict == verdict, report.to_table()
    assert [c.name for c in report.checks if c.status == "fail"] == failing, report.to_table()
    assert not note or any(note in n for n in report.notes), report.notes


def test_a_template_placeholder_says_none_not_a_shape():
    report = grade(str(HANDED_IN / "unfinished_template.py"))
    details = {c.detail for c in report.checks if c.status == "fail"}
    assert details == {"rnn_cell_backward['dxt'] is None: not computed yet (the template's `= None` placeholder "
                       "is still there?)"}


def test_a_stand_in_fails_where_it_is_used(tmp_path):
    # a graded function that really needs the missing module fails, naming it; the file still loads
    src = (HANDED_IN / "own_helpers_star_import.py").read_text().replace(
        "    a_next = np.tanh(", "    a_next = course_helpers_scale() * np.tanh(").replace(
        "from course_helpers import *", "from course_helpers import *\nfrom course_helpers import course_helpers_scale")
    path = tmp_path / "uses_missing.py"
    path.write_text(src)
    report = grade(str(path))
    assert report.error is None and report.verdict == "fail"
    forward = next(c for c in report.checks if c.name == "step:forward")
    assert "the module 'course_helpers' is not installed where rnn-parity grades" in forward.detail


def test_the_students_own_helpers_win_over_ours(tmp_path):
    # a real module star-imported beside the stand-in: nothing of ours is slipped in under its names
    (tmp_path / "my_softmax.py").write_text("def softmax(z):\n    return z  # the student's own, wrong\n")
    src = (HANDED_IN / "own_helpers_star_import.py").read_text().replace(
        "from course_helpers import *", "from my_softmax import *\nfrom course_helpers import *")
    path = tmp_path / "own_wins.py"
    path.write_text(src)
    report = grade(str(path))
    assert [c.name for c in report.checks if c.status == "fail"] == ["step:output", "output"]


def test_a_clip_left_empty_is_not_taken_for_the_rebinding_mistake():
    report = grade(str(HANDED_IN / "clip_left_empty.py"))
    assert report.diagnosis == [], report.to_table()
    details = {c.name: c.detail for c in report.checks if c.status == "fail"}
    assert details["clip"].startswith("clip returns the gradients unchanged: nothing in it clips")
    assert details["update"].endswith("(it clips with clip, which clips nothing)")


def test_a_clip_that_drops_its_clipped_copy_is_still_the_rebinding_mistake():
    report = grade(str(EXAMPLES / "dlai" / "mistakes" / "clip_rebinds_loop_variable.py"))
    assert [f.mutant.id for f in report.diagnosis] == ["clip_rebinds_loop_variable"]


def test_dinosaur_island_wins_over_a_protocol_that_sees_only_its_helpers(monkeypatch):
    # the pasted utils helpers (rnn_forward(X, Y, a0, parameters), ...) have the seed-002 signatures; a
    # protocol recognising those (at its flat score) must not take a file that has clip and optimize
    import importlib.util

    from rnn_parity.grader.protocols import Recognition, registry
    from rnn_parity.grader.protocols.dlai import PROTOCOL

    class Helpers:
        def recognise(self, module):
            return Recognition(10.0, ["rnn_forward", "rnn_backward"])

    monkeypatch.setattr(registry, "registered", lambda: {"dlai": PROTOCOL, "helpers": Helpers()})
    spec = importlib.util.spec_from_file_location("dino_helpers", HANDED_IN / "dinosaur_with_own_helpers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert registry.choose(module, None, "auto")["protocol"] == "dlai"


def test_a_frameworks_names_are_never_filled_in_with_ours(tmp_path):
    # keras' softmax is over the last axis: a file that takes it from a missing keras fails where it calls it
    import importlib.util

    if importlib.util.find_spec("keras") is not None:
        pytest.skip("keras is installed here: no stand-in for it")
    src = (HANDED_IN / "helpers_module_by_name.py").read_text().replace(
        "from my_nn import activations as act", "from keras import activations as act")
    path = tmp_path / "keras_softmax.py"
    path.write_text(src)
    report = grade(str(path))  # a function uses keras: the answer-key guard refuses it (an autodiff library)
    assert report.verdict == "error" and report.error["kind"] == "forbidden_import", report.error
    assert "the submission imports keras, an automatic-differentiation library" in report.error["message"]


def test_a_clip_on_a_dropped_copy_with_masks_is_the_rebinding_mistake(tmp_path):
    # it compares (g[g > c] = c) on a copy it drops: it tries to clip, so the catalogue names the mistake
    src = (HANDED_IN / "clip_left_empty.py").read_text().replace(
        "        None\n", "        g = gradient.copy()\n        g[g > maxValue] = maxValue\n        g[g < -maxValue] = -maxValue\n")
    path = tmp_path / "mask_copy.py"
    path.write_text(src)
    report = grade(str(path))
    assert "clip_rebinds_loop_variable" in [f.mutant.id for f in report.diagnosis], report.to_table()


def test_an_exported_notebooks_magics_are_skipped():
    report = grade(str(HANDED_IN / "step_by_step_export.py"))
    assert any(n.startswith("the file calls get_ipython() (a notebook exported to .py) outside IPython")
               for n in report.notes), report.notes


def test_an_optimize_that_drops_clips_copy_says_so():
    report = grade(str(HANDED_IN / "clip_result_dropped.py"))
    assert report.diagnosis == [], report.to_table()
    assert all(c.detail.endswith("so write gradients = clip(...))") for c in report.checks if c.status == "fail")


def test_an_in_place_clip_called_on_its_own_line_is_right(tmp_path):
    src = (HANDED_IN / "clip_result_dropped.py").read_text().replace("    gradients = copy.deepcopy(gradients)\n", "")
    path = tmp_path / "in_place.py"
    path.write_text(src)
    assert grade(str(path)).verdict == "pass"


def test_an_output_left_none_fails_only_its_own_check():
    # the student's softmax is a stub: yt_pred is None, a_next and every gradient are still graded (and right)
    report = grade(str(HANDED_IN / "softmax_left_a_stub.py"))
    by_name = {c.name: c for c in report.checks}
    assert by_name["step:output"].detail.startswith("yt_pred of rnn_cell_forward is None"), report.to_table()
    assert by_name["step:forward"].status == "pass" and by_name["forward"].status == "pass"
    assert all(c.status == "pass" for c in report.checks if c.name.startswith("step:grad:")), report.to_table()


def test_a_backward_handed_in_alone_is_graded_and_its_mistake_named(tmp_path):
    # no forward in the file: the course's cache is built for it, so a mistake in it is still found
    src = (HANDED_IN / "backward_only.py").read_text()
    wrong = tmp_path / "backward_only.py"
    wrong.write_text(src.replace('np.dot(parameters["Waa"].T, dz)', 'np.dot(parameters["Waa"], dz)'))
    report = grade(str(wrong))
    assert report.verdict == "fail" and "step:grad:a_prev" in {c.name for c in report.checks if c.status == "fail"}
    assert [f.mutant.id for f in report.diagnosis] == ["whh_not_transposed_backward"], report.to_table()
