"""Shared helpers: the example notebooks' builder, and each notebook graded once per session (per xdist worker)."""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "examples" / "notebooks"


def _load_build():
    spec = importlib.util.spec_from_file_location("rnn_parity_example_notebooks_build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build = _load_build()
_cache: dict = {}


def graded(name: str, **kwargs):
    """The GradeReport of examples/notebooks/<name>.ipynb, graded once per set of options."""
    from rnn_parity.grader import grade

    key = (name, tuple(sorted(kwargs.items())))
    if key not in _cache:
        _cache[key] = grade(str(NOTEBOOKS / f"{name}.ipynb"), **kwargs)
    return _cache[key]


@pytest.fixture
def grade_example():
    return graded
