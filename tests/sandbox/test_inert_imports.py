"""Autodiff libraries imported only for cells the grade never runs (a Dinosaur Island notebook's keras
part) get inert stand-ins; any use of one by a function, or any other import of one, is refused."""
import shutil
from pathlib import Path

import pytest

from rnn_parity.grader.core import grade
from rnn_parity.grader.isolation.guard import inert_imports, scan

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
KERAS_CELLS = "from tensorflow.keras.models import Model, load_model\nimport tensorflow as tf\n"


@pytest.mark.parametrize("source, inert, refused", [
    (KERAS_CELLS + "model = Model()\n", ["tensorflow"], []),
    ("import torch\n\ndef forward(x):\n    return torch.tanh(x)\n", [], [(1, "torch")]),
    ("def forward(x):\n    import torch\n    return x\n", [], [(2, "torch")]),
    ("from torch import *\n", [], [(1, "torch")]),
    ("import jax.numpy as jnp\nf = lambda x: jnp.tanh(x)\n", [], [(1, "jax.numpy")]),
    ("import rnn_parity.reference\n", [], [(1, "rnn_parity.reference")]),
])
def test_inert_only_when_no_function_uses_it(source, inert, refused):
    assert inert_imports(source) == inert
    assert scan(source) == refused


def test_a_dinosaur_file_with_keras_imports_is_graded_with_a_note(tmp_path):
    src = EXAMPLES / "dlai" / "correct_dinosaur.py"
    path = tmp_path / "dinosaur.py"
    path.write_text(KERAS_CELLS + src.read_text())
    for extra in src.parent.glob("*.txt"):
        shutil.copy(extra, tmp_path)
    report = grade(str(path))
    assert report.verdict == "pass", report.error
    assert any("tensorflow: imported at the top level but used by no function" in n for n in report.notes)


def test_calling_an_inert_library_fails_that_function(tmp_path):
    src = (EXAMPLES / "correct_functions.py").read_text()
    path = tmp_path / "student.py"
    path.write_text("import torch\n" + src.replace("def forward(", "def _unused(x):\n    return x\n\n\ndef forward(", 1)
                    + "\n\ndef helper():\n    pass\n")
    assert inert_imports(path.read_text()) == ["torch"]
    report = grade(str(path))
    assert report.verdict == "pass"
    sneaky = tmp_path / "sneaky.py"  # reaches the stand-in through globals(), which the AST cannot follow
    sneaky.write_text("import torch\n" + src.replace("    a_prev = h0", "    globals()['torch'].tanh(0)\n    a_prev = h0", 1))
    report = grade(str(sneaky))
    assert report.verdict != "pass"
    assert "automatic-differentiation library" in str(report.error) + str([c.detail for c in report.checks])
