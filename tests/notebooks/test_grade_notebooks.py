"""Grading notebooks: the examples grade as expected, and the conversion keeps what defines the model."""
import json

import nbformat
import pytest

from rnn_parity.cli import main
from rnn_parity.grader import grade
from rnn_parity.grader.intake.notebook import ALL_CELLS, convert

from .conftest import NOTEBOOKS, build, graded


def _nb(tmp_path, *cells, name="hw.ipynb", language=None):
    nb = nbformat.v4.new_notebook()
    if language:
        nb.metadata["kernelspec"] = {"name": language, "language": language, "display_name": language}
    for i, src in enumerate(cells):
        cell = nbformat.v4.new_markdown_cell(src[3:]) if src.startswith("md:") else nbformat.v4.new_code_cell(src)
        cell.id = f"c{i}"
        nb.cells.append(cell)
    path = tmp_path / name
    path.write_text(nbformat.writes(nb))
    return path


CLASS_CELL = (NOTEBOOKS.parent / "correct_class.py").read_text()


def test_committed_notebooks_are_what_build_py_writes(tmp_path):
    for path in build.build_all(tmp_path):
        committed = NOTEBOOKS / path.name
        assert committed.read_text() == path.read_text(), f"rerun examples/notebooks/build.py ({path.name})"
        nbformat.validate(nbformat.read(str(committed), as_version=4))


def test_correct_notebook_passes_without_running_its_training_cell(tmp_path):
    report = graded("correct_class")
    assert report.verdict == "pass", report.to_table()
    assert report.impl.endswith("correct_class.ipynb")
    assert report.diagnosis == [] and report.error is None
    assert "ran only its definitions" in report.notes[0]
    assert any("%matplotlib inline" in n for n in report.notes)
    source = open(convert(str(NOTEBOOKS / "correct_class.ipynb"), out_dir=str(tmp_path)).path).read()
    assert "class ParityRNN" in source and "def one_hot" in source and "EPOCHS = 1000" in source
    assert "for epoch in range(EPOCHS)" not in source and "plt.plot" not in source and "plt.show" not in source


def test_global_from_a_data_cell_is_named_with_the_fix():
    report = graded("needs_run_all")
    assert report.verdict == "error" and report.exit_code == 2
    assert report.error["kind"] == "missing_global"
    msg = report.error["message"]
    assert "`vocab_size`" in msg and "--run-all-cells" in msg
    assert "code cell 3" in msg and "vocab_size = len(chars)" in msg  # the cell that builds it
    assert "code cell 4, line 4" in msg  # where the definitions use it
    assert ".ipynb.py" not in msg  # no line of the generated file leaks out


def test_run_all_cells_grades_it_and_skips_shell_lines():
    report = graded("needs_run_all", run_all_cells=True)
    assert report.verdict == "pass", report.to_table()
    assert report.info["notebook"]["mode"] == ALL_CELLS
    notes = " ".join(report.notes)
    assert "ran all 5 code cells" in notes
    assert "!pip install numpy matplotlib" in notes and "%matplotlib inline" in notes


@pytest.mark.parametrize("name", ["mistake_whh_not_transposed", "mistake_hidden_grad_not_carried"])
def test_mistake_notebooks_fail_with_the_mistake_named(name):
    report = graded(name)
    verdict, mistake = build.EXPECTED[name]
    assert report.verdict == verdict == "fail", report.to_table()
    assert [f.mutant.id for f in report.diagnosis] == [mistake]
    assert report.diagnosis[0].full
    assert set(report.diagnosis[0].explains) == {c.name for c in report.checks if c.status == "fail"}


