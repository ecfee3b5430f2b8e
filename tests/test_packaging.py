"""Every package folder ships in a non-editable install (pip install ., a wheel): pyproject lists each one,
through the package-dir mapping. The pytest plugin must work after `pip install` with no clone."""
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = set()
    for package, folder in config["package-dir"].items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            found.add(".".join([package, *rel.parts]))
    missing = sorted(found - listed)
    assert not missing, f"package folders missing from pyproject's packages: {missing}"


def test_pytest_is_installed_with_the_package():
    """`pytest --rnn-impl` right after `pip install rnn-parity`: pytest is a dependency, not a test extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [d.split(">")[0].split("=")[0].split("[")[0].strip() for d in project["dependencies"]]
    assert "pytest" in names
    assert "pytest11" in project["entry-points"]
