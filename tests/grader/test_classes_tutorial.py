"""Tutorial classes as handed in: helper modules they import but did not hand in, classes pasted in pieces."""
from rnn_parity.grader import grade

from .conftest import EXAMPLES

TUTORIAL = EXAMPLES / "classes_tutorial"


def test_layer_objects_from_a_helper_module_not_handed_in_are_supplied():
    report = grade(str(TUTORIAL / "correct_layer_objects.py"))
    assert report.verdict == "pass", report.to_table()
    assert {"grad:Wax", "grad:Waa", "grad:b", "clip"} <= {c.name for c in report.checks}
    assert any("CrossEntropyLoss, Softmax, Tanh taken from them by name" in n for n in report.notes)


def test_a_mistake_behind_supplied_layer_objects_is_still_named(tmp_path):
    source = (TUTORIAL / "correct_layer_objects.py").read_text()
    wrong = source.replace("carry = self.Waa.T @ dz", "carry = self.Waa @ dz")
    assert wrong != source
    path = tmp_path / "student.py"
    path.write_text(wrong)
    report = grade(str(path))
    assert report.verdict == "fail", report.to_table()
    assert report.diagnosis[0].mutant.id == "whh_not_transposed_backward"


def test_a_script_that_imports_its_class_from_the_file_beside_it_grades_that_class():
    report = grade(str(TUTORIAL / "split_files" / "train.py"))
    assert report.verdict == "pass", report.to_table()
    assert report.info.get("class") == "SentimentRNN"


def test_a_mistake_in_the_imported_class_is_named_through_the_script(tmp_path):
    for name in ("model.py", "train.py"):
        (tmp_path / name).write_text((TUTORIAL / "split_files" / name).read_text())
    model = tmp_path / "model.py"
    source = model.read_text()
    model.write_text(source.replace("d_h = self.Whh.T @ d_z", "d_h = self.Whh @ d_z"))
    assert model.read_text() != source
    report = grade(str(tmp_path / "train.py"))
    assert report.verdict == "fail", report.to_table()
    assert report.diagnosis[0].mutant.id == "whh_not_transposed_backward"


def test_a_class_typed_in_pieces_is_joined_and_the_report_says_so():
    path = TUTORIAL / "correct_in_pieces.py"
    starts = [i + 1 for i, line in enumerate(path.read_text().splitlines()) if line.startswith("class TinyRNN")]
    report = grade(str(path))
    assert report.verdict == "pass", report.to_table()
    lines = ", ".join(map(str, starts))
    assert any(f"class TinyRNN is written in 3 pieces (lines {lines})" in n for n in report.notes), report.notes


def test_a_class_written_again_in_full_is_not_called_pieces(tmp_path):
    whole = (TUTORIAL / "correct_in_pieces.py").read_text().split("class TinyRNN:  # ...")[0]
    body = "\n".join(line for line in (TUTORIAL / "correct_in_pieces.py").read_text().splitlines()
                     if not line.startswith(("class TinyRNN:  #", '"""', "A class", "and leaves")))
    path = tmp_path / "student.py"
    path.write_text(whole + "\n\n" + body)  # a first TinyRNN with __init__ only, then the whole class again
    report = grade(str(path))
    assert report.verdict == "pass", report.to_table()
    assert not any("pieces" in n for n in report.notes), report.notes


def test_steps_named_forward_propagation_and_backward_propagation_are_graded():
    report = grade(str(TUTORIAL / "correct_method_names.py"))
    assert report.verdict == "pass", report.to_table()
    assert {"grad:Wxh", "grad:Whh", "clip", "update"} <= {c.name for c in report.checks}


def test_backward_taking_d_y_and_learn_rate_is_the_backprop_step(tmp_path):
    source = (TUTORIAL / "correct_method_names.py").read_text()
    renamed = source.replace("def forward_propagation", "def forward").replace("def backward_propagation",
                                                                               "def backward")
    wrong = renamed.replace("d_h = self.Whh.T @ d_pre", "d_h = self.Whh @ d_pre")
    assert renamed != source and wrong != renamed
    (tmp_path / "right.py").write_text(renamed)
    (tmp_path / "wrong.py").write_text(wrong)
    assert grade(str(tmp_path / "right.py")).verdict == "pass"
    report = grade(str(tmp_path / "wrong.py"))
    assert report.verdict == "fail", report.to_table()
    assert report.diagnosis[0].mutant.id == "whh_not_transposed_backward"


def test_a_constructor_that_names_its_sizes_in_another_order_gets_each_by_name():
    report = grade(str(TUTORIAL / "correct_sizes_by_name.py"))
    assert report.verdict == "pass", report.to_table()


def test_sizes_the_constructor_reads_from_module_globals_are_set(tmp_path):
    source = (TUTORIAL / "correct_sizes_by_name.py").read_text()
    script = source.replace("def __init__(self, input_dim, hidden_dim, output_dim):",
                            "def __init__(self, hidden_dim=12):")
    script = script.replace("import numpy as np\n", "import numpy as np\n\ninput_dim = 57  # set from the data\n"
                            "output_dim = 2\n", 1)
    assert script.count("input_dim = 57") == 1 and "def __init__(self, hidden_dim=12)" in script
    (tmp_path / "student.py").write_text(script)
    report = grade(str(tmp_path / "student.py"))
    assert report.verdict == "pass", report.to_table()


def test_weights_named_in_lower_case_are_found(tmp_path):
    source = (TUTORIAL / "correct_sizes_by_name.py").read_text()
    lower = source
    for name in ("Wxh", "Whh", "Why"):
        lower = lower.replace(f"self.{name}", f"self.{name.lower()}")
    assert "self.Whh" not in lower and "self.whh" in lower
    (tmp_path / "student.py").write_text(lower)
    report = grade(str(tmp_path / "student.py"))
    assert report.verdict == "pass", report.to_table()
    assert "grad:whh" in {c.name for c in report.checks}


def test_the_tutorial_examples_pass_under_other_probe_seeds():
    files = sorted(TUTORIAL.glob("correct_*.py")) + [TUTORIAL / "split_files" / "train.py"]
    for path in files:
        for seed in (7, 19):
            report = grade(str(path), seed=seed)
            assert report.verdict == "pass", (path.name, seed, report.to_table())


def test_a_backprop_left_as_a_stub_fails_and_does_not_crash_the_grader(tmp_path):
    # a tutorial stub whose backprop changes nothing: the update check must fail, not be read as clipping at 0
    src = (EXAMPLES / "correct_class.py").read_text()
    head, _, _ = src.partition("    def backprop(self, d_y, learn_rate=0.02):")
    path = tmp_path / "stub.py"
    path.write_text(head + "    def backprop(self, d_y, learn_rate=0.02):\n        pass\n")
    report = grade(str(path))
    assert report.error is None, report.error
    assert report.verdict == "fail" and any(c.status == "fail" for c in report.checks)
