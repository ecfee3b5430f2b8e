"""`rnn-parity mutants`: the parity suite kills every catalogued mutant."""
import pytest

from rnn_parity import mutants
from rnn_parity.cli import main


def test_list(capsys):
    assert main(["mutants", "--list"]) == 0
    out = capsys.readouterr().out
    for m in mutants.CATALOG:
        assert m.id in out


def test_some_mutants_are_killed(capsys):
    ids = ["whh_not_transposed_backward", "one_hot_from_position", "grad_buffers_not_reset"]
    code = main(["mutants", *sum((["--only", i] for i in ids), [])])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "mutation score: 3/3 killed (100%)" in out


@pytest.mark.slow
def test_full_score(capsys):
    code = main(["mutants"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"{len(mutants.CATALOG)}/{len(mutants.CATALOG)} killed (100%)" in out
    assert "SURVIVED" not in out


def test_unknown_id(capsys):
    assert main(["mutants", "--only", "nope"]) == 2
    assert "unknown mutant id" in capsys.readouterr().err
