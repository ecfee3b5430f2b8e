"""The suite can fail: each classic mistake, patched into the reference in-process (rnn_parity.mutants,
a source-level mutation), makes the mutation battery's checks (rnn_parity.parity.battery) report a parity
failure; as a control, the same checks pass on the unbroken reference."""
import dataclasses

import pytest

from rnn_parity import mutants
from rnn_parity.parity import all_passed
from rnn_parity.parity.battery import BATTERY, run_probe


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
