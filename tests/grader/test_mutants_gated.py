"""The gated cells' mutants (rnn_parity.mutants_gated): each one live, each one restored, none leaking into the
RNN. Whether the parity suite kills them is parity_tests/test_mutations.py's question; this file needs no torch."""
import importlib
import inspect

import numpy as np
import pytest

from rnn_parity import mutants
from rnn_parity import reference
from rnn_parity.mutants_gated import GATED

# The mistakes issue 19 asks for, by the id that makes each one.
REQUIRED = {
    "the forget gate missing from dc_prev": "lstm_forget_gate_missing_from_dc_prev",
    "the dnext_h path into dc dropped": "lstm_dc_missing_dh_path",
    "tanh' taken of c instead of tanh(c)": "lstm_tanh_grad_of_cell_state",
    "a sigmoid derivative taken from the pre-activation": "lstm_sigmoid_grad_of_preactivation",
    "gate slices in one order in forward and another in backward": "lstm_gate_order_differs_in_backward",
    "h = o*c without the tanh": "lstm_h_without_tanh",
    "the cell gradient not carried back through time": "lstm_cell_grad_not_carried",
    "the GRU's interpolation reversed in the forward only": "gru_interpolation_reversed_forward",
    "the GRU's interpolation reversed in the backward only": "gru_interpolation_reversed_backward",
    "the reset gate before the product in backward, after it in forward": "gru_reset_before_product_in_backward",
    "b_hn added outside the reset product": "gru_bhn_outside_reset",
}


def _case(cell, proj_size=0):
    """A gated configuration every gated mutant reaches: two directions, lengths, h0 (and c0), bias "torch"
    (b_hn not zero), the LSTM with or without a projection; float64, tiny."""
    config = reference.RNNConfig(3, 4, 2, cell=cell, proj_size=proj_size, bias="torch", bidirectional=True,
                                 output="all")
    params = reference.init_params(config, seed=1)
    rng = np.random.default_rng(0)
    T, B, n = 4, 3, 2
    x = rng.standard_normal((T, B, 3))
    h0 = rng.standard_normal((n, B, config.state_size))
    dh_n = rng.standard_normal(h0.shape)
    if cell == "lstm":
        h0 = (h0, rng.standard_normal((n, B, 4)))
        dh_n = (dh_n, rng.standard_normal((n, B, 4)))
    return params, x, h0, np.array([2, 4, 1]), rng.standard_normal((T, B, 2)), dh_n


def _parts(state):
    return list(state) if isinstance(state, tuple) else [state]


def _run(params, x, h0, lengths, dlogits, dh_n):
    """(the forward's results, the backward's results) of the reference as it is now."""
    logits, h_n, cache = reference.forward(params, x, h0, lengths)
    grads, dx, dh0 = reference.backward(params, cache, dlogits, dh_n)
    return [logits, *_parts(h_n)], [*grads.values(), dx, *_parts(dh0)]


def _differs(before, during):
    return any(a.shape != b.shape or not np.allclose(a, b, rtol=1e-9, atol=0) for a, b in zip(before, during))


def test_the_gated_catalogue():
    ids = [m.id for m in GATED]
    assert len(GATED) >= 10 and len(set(ids)) == len(ids)
    assert set(REQUIRED.values()) <= set(ids), set(REQUIRED.values()) - set(ids)
    assert {m.cell for m in GATED} == {"lstm", "gru"}
    assert all(mutants.BY_ID[i] is m for i, m in zip(ids, GATED))
    assert mutants.ALL == mutants.CATALOG + GATED
    assert mutants.for_cell("lstm") + mutants.for_cell("gru") == GATED
    assert mutants.for_cell("rnn") == mutants.CATALOG
    for m in GATED:
        assert m.mistake.endswith(".") and m.explanation and m.math_correct and m.math_wrong, m.id
    with pytest.raises(ValueError, match="cell must be one of"):
        mutants.for_cell("transformer")


@pytest.mark.parametrize("mutant", GATED, ids=lambda m: m.id)
def test_each_edit_is_live(mutant):
    """Every edit's snippet occurs exactly once and the mutated source differs from the reference's."""
    sources = mutants.mutated_sources(mutant)  # CatalogDriftError when a snippet drifted or repeats
    for edit in mutant.edits:
        assert edit.wrong in sources[edit.module], f"{mutant.id}: an edit of {edit.module} did not land"
    for module, source in sources.items():
        assert source != inspect.getsource(importlib.import_module(module)), f"{mutant.id}: {module} unchanged"


@pytest.mark.parametrize("mutant", GATED, ids=lambda m: m.id)
def test_applied_changes_the_cell_and_restores_it(mutant):
    """The mutant changes its cell's results (the forward exactly when it is a forward mistake) and leaves
    no trace after the `with` block."""
    case = _case(mutant.cell, proj_size=2 if mutant.cell == "lstm" else 0)
    functions = {(mod, name): getattr(mod, name) for mod in (reference.lstm, reference.gru, reference.model)
                 for name in ("recurrence_forward", "recurrence_backward", "step_forward", "step_backward",
                              "forward", "backward") if hasattr(mod, name)}
    fwd_before, bwd_before = _run(*case)
    with mutants.applied(mutant):
        fwd_during, bwd_during = _run(*case)
    fwd_after, bwd_after = _run(*case)
    assert all(getattr(mod, name) is f for (mod, name), f in functions.items())
    assert all(np.array_equal(a, b) for a, b in zip(fwd_before + bwd_before, fwd_after + bwd_after))
    assert _differs(fwd_before + bwd_before, fwd_during + bwd_during), f"{mutant.id} changed nothing"
    forward_mistake = mutant.shows_in.startswith("forward")
    assert _differs(fwd_before, fwd_during) == forward_mistake, \
        f"{mutant.id}: shows_in={mutant.shows_in!r}, but the forward {'did not change' if forward_mistake else 'changed'}"


@pytest.mark.parametrize("mutant", GATED, ids=lambda m: m.id)
def test_a_gated_mistake_leaves_the_rnn_alone(mutant):
    """The grader replays CATALOG on RNN code; a gated mutant must not change the RNN's results."""
    config = reference.RNNConfig(3, 4, 2, bias="torch", bidirectional=True, output="all")
    params = reference.init_params(config, seed=1)
    rng = np.random.default_rng(0)
    case = (params, rng.standard_normal((4, 3, 3)), rng.standard_normal((2, 3, 4)), np.array([2, 4, 1]),
            rng.standard_normal((4, 3, 2)), rng.standard_normal((2, 3, 4)))
    before = sum(_run(*case), [])
    with mutants.applied(mutant):
        during = sum(_run(*case), [])
    assert all(np.array_equal(a, b) for a, b in zip(before, during))


def test_the_projection_mutant_needs_a_projection():
    """lstm_projection_grad_on_padding touches only dW_hr: live with a projection, silent without one."""
    m = mutants.get("lstm_projection_grad_on_padding")
    for proj_size, live in ((2, True), (0, False)):
        case = _case("lstm", proj_size)
        before = sum(_run(*case), [])
        with mutants.applied(m):
            during = sum(_run(*case), [])
        assert _differs(before, during) == live, proj_size
