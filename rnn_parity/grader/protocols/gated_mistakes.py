"""The LSTM and GRU mistakes the gated protocols diagnose: mutants of the gated answer key.

Each is a source edit of rnn_parity.reference.lstm / .gru (the reference's cells) or of
rnn_parity.grader.judging.conventions (the GRU with the reset before the product, the time loops), applied by
rnn_parity.mutation like the shared catalogue (rnn_parity.mutants). A protocol lists them as its `catalog`;
an id the shared catalogue also has is replaced there by this one (see judge). The protocols phrase them in
their own notation (PHRASING_* below: (wrong, correct)).

Importing this module imports no reference code (the edits name modules, the parent applies them).
"""
from __future__ import annotations

from ...mutation import Edit, Mutant

LSTM = "rnn_parity.reference.lstm"
GRU = "rnn_parity.reference.gru"
CONV = "rnn_parity.grader.judging.conventions"

_LSTM_DA = ("    da = np.concatenate((di * i * (1.0 - i), df * f * (1.0 - f), dg * (1.0 - g * g), "
            "do * o * (1.0 - o)), axis=1)\n")
_SIG = "    dar = dr * r * (1.0 - r)  # sigmoid'(a) = s (1 - s)\n    daz = dz * z * (1.0 - z)\n"
_SIG_WRONG = "    dar = dr\n    daz = dz\n"
_TANH = "    dan = dn * (1.0 - n * n)  # tanh'\n"

