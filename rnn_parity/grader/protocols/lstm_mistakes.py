"""LSTM homework mistakes, as mutants of rnn_parity.reference.lstm, for the diagnosis of the LSTM protocols.

The grader's answer key for LSTMs (grader.judging.answers_lstm) runs through reference.lstm, so each mutant here makes
it compute what a student with that mistake computes. judge.catalog adds these after rnn_parity.mutants.CATALOG
and skips any whose id the catalogue already has (ids follow its style). Each protocol words them in its own
notation (its `phrasing`). A db of shape (1, 4H) is a shape mistake: the shape check says it, no mutant.
"""
from __future__ import annotations

from ...mutants_gated import LSTM_MUTANTS as _GATED_LSTM
from ...mutation import Mutant

LSTM = "rnn_parity.reference.lstm"
# Mistakes of the mutation catalogue (rnn_parity.mutants_gated) that homework makes too: the diagnosis replays
# the catalogue's own mutants, so one mistake has one definition and one wording.
_SHARED = tuple({m.id: m for m in _GATED_LSTM}[i] for i in (
    "lstm_tanh_grad_of_cell_state", "lstm_dc_missing_dh_path", "lstm_forget_gate_missing_from_dc_prev",
    "lstm_gate_order_differs_in_backward"))
_GATE_GRADS = "da = np.concatenate((di * i * (1.0 - i), df * f * (1.0 - f), dg * (1.0 - g * g), do * o * (1.0 - o)), axis=1)"

