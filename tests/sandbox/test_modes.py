"""--sandbox auto|require|off, what the sandboxed child sees, the answer-key guard's two halves, and the one
GradeOptions value that carries a grade's settings."""
from __future__ import annotations

import json
import os
import sys

import pytest

from rnn_parity.errors import RNNParityError
from rnn_parity.grader import grade
from rnn_parity.grader.isolation import guard
from rnn_parity.grader.isolation import sandbox
from rnn_parity.grader.options import GradeOptions

from .conftest import _WHY_NOT

needs_bwrap = pytest.mark.skipif(_WHY_NOT is not None, reason=f"no sandbox here: {_WHY_NOT}")
EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "correct_functions.py")


@pytest.fixture
def no_bwrap(monkeypatch, tmp_path):
    """A PATH without bwrap on it, as on a machine without bubblewrap."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))


def test_require_without_bubblewrap_refuses_in_one_line(cli_main, no_bwrap):
    code, out, err = cli_main("grade", EXAMPLE, "--sandbox", "require")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "--sandbox require: bubblewrap is " in err, err  # not installed / Linux-only
    with pytest.raises(RNNParityError, match="--sandbox require"):
        grade(EXAMPLE, sandbox="require")


def test_auto_without_bubblewrap_grades_and_says_so(cli_main, no_bwrap):
    code, out, err = cli_main("grade", EXAMPLE, "--json")
    report = json.loads(out)
    assert code == 0 and report["verdict"] == "pass" and report["sandbox"] == "none"
    assert any(n.startswith("not sandboxed: bubblewrap is ") for n in report["notes"]), report["notes"]


@needs_bwrap
def test_auto_uses_bubblewrap_where_it_works(cli_main):
    code, out, err = cli_main("grade", EXAMPLE, "--json")
    assert code == 0 and json.loads(out)["sandbox"] == "bubblewrap"
    code, out, err = cli_main("grade", EXAMPLE, "--json", "--sandbox", "off")
    assert code == 0 and json.loads(out)["sandbox"] == "none"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="bubblewrap is Linux-only")
def test_the_probe_runs_bwrap_rather_than_trusting_that_it_is_installed(tmp_path, monkeypatch):
    fake = tmp_path / "bwrap"
    fake.write_text("#!/bin/sh\necho 'bwrap: No permissions to creating new namespace' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert "cannot create its namespaces here (bwrap: No permissions" in sandbox.probe()
    assert sandbox.choose("auto")[0] == "none"
    with pytest.raises(sandbox.SandboxUnavailable):
        sandbox.choose("require")


def test_the_child_side_is_bound_without_the_answer_key():
    rels = [rel for _, rel in sandbox.child_modules()]
    assert "rnn_parity/grader/isolation/child.py" in rels and "rnn_parity/grader/protocols/__init__.py" in rels
    assert "rnn_parity/grader/protocols/cs231n.py" in rels and "rnn_parity/grader/protocols/supplied/utils.py" in rels
    assert "rnn_parity/grader/judging/plan.py" in rels and "rnn_parity/grader/isolation/guard.py" in rels
    parent_side = ("core", "expect", "checks", "diagnosis", "harness", "sandbox", "notebook", "report", "answers",
                   "judge")
    assert not [r for r in rels if r.startswith(("rnn_parity/reference", "rnn_parity/torch_impl"))
                or os.path.basename(r)[:-3] in parent_side or r == "rnn_parity/errors.py"], rels
    names = [name for _, name in sandbox.site_entries()]
    assert "numpy" in names and "scipy" in names
    assert not [n for n in names if n.split(".")[0].split("-")[0].lower() in guard.FORBIDDEN
                or n.startswith(("__editable__", "rnn_parity"))], names


@needs_bwrap
def test_the_sandbox_shows_the_site_entries_and_covers_the_rest(tmp_path):
    """Past the import guard (a plain interpreter in the sandbox), torch is a missing module, not an empty
    namespace package nor the real one, and numpy imports: the site folder is bound whole, the rest covered."""
    import subprocess

    (tmp_path / "job").mkdir()
    (tmp_path / "scratch").mkdir()
    argv, _, _ = sandbox.bwrap_argv(["/job"], str(tmp_path / "job"), str(tmp_path / "scratch"), EXAMPLE,
                                    os.path.dirname(EXAMPLE), sandbox.sandbox_env({}))
    code = (f"import sys; sys.path[:0] = [{sandbox.PKG!r}, {sandbox.SITE!r}]\n"
            "import numpy\n"
            "for name in ('torch', 'keras'):\n"
            "    try:\n        __import__(name)\n        print(name, 'imported')\n"
            "    except ModuleNotFoundError as e:\n        print(name, 'missing', e.name)\n")
    exe = os.path.realpath(sys.executable)
    cut = argv.index("--")
    out = subprocess.run(argv[:cut] + ["--", exe, "-I", "-S", "-B", "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr[-300:]
    assert out.stdout.split("\n")[:2] == ["torch missing torch", "keras missing keras"], out.stdout
    mounts = sum(a in ("--ro-bind", "--bind", "--ro-bind-try") for a in argv)
    assert mounts < len(sandbox.site_entries()), f"{mounts} mounts: the site entries are bound one by one"


def test_a_submission_sees_its_imported_siblings_and_named_data_only(tmp_path):
    (tmp_path / "helpers.py").write_text("import numpy as np\nfrom pkg import deep\n")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "deep.py").write_text("X = 1\n")
    (tmp_path / "input.txt").write_text("hello")
    (tmp_path / "other_student.py").write_text("SECRET = 1\n")
    (tmp_path / "private.txt").write_text("not yours")
    for folder in ("data", "others"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.txt").write_text("x")
    main = tmp_path / "main.py"
    main.write_text("import helpers\nDATA = open('input.txt').read()\nOTHER = 'other_student.py'\n"
                    "P = 'private.txt'\nD = os.listdir('data')\nO = 'others'\nHERE, UP = '.', '..'\n")
    private = (str(tmp_path / "private.txt"), str(tmp_path / "others" / "x.txt"))
    rels = sorted(rel for _, rel in sandbox.submission_files(str(main), str(tmp_path), private=private))
    assert rels == ["data", "helpers.py", "input.txt", "main.py", "pkg/__init__.py", "pkg/deep.py"]


@needs_bwrap
def test_a_sandboxed_submission_reads_its_data_and_imports_its_helper(tmp_path):
    (tmp_path / "helpers.py").write_text("import numpy as np\nSCALE = 1.0\n")
    (tmp_path / "input.txt").write_text("hello")
    body = open(EXAMPLE).read()
    main = tmp_path / "main.py"
    main.write_text("import helpers\nassert open('input.txt').read() == 'hello'\n" + body)
    report = grade(str(main), sandbox="require")
    assert report.verdict == "pass" and report.sandbox == "bubblewrap", report.error


def test_every_error_kind_the_grader_writes_is_declared():
    """One ErrorKind: every kind a grader module puts in an error is one of its values."""
    import glob
    import re
    import typing

    from rnn_parity.grader.options import ErrorKind

    declared = set(typing.get_args(ErrorKind))
    root = os.path.join(os.path.dirname(__file__), "..", "..", "rnn_parity")
    used = set()
    for path in glob.glob(os.path.join(root, "grader", "*.py")) + [os.path.join(root, "commands", "grade.py")]:
        text = open(path).read()
        used |= set(re.findall(r'"kind": "(\w+)"', text)) | set(re.findall(r'GradeError\("(\w+)"', text))
    assert used and used <= declared, sorted(used - declared)


# --- the answer-key guard -------------------------------------------------------------------------------------

@pytest.mark.parametrize("line, module", [
    ("import rnn_parity", "rnn_parity"),
    ("import numpy, rnn_parity.reference as R", "rnn_parity.reference"),
    ("from rnn_parity.reference import forward", "rnn_parity.reference"),
    ("from torch import nn", "torch"),
    ("import jax.numpy as jnp", "jax.numpy"),
    ("autograd = __import__('autograd')", "autograd"),
    ("import importlib; m = importlib.import_module('tensorflow')", "tensorflow"),
])
def test_the_ast_scan_finds_forbidden_imports(line, module):
    # a function uses what was imported (an autodiff import no function uses is inert: test_inert_imports)
    uses = "\n\ndef f():\n    return nn, jnp, m, autograd\n"
    assert guard.scan(f"import numpy as np\n\n{line}\n{uses}") == [(3, module)]


@pytest.mark.parametrize("source", ["import numpy as np", "from . import torchlike", "import torchvision_free",
                                    "x = 'import torch'", "def f(:"])
def test_the_ast_scan_leaves_other_code_alone(source):
    assert guard.scan(source) == []


def test_the_verdict_names_the_answer_key():
    assert guard.why("rnn_parity") == "the submission imports rnn_parity.reference, which holds the answers"
    assert guard.why("rnn_parity.grader.judging.expect").startswith("the submission imports rnn_parity.grader.judging.expect")
    assert "automatic-differentiation" in guard.why("torch.nn")


def test_the_import_hook_refuses_at_run_time(tmp_path):
    code = ("import sys; from rnn_parity.grader.isolation.guard import ImportGuard, ForbiddenImport\n"
            "g = ImportGuard.install()\n"
            "import numpy\n"
            "for name in ('rnn_parity.reference', 'torch', 'autograd'):\n"
            "    try:\n        __import__(name)\n    except ForbiddenImport as e:\n        print(e)\n"
            "print(g.refused)\n")
    import subprocess

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "rnn_parity.reference, which holds the answers" in out
    assert "['rnn_parity.reference', 'torch', 'autograd']" in out


# --- one options value ----------------------------------------------------------------------------------------

def test_grade_options_travel_as_one_value_and_keywords_still_work():
    options = GradeOptions(seed=3, protocol="functions", timeout=20.0, sandbox="off")
    by_value = grade(EXAMPLE, options)
    by_keywords = grade(EXAMPLE, seed=3, protocol="functions", timeout=20.0, sandbox="off")
    assert by_value.verdict == by_keywords.verdict == "pass"
    assert by_value.seed == 3 and by_value.to_json()["sandbox"] == "none"
    job = options.job("/x/impl.py", "/x")
    assert job == {"impl": "/x/impl.py", "seed": 3, "class": None, "protocol": "functions",
                   "output_cap": options.output_cap, "zero_h0": False, "cwd": "/x", "inert": []}
    assert options.with_(class_name="RNN").job("/x/impl.py", "/x")["protocol"] == "class"


@pytest.mark.parametrize("kwargs, needle", [
    ({"sandbox": "maybe"}, "sandbox must be one of"),
    ({"timeout": 0}, "timeout must be positive"),
    ({"protocol": "keras"}, "protocol must be one of"),
    ({"colour": "red"}, "unknown grade option(s): colour"),
])
def test_bad_options_are_one_line_errors(kwargs, needle):
    with pytest.raises(RNNParityError) as e:
        grade(EXAMPLE, **kwargs)
    assert needle in str(e.value) and "\n" not in str(e.value)


@pytest.fixture
def cli_main(monkeypatch, capfd):
    from rnn_parity.cli import main

    def run(*argv):
        monkeypatch.setattr(sys, "argv", ["rnn-parity"])
        code = main([str(a) for a in argv])
        out, err = capfd.readouterr()
        return code, out, err
    return run
