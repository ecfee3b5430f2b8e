"""The gated cells' mistakes: source-level mutants of reference/lstm.py and reference/gru.py (and of
model.py where the mistake lives there), in the form of rnn_parity.mutants' catalog (rnn_parity.mutation).

Math in the reference's row-vector notation: the LSTM's gates i, f, g, o with pre-activations a_*; the
GRU's input projection p = [p_r, p_z, p_n] and recurrent projection q = [q_r, q_z, q_n] (q_n = W_hn h + b_hn).
Each mutant is killed by the mutation battery's gated cases (rnn_parity.parity.battery): a backward-only
mistake by the gradients (against torch, and against finite differences), a mistake made in the forward
by forward parity against torch.

NumPy only: importing this module never imports torch.
"""
from __future__ import annotations

from .mutation import Edit, Mutant

LSTM = "rnn_parity.reference.lstm"
GRU = "rnn_parity.reference.gru"
MODEL = "rnn_parity.reference.model"

# Exact lines of lstm.step_backward / gru.step_backward that several mutants edit (one mutant at a time).
_LSTM_DC = "    dc = dc + dm * o * (1.0 - tanh_c * tanh_c)  # h_t reaches c_t through tanh: tanh'(c) = 1 - tanh(c)^2\n"
_LSTM_DA = ("    da = np.concatenate((di * i * (1.0 - i), df * f * (1.0 - f), dg * (1.0 - g * g), do * o * (1.0 - o)),"
            " axis=1)\n")
_GRU_DH_PREV = "    dh_prev = dh * z + dq.dot(Whh)\n"

