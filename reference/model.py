"""The whole model: stacked (optionally bidirectional) recurrent layers and a linear head.

Shapes: T steps, B batch, D input, H hidden, O output, L layers, dirs in {1, 2}.
Everything runs time-major inside; batch_first only changes the layout of x, logits and dx.
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from . import layers
from .config import RNNConfig
from .params import EMBEDDING, LayerKeys, Params, layer_keys
from .validate import check_params, initial_state, nonfinite_error, step_mask, time_major_input


class DirectionCache(NamedTuple):
    hs: np.ndarray  # (T+1, B, H) states in processing order; hs[0] = h0
    mask: np.ndarray | None  # (T, B, 1) in processing order


class ForwardCache(NamedTuple):
    config: RNNConfig
    token_ids: bool  # layer 0's input is token ids (T, B)
    inputs: tuple  # inputs[k]: layer k's input, time-major: (T, B, D_k) or token ids (T, B)
    directions: tuple  # directions[k][d]: DirectionCache
    outputs: tuple  # outputs[k]: (T, B, dirs*H) layer k's output, zero at padded steps
    mask: np.ndarray | None  # (T, B, 1) time order
    head_input: np.ndarray  # (B, dirs*H) for output="last", (T, B, dirs*H) for "all"
    ids: np.ndarray | None = None  # (T, B) token ids looked up in the embedding table E, or None


@lru_cache(maxsize=128)
def keys_by_layer(config: RNNConfig) -> tuple:
    """keys_by_layer(config)[k]: the LayerKeys of layer k's directions, computed once per config."""
    grouped = [[] for _ in range(config.num_layers)]
    for keys in layer_keys(config):
        grouped[keys.layer].append(keys)
    return tuple(tuple(g) for g in grouped)


def _flip(a):
    """Reverse the time axis (processing order of the reverse direction); None stays None."""
    return None if a is None else a[::-1]


def input_projection(params: Params, keys: LayerKeys, x_in: np.ndarray, token_ids: bool) -> np.ndarray:
    """x_t Wxh^T + biases for all T steps at once: (T, B, H).

    Token ids pick columns of Wxh (Wxh @ one_hot(id) == Wxh[:, id]), so no one-hot matrix is built.
    """
    Wxh = params[keys.Wxh]
    if token_ids:
        xproj = Wxh.T[x_in]
    else:
        xproj = x_in @ Wxh.T
    if keys.bh:
        xproj = xproj + params[keys.bh]
    if keys.bhh:
        xproj = xproj + params[keys.bhh]
    return xproj


def forward(params: Params, x, h0=None, lengths=None):
    """Run the model.

    x: (T, B, D) float or (T, B) token ids; (B, T, ...) when config.batch_first. With config.vocab_size,
    token ids in [0, V) whose rows of the table E (V, D) are layer 0's input.
    h0: (L*dirs, B, H) or None (zeros). lengths: (B,) ints in [1, T] or None.
    Returns logits: (B, O) for output="last", (T, B, O) for "all" ((B, T, O) if batch_first),
    h_n: (L*dirs, B, H), and the cache for backward. A NaN or Inf raises ValueError naming where it first
    appeared (a weight, x, h0, or an overflowing layer).
    """
    # Non-finite values are reported by nonfinite_error below; numpy's warnings would only add noise.
    with np.errstate(over="ignore", invalid="ignore"):
        return _forward(params, x, h0, lengths)


def _forward(params: Params, x, h0, lengths):
    config = check_params(params)
    dtype = params["Why"].dtype
    x, token_ids = time_major_input(x, config, dtype)
    ids = None
    if config.vocab_size is not None:  # the table's rows are layer 0's dense input
        ids, x, token_ids = x, params[EMBEDDING][x], False
    T, B = x.shape[:2]
    mask = step_mask(lengths, T, B)
    h0 = initial_state(h0, config, B, dtype)
    # Inputs are checked up front (tanh(inf) = 1 would hide an Inf from the outputs); weights only when
    # something is off, and nonfinite_error names the first culprit in a fixed order: weights, x, h0.
    if not (token_ids or np.isfinite(x).all()) or not np.isfinite(h0).all():
        raise nonfinite_error(params, x, h0, ())
    H, dirs = config.hidden_size, config.num_directions

    h_n = np.empty_like(h0)
    inputs, directions, outputs = [], [], []
    layer_in = x
    for layer in range(config.num_layers):
        out = np.empty((T, B, dirs * H), dtype=dtype)
        layer_dirs = []
        for keys in keys_by_layer(config)[layer]:
            idx = layer * dirs + keys.direction
            xproj = input_projection(params, keys, layer_in, token_ids and layer == 0)
            reverse = keys.direction == 1
            m = _flip(mask) if reverse else mask
            hs = layers.recurrence_forward(_flip(xproj) if reverse else xproj, h0[idx], params[keys.Whh],
                                           config.nonlinearity, m)
            states = _flip(hs[1:]) if reverse else hs[1:]
            out[:, :, keys.direction * H:(keys.direction + 1) * H] = states if mask is None else states * mask
            h_n[idx] = hs[-1]
            layer_dirs.append(DirectionCache(hs, m))
        inputs.append(layer_in)
        directions.append(tuple(layer_dirs))
        outputs.append(out)
        layer_in = out

    if config.output == "last":
        top = config.num_layers - 1
        # [fwd at its last valid step, bwd at step 0]: the top layer's h_n, like torch.
        head_input = np.concatenate([h_n[top * dirs + d] for d in range(dirs)], axis=-1)
    else:
        head_input = outputs[-1]
    logits = head_input @ params["Why"].T + params["by"]
    if not (np.isfinite(logits).all() and np.isfinite(h_n).all()):
        raise nonfinite_error(params, x, h0, outputs)
    if config.output == "all" and config.batch_first:
        logits = np.swapaxes(logits, 0, 1)
    cache = ForwardCache(config, token_ids, tuple(inputs), tuple(directions), tuple(outputs), mask, head_input, ids)
    return logits, h_n, cache