CATALOG = (
    Mutant(
        id="lstm_gate_sigmoid_grad_missing",
        mistake="The input, forget and output gates' gradients miss the sigmoid's derivative.",
        explanation="i, f and o are sigmoid(a), so the gradient on their pre-activations is the gradient on the "
                    "gate times s (1 - s). Without it every weight gradient is off, and so is everything "
                    "backpropagated to x and h_prev.",
        module=LSTM, correct=_LSTM_DA, wrong="    da = np.concatenate((di, df, dg * (1.0 - g * g), do), axis=1)\n",
        math_correct="da_i = di * i * (1 - i)", math_wrong="da_i = di"),
    Mutant(
        id="lstm_candidate_tanh_grad_missing",
        mistake="The candidate g's gradient misses the tanh derivative.",
        explanation="g = tanh(a_g), so da_g = dg * (1 - g^2). Without it the g columns of every weight "
                    "gradient are off.",
        module=LSTM, correct=_LSTM_DA,
        wrong="    da = np.concatenate((di * i * (1.0 - i), df * f * (1.0 - f), dg, do * o * (1.0 - o)), axis=1)\n",
        math_correct="da_g = dg * (1 - g^2)", math_wrong="da_g = dg"),
    Mutant(
        id="lstm_gate_grad_of_preactivation",
        mistake="The gates' derivatives are taken from the pre-activations a, not from the gates' values.",
        explanation="sigmoid'(a) = s (1 - s) and tanh'(a) = 1 - t^2 are written with the activations s = "
                    "sigmoid(a) and t = tanh(a); putting the pre-activation a in their place computes another "
                    "function's derivative.",
        module=LSTM, correct=_LSTM_DA,
        wrong=("    a = cache.a\n    n = i.shape[1]\n"
               "    ai, af, ag, ao = a[:, :n], a[:, n:2 * n], a[:, 2 * n:3 * n], a[:, 3 * n:]\n"
               "    da = np.concatenate((di * ai * (1.0 - ai), df * af * (1.0 - af), dg * (1.0 - ag * ag), "
               "do * ao * (1.0 - ao)), axis=1)\n"),
        math_correct="da_i = di * i * (1 - i)", math_wrong="da_i = di * a_i * (1 - a_i)"),
    Mutant(
        id="lstm_tanh_applied_twice",
        mistake="tanh is applied twice: the cell's derivative is 1 - tanh(tanh(c))^2.",
        explanation="h = o * tanh(c), so dc += dh * o * (1 - tanh(c)^2). Taking tanh of the cached tanh(c) "
                    "once more evaluates the derivative at the wrong point.",
        module=LSTM, correct="    dc = dc + dm * o * (1.0 - tanh_c * tanh_c)",
        wrong="    dc = dc + dm * o * (1.0 - np.tanh(tanh_c) ** 2)",
        math_correct="dc += dh * o * (1 - tanh(c)^2)", math_wrong="dc += dh * o * (1 - tanh(tanh(c))^2)"),
    Mutant(
        id="lstm_forget_gate_missing_from_dc_prev",
        mistake="The gradient on the previous cell state misses the forget gate.",
        explanation="c_t = f * c_{t-1} + i * g, so dc_{t-1} = dc_t * f. Passing dc_t back unchanged makes the "
                    "cell gradient of every earlier step too large.",
        module=LSTM, correct="    dc_prev = dc * f\n", wrong="    dc_prev = dc\n",
        math_correct="dc_prev = dc * f", math_wrong="dc_prev = dc"),
    Mutant(
        id="lstm_gate_order_differs_in_backward",
        mistake="The backward stacks the gate gradients in another order than the forward slices the gates.",
        explanation="The columns of Wx, Wh and b belong to the gates in the forward's slice order; a backward that "
                    "stacks di and df the other way round puts each gate's gradient in another gate's columns.",
        module=LSTM, correct=_LSTM_DA,
        wrong=("    da = np.concatenate((df * f * (1.0 - f), di * i * (1.0 - i), dg * (1.0 - g * g), "
               "do * o * (1.0 - o)), axis=1)\n"),
        math_correct="dA stacked in the forward's order", math_wrong="dA with the i and f blocks swapped"),
    Mutant(
        id="lstm_dh0_never_assigned",
        mistake="The gradient on the initial hidden state is never assigned (it stays zero / None).",
        explanation="After the loop over t, the gradient that reached h_{-1} is the gradient on h0; it must be "
                    "returned (or kept in self.dh).",
        module=CONV, correct="out.update(dx=dA.dot(Wx.T), dh0=dh0,", wrong="out.update(dx=dA.dot(Wx.T), dh0=0.0 * dh0,",
        math_correct="dh0 = dh  (after the loop)", math_wrong="dh0 = 0", shows_in="dh0"),
    Mutant(
        id="lstm_cache_holds_overwritten_view",
        mistake="The forward caches a view of the cell state that a later step overwrites.",
        explanation="Each step's cache must hold the c_prev it read. Caching the array that the next step then "
                    "writes into (c[...] = c_next) leaves every cache holding the last cell state: the forward "
                    "is right, the backward is not.",
        module=CONV, correct="    hs, c_n, caches = ref_lstm.recurrence_forward(xproj, h0, c0, Whh, None, None)\n",
        wrong=("    hs, c_n, caches = ref_lstm.recurrence_forward(xproj, h0, c0, Whh, None, None)\n"
               "    caches = [k._replace(c_prev=c_n) for k in caches]\n"),
        math_correct="cache c_prev: a copy per step", math_wrong="cache c_prev: the one buffer every step writes"),
    Mutant(
        id="gru_interpolation_reversed_backward",
        mistake="The GRU's interpolation is reversed in the backward only.",
        explanation="The backward must weight the candidate and the old state as the forward does. A forward "
                    "h = (1-z)*n + z*h_prev with a backward written for h = z*n + (1-z)*h_prev (or the "
                    "reverse) gets dn, dz and dh_prev wrong.",
        module=GRU, correct="    dn = dh * (1.0 - z)\n    dz = dh * (cache.h_prev - n)\n",
        wrong="    dn = dh * z\n    dz = dh * (n - cache.h_prev)\n",
        extra_edits=(Edit(GRU, "    dh_prev = dh * z + dq.dot(Whh)", "    dh_prev = dh * (1.0 - z) + dq.dot(Whh)"),
                     Edit(CONV, "    dn = dh * (1.0 - z)\n    dz = dh * (h_prev - n)\n",
                          "    dn = dh * z\n    dz = dh * (n - h_prev)\n"),
                     Edit(CONV, "    dh_prev = dh * z + drh", "    dh_prev = dh * (1.0 - z) + drh")),
        math_correct="dn = dh * (1 - z), dh_prev = dh * z + ...", math_wrong="dn = dh * z, dh_prev = dh * (1 - z) + ..."),
    Mutant(
        id="gru_gate_sigmoid_grad_missing",
        mistake="The GRU's reset and update gate gradients miss the sigmoid's derivative.",
        explanation="r and z are sigmoid(a): the gradient on their pre-activations is the gate's gradient times "
                    "s (1 - s).",
        module=GRU, correct=_SIG, wrong=_SIG_WRONG, extra_edits=(Edit(CONV, _SIG, _SIG_WRONG),),
        math_correct="da_z = dz * z * (1 - z)", math_wrong="da_z = dz"),
    Mutant(
        id="gru_candidate_tanh_grad_missing",
        mistake="The GRU candidate's gradient misses the tanh derivative.",
        explanation="n = tanh(a_n), so da_n = dn * (1 - n^2).",
        module=GRU, correct=_TANH, wrong="    dan = dn\n", extra_edits=(Edit(CONV, _TANH, "    dan = dn\n"),),
        math_correct="da_n = dn * (1 - n^2)", math_wrong="da_n = dn"),
    Mutant(
        id="gru_candidate_tanh_twice",
        mistake="tanh is applied twice: the candidate's derivative is 1 - tanh(n)^2 where n is already tanh(a).",
        explanation="The cache holds n = tanh(a_n), so tanh'(a_n) = 1 - n^2; tanh(n) evaluates it at the wrong "
                    "point.",
        module=GRU, correct=_TANH, wrong="    dan = dn * (1.0 - np.tanh(n) ** 2)\n",
        extra_edits=(Edit(CONV, _TANH, "    dan = dn * (1.0 - np.tanh(n) ** 2)\n"),),
        math_correct="da_n = dn * (1 - n^2)", math_wrong="da_n = dn * (1 - tanh(n)^2)"),
    Mutant(
        id="gru_dh0_never_assigned",
        mistake="The gradient on the GRU's initial hidden state is never assigned (it stays zero / None).",
        explanation="After the loop over t, the gradient that reached h_{-1} is the gradient on h0.",
        module=CONV, correct="out.update(dx=dP.dot(Wx.T), dh0=dh0,", wrong="out.update(dx=dP.dot(Wx.T), dh0=0.0 * dh0,",
        extra_edits=(Edit(CONV, "dh0=dh_next, dWx", "dh0=0.0 * dh_next, dWx"),),
        math_correct="dh0 = dh  (after the loop)", math_wrong="dh0 = 0", shows_in="dh0"),
)

