"""--run-all-cells runs every cell inside an IPython shell in the grader's child: get_ipython() and line magics
work there, shell escapes are skipped with a note, and the definitions-only default never starts IPython."""
import nbformat

from rnn_parity.grader import grade

from .conftest import NOTEBOOKS

CLASS_CELL = (NOTEBOOKS.parent / "correct_class.py").read_text()
IPYTHON_CELL = """\
shell = get_ipython()
assert shell is not None, "no IPython shell"
shell.run_line_magic("config", "InlineBackend.figure_format = 'png'")
import matplotlib
BACKEND = matplotlib.get_backend()
assert "inline" in BACKEND, BACKEND
"""


def _notebook(tmp_path, *cells):
    nb = nbformat.v4.new_notebook()
    for i, src in enumerate(cells):
        cell = nbformat.v4.new_code_cell(src)
        cell.id = f"c{i}"
        nb.cells.append(cell)
    path = tmp_path / "hw.ipynb"
    path.write_text(nbformat.writes(nb))
    return path


def test_get_ipython_and_matplotlib_inline_work_with_run_all_cells(tmp_path):
    path = _notebook(tmp_path, "%matplotlib inline\n!pip install numpy", IPYTHON_CELL, CLASS_CELL,
                     "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()")
    report = grade(str(path), run_all_cells=True)
    assert report.verdict == "pass", (report.error, report.notes)
    notes = " ".join(report.notes)
    assert "ran 1 line magic through IPython: `%matplotlib inline` (code cell 1)" in notes
    assert "`!pip install numpy` (code cell 1)" in notes  # skipped: a grade installs nothing
    assert "IPython shell" in notes


def test_a_cell_that_needs_ipython_fails_in_a_plain_python_run(tmp_path):
    # The same notebook, definitions only: the cell calling get_ipython() is not run, so it still grades.
    path = _notebook(tmp_path, "%matplotlib inline", IPYTHON_CELL, CLASS_CELL)
    report = grade(str(path))
    assert report.verdict == "pass", report.error
    assert not any("IPython shell" in n for n in report.notes)