def backward(params: Params, cache: ForwardCache, dlogits, dh_n=None):
    """Backpropagation through time.

    dlogits: upstream gradient, the shape of forward's logits. dh_n: (L*dirs, B, H) upstream gradient on
    h_n (e.g. from the next chunk in truncated BPTT) or None.
    Returns grads (Params, same names as params), dx (the shape of x; None for token ids) and dh0 (L*dirs, B, H).
    """
    config = cache.config
    H, dirs, L = config.hidden_size, config.num_directions, config.num_layers
    dtype = params["Why"].dtype
    dlogits = np.asarray(dlogits, dtype=dtype)
    if config.output == "all" and config.batch_first:
        dlogits = np.swapaxes(dlogits, 0, 1)
    want = cache.head_input.shape[:-1] + (config.output_size,)
    if dlogits.shape != want:
        raise ValueError(f"dlogits has shape {dlogits.shape}, expected {want} (time-major)")
    B = cache.outputs[0].shape[1]
    dh_n = np.zeros((L * dirs, B, H), dtype) if dh_n is None else np.array(dh_n, dtype=dtype)
    if dh_n.shape != (L * dirs, B, H):
        raise ValueError(f"dh_n has shape {dh_n.shape}, expected {(L * dirs, B, H)}")

    grads = params.like({})
    O = config.output_size
    grads["Why"] = dlogits.reshape(-1, O).T @ cache.head_input.reshape(-1, dirs * H)
    grads["by"] = dlogits.reshape(-1, O).sum(axis=0)
    dhead = dlogits @ params["Why"]  # (B, dirs*H) or (T, B, dirs*H)
    if config.output == "last":
        for d in range(dirs):
            dh_n[(L - 1) * dirs + d] += dhead[:, d * H:(d + 1) * H]
        dout = None  # no step's output of the top layer reaches the head: only h_n does
    else:
        dout = dhead

    dh0 = np.empty_like(dh_n)
    for layer in reversed(range(L)):
        x_in = cache.inputs[layer]
        token_ids = cache.token_ids and layer == 0
        din = None if token_ids else np.zeros(x_in.shape, dtype)
        if cache.mask is not None and dout is not None:
            dout = dout * cache.mask  # padded outputs are constant zeros: no gradient flows through them
        for keys in keys_by_layer(config)[layer]:
            idx = layer * dirs + keys.direction
            reverse = keys.direction == 1
            dc = cache.directions[layer][keys.direction]
            dys = None if dout is None else dout[:, :, keys.direction * H:(keys.direction + 1) * H]
            dA, dh0[idx] = layers.recurrence_backward(_flip(dys) if reverse else dys, dh_n[idx], dc.hs,
                                                      params[keys.Whh], config.nonlinearity, dc.mask)
            x_proc = _flip(x_in) if reverse else x_in  # processing order, to pair with dA and hs
            grads[keys.Wxh] = layers.input_weight_grad(dA, x_proc, config.layer_input_size(layer), token_ids)
            grads[keys.Whh], db = layers.recurrent_weight_grads(dA, dc.hs)
            if keys.bh:
                grads[keys.bh] = db
            if keys.bhh:
                grads[keys.bhh] = db.copy()
            if din is not None:
                dx_proc = dA @ params[keys.Wxh]
                din += _flip(dx_proc) if reverse else dx_proc
        dout = din

    dx = dout
    if cache.ids is not None:
        # Each row of E gets the gradient of every position that looked it up: a scatter-add, since an id
        # can repeat (plain fancy-index assignment would keep only one of the repeats).
        grads[EMBEDDING] = np.zeros_like(params[EMBEDDING])
        np.add.at(grads[EMBEDDING], cache.ids.reshape(-1), dx.reshape(-1, dx.shape[-1]))
        dx = None  # the input was token ids
    if dx is not None and config.batch_first:
        dx = np.swapaxes(dx, 0, 1)
    # In the params' order, which is torch's parameter order: clip_norm's total norm sums the per-tensor
    # norms in this order, as clip_grad_norm_ does, and a different order can move it by an ulp.
    return params.like({name: grads[name] for name in params}), dx, dh0
