"""The catalog of classic hand-written-RNN mistakes, each a source-level mutant of the reference.

Every entry names the mistake in one sentence, explains it, and carries the exact correct source
snippet of a reference module and the wrong snippet that replaces it. `applied(mutant)` swaps the
mutated code in for the duration of a `with` block:

    from rnn_parity.mutants import CATALOG, applied
    from rnn_parity import reference
    with applied(CATALOG[0]):
        reference.forward(...)        # now runs the mistake

The grader replays a student's calls on each mutant and names the mistake whose results the
student's match; `rnn-parity mutants` checks that the parity suite kills every one.

NumPy only: importing this module never imports torch.
"""
from __future__ import annotations

from .mutation import CatalogDriftError, Edit, Mutant, applied, compatible, mutated_sources  # noqa: F401

LAYERS = "rnn_parity.reference.layers"
MODEL = "rnn_parity.reference.model"
LOSS = "rnn_parity.reference.loss"
OPT = "rnn_parity.reference.optim"
TRAIN = "rnn_parity.reference.train"
FUSED = "rnn_parity.reference.fused"  # the Trainer's one-layer forward + BPTT: BPTT mistakes are made there too

_CLIP_THEN_STEP = """\
    if clip_value is not None:
        grads = clip.clip_value(grads, clip_value)
    if clip_norm is not None:
        grads, _ = clip.clip_norm(grads, clip_norm)
    optimizer.step(grads)
"""