BY_ID = {m.id: m for m in CATALOG}

# (wrong, correct) in each protocol's notation
PHRASING_DLFS2 = {
    "lstm_gate_sigmoid_grad_missing": ("dA = np.hstack((df, dg, di, do))", "df *= f * (1 - f); di *= i * (1 - i); "
                                       "do *= o * (1 - o) before np.hstack((df, dg, di, do))"),
    "lstm_candidate_tanh_grad_missing": ("dg = ds * i", "dg = ds * i * (1 - g ** 2)"),
    "lstm_gate_grad_of_preactivation": ("df = ds * c_prev * A_f * (1 - A_f)  (A = x Wx + h_prev Wh + b)",
                                        "df = ds * c_prev * f * (1 - f)"),
    "lstm_tanh_applied_twice": ("ds = dc_next + dh_next * o * (1 - np.tanh(tanh_c_next) ** 2)",
                             "ds = dc_next + dh_next * o * (1 - tanh_c_next ** 2)"),
    "lstm_forget_gate_missing_from_dc_prev": ("dc_prev = ds", "dc_prev = ds * f"),
    "lstm_gate_order_differs_in_backward": ("dA = np.hstack((di, dg, df, do))  (forward slices f, g, i, o)",
                                          "dA = np.hstack((df, dg, di, do))"),
    "lstm_dh0_never_assigned": ("self.dh = None", "self.dh = dh  (after the loop over t)"),
    "lstm_cache_holds_overwritten_view": ("self.c[...] = c_next  (every layer cached the same self.c)",
                                    "self.c = c_next  (a new array per step)"),
    "gru_interpolation_reversed_backward": ("dh_hat and dh_prev weighted by each other's gate (dh_hat = dh_next * "
                                            "(the weight of h_prev in the forward))", "dh_hat = dh_next * (the weight "
                                            "of h_hat in the forward); dh_prev = dh_next * (the weight of h_prev) + ..."),
    "gru_gate_sigmoid_grad_missing": ("dt = dz", "dt = dz * z * (1 - z)"),
    "gru_candidate_tanh_grad_missing": ("dt = dh_hat", "dt = dh_hat * (1 - h_hat ** 2)"),
    "gru_candidate_tanh_twice": ("dt = dh_hat * (1 - np.tanh(h_hat) ** 2)", "dt = dh_hat * (1 - h_hat ** 2)"),
    "gru_dh0_never_assigned": ("self.dh = None", "self.dh = dh  (after the loop over t)"),
}
PHRASING_KARPATHY = {
    "lstm_gate_sigmoid_grad_missing": ("dIFOG[t,:,:3*d] = dIFOGf[t,:,:3*d]",
                                       "y = IFOGf[t,:,:3*d]; dIFOG[t,:,:3*d] = (y * (1.0 - y)) * dIFOGf[t,:,:3*d]"),
    "lstm_candidate_tanh_grad_missing": ("dIFOG[t,:,3*d:] = dIFOGf[t,:,3*d:]",
                                         "dIFOG[t,:,3*d:] = (1 - IFOGf[t,:,3*d:] ** 2) * dIFOGf[t,:,3*d:]"),
    "lstm_gate_grad_of_preactivation": ("y = IFOG[t,:,:3*d]", "y = IFOGf[t,:,:3*d]"),
    "lstm_tanh_applied_twice": ("dC[t] += (1 - np.tanh(Ct[t]) ** 2) * (IFOGf[t,:,2*d:3*d] * dHout[t])",
                             "dC[t] += (1 - Ct[t] ** 2) * (IFOGf[t,:,2*d:3*d] * dHout[t])"),
    "lstm_forget_gate_missing_from_dc_prev": ("dC[t-1] += dC[t]", "dC[t-1] += IFOGf[t,:,d:2*d] * dC[t]"),
    "lstm_gate_order_differs_in_backward": ("dIFOGf[t,:,:d] = C[t-1] * dC[t]  (the forget gate's columns)",
                                          "dIFOGf[t,:,d:2*d] = C[t-1] * dC[t]"),
    "lstm_dh0_never_assigned": ("dh0 = None", "dh0 = dHin[0,:,input_size+1:]"),
    "lstm_cache_holds_overwritten_view": ("cache['C'] = C  (then overwritten)", "cache['C'] = C.copy()"),
    "gru_interpolation_reversed_backward": ("dN and dh_prev weighted by each other's gate: dN = dH * (the weight of "
                                            "h_prev in the forward)", "dN = dH * (the weight of N in the forward), "
                                            "dh_prev = dH * (the weight of h_prev) + ..."),
    "gru_gate_sigmoid_grad_missing": ("dRZ = dRZf", "dRZ = dRZf * RZf * (1 - RZf)"),
    "gru_candidate_tanh_grad_missing": ("dN = dNf", "dN = dNf * (1 - Nf ** 2)"),
    "gru_candidate_tanh_twice": ("dN = dNf * (1 - np.tanh(Nf) ** 2)", "dN = dNf * (1 - Nf ** 2)"),
    "gru_dh0_never_assigned": ("dh0 = None", "dh0 = dHin[0,:,input_size+1:]"),
}
PHRASING_CMU = {
    "gru_interpolation_reversed_backward": ("dn and dh_prev_t weighted by each other's gate (dn = delta * (the "
                                            "weight of h_prev_t in the forward))", "dn = delta * (the weight of n in "
                                            "the forward); dh_prev_t = delta * (the weight of h_prev_t) + ..."),
    "gru_gate_sigmoid_grad_missing": ("dz_act = dz", "dz_act = dz * self.z * (1 - self.z)"),
    "gru_candidate_tanh_grad_missing": ("dn_act = dn", "dn_act = dn * (1 - self.n ** 2)"),
    "gru_candidate_tanh_twice": ("dn_act = dn * (1 - np.tanh(self.n) ** 2)", "dn_act = dn * (1 - self.n ** 2)"),
}
