"""The complete minimal examples of docs/protocols/cs231n_lstm.md and dlai_lstm.md pass as written."""
import re

import pytest

from rnn_parity.grader import grade

from .conftest import ROOT


@pytest.mark.parametrize("page, checks", [("cs231n_lstm.md", 13), ("dlai_lstm.md", 25)])
def test_the_minimal_example_passes(tmp_path, page, checks):
    code = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "protocols" / page).read_text(), re.S)[0]
    path = tmp_path / "example.py"
    path.write_text(code)
    report = grade(str(path))
    assert report.verdict == "pass" and len(report.checks) == checks, report.to_table()
    assert all(v["consistent"] for v in report.own_gradient.values())
