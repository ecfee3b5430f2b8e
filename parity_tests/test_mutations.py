"""The suite can fail: each classic mistake, patched into the reference in-process (rnn_parity.mutants,
a source-level mutation), makes the mutation battery's checks (rnn_parity.parity.battery) report a parity
failure; as a control, the same checks pass on the unbroken reference. Every mutant of the whole catalogue
(the RNN's and the gated cells') is killed; for the gated ones, which kind of check kills it is pinned too."""
import dataclasses

import pytest

from rnn_parity import mutants
from rnn_parity.parity import all_passed
from rnn_parity.parity.battery import BATTERY, battery_for, first_failure, run_probe


def probes(*labels):
    """The battery's checks of these kinds, as one run."""
    chosen = [p for p in BATTERY if p.label in labels]
    assert chosen, labels
    return lambda: [r for p in chosen for r in run_probe(p)]


# mutant id -> (the checks that must catch it, a quantity that must show up among the failures)
CAUGHT_BY = {
    "whh_not_transposed_backward": (probes("vjp"), "grad Whh"),
    "h_t_in_recurrent_grad": (probes("vjp"), "grad Whh"),
    "tanh_grad_of_activation": (probes("vjp"), "grad Wxh"),
    "bias_grad_not_summed": (probes("vjp"), "grad bh"),
    "clip_after_update": (probes("trajectory"), "step 1 "),
    "adam_bias_correction_off_by_one": (probes("trajectory"), "step 1 "),
    # The Trainer's own forward + BPTT (reference/fused.py), against torch directly.
    "hidden_grad_not_carried": (probes("trainer"), "step 1 "),
}


@pytest.mark.parametrize("mutant_id", list(CAUGHT_BY))
def test_mutant_fails_parity(mutant_id):
    run, shows = CAUGHT_BY[mutant_id]
    assert all_passed(run()), "control: the unbroken reference must pass"
    with mutants.applied(mutants.get(mutant_id)):
        failed = [r.name for r in run() if not r.passed]
    assert failed, f"{mutant_id} survived the parity suite"
    assert any(shows in name for name in failed), f"{mutant_id}: expected a failing {shows!r}, got {failed[:5]}"
    assert all_passed(run()), "the mutant must be gone after the with block"


def test_the_trainer_checks_reach_the_fused_path_only_through_its_own_edit():
    """Without its fused.py edit, a BPTT mistake leaves the Trainer's trajectory intact: the trainer check
    above catches the mistake in the fused path itself, not through model.backward."""
    run = probes("trainer")
    full = mutants.get("hidden_grad_not_carried")
    layers_only = dataclasses.replace(full, extra_edits=())
    with mutants.applied(layers_only):
        assert all_passed(run())
    with mutants.applied(full):
        assert not all_passed(run())


@pytest.fixture(scope="module")
def battery_passes_unbroken():
    assert first_failure() == "", "control: the unbroken reference must pass the whole battery"


@pytest.mark.parametrize("mutant", mutants.ALL, ids=lambda m: m.id)
def test_every_mutant_is_killed(mutant, battery_passes_unbroken):
    with mutants.applied(mutant):
        why = first_failure(battery_for(mutant.cell))
    assert why, f"{mutant.id} survived the mutation battery"


# Gated mutant id -> (the kind of check that must catch it, a quantity that must show up among the failures).
# "vjp": a backward-only mistake; the cell's forward probes must still pass, so only gradients can show it.
# "forward": a mistake made in the forward, caught by forward parity against torch.
GATED_CAUGHT_BY = {
    "lstm_forget_gate_missing_from_dc_prev": ("vjp", "vjp dc0"),
    "lstm_dc_missing_dh_path": ("vjp", "vjp grad Wxh"),
    "lstm_tanh_grad_of_cell_state": ("vjp", "vjp grad Whh"),
    "lstm_sigmoid_grad_of_preactivation": ("vjp", "vjp grad bh"),
    "lstm_gate_order_differs_in_backward": ("vjp", "vjp grad Wxh"),
    "lstm_h_without_tanh": ("forward", "forward h_n"),
    "lstm_cell_grad_not_carried": ("vjp", "vjp dc0"),
    "lstm_dc_prev_from_incoming_only": ("vjp", "vjp dc0"),
    "lstm_cell_state_runs_through_padding": ("forward", "forward c_n"),
    "lstm_projection_grad_on_padding": ("vjp", "vjp grad Whr"),
    "gru_interpolation_reversed_forward": ("forward", "forward h_n"),
    "gru_interpolation_reversed_backward": ("vjp", "vjp grad Whh"),
    "gru_reset_before_product_in_backward": ("vjp", "vjp grad Whh"),
    "gru_bhn_outside_reset": ("forward", "forward logits"),
    "gru_direct_path_missing_from_dh_prev": ("vjp", "vjp dh0"),
    "gru_bhh_grad_as_if_folded": ("vjp", "vjp grad bhh"),
}


def test_every_gated_mutant_has_its_check():
    assert set(GATED_CAUGHT_BY) == {m.id for m in mutants.GATED}


@pytest.mark.parametrize("mutant_id", list(GATED_CAUGHT_BY))
def test_gated_mutant_fails_its_check(mutant_id):
    mutant = mutants.get(mutant_id)
    kind, shows = GATED_CAUGHT_BY[mutant_id]
    run, forward = probes(f"{mutant.cell} {kind}"), probes(f"{mutant.cell} forward")
    assert all_passed(run()), "control: the unbroken reference must pass"
    with mutants.applied(mutant):
        failed = [r.name for r in run() if not r.passed]
        forward_passes = all_passed(forward())
    assert any(shows in name for name in failed), f"{mutant_id}: expected a failing {shows!r}, got {failed[:5]}"
    assert forward_passes == (kind == "vjp"), f"{mutant_id}: the forward {'failed' if kind == 'vjp' else 'passed'}"
    assert all_passed(run()), "the mutant must be gone after the with block"


@pytest.mark.parametrize("mutant", mutants.GATED, ids=lambda m: m.id)
def test_finite_differences_see_an_inconsistent_backward_only(mutant):
    """check_grad compares the reference with itself: it catches every gated mistake whose backward does not
    match its forward, without torch, and cannot see h = o*c written consistently in both (that needs
    forward parity against torch)."""
    with mutants.applied(mutant):
        finite_differences_pass = all_passed(probes(f"{mutant.cell} gradcheck")())
    assert finite_differences_pass == (mutant.id == "lstm_h_without_tanh")
