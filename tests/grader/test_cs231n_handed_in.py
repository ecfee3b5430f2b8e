"""CS231n rnn_layers.py files in the shapes real homework takes (examples/cs231n/handed_in, written for
rnn-parity): the course package imported from a file graded on its own, templates handed in half done.
Each is graded as written: (file, verdict, the checks that fail, a note it must carry)."""
import pytest

from rnn_parity.grader import grade

from .conftest import EXAMPLES

HANDED_IN = EXAMPLES / "cs231n" / "handed_in"
SEQ_GRADS = ["grad:x", "grad:h0", "grad:Wx", "grad:Wh", "grad:b"]


@pytest.mark.parametrize("name, verdict, failing, note", [
    ("course_package_imports.py", "pass", [], "supplied cs231n.layers from rnn-parity's definitions: affine_forward"),
    ("unfinished_template.py", "fail", SEQ_GRADS + ["embedding:forward", "embedding:grad:W", "temporal_softmax_loss",
                                          "temporal_softmax_loss:grad:x"],
     ""),
])
def test_handed_in(name, verdict, failing, note):
    report = grade(str(HANDED_IN / name))
    assert report.error is None and report.verdict == verdict, report.to_table()
    assert [c.name for c in report.checks if c.status == "fail"] == failing, report.to_table()
    assert not note or any(note in n for n in report.notes), report.notes


def test_the_lstm_step_beside_it_is_graded_as_its_own_part():
    report = grade(str(HANDED_IN / "course_package_imports.py"))
    assert report.to_json()["parts"] == {"rnn": "pass", "lstm": "pass"}
    assert report.check("lstm:step:forward").status == "pass"


def test_a_template_placeholder_says_none_not_a_shape():
    report = grade(str(HANDED_IN / "unfinished_template.py"))
    assert {c.detail for c in report.checks if c.status == "fail"} == {
        "dx of rnn_backward is None: not computed yet (the template's `= None` placeholder is still there?)",
        "word_embedding_forward returned None: not written yet (the template's `pass` is still there?)",
        "not run: word_embedding_forward failed",
        "temporal_softmax_loss returned None: not written yet (the template's `pass` is still there?)"}
    assert not any("forward only" in n for n in report.notes)  # None is not a forward-only version


def test_the_rest_of_the_course_package_gets_a_stand_in():
    report = grade(str(HANDED_IN / "course_package_imports.py"))
    assert any(n.startswith("not installed here, so stand-ins took their place") and n.endswith(": cs231n")
               for n in report.notes), report.notes