LSTM_MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        id="lstm_forget_gate_missing_from_dc_prev",
        mistake="The cell-state gradient is passed to the previous step without the forget gate.",
        explanation="c_t = f_t * c_{t-1} + i_t * g_t, so dc_{t-1} = dc_t * f_t. Passing dc_t unchanged acts as if "
                    "the forget gate were always open: every step before the last gets too much gradient, and dc0 "
                    "is wrong.",
        module=LSTM, correct="    dc_prev = dc * f\n", wrong="    dc_prev = dc  # the forget gate left out\n",
        math_correct="dc_{t-1} = dc_t * f_t", math_wrong="dc_{t-1} = dc_t", shows_in="gradients (T > 1), dc0",
        cell="lstm"),
    Mutant(
        id="lstm_dc_missing_dh_path",
        mistake="The gradient on h_t never reaches the cell state: dc_t keeps only what step t+1 sent back.",
        explanation="h_t = o_t * tanh(c_t), so c_t gets dh_t * o_t * (1 - tanh(c_t)^2) on top of dc from step t+1 "
                    "(CS231n's dnext_h path). Dropping it leaves i, f and g with only the gradient coming through "
                    "later cell states: at the last step, none at all.",
        module=LSTM, correct=_LSTM_DC, wrong="    dc = dc  # dnext_c alone: the path from h_t through tanh(c_t) is dropped\n",
        math_correct="dc_t = dc_t(from t+1) + dh_t * o_t * (1 - tanh(c_t)^2)", math_wrong="dc_t = dc_t(from t+1)",
        cell="lstm"),
    Mutant(
        id="lstm_tanh_grad_of_cell_state",
        mistake="tanh' of the cell state is taken as 1 - c**2 instead of 1 - tanh(c)**2.",
        explanation="h_t = o_t * tanh(c_t), and tanh'(c) = 1 - tanh(c)^2: the cache's tanh(c_t) is what gets "
                    "squared. Squaring c_t itself is the derivative at the wrong point, and since |c| is not bounded "
                    "by 1 it can even flip the sign of the gradient.",
        module=LSTM, correct=_LSTM_DC,
        wrong="    c = f * cache.c_prev + i * g\n    dc = dc + dm * o * (1.0 - c * c)  # tanh' taken at c_t\n",
        math_correct="dc_t += dh_t * o_t * (1 - tanh(c_t)^2)", math_wrong="dc_t += dh_t * o_t * (1 - c_t^2)",
        cell="lstm"),
    Mutant(
        id="lstm_sigmoid_grad_of_preactivation",
        mistake="The sigmoid gates' derivatives are computed from the pre-activations instead of the gates' values.",
        explanation="sigmoid'(a) = s (1 - s) with s = sigmoid(a): the cache's i, f, o are the values to use. Writing "
                    "a (1 - a) with the cached pre-activation a takes a formula meant for the output and feeds it "
                    "the input; the i, f and o rows of every gradient are wrong (g's tanh' is right).",
        module=LSTM, correct=_LSTM_DA,
        wrong="    a_i, a_f, _, a_o = np.split(cache.a, 4, axis=1)  # pre-activations where the gates belong\n"
              "    da = np.concatenate((di * a_i * (1.0 - a_i), df * a_f * (1.0 - a_f), dg * (1.0 - g * g),"
              " do * a_o * (1.0 - a_o)), axis=1)\n",
        math_correct="da_i = di * i * (1 - i)  (and f, o alike)", math_wrong="da_i = di * a_i * (1 - a_i)",
        cell="lstm"),
    Mutant(
        id="lstm_gate_order_differs_in_backward",
        mistake="The backward stacks the gate gradients as i, f, o, g while the forward slices the gates as i, f, g, o.",
        explanation="The 4H rows of W and b hold the gates in one order (torch's i, f, g, o); the gradient on a "
                    "must be stacked in the same order. CS231n's assignment uses i, f, o, g: a backward carried over "
                    "from it sends the candidate's gradient to the output gate's rows and back.",
        module=LSTM, correct=_LSTM_DA,
        wrong="    da = np.concatenate((di * i * (1.0 - i), df * f * (1.0 - f), do * o * (1.0 - o), dg * (1.0 - g * g)),"
              " axis=1)  # i, f, o, g\n",
        math_correct="da = [da_i, da_f, da_g, da_o]  (the forward's order)", math_wrong="da = [da_i, da_f, da_o, da_g]",
        cell="lstm"),
    Mutant(
        id="lstm_h_without_tanh",
        mistake="The hidden state is o * c: the tanh of the cell state is left out.",
        explanation="torch's LSTM outputs h_t = o_t * tanh(c_t). Without the tanh, h is unbounded and every output "
                    "differs. The backward here is the true derivative of the wrong forward, so finite "
                    "differences agree with it: only forward parity against torch shows the mistake.",
        module=LSTM, correct="    tanh_c = np.tanh(c)\n", wrong="    tanh_c = c  # h = o * c: no tanh\n",
        extra_edits=(Edit(LSTM, _LSTM_DC, "    dc = dc + dm * o  # d(o * c)/dc\n"),),
        math_correct="h_t = o_t * tanh(c_t)", math_wrong="h_t = o_t * c_t", shows_in="forward", cell="lstm"),
    Mutant(
        id="lstm_cell_grad_not_carried",
        mistake="The cell-state gradient is not carried back through time.",
        explanation="c_{t-1} reaches the loss through c_t, so the backward loop must hand dc_{t-1} to step t-1 as "
                    "it hands dh_{t-1}. Resetting it to zero truncates the cell's path, the LSTM's long-term memory, "
                    "to one step, and dc0 comes back zero.",
        module=LSTM, correct="        dh_next, dc_next = dh_prev, dc_prev\n",
        wrong="        dh_next, dc_next = dh_prev, np.zeros_like(dc_prev)  # dc_prev dropped\n",
        math_correct="dc_{t-1} = dc_t * f_t, carried to step t-1", math_wrong="dc_{t-1} = 0",
        shows_in="gradients (T > 1), dc0", cell="lstm"),
    Mutant(
        id="lstm_dc_prev_from_incoming_only",
        mistake="dc_prev is computed from the incoming cell gradient before the gradient from h_t is added.",
        explanation="dc_{t-1} = f_t * dc_t, where dc_t is the total: what step t+1 sent plus dh_t's path through "
                    "tanh(c_t). Taking f_t times the incoming part alone loses dh_t's share for every earlier step.",
        module=LSTM,
        correct=_LSTM_DC + "    di = dc * g\n    df = dc * cache.c_prev\n    dg = dc * i\n    dc_prev = dc * f\n",
        wrong="    dc_prev = dc * f  # before dh_t's share is added\n"
              "    dc = dc + dm * o * (1.0 - tanh_c * tanh_c)\n"
              "    di = dc * g\n    df = dc * cache.c_prev\n    dg = dc * i\n",
        math_correct="dc_{t-1} = f_t * (dc_t(from t+1) + dh_t * o_t * tanh'(c_t))",
        math_wrong="dc_{t-1} = f_t * dc_t(from t+1)", shows_in="gradients (T > 1), dc0", cell="lstm"),
    Mutant(
        id="lstm_cell_state_runs_through_padding",
        mistake="On a padded step the hidden state is kept but the cell state is updated.",
        explanation="pack_padded_sequence stops a sequence at its length: both h and c keep their last valid "
                    "values. Updating c on the padded steps makes c_n depend on the padding, and in the reverse "
                    "direction (which reads the padding first) every state after it.",
        module=LSTM, correct="            hs[t + 1], c = np.where(mask[t], h, hs[t]), np.where(mask[t], c_new, c)\n",
        wrong="            hs[t + 1], c = np.where(mask[t], h, hs[t]), c_new  # c runs on through the padding\n",
        math_correct="c_t = c_{t-1} on a padded step", math_wrong="c_t = f_t * c_{t-1} + i_t * g_t on a padded step",
        shows_in="forward (lengths)", cell="lstm"),
    Mutant(
        id="lstm_projection_grad_on_padding",
        mistake="The projection's gradient collects the padded steps too.",
        explanation="With a projection h_t = m_t W_hr^T, dW_hr sums dh_t^T m_t over the steps that produced h_t. On "
                    "a padded step h passes through unchanged and the step's m_t is never used, but the gradient "
                    "on h (from h_n) still flows there: adding dh_t^T m_t for it puts padding into dW_hr.",
        module=LSTM, correct="            dh = np.where(keep, dh, 0.0)  # what reached this step's projection: nothing when padded\n",
        wrong="            pass  # dh left as is: a padded step's dh reaches dW_hr\n",
        math_correct="dW_hr = sum over valid t of dh_t^T m_t", math_wrong="dW_hr = sum over all t of dh_t^T m_t",
        shows_in="gradient of Whr (projection, lengths)", cell="lstm"),
)

