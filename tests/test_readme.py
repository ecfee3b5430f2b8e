"""The README's API walk-through runs as written (documentation that drifts is a bug)."""
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def test_the_api_walk_through_runs(capsys):
    code = "\n".join(re.findall(r"```python\n(.*?)```", section("The reference and the torch model"), re.S))
    assert "to_torch" in code and "gradcheck" in code
    exec(compile(code, str(README), "exec"), {})
    report = capsys.readouterr().out
    assert "0 failed" in report and "PASS" in report
    # the LSTM example beside the RNN one: its own gradcheck report, with rows for the projection and c0
    assert 'cell="lstm"' in code and report.count(" 0 failed") == 2 and "FAIL" not in report
    assert re.search(r"^Whr\s", report, re.M) and re.search(r"^c0\s", report, re.M)


def test_the_set_up_commands_are_exactly_make_demo_and_make_test():
    block = re.search(r"```bash\n(.*?)```", section("Set-up"), re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
