from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
IMPLS = Path(__file__).resolve().parent / "impls"
CORRECT = ["correct_class.py", "correct_functions.py", "correct_class_loss.py"]


@pytest.fixture
def impls():
    return IMPLS