GRU_MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        id="gru_interpolation_reversed_forward",
        mistake="The forward interpolates as z * n + (1 - z) * h_prev, the reverse of torch's, while the backward "
                "follows torch.",
        explanation="torch (and cuDNN) write h_t = (1 - z) * n + z * h_{t-1}; Cho et al. and some tutorials swap the "
                    "roles of z and 1 - z. Either is a GRU, but weights are only portable under one, and a forward "
                    "in one convention with a backward in the other has gradients of neither.",
        module=GRU, correct="    h = n + z * (h_prev - n)  # (1 - z) * n + z * h_prev\n",
        wrong="    h = h_prev + z * (n - h_prev)  # z * n + (1 - z) * h_prev\n",
        math_correct="h_t = (1 - z) * n + z * h_{t-1}", math_wrong="h_t = z * n + (1 - z) * h_{t-1}",
        shows_in="forward", cell="gru"),
    Mutant(
        id="gru_interpolation_reversed_backward",
        mistake="The backward differentiates h = z * n + (1 - z) * h_prev while the forward computes torch's "
                "h = (1 - z) * n + z * h_prev.",
        explanation="With h_t = (1 - z) * n + z * h_{t-1}: dn = dh * (1 - z), dz = dh * (h_{t-1} - n) and the direct "
                    "path gives dh_{t-1} += dh * z. A backward written for the swapped convention exchanges z and "
                    "1 - z in all three: the forward matches torch, every gradient does not.",
        module=GRU, correct="    dn = dh * (1.0 - z)\n    dz = dh * (cache.h_prev - n)\n",
        wrong="    dn = dh * z\n    dz = dh * (n - cache.h_prev)  # the swapped convention's derivatives\n",
        extra_edits=(Edit(GRU, _GRU_DH_PREV, "    dh_prev = dh * (1.0 - z) + dq.dot(Whh)\n"),),
        math_correct="dn = dh * (1 - z);  dz = dh * (h_{t-1} - n);  dh_{t-1} += dh * z",
        math_wrong="dn = dh * z;  dz = dh * (n - h_{t-1});  dh_{t-1} += dh * (1 - z)", cell="gru"),
    Mutant(
        id="gru_reset_before_product_in_backward",
        mistake="The backward treats the reset gate as applied before the recurrent product, the forward after it.",
        explanation="torch computes n = tanh(p_n + r * (h_{t-1} W_hn^T + b_hn)) (reset after), so dr = dn_pre * q_n "
                    "and h_{t-1} gets (dn_pre * r) W_hn. The reset-before GRU, tanh(p_n + (r * h_{t-1}) W_hn^T) "
                    "(Keras reset_after=False), has dr = (dn_pre W_hn) * h_{t-1} and h_{t-1} gets (dn_pre W_hn) * r. "
                    "Mixing the two conventions is a classic port bug (keras-team/keras#8720).",
        module=GRU, correct="    dr = dan * cache.q_n\n",
        wrong="    H = r.shape[1]\n"
              "    dr = dan.dot(Whh[2 * H:]) * cache.h_prev  # as if n = tanh(p_n + (r * h_prev) Whn^T)\n",
        extra_edits=(Edit(GRU, _GRU_DH_PREV,
                          "    dh_prev = dh * z + dq[:, :2 * H].dot(Whh[:2 * H]) + dan.dot(Whh[2 * H:]) * r\n"),),
        math_correct="dr = dn_pre * (h_{t-1} W_hn^T + b_hn)", math_wrong="dr = (dn_pre W_hn) * h_{t-1}", cell="gru"),
    Mutant(
        id="gru_bhn_outside_reset",
        mistake="b_hn is added outside the reset gate's product.",
        explanation="torch's candidate is n = tanh(p_n + r * (h_{t-1} W_hn^T + b_hn)): the reset gate scales b_hn "
                    "with the product, which is why b_hn cannot be folded into b_in. Adding it outside, "
                    "tanh(p_n + r * (h_{t-1} W_hn^T) + b_hn), is a different function whenever b_hn is not zero "
                    "(any trained nn.GRU).",
        module=GRU, correct="    q_n = q[:, 2 * H:]\n    n = np.tanh(xproj_t[:, 2 * H:] + r * q_n)\n",
        wrong="    q_n = h_prev.dot(Whh[2 * H:].T)  # without b_hn\n"
              "    n = np.tanh(xproj_t[:, 2 * H:] + r * q_n + (0.0 if bhh is None else bhh[2 * H:]))\n",
        math_correct="n = tanh(p_n + r * (W_hn h_{t-1} + b_hn))", math_wrong="n = tanh(p_n + r * (W_hn h_{t-1}) + b_hn)",
        shows_in="forward (bias=\"torch\")", cell="gru"),
    Mutant(
        id="gru_direct_path_missing_from_dh_prev",
        mistake="The gradient on h_prev misses the direct path through z * h_prev.",
        explanation="h_{t-1} enters h_t twice: through the gates and the candidate (the W_hh products) and directly "
                    "as z * h_{t-1}. The backward must add dh * z to what comes back through W_hh; without it the "
                    "gradient fades far faster than the GRU's does.",
        module=GRU, correct=_GRU_DH_PREV, wrong="    dh_prev = dq.dot(Whh)  # the z * h_prev term forgotten\n",
        math_correct="dh_{t-1} = dh * z + dq W_hh", math_wrong="dh_{t-1} = dq W_hh", shows_in="gradients (T > 1), dh0",
        cell="gru"),
    Mutant(
        id="gru_bhh_grad_as_if_folded",
        mistake="The GRU's b_hh gradient is copied from b_ih's, as if b_hh were added to the input projection.",
        explanation="For the RNN and the LSTM, b_hh is added next to b_ih and gets the same gradient. The GRU's "
                    "b_hn sits inside the reset product, so db_hn = sum_t dn_pre * r, not sum_t dn_pre; only the "
                    "r and z rows agree.",
        module=MODEL, correct='grads[keys.bhh] = rec["bhh"] if "bhh" in rec else rec["b"].copy()',
        wrong='grads[keys.bhh] = rec["b"].copy()  # as if every cell folded b_hh into the input projection',
        math_correct="db_hn = sum_t dn_pre * r", math_wrong="db_hn = sum_t dn_pre",
        shows_in="gradient of bhh (bias=\"torch\")", cell="gru"),
)

GATED: tuple[Mutant, ...] = LSTM_MUTANTS + GRU_MUTANTS
