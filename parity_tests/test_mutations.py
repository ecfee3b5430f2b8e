"""The suite can fail: each classic mistake, patched into the reference in-process (rnn_parity.mutants,
a source-level mutation), makes the suite's own helpers report a parity failure; as a control, the same
helpers pass on the unbroken reference."""
import pytest

from rnn_parity import mutants
from rnn_parity.parity import check_loss, check_trajectory, check_vjp, setup
from rnn_parity.parity import all_passed

# Not (yet) in rnn_parity.mutants.CATALOG: defined here with its API, looked up by id like the others.
LOCAL = {m.id: m for m in [
    mutants.Mutant(
        id="adam_bias_correction_off_by_one",
        mistake="Adam's bias corrections use the step count plus one.",
        explanation="torch.optim.Adam divides by 1 - beta**t with t = 1 at the first step; t + 1 under-corrects "
                    "every early step (with betas (0.9, 0.999) the first update is 0.74 times torch's).",
        module="rnn_parity.reference.optim",
        correct="        bias_correction1 = 1 - beta1 ** step\n        bias_correction2 = 1 - beta2 ** step\n",
        wrong="        bias_correction1 = 1 - beta1 ** (step + 1)\n        bias_correction2 = 1 - beta2 ** (step + 1)\n",
        shows_in="trajectory"),
]}


def mutant(mutant_id: str):
    return mutants.BY_ID.get(mutant_id) or LOCAL[mutant_id]


def gradients(*case_ids):
    """vjp and loss-sum parity on the given cases."""
    def run():
        return [r for c in case_ids for s in [setup(c)] for r in check_vjp(s) + check_loss(s, "sum")]
    return run


def trajectory(recipe, case_id):
    return lambda: check_trajectory(setup(case_id), recipe)


# mutant id -> (the helpers that must catch it, a quantity that must show up among the failures)
CAUGHT_BY = {
    "whh_not_transposed_backward": (gradients("L1-uni-tanh-last", "L2-bi-relu-all-lengths-h0"), "grad Whh"),
    "h_t_in_recurrent_grad": (gradients("L1-uni-tanh-last", "L2-bi-relu-all-lengths-h0"), "grad Whh"),
    "tanh_grad_of_activation": (gradients("L1-uni-tanh-last", "L2-bi-tanh-all-ids-short-bf"), "grad Wxh"),
    "bias_grad_not_summed": (gradients("L1-uni-tanh-last", "L2-bi-relu-all-lengths-h0"), "grad bh"),
    "clip_after_update": (trajectory("sgd-clipvalue", "L1-uni-tanh-last"), "step 1 "),
    "adam_bias_correction_off_by_one": (trajectory("adam-clipnorm", "L1-bi-tanh-all-lengths-nobias"), "step 1 "),
}


@pytest.mark.parametrize("mutant_id", list(CAUGHT_BY))
def test_mutant_fails_parity(mutant_id):
    run, shows = CAUGHT_BY[mutant_id]
    assert all_passed(run()), "control: the unbroken reference must pass"
    with mutants.applied(mutant(mutant_id)):
        failed = [r.name for r in run() if not r.passed]
    assert failed, f"{mutant_id} survived the parity suite"
    assert any(shows in name for name in failed), f"{mutant_id}: expected a failing {shows!r}, got {failed[:5]}"
    assert all_passed(run()), "the mutant must be gone after the with block"
