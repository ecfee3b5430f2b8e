"""`rnn-parity mutants`: the parity suite kills every catalogued mutant."""
import pytest

from rnn_parity import mutants
from rnn_parity.cli import main


def test_list(capsys):
    assert main(["mutants", "--list"]) == 0
    out = capsys.readouterr().out
    for m in mutants.ALL:
        assert f"{m.id}  [{m.cell}]" in out
    assert main(["mutants", "--list", "--cell", "gru"]) == 0
    out = capsys.readouterr().out
    assert "gru_bhn_outside_reset" in out and "lstm_" not in out and "whh_not_transposed_backward" not in out


def test_some_mutants_are_killed(capsys):
    ids = ["whh_not_transposed_backward", "one_hot_from_position", "grad_buffers_not_reset"]
    code = main(["mutants", *sum((["--only", i] for i in ids), [])])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "mutation score: 3/3 killed (100%)" in out


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_cells_score(cell, capsys):
    """The gated catalogues scored end to end (each of the whole catalogue's kills: parity_tests/test_mutations.py)."""
    code = main(["mutants", "--cell", cell])
    out = capsys.readouterr().out
    assert code == 0, out
    n = len(mutants.for_cell(cell))
    assert n >= 5 and f"  {cell:5s} {n}/{n} killed (100%)" in out
    assert f"mutation score: {n}/{n} killed (100%)" in out and "SURVIVED" not in out


def test_a_survivor_fails_the_command(capsys, monkeypatch):
    from rnn_parity.parity import battery

    lstm_only = tuple(p for p in battery.GATED_BATTERY if p.cell == "lstm")  # the GRU's probes taken away
    monkeypatch.setattr(battery, "BATTERY", lstm_only)
    code = main(["mutants", "--only", "gru_bhn_outside_reset", "--only", "lstm_h_without_tanh"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "SURVIVED  gru_bhn_outside_reset" in out and "killed    lstm_h_without_tanh" in out
    assert "  lstm  1/1 killed (100%)" in out and "  gru   0/1 killed (0%)" in out
    assert "mutation score: 1/2 killed (50%)" in out and "survivors: gru_bhn_outside_reset" in out


def test_a_probe_that_fails_unbroken_is_refused(capsys, monkeypatch):
    from rnn_parity.parity import battery

    monkeypatch.setattr(battery, "probe_failure", lambda probe: f"{probe.label} {probe.case}: broken")
    assert main(["mutants", "--only", "lstm_h_without_tanh"]) == 2
    assert "the unbroken reference fails the battery (lstm forward L1-uni-lstm-all-h0-T4: broken)" in capsys.readouterr().err


def test_unknown_id(capsys):
    assert main(["mutants", "--only", "nope"]) == 2
    assert "unknown mutant id" in capsys.readouterr().err
    assert main(["mutants", "--cell", "lstm", "--only", "gru_bhn_outside_reset"]) == 2
    assert "not in the lstm catalogue" in capsys.readouterr().err
    assert main(["mutants", "--cell", "transformer"]) == 2
    err = capsys.readouterr().err
    assert "--cell must be one of rnn, lstm, gru, all, got 'transformer'" in err and len(err.strip().splitlines()) == 1