CATALOG: tuple[Mutant, ...] = (
    Mutant(
        id="whh_not_transposed_backward",
        mistake="The recurrent weight is not transposed when backpropagating to the previous hidden state.",
        explanation="h_t depends on h_{t-1} through W_hh h_{t-1}, so the gradient flowing back to h_{t-1} is "
                    "W_hh^T da_t. Using W_hh instead mixes the hidden units the wrong way round: the last step's "
                    "gradients are right, every earlier step's are wrong.",
        module=LAYERS, correct="    dh_prev = da.dot(Whh)\n", wrong="    dh_prev = da.dot(Whh.T)\n",
        math_correct="dh_{t-1} = W_hh^T da_t", math_wrong="dh_{t-1} = W_hh da_t",
        extra_edits=(Edit(FUSED, "            dh = da.dot(Whh)\n", "            dh = da.dot(Whh.T)\n"),)),
    Mutant(
        id="h_t_in_recurrent_grad",
        mistake="The recurrent-weight gradient uses h_t where h_{t-1} belongs.",
        explanation="a_t = W_xh x_t + W_hh h_{t-1} + b_h, so dW_hh collects da_t h_{t-1}^T. Pairing da_t with "
                    "the state the step produced (h_t) instead of the one it read (h_{t-1}) is off by one step.",
        module=LAYERS, correct="h_prev = hs[:-1]", wrong="h_prev = hs[1:]",
        math_correct="dW_hh = sum_t da_t h_{t-1}^T", math_wrong="dW_hh = sum_t da_t h_t^T",
        extra_edits=(Edit(FUSED, "dA_flat.T.dot(hs[:-1].reshape(-1, H)", "dA_flat.T.dot(hs[1:].reshape(-1, H)"),)),
    Mutant(
        id="tanh_grad_of_activation",
        mistake="tanh' is computed from the post-activation as 1 - tanh(h)**2.",
        explanation="The cache holds h_t = tanh(a_t), so tanh'(a_t) = 1 - h_t^2. Applying tanh again "
                    "(1 - tanh(h_t)^2) takes the derivative at the wrong point; every backpropagated signal "
                    "is off, from the last step on.",
        module=LAYERS, correct="return 1.0 - h * h", wrong="return 1.0 - np.tanh(h) ** 2",
        math_correct="da_t = dh_t * (1 - h_t^2)", math_wrong="da_t = dh_t * (1 - tanh(h_t)^2)",
        extra_edits=(Edit(FUSED, "act_grad = 1.0 - h * h if tanh", "act_grad = 1.0 - np.tanh(h) ** 2 if tanh"),)),
    Mutant(
        id="tanh_grad_missing",
        mistake="The backward pass skips the tanh derivative.",
        explanation="h_t = tanh(a_t), so the gradient on a_t is dh_t * (1 - h_t^2); passing dh_t through "
                    "unchanged treats the layer as linear.",
        module=LAYERS, correct="da = dh * activation_grad(cache.h, nonlinearity)", wrong="da = dh",
        math_correct="da_t = dh_t * (1 - h_t^2)", math_wrong="da_t = dh_t",
        extra_edits=(Edit(FUSED, "        da = np.multiply(incoming, act_grad[t], out=dA[t])\n",
                          "        da = dA[t]\n        da[...] = incoming  # act' skipped\n"),)),
    Mutant(
        id="hidden_grad_not_carried",
        mistake="The hidden-state gradient is not carried to the previous step.",
        explanation="h_t affects the loss through its own output and through h_{t+1}, so dh_t must add the "
                    "gradient coming back from step t+1. Dropping it truncates backpropagation through time "
                    "to a single step.",
        module=LAYERS, correct="        dh_next = dh_prev\n", wrong="        dh_next = np.zeros_like(dh_prev)\n",
        math_correct="dh_t = W_hy^T dy_t + W_hh^T da_{t+1}", math_wrong="dh_t = W_hy^T dy_t",
        extra_edits=(Edit(FUSED, "            dh = da.dot(Whh)\n", "            dh = np.zeros_like(da)\n"),)),
    Mutant(
        id="bias_grad_not_summed",
        mistake="The hidden-bias gradient is not summed over time.",
        explanation="b_h is added at every step, so db_h = sum_t da_t. Assigning instead of accumulating "
                    "inside the backward loop leaves only the last step the loop visits (t = 0).",
        module=LAYERS, correct="db = dA.sum(axis=(0, 1))", wrong="db = dA[0].sum(axis=0)",
        math_correct="db_h = sum_t da_t", math_wrong="db_h = da_0",
        extra_edits=(Edit(FUSED, "np.add.reduce(dA, axis=(0, 1), out=grads[keys.bh])",
                          "np.add.reduce(dA[0], axis=0, out=grads[keys.bh])"),)),
    Mutant(
        id="whh_not_transposed_forward",
        mistake="The forward step applies the recurrent weight transposed.",
        explanation="The recurrence is h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h), with W_hh[i, j] the weight "
                    "from unit j to unit i. Using W_hh^T h_{t-1} changes every hidden state after the first step.",
        module=LAYERS, correct="a = xproj_t + h_prev.dot(Whh.T)", wrong="a = xproj_t + h_prev.dot(Whh)",
        math_correct="a_t = W_xh x_t + W_hh h_{t-1} + b_h", math_wrong="a_t = W_xh x_t + W_hh^T h_{t-1} + b_h",
        shows_in="forward",
        extra_edits=(Edit(FUSED, "    WhhT = Whh.T\n", "    WhhT = Whh  # not transposed\n"),)),
    Mutant(
        id="one_hot_from_position",
        mistake="The one-hot input vector is built from the position instead of the token.",
        explanation="x_t must be one_hot(token at step t). Writing one_hot(t) feeds the same sequence "
                    "0, 1, 2, ... whatever the text says, so the outputs ignore the input.",
        module=MODEL, correct="    x, token_ids = time_major_input(x, config, dtype)\n",
        wrong="    x, token_ids = time_major_input(x, config, dtype)\n"
              "    x = np.broadcast_to(np.arange(x.shape[0])[:, None], x.shape) if token_ids else x  # one_hot(t)\n",
        math_correct="x_t = one_hot(token_t)", math_wrong="x_t = one_hot(t)", shows_in="forward"),
    Mutant(
        id="h0_ignored",
        mistake="The initial hidden state h0 is ignored: the recurrence starts from zeros.",
        explanation="h_{-1} = h0 feeds the first step (and carries state between chunks in truncated BPTT). "
                    "Starting from zeros whatever h0 is changes every output when h0 is not zero.",
        module=MODEL, correct="h0 = initial_state(h0, config, B, dtype)", wrong="h0 = initial_state(None, config, B, dtype)",
        math_correct="h_{-1} = h0", math_wrong="h_{-1} = 0", shows_in="forward (function protocol)"),
    Mutant(
        id="output_grad_not_accumulated",
        mistake="The output-weight gradient is assigned at every step instead of summed over time.",
        explanation="W_hy produces every step's output, so dW_hy = sum_t dy_t h_t^T. Writing dW_hy = dy_t h_t^T "
                    "inside the backward loop keeps only the last step it visits (t = 0).",
        module=MODEL, correct='grads["Why"] = dlogits.reshape(-1, O).T @ cache.head_input.reshape(-1, dirs * S)',
        wrong='grads["Why"] = dlogits.reshape(-1, O)[:B].T @ cache.head_input.reshape(-1, dirs * S)[:B]',
        math_correct="dW_hy = sum_t dy_t h_t^T", math_wrong="dW_hy = dy_0 h_0^T", shows_in="gradients (many-to-many)"),
    Mutant(
        id="loss_grad_missing_one",
        mistake="The softmax cross-entropy gradient forgets to subtract 1 at the target class.",
        explanation="For L = -log p_c with p = softmax(y), dL/dy = p - one_hot(c). Returning p alone pushes "
                    "every class up, the right one included.",
        module=LOSS, correct="    dlogits[rows, cols] -= 1.0  # softmax - one_hot(target)\n",
        wrong="    dlogits[rows, cols] -= 0.0  # the target's 1 is never subtracted\n",
        math_correct="dL/dy_t = p_t - one_hot(target_t)", math_wrong="dL/dy_t = p_t",
        extra_edits=(Edit(FUSED, "    dlogits[rows, cols] -= 1.0  # softmax - one_hot(target)\n",
                          "    dlogits[rows, cols] -= 0.0  # the target's 1 is never subtracted\n"),),
        shows_in="gradients (loss(Y) / backward() form)"),
    Mutant(
        id="gradient_ascent",
        mistake="The update adds the gradient instead of subtracting it.",
        explanation="Gradient descent moves against the gradient: W <- W - lr * dW. Adding it climbs the loss.",
        module=OPT, correct="p -= self.lr * g", wrong="p += self.lr * g",
        math_correct="W <- W - lr * dW", math_wrong="W <- W + lr * dW", shows_in="update"),
    Mutant(
        id="adam_bias_correction_off_by_one",
        mistake="Adam's bias corrections use the step count plus one.",
        explanation="torch.optim.Adam divides by 1 - beta**t with t = 1 at the first step; t + 1 under-corrects "
                    "every early step (with betas (0.9, 0.999) the first update is 0.74 times torch's).",
        module=OPT,
        correct="        bias_correction1 = 1 - beta1 ** step\n        bias_correction2 = 1 - beta2 ** step\n",
        wrong="        bias_correction1 = 1 - beta1 ** (step + 1)\n        bias_correction2 = 1 - beta2 ** (step + 1)\n",
        math_correct="m_hat = m / (1 - beta1^t)", math_wrong="m_hat = m / (1 - beta1^(t+1))",
        shows_in="trajectory (Adam)", graded=False),
    Mutant(
        id="update_in_clip_loop",
        mistake="The parameter update sits inside the clipping loop, so it is applied once per parameter.",
        explanation="Clipping loops over the gradients; the update must come after that loop, once. Indented "
                    "into it, every parameter moves once per gradient (five times), and partly with gradients "
                    "not yet clipped.",
        module=TRAIN, correct=_CLIP_THEN_STEP,
        wrong="""\
    if clip_norm is not None:
        grads, _ = clip.clip_norm(grads, clip_norm)
    for name in sorted(grads, key=lambda n: (n.startswith("b"), list(params).index(n))):  # Wxh Whh Why bh by
        if clip_value is not None:
            grads = grads.like({**grads, name: clip.clip_value({name: grads[name]}, clip_value)[name]})
        optimizer.step(grads)  # inside the loop: one update per parameter
""",
        math_correct="for d in grads: clip(d)  then, once: W <- W - lr * dW",
        math_wrong="for d in grads: clip(d); W <- W - lr * dW  (for every W, on every pass)", shows_in="update"),
    Mutant(
        id="clip_after_update",
        mistake="The gradients are clipped after the update, so the update uses unclipped gradients.",
        explanation="Clipping exists to bound the step: it must happen between computing the gradients and "
                    "applying them. Clipping afterwards changes nothing the weights see.",
        module=TRAIN, correct=_CLIP_THEN_STEP,
        wrong="""\
    optimizer.step(grads)  # the weights have already moved by the unclipped gradients
    if clip_value is not None:
        grads = clip.clip_value(grads, clip_value)
    if clip_norm is not None:
        grads, _ = clip.clip_norm(grads, clip_norm)
""",
        math_correct="dW <- clip(dW); W <- W - lr * dW", math_wrong="W <- W - lr * dW; dW <- clip(dW)",
        shows_in="clip"),
    Mutant(
        id="grad_buffers_not_reset",
        mistake="The gradient buffers are not reset between calls, so gradients accumulate across sequences.",
        explanation="Each backward pass must start from zero gradients (np.zeros_like, or zero_grad() in "
                    "torch). Buffers kept from the previous call add the old sequence's gradients to the new one.",
        module=TRAIN,
        correct="    clip.raise_if_nonfinite(grads, \"train_step\")\n",
        wrong="    clip.raise_if_nonfinite(grads, \"train_step\")\n"
              "    buffers = optimizer.__dict__.setdefault(\"grad_buffers\", {})  # never zeroed\n"
              "    for name, g in grads.items():\n"
              "        buffers[name] = buffers[name] + g if name in buffers else g.copy()  # dW += ... across calls\n"
              "    grads = grads.like(dict(buffers))\n",
        math_correct="dW = 0 at every call, then dW += ...", math_wrong="dW += ... on top of the previous call's dW",
        shows_in="gradients from the second call on"),
)

