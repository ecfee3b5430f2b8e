"""The grader on the examples: every correct one passes, every mistake fails with that mistake named."""
import json

import pytest

from rnn_parity import mutants
from rnn_parity.cli import main
from rnn_parity.grader import grade

from .conftest import CORRECT, EXAMPLES

MISTAKES = sorted(p.stem for p in (EXAMPLES / "mistakes").glob("*.py"))
REQUIRED = {  # the mistakes the issue names, each with an example
    "whh_not_transposed_backward", "h_t_in_recurrent_grad", "tanh_grad_of_activation", "hidden_grad_not_carried",
    "bias_grad_not_summed", "update_in_clip_loop", "clip_after_update", "grad_buffers_not_reset",
    "one_hot_from_position",
}


def test_one_example_per_catalogued_mistake():
    # every graded mistake has an example in some protocol's notation (examples/<protocol>/mistakes too);
    # graded=False: SGD plans cannot show it
    from rnn_parity.grader.protocols.lstm_mistakes import MUTANTS as LSTM_MUTANTS  # the LSTM protocols' own

    graded = {m.id for m in mutants.CATALOG if m.graded} | {m.id for m in LSTM_MUTANTS}
    everywhere = {p.stem for p in EXAMPLES.glob("**/mistakes/*.py")}
    assert everywhere == graded
    assert set(MISTAKES) <= {m.id for m in mutants.CATALOG if m.graded}
    assert len(mutants.CATALOG) >= 12
    assert REQUIRED <= set(mutants.BY_ID)


@pytest.mark.parametrize("name", CORRECT)
def test_correct_example_passes(name):
    report = grade(str(EXAMPLES / name))
    assert report.error is None
    assert report.verdict == "pass", report.to_table()
    assert report.exit_code == 0
    names = [c.name for c in report.checks]
    assert names[:2] == ["forward", "hidden"]
    assert sum(n.startswith("grad:") for n in names) == 5
    assert all(c.status == "pass" and c.rel_error < 1e-10 for c in report.checks)
    assert report.diagnosis == []


def test_check_names_use_the_implementations_own_names():
    by_file = {"correct_functions.py": {"grad:Wax", "grad:Waa", "grad:ba", "grad:Wya", "grad:by"},
               "correct_class_loss.py": {"grad:U", "grad:V", "grad:W", "grad:bh", "grad:by", "clip", "update"},
               "correct_class.py": {"grad:Wxh", "grad:Whh", "clip", "update"}}
    for name, expected in by_file.items():
        assert expected <= {c.name for c in grade(str(EXAMPLES / name)).checks}, name


@pytest.mark.parametrize("mistake", MISTAKES)
def test_mistake_is_named(mistake):
    report = grade(str(EXAMPLES / "mistakes" / f"{mistake}.py"))
    assert report.verdict == "fail", report.to_table()
    assert report.exit_code == 1
    found = [f.mutant.id for f in report.diagnosis]
    assert found == [mistake], report.to_table()
    assert report.diagnosis[0].full
    assert report.diagnosis[0].explains, "a finding names the failing checks it reproduces"
    failing = {c.name for c in report.checks if c.status == "fail"}
    assert set(report.diagnosis[0].explains) == failing


def test_json_output_contract(capsys):
    code = main(["grade", str(EXAMPLES / "mistakes" / "whh_not_transposed_backward.py"), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert out["verdict"] == "fail"
    for check in out["checks"]:
        assert set(check) >= {"name", "status", "rel_error"}
        assert check["status"] in ("pass", "fail")
        assert check["rel_error"] is None or isinstance(check["rel_error"], float)
    assert [c["name"] for c in out["checks"]] == ["forward", "hidden", "grad:Wxh", "grad:Whh", "grad:bh",
                                                  "grad:Why", "grad:by", "clip", "update"]
    (finding,) = out["diagnosis"]
    assert finding["mistake"] == mutants.get("whh_not_transposed_backward").mistake
    assert finding["explanation"]
    assert finding["wrong_math"] == "dh_{t-1} = W_hh da_t"
    whh = next(c for c in out["checks"] if c["name"] == "grad:Whh")
    assert whh["departs_at_step"] == 2  # h_{-1} = 0 hides the wrong da_0 in dWhh for length 2
    assert out["signal"] == {"departs_at_step": 6, "steps_back": 1, "sequence_length": 8}


def test_table_output(capsys):
    code = main(["grade", str(EXAMPLES / "mistakes" / "tanh_grad_of_activation.py")])
    text = capsys.readouterr().out
    assert code == 1
    assert "grad:U" in text and "FAIL" in text
    assert "tanh' is computed from the post-activation" in text
    assert "wrong:   da_t = dh_t * (1 - tanh(h_t)^2)" in text
    assert "verdict: FAIL" in text