def test_cli_json_keeps_its_contract(capsys):
    code = main(["grade", str(NOTEBOOKS / "mistake_hidden_grad_not_carried.ipynb"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["verdict"] == "fail"
    assert out["implementation"].endswith(".ipynb")
    assert "evidence" not in out and all(set(c) <= {"name", "status", "rel_error", "detail", "departs_at_step"}
                                         for c in out["checks"])
    assert out["diagnosis"][0]["id"] == "hidden_grad_not_carried"
    assert out["protocol"]["protocol"] == "functions"


# ----------------------------------------------------------------------------------------------
# The conversion, without running anything


def test_definitions_mode_selects_by_the_ast(tmp_path):
    path = _nb(tmp_path,
               "md:# Homework",
               "import numpy as np\nfrom math import pi\n%matplotlib inline\n!pip install tqdm",
               "H = 8\nVOCAB = 'abc'\nvocab_size = len(VOCAB)\nix = {c: i for i, c in enumerate(VOCAB)}\n"
               "TWO_PI = 2 * pi\nrng = np.random.default_rng(0)\nact = lambda z: np.tanh(z)",
               "data = open('corpus.txt').read()\nchars = sorted(set(data))\nsize = len(chars)",
               "def f(x):\n    return x\n\n@staticmethod\ndef g():\n    pass\nclass A:\n    pass",
               "model = A()\nfor i in range(1000):\n    f(i)\nprint('done')",
               "s = '''\n%not a magic inside a string\n'''",
               "%%time\nZ = 3",
               "%%bash\necho hi",
               "x = 1; train = f(2)")
    conv = convert(str(path), out_dir=str(tmp_path))
    src = open(conv.path).read()
    for kept in ("import numpy as np", "from math import pi", "H = 8", "vocab_size = len(VOCAB)", "ix = {c: i",
                 "TWO_PI = 2 * pi", "rng = np.random.default_rng(0)", "act = lambda z", "def f(x):",
                 "@staticmethod", "class A:", "s = '''", "%not a magic inside a string", "Z = 3", "x = 1"):
        assert kept in src, kept
    for dropped in ("open(", "chars =", "size = len(chars)", "model = A()", "range(1000)", "print('done')",
                    "echo hi", "train = f(2)", "%matplotlib", "!pip"):
        assert dropped not in src, dropped
    compile(src, conv.path, "exec")
    assert set(conv.built_by_skipped) >= {"data", "chars", "size", "model", "train"}
    assert conv.built_by_skipped["size"].cell == 3
    assert [s.text for s in conv.magic_lines] == ["%matplotlib inline", "!pip install tqdm", "%%time", "%%bash"]
    assert conv.skipped_cells == [3, 5, 8]  # nothing kept; 8 is the %%bash cell
    # every kept line maps back to its cell and line
    lines = src.split("\n")
    n = lines.index("vocab_size = len(VOCAB)") + 1
    assert conv.line_map[n] == (2, 3)


def test_future_imports_move_to_the_top_and_bad_cells_are_reported(tmp_path):
    path = _nb(tmp_path, "import numpy as np",
               "from __future__ import annotations\ndef f(x: int) -> int:\n    return x",
               "def broken(:\n    pass")
    conv = convert(str(path), out_dir=str(tmp_path))
    src = open(conv.path).read()
    body = [ln for ln in src.split("\n") if ln and not ln.startswith("#")]
    assert body[0] == "from __future__ import annotations"
    compile(src, conv.path, "exec")
    assert any("code cell 3 does not parse" in n for n in conv.notes())
    with pytest.raises(ValueError, match="code cell 3 of hw.ipynb does not parse"):
        convert(str(path), run_all_cells=True, out_dir=str(tmp_path))


def test_unreadable_and_non_python_notebooks_are_reports(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    report = grade(str(bad))
    assert report.verdict == "error" and report.error["kind"] == "notebook"
    assert "not JSON" in report.error["message"]
    r_nb = _nb(tmp_path, "x <- 1", name="r.ipynb", language="R")
    report = grade(str(r_nb))
    assert report.error["kind"] == "notebook" and "R notebook" in report.error["message"]


def test_errors_point_at_notebook_cells(tmp_path):
    path = _nb(tmp_path, "import numpy as np", CLASS_CELL.replace(
        "        steps = len(self.xs)\n", "        steps = len(self.xs)\n        raise RuntimeError('not yet')\n"))
    report = grade(str(path))
    assert report.verdict == "error" and report.error["kind"] == "exception"
    assert "RuntimeError: not yet" in report.error["message"]
    assert "(code cell 2, line " in report.error["message"], report.error["message"]


def test_a_name_no_cell_defines_still_suggests_run_all_cells(tmp_path):
    path = _nb(tmp_path, "import numpy as np\nscale = SCALE_FROM_NOWHERE\n",
               CLASS_CELL.replace("hidden_size=32", "hidden_size=HIDDEN_UNDEFINED"))
    report = grade(str(path))
    assert report.error["kind"] == "missing_global"
    assert "`HIDDEN_UNDEFINED`" in report.error["message"]
    assert "no cell of the notebook assigns it" in report.error["message"]
