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
                                                   "where it is used): shakespeare_utils, tensorflow"),
    ("own_helpers_star_import.py", "pass", [], "star import from them gets softmax from rnn-parity's definitions"),
    ("course_package_utils.py", "pass", [], "supplied utils as deep_learning.sequence_models.utils"),
    ("unfinished_template.py", "fail", STEP_GRADS, "supplied rnn_utils"),
])
def test_handed_in(name, verdict, failing, note):
    report = grade(str(HANDED_IN / name))
    assert report.error is None and report.verdict == verdict, report.to_table()
    assert [c.name for c in report.checks if c.status == "fail"] == failing, report.to_table()
    assert any(note in n for n in report.notes), report.notes


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