# ---- Mistakes real course homework shows (CS231n, deeplearning.ai), issue 13. The grader's protocols
# phrase each one in their own notation (rnn_parity.grader.protocols.<protocol>.phrasing).
CLIP = "rnn_parity.reference.clip"
CATALOG += (
    Mutant(
        id="bias_grad_not_summed_over_batch",
        mistake="The bias gradient is not summed over the batch: it keeps one row per example.",
        explanation="b is added to every example of the batch, so db sums da over the examples (and the "
                    "steps): db = sum_n da[n]. Leaving the batch axis in gives an (N, H) array where (H,) "
                    "belongs; a relative-error check that broadcasts hides it.",
        module=LAYERS, correct="db = dA.sum(axis=(0, 1))", wrong="db = dA.sum(axis=0)",
        math_correct="db = sum_t sum_n da_t[n]", math_wrong="db = sum_t da_t  (one row per example)",
        shows_in="gradients (shape of the bias gradient, batches)"),
    Mutant(
        id="tanh_grad_of_upstream",
        mistake="tanh' is computed from the upstream gradient instead of the hidden state.",
        explanation="h_t = tanh(a_t), so da_t = dh_t * (1 - h_t^2): the derivative is taken at the state the "
                    "step produced. Writing 1 - dh_t^2 uses the incoming gradient as if it were the "
                    "activation; every backpropagated signal is off.",
        module=LAYERS, correct="da = dh * activation_grad(cache.h, nonlinearity)",
        wrong="da = dh * activation_grad(dh, nonlinearity)",
        math_correct="da_t = dh_t * (1 - h_t^2)", math_wrong="da_t = dh_t * (1 - dh_t^2)"),
    Mutant(
        id="upstream_grad_alone",
        mistake="Each step backpropagates only its own upstream gradient: the gradient from the later steps is dropped.",
        explanation="h_t reaches the loss through its own output and through h_{t+1}, so the step's backward "
                    "must get dh_t + dprev_h (what step t+1 sent back). Passing dh_t alone truncates "
                    "backpropagation through time to one step; only the last step's gradients are right.",
        module=LAYERS, correct="        dh = dh_next if dys is None else dys[t] + dh_next\n",
        wrong="        dh = dh_next if dys is None else dys[t]  # dprev_h from step t+1 dropped\n",
        math_correct="dh_t = dy_t-part + dprev_h from step t+1", math_wrong="dh_t = dy_t-part alone"),
    Mutant(
        id="dh0_never_assigned",
        mistake="The gradient on the initial hidden state is never assigned: it stays zero.",
        explanation="h0 feeds the first step, so dh0 is the gradient the backward loop carries out of step 0 "
                    "(W_hh^T da_0). Initialising dh0 with zeros and never setting it after the loop returns zeros.",
        module=MODEL, correct="    dstate0 = tuple(np.empty_like(g) for g in dstate_n)\n",
        wrong="    dstate0 = tuple(np.zeros_like(g) for g in dstate_n)  # set up, then never assigned\n",
        extra_edits=(Edit(MODEL, "            for first, g in zip(dstate0, dstate_first):\n                first[idx] = g\n",
                          "            pass  # dh0 never assigned\n"),),
        math_correct="dh0 = W_hh^T da_0", math_wrong="dh0 = 0", shows_in="gradient on h0 (a0)"),
    Mutant(
        id="embedding_grad_not_accumulated",
        mistake="The embedding gradient is accumulated with dW[x] += dout, so a word used twice counts once.",
        explanation="out = W[x] reads row x[n, t] of W for every position, so dW adds dout[n, t] into that "
                    "row once per use. dW[x] += dout buffers the writes: with repeated indices only one "
                    "lands. np.add.at(dW, x, dout) accumulates them all.",
        module=LAYERS, correct="np.add.at(dWxh.T, x_in.reshape(-1), dA_flat)",
        wrong="dWxh.T[x_in.reshape(-1)] += dA_flat  # repeated ids: one write lands",
        math_correct="dW[v] = sum over positions with x = v of dout", math_wrong="dW[v] = dout at one of them",
        shows_in="gradient of an embedding table (token ids used more than once)"),
    Mutant(
        id="clip_rebinds_loop_variable",
        mistake="Clipping rebinds the loop variable, so the gradients are left unclipped.",
        explanation="`for g in grads: g = np.clip(g, -c, c)` makes g name a new clipped array and drops it; "
                    "the arrays in grads never change. Clip in place (np.clip(g, -c, c, out=g)) or store the "
                    "result back (grads[name] = np.clip(...)).",
        module=CLIP,
        correct="return _same_kind(grads, {name: g.clip(-clip_value, clip_value) for name, g in grads.items()})",
        wrong="return _same_kind(grads, {name: g for name, g in grads.items()})  # the clipped copy is dropped",
        math_correct="dW <- clip(dW, -c, c)  (in place)", math_wrong="g = clip(dW, -c, c)  (dW unchanged)",
        shows_in="clip, update"),
    Mutant(
        id="bias_grad_averaged_over_batch",
        mistake="The bias gradient is averaged over the batch instead of summed.",
        explanation="The loss sums over the examples, so db = sum_n da[n]; np.mean divides it by the batch "
                    "size N while dW (a matrix product) keeps the sum. Only a batch of one hides it.",
        module=LAYERS, correct="db = dA.sum(axis=(0, 1))", wrong="db = dA.sum(axis=0).mean(axis=0)",
        math_correct="db = sum_t sum_n da_t[n]", math_wrong="db = sum_t mean_n da_t[n]",
        extra_edits=(Edit(FUSED, "np.add.reduce(dA, axis=(0, 1), out=grads[keys.bh])",
                          "np.mean(dA.sum(axis=0), axis=0, out=grads[keys.bh])"),),
        shows_in="gradient of the bias (batches of more than one)"),
)

BY_ID = {m.id: m for m in CATALOG}


def get(mutant_id: str) -> Mutant:
    try:
        return BY_ID[mutant_id]
    except KeyError:
        raise KeyError(f"no mutant {mutant_id!r}; known: {', '.join(BY_ID)}") from None