MUTANTS: tuple = (
    Mutant(
        id="lstm_upstream_grad_alone",
        mistake="In the backward loop, the recurrent gradient from step t+1 is not added to step t's upstream gradient.",
        explanation="h_t feeds both the output at t and step t+1, so step t's backward must receive dh_t plus the "
                    "dh_prev that step t+1 sent back. Passing dh_t alone cuts the recurrence: the last step is right, "
                    "every earlier step misses all later steps' influence (an older notebook's hint taught this).",
        module=LSTM, correct="dh = dh_next if dys is None else dys[t] + dh_next",
        wrong="dh = dh_next if dys is None else dys[t]",
        math_correct="dh_t <- dh_t + dh_prev (from step t+1)", math_wrong="dh_t alone"),
    Mutant(
        id="lstm_dc_prev_not_carried",
        mistake="In the backward loop, the cell state's gradient from step t+1 is never passed to step t: it stays zero.",
        explanation="c_t feeds c_{t+1}, so step t's backward must receive the dc_prev that step t+1 sent back. A "
                    "variable set to zeros before the loop and never updated (or a fresh zeros each step) drops "
                    "that path: the last step is right, every earlier step misses the long-term memory's gradient.",
        module=LSTM, correct="        dh_next, dc_next = dh_prev, dc_prev\n",
        wrong="        dh_next, dc_next = dh_prev, dc_next\n",
        math_correct="dc_t <- dc_prev (from step t+1)", math_wrong="dc_t = 0 at every step"),
    Mutant(
        id="lstm_cache_holds_overwritten_view",
        mistake="The forward caches an array that a later step overwrites in place, so every step's cache ends up "
                "holding the last hidden state.",
        explanation="The forward's results are right (each step read the buffer before it changed), but the backward "
                    "reads h_{t-1} from the cache and finds h_T there: the recurrent weight's gradient is wrong. Cache "
                    "a copy (or a fresh array each step), not a buffer you write into.",
        module=LSTM, correct="        h, c_new, cache = step_forward(xproj[t], hs[t], c, Whh, Whr)\n",
        wrong="        h, c_new, cache = step_forward(xproj[t], hs[t], c, Whh, Whr)\n"
              "        cache = cache._replace(h_prev=hs[T])  # one buffer, overwritten by the last step\n",
        math_correct="cache_t holds h_{t-1}", math_wrong="cache_t holds a view of a buffer that ends as h_T",
        shows_in="gradients (the forward is right)"),
    Mutant(
        id="lstm_gate_grad_missing_activation_derivative",
        mistake="The gate gradients leave out the sigmoid and tanh derivatives.",
        explanation="Each gate is an activation of a pre-activation: i = sigmoid(a_i), g = tanh(a_g). The gradient "
                    "on a_i is di * i * (1 - i), on a_g it is dg * (1 - g^2). Without those factors every weight "
                    "gradient and every gradient sent back is wrong.",
        module=LSTM, correct=_GATE_GRADS, wrong="da = np.concatenate((di, df, dg, do), axis=1)",
        math_correct="da_i = di * i * (1 - i), da_g = dg * (1 - g^2)", math_wrong="da_i = di, da_g = dg"),
    Mutant(
        id="lstm_gate_grad_of_preactivation",
        mistake="The sigmoid and tanh derivatives are taken from the pre-activations instead of the gate values.",
        explanation="sigmoid'(a) = s (1 - s) with s = sigmoid(a), the gate's value; tanh'(a) = 1 - tanh(a)^2. "
                    "Writing a * (1 - a) or 1 - a^2 with the pre-activation a evaluates the formula at the wrong point.",
        module=LSTM, correct=_GATE_GRADS,
        wrong="H4 = cache.a.shape[1] // 4\n"
              "    ai, af, ag, ao = (cache.a[:, k * H4:(k + 1) * H4] for k in range(4))\n"
              "    da = np.concatenate((di * ai * (1.0 - ai), df * af * (1.0 - af), dg * (1.0 - ag * ag), "
              "do * ao * (1.0 - ao)), axis=1)",
        math_correct="da_i = di * i * (1 - i)", math_wrong="da_i = di * a_i * (1 - a_i)"),
    Mutant(
        id="lstm_tanh_applied_twice",
        mistake="The derivative of tanh(c_t) applies tanh a second time: 1 - tanh(tanh(c_t))^2.",
        explanation="The cache already holds tanh(c_t), so tanh'(c_t) = 1 - tanh(c_t)^2 is 1 minus its square. "
                    "Calling tanh on it again evaluates the derivative at the wrong point: the gradient reaching c_t "
                    "through h_t is wrong, and every gate's with it.",
        module=LSTM, correct="dc = dc + dm * o * (1.0 - tanh_c * tanh_c)",
        wrong="dc = dc + dm * o * (1.0 - np.tanh(tanh_c) ** 2)",
        math_correct="dc_t += dh_t * o * (1 - tanh(c_t)^2)", math_wrong="dc_t += dh_t * o * (1 - tanh(tanh(c_t))^2)"),
    Mutant(
        id="lstm_candidate_tanh_applied_twice",
        mistake="The candidate gate's derivative applies tanh a second time: 1 - tanh(g)^2 where g already is a tanh.",
        explanation="g = tanh(a_g) is the candidate's value, so tanh'(a_g) = 1 - g^2. Writing 1 - tanh(g)^2 takes "
                    "the tanh of a tanh: every gradient that passes through the candidate is off (seen in real "
                    "homework).",
        module=LSTM, correct=_GATE_GRADS,
        wrong="da = np.concatenate((di * i * (1.0 - i), df * f * (1.0 - f), dg * (1.0 - np.tanh(g) ** 2), "
              "do * o * (1.0 - o)), axis=1)",
        math_correct="da_g = dg * (1 - g^2)", math_wrong="da_g = dg * (1 - tanh(g)^2)"),
    *_SHARED,  # the four the mutation catalogue already holds: one definition each
    Mutant(
        id="lstm_dh0_never_assigned",
        mistake="The gradient on the initial hidden state is never assigned: it stays zero.",
        explanation="After the loop over t, the gradient the first step sent back to h0 is dh0. A dh0 left at its "
                    "initial zeros (or assigned inside a branch that never runs) drops it.",
        module=LSTM, correct="    return dA, dh_next, dc_next, dWhr", wrong="    return dA, 0.0 * dh_next, dc_next, dWhr",
        math_correct="dh0 = dh_prev after the loop", math_wrong="dh0 = 0"),
)
