"""Files as handed in: Python 2 converted in memory (or refused naming the line), and files that train at module
level loaded for their definitions only, decided from the AST before anything runs."""
import ast

import pytest

from rnn_parity.grader import grade
from rnn_parity.grader.intake.loading import prepare, why_definitions_only
from rnn_parity.grader.intake.py2 import SourceError, to_python3

from .conftest import EXAMPLES

CORRECT_FUNCTIONS = (EXAMPLES / "correct_functions.py").read_text()

PY2 = """\
import numpy as np
print "hello"
for i in xrange(3):
    print i,
try:
    pass
except ValueError, e:
    pass
d = {1: 2}
for k, v in d.iteritems():
    pass
"""


def test_python2_is_converted_with_the_fixers_named():
    source, fixers = to_python3(PY2, "old.py")
    ast.parse(source)
    assert fixers == ("dict", "except", "print", "xrange")
    assert len(source.splitlines()) == len(PY2.splitlines())  # messages keep pointing at the student's lines


def test_python3_is_left_alone():
    assert to_python3("x = 1 / 2\nprint(x)\n") == ("x = 1 / 2\nprint(x)\n", ())


@pytest.mark.parametrize("source, line", [
    ("x = 1\ndef f(:\n    pass\n", 2),
    ("x = 1\nprint x\n\ndef f(:\n    pass\n", 4),  # Python 2 parses further: the line it stops at
])
def test_unparseable_file_is_refused_naming_the_line(source, line):
    with pytest.raises(SourceError, match=rf"^line {line}: cannot parse as Python 3 or Python 2"):
        to_python3(source)


@pytest.mark.parametrize("source, why", [
    ("import numpy as np\nwhile True:\n    pass\n", "top-level loop (line 2)"),
    ("for epoch in range(3):\n    pass\n", "top-level loop (line 1)"),
    ("data = open('input.txt').read()\n", "reads input at the top level (line 1)"),
    ("with open('x') as f:\n    pass\n", "`with` block (line 1)"),
    ("def lossFun(inputs, targets, hprev):\n    pass\n", "min-char-rnn"),
    ("def train(x):\n    for e in x:\n        pass\nparams = train(3)\n",
     "its own looping function at the top level (line 4)"),
    ("def record(x):\n    return x\nrecord(3)\n", None),  # a call that cannot train: the file runs whole
    ("class RNN:\n    pass\nrnn = RNN()\n", None),
    ("x = input('weights? ')\n", None),  # stdin is closed: it fails at once, and says so
    ("import time\ntime.sleep(0)\n", None),  # a library call: the file runs whole
    ("if __name__ == '__main__':\n    def f():\n        pass\n", "under `if __name__ == \"__main__\":` (line 1)"),
    ("if __name__ == '__main__':\n    main()\n", None),  # a guarded call never runs: the file runs whole
    ("import numpy as np\nH = 3\ndef forward(p, x, h0):\n    for t in x:\n        pass\n", None),
])
def test_when_a_file_is_loaded_for_its_definitions_only(source, why):
    found = why_definitions_only(ast.parse(source))
    assert (found is None) if why is None else (why in found)


def test_skipped_statements_are_named_and_lines_keep_their_numbers():
    pieces, notes, ipython = prepare("import numpy as np\ndata = open('in.txt').read()\nH = 4\n\n"
                                   "def f():\n    return 1 / 0\n", "/tmp/x.py")
    assert not ipython
    assert "skipped 1 top-level statement: line 2 `data = open('in.txt').read()`" in notes[0]
    namespace = {}
    for _, code in pieces:
        exec(code, namespace)
    assert namespace["H"] == 4 and "data" not in namespace
    with pytest.raises(ZeroDivisionError) as e:
        namespace["f"]()
    assert e.traceback[-1].lineno + 1 == 6 and str(e.traceback[-1].path) == "/tmp/x.py"  # the student's line 6


def test_a_top_level_training_loop_never_runs(tmp_path):
    # A correct function-protocol file whose module level reads a missing file and then loops forever.
    impl = tmp_path / "trains.py"
    impl.write_text(CORRECT_FUNCTIONS + "\ndata = open('no-such-input.txt').read()\nwhile True:\n    pass\n")
    report = grade(str(impl), timeout=20)
    assert report.verdict == "pass", report.error
    assert any("definitions only" in n and "`while True:`" in n for n in report.notes)


def test_definitions_under_a_main_guard_are_kept_and_its_training_skipped(tmp_path):
    body = (EXAMPLES / "minchar" / "correct.py").read_text()
    head, rest = body.split("def lossFun", 1)
    fn, loop = rest.split("\n\n\nn, p = 0, 0", 1)
    guarded = ("def lossFun" + fn + "\n\nn, p = 0, 0" + loop).split("\n")
    indented = "\n".join("    " + ln if ln else ln for ln in guarded)
    (tmp_path / "guarded.py").write_text(head + 'if __name__ == "__main__":\n' + indented)
    report = grade(str(tmp_path / "guarded.py"), timeout=20)
    assert report.verdict == "pass" and report.info["protocol"] == "minchar", (report.error, report.notes)


@pytest.mark.parametrize("source, fixers", [
    ("print('x')\nfor i in xrange(3):\n    print(i, end='')\n", ("xrange",)),  # Python 2 that parses as 3
    ("name = raw_input('?')\nprint(name)\n", ("raw_input",)),
    ("def xrange(n):\n    return range(n)\nfor i in xrange(3):\n    pass\n", ()),  # its own xrange: untouched
    ("from functools import reduce\nreduce(max, [1, 2])\n", ()),
])
def test_python2_builtins_in_python3_syntax_get_only_their_fixers(source, fixers):
    out, applied = to_python3(source)
    assert applied == fixers
    assert (out == source) == (not fixers)
    assert all(f"{name}(" not in out for name in fixers)
    ast.parse(out)  # print(..., end='') still a call: converted under the print-function grammar


def test_a_python2_notebook_has_its_cells_converted_and_graded(tmp_path):
    import nbformat

    # the Python 2 min-char-rnn example as a notebook: the first cell (imports, `print '...'`) does not parse
    # as Python 3; skipping it would lose `import numpy as np` and fail lossFun with a NameError
    source = (EXAMPLES / "minchar" / "correct_py2.py").read_text()
    head, *defs = source.split("\ndef ")
    cells = [nbformat.v4.new_code_cell(head)] + [nbformat.v4.new_code_cell("def " + d) for d in defs]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), str(tmp_path / "py2.ipynb"))
    report = grade(str(tmp_path / "py2.ipynb"))
    assert report.verdict == "pass", report.to_table()
    assert any(n.startswith("converted code cells 1") and "from Python 2" in n for n in report.notes), report.notes
