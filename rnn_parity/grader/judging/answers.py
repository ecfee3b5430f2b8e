"""The answer key of the registered protocols: every expected value, computed through the reference.

Parent side only (the child never imports this module: it imports rnn_parity.reference). Each function
looks the reference up through its modules at call time, so a mutant applied with
rnn_parity.mutants.applied changes what it returns, and the diagnosis can replay a mistake in any protocol.

Conventions here are the reference's: time-major x (T, B, D), Wxh (H, D), Whh (H, H), b (H,).
"""
from __future__ import annotations

import numpy as np

from ...reference import clip as ref_clip
from ...reference import config as ref_config
from ...reference import layers as ref_layers
from ...reference import loss as ref_loss
from ...reference import model as ref_model
from ...reference import optim as ref_optim
from ...reference import params as ref_params


def _params(Wxh, Whh, b, Why, by) -> ref_params.Params:
    H, D = np.shape(Wxh)
    config = ref_config.RNNConfig(D, H, np.shape(Why)[0], output="all")
    arrays = {"Wxh": Wxh, "Whh": Whh, "bh": b, "Why": Why, "by": by}
    return ref_params.Params({k: np.array(v, dtype=np.float64) for k, v in arrays.items()}, config)


def rnn(x, h0, Wxh, Whh, b, dh=None, Why=None, by=None, dlogits=None) -> dict:
    """The tanh recurrence over x (T, B, D) from h0 (B, H).

    Returns {"h": (T, B, H), "h_n": (B, H)}; with a head (Why (O, H), by (O,)) also "logits" (T, B, O).
    With dh (T, B, H), the upstream gradient on every hidden state (or dlogits (T, B, O) with a head),
    also "dx" (T, B, D), "dh0" (B, H), "dWxh" (H, D), "dWhh" (H, H), "db" (H,) (and "dWhy", "dby").
    """
    H = np.shape(Whh)[0]
    head = Why is not None
    if not head:  # an identity head: logits = h, so dlogits = dh is the gradient on the hidden states
        Why, by, dlogits = np.eye(H), np.zeros(H), dh
    params = _params(Wxh, Whh, b, Why, by)
    x = np.asarray(x, dtype=np.float64)
    logits, h_n, cache = ref_model.forward(params, x, h0=np.asarray(h0, dtype=np.float64)[None])
    out = {"h": cache.outputs[-1].copy(), "h_n": h_n[0].copy()}
    if head:
        out["logits"] = logits
    if dlogits is not None:
        grads, dx, dh0 = ref_model.backward(params, cache, np.asarray(dlogits, dtype=np.float64))
        out.update(dx=dx, dh0=dh0[0], dWxh=grads["Wxh"], dWhh=grads["Whh"], db=grads["bh"])
        if head:
            out.update(dWhy=grads["Why"], dby=grads["by"])
    return out


def cross_entropy(logits, targets, mask=None, reduction: str = "sum"):
    """(loss, dlogits) of softmax cross-entropy over the last axis; mask marks the scored positions."""
    return ref_loss.softmax_cross_entropy(np.asarray(logits, dtype=np.float64), np.asarray(targets),
                                          None if mask is None else np.asarray(mask, dtype=bool), reduction)


def embedding_grad(ids, dout, vocab_size: int) -> np.ndarray:
    """dW (V, D) of out = W[ids]: the scatter-add of dout (..., D) into the rows the ids picked."""
    dout = np.asarray(dout, dtype=np.float64)
    D = dout.shape[-1]
    # input_weight_grad builds dWxh (H, V) for token ids; here "H" is the embedding width D
    return ref_layers.input_weight_grad(dout.reshape(1, -1, D), np.asarray(ids).reshape(1, -1), vocab_size,
                                        True).T


def clip_value(grads: dict, c: float) -> dict:
    return dict(ref_clip.clip_value(dict(grads), c))


def clip_and_step(params: dict, grads: dict, lr: float, clip_value: float | None = None) -> tuple[dict, dict]:
    """One training step on given gradients: clip element-wise, then plain gradient descent, through the
    reference's training step (so its mistakes -- clipping after the update, ... -- can be replayed).
    Returns (the gradients the update used, params after it); params are not changed."""
    from ...reference import train as ref_train  # looked up at call time, so a mutant of the step applies

    new = ref_params.Params({k: np.array(v, dtype=np.float64) for k, v in params.items()})
    used = ref_train.apply_update(new, new.like({k: np.array(v, dtype=np.float64) for k, v in grads.items()}),
                                  ref_optim.SGD(new, lr=lr), clip_value=clip_value)
    return dict(used), dict(new)


def softmax_columns(z) -> np.ndarray:
    """Softmax over axis 0 (classes in rows, one column per example), as the column-vector courses write it."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
