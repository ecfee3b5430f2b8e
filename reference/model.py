"""The whole model: stacked (optionally bidirectional) recurrent layers and a linear head.

Shapes: T steps, B batch, D input, H hidden, O output, L layers, dirs in {1, 2}, G gates (1 RNN, 4 LSTM,
3 GRU), S = the width of h (P under an LSTM projection, else H).
Everything runs time-major inside; batch_first only changes the layout of x, logits and dx.
The stacking, directions, lengths, embedding and head are written once here for every cell; the cells
themselves are layers.py (RNN), lstm.py and gru.py, behind one interface (cells.py).
"""
from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np

from . import layers
from .cells import CELLS, Recurrent
from .config import RNNConfig
from .params import EMBEDDING, LayerKeys, Params, layer_keys
from .validate import check_params, initial_state, nonfinite_error, public_state, step_mask, time_major_input


class ForwardCache(NamedTuple):
    config: RNNConfig
    token_ids: bool  # layer 0's input is token ids (T, B)
    inputs: tuple  # inputs[k]: layer k's input, time-major: (T, B, D_k) or token ids (T, B)
    directions: tuple  # directions[k][d]: what that direction's cell kept for backward (cells.py)
    outputs: tuple  # outputs[k]: (T, B, dirs*S) layer k's output, zero at padded steps
    mask: np.ndarray | None  # (T, B, 1) time order
    head_input: np.ndarray  # (B, dirs*S) for output="last", (T, B, dirs*S) for "all"
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


def input_projection(params: Params, keys: LayerKeys, x_in: np.ndarray, token_ids: bool,
                     fold_bhh: bool = True) -> np.ndarray:
    """x_t Wxh^T + biases for all T steps at once: (T, B, G*H).

    Token ids pick columns of Wxh (Wxh @ one_hot(id) == Wxh[:, id]), so no one-hot matrix is built.
    fold_bhh: add b_hh here too (RNN, LSTM); the GRU keeps it inside the recurrence, under the reset gate.
    """
    Wxh = params[keys.Wxh]
    if token_ids:
        xproj = Wxh.T[x_in]
    else:
        xproj = x_in @ Wxh.T
    if keys.bh:
        xproj = xproj + params[keys.bh]
    if keys.bhh and fold_bhh:
        xproj = xproj + params[keys.bhh]
    return xproj


def recurrent_weights(params: Params, keys: LayerKeys, config: RNNConfig) -> Recurrent:
    """One direction's weights inside the recurrence."""
    bhh = params[keys.bhh] if keys.bhh and not CELLS[config.cell].folds_bhh else None
    return Recurrent(params[keys.Whh], bhh, params[keys.Whr] if keys.Whr else None, config.nonlinearity)


def forward(params: Params, x, h0=None, lengths=None):
    """Run the model.

    x: (T, B, D) float or (T, B) token ids; (B, T, ...) when config.batch_first. With config.vocab_size,
    token ids in [0, V) whose rows of the table E (V, D) are layer 0's input.
    h0: (L*dirs, B, S) or None (zeros); for the LSTM the pair (h0, c0), c0 (L*dirs, B, H), as torch takes it.
    lengths: (B,) ints in [1, T] or None.
    Returns logits: (B, O) for output="last", (T, B, O) for "all" ((B, T, O) if batch_first),
    h_n: (L*dirs, B, S) (the LSTM's: the pair (h_n, c_n)), and the cache for backward. A NaN or Inf raises
    ValueError naming where it first appeared (a weight, x, h0, or an overflowing layer).
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
    if not (token_ids or np.isfinite(x).all()) or not all(np.isfinite(s).all() for s in h0):
        raise nonfinite_error(params, x, h0, ())
    S, dirs = config.state_size, config.num_directions
    cell = CELLS[config.cell]

    h_n = tuple(np.empty_like(s) for s in h0)  # (h_n,) or (h_n, c_n)
    inputs, directions, outputs = [], [], []
    layer_in = x
    for layer in range(config.num_layers):
        out = np.empty((T, B, dirs * S), dtype=dtype)
        layer_dirs = []
        for keys in keys_by_layer(config)[layer]:
            idx = layer * dirs + keys.direction
            xproj = input_projection(params, keys, layer_in, token_ids and layer == 0, cell.folds_bhh)
            reverse = keys.direction == 1
            m = _flip(mask) if reverse else mask
            hs, state_n, dir_cache = cell.run_forward(_flip(xproj) if reverse else xproj,
                                                      tuple(s[idx] for s in h0),
                                                      recurrent_weights(params, keys, config), m)
            states = _flip(hs[1:]) if reverse else hs[1:]
            out[:, :, keys.direction * S:(keys.direction + 1) * S] = states if mask is None else states * mask
            for final, s in zip(h_n, state_n):
                final[idx] = s
            layer_dirs.append(dir_cache)
        inputs.append(layer_in)
        directions.append(tuple(layer_dirs))
        outputs.append(out)
        layer_in = out

    if config.output == "last":
        top = config.num_layers - 1
        # [fwd at its last valid step, bwd at step 0]: the top layer's h_n, like torch.
        head_input = np.concatenate([h_n[0][top * dirs + d] for d in range(dirs)], axis=-1)
    else:
        head_input = outputs[-1]
    logits = head_input @ params["Why"].T + params["by"]
    if not (np.isfinite(logits).all() and all(np.isfinite(s).all() for s in h_n)):
        raise nonfinite_error(params, x, h0, outputs)
    if config.output == "all" and config.batch_first:
        logits = np.swapaxes(logits, 0, 1)
    cache = ForwardCache(config, token_ids, tuple(inputs), tuple(directions), tuple(outputs), mask, head_input, ids)
    return logits, public_state(h_n, config), cache


def final_state_grad(dh_n, config: RNNConfig, B: int, dtype) -> tuple:
    """dh_n as a tuple like the state, zeros for None. The LSTM's is the pair (dh_n, dc_n), either part None."""
    n = config.num_layers * config.num_directions
    shapes = ((n, B, config.state_size),) + (((n, B, config.hidden_size),) if config.has_cell_state else ())
    labels = ("dh_n", "dc_n")
    if config.has_cell_state and dh_n is not None:
        if not (isinstance(dh_n, (tuple, list)) and len(dh_n) == 2):
            raise ValueError(f"dh_n of an LSTM must be the pair (dh_n, dc_n), got {type(dh_n).__name__}")
        parts = tuple(dh_n)
    else:
        parts = (dh_n,) + ((None,) if config.has_cell_state else ())
    grads = []
    for part, shape, label in zip(parts, shapes, labels):
        g = np.zeros(shape, dtype) if part is None else np.array(part, dtype=dtype)
        if g.shape != shape:
            raise ValueError(f"{label} has shape {g.shape}, expected {shape}")
        grads.append(g)
    return tuple(grads)


def backward(params: Params, cache: ForwardCache, dlogits, dh_n=None):
    """Backpropagation through time.

    dlogits: upstream gradient, the shape of forward's logits. dh_n: (L*dirs, B, S) upstream gradient on
    h_n (e.g. from the next chunk in truncated BPTT) or None; for the LSTM the pair (dh_n, dc_n).
    Returns grads (Params, same names as params), dx (the shape of x; None for token ids) and
    dh0 (L*dirs, B, S); for the LSTM dh0 is the pair (dh0, dc0).
    """
    config = cache.config
    S, dirs, L = config.state_size, config.num_directions, config.num_layers
    dtype = params["Why"].dtype
    dlogits = np.asarray(dlogits, dtype=dtype)
    if config.output == "all" and config.batch_first:
        dlogits = np.swapaxes(dlogits, 0, 1)
    want = cache.head_input.shape[:-1] + (config.output_size,)
    if dlogits.shape != want:
        raise ValueError(f"dlogits has shape {dlogits.shape}, expected {want} (time-major)")
    B = cache.outputs[0].shape[1]
    dstate_n = final_state_grad(dh_n, config, B, dtype)
    cell = CELLS[config.cell]

    grads = params.like({})
    O = config.output_size
    grads["Why"] = dlogits.reshape(-1, O).T @ cache.head_input.reshape(-1, dirs * S)
    grads["by"] = dlogits.reshape(-1, O).sum(axis=0)
    dhead = dlogits @ params["Why"]  # (B, dirs*S) or (T, B, dirs*S)
    if config.output == "last":
        for d in range(dirs):
            dstate_n[0][(L - 1) * dirs + d] += dhead[:, d * S:(d + 1) * S]
        dout = None  # no step's output of the top layer reaches the head: only h_n does
    else:
        dout = dhead

    dstate0 = tuple(np.empty_like(g) for g in dstate_n)
    for layer in reversed(range(L)):
        x_in = cache.inputs[layer]
        token_ids = cache.token_ids and layer == 0
        din = None if token_ids else np.zeros(x_in.shape, dtype)
        if cache.mask is not None and dout is not None:
            dout = dout * cache.mask  # padded outputs are constant zeros: no gradient flows through them
        for keys in keys_by_layer(config)[layer]:
            idx = layer * dirs + keys.direction
            reverse = keys.direction == 1
            mask = _flip(cache.mask) if reverse else cache.mask
            dys = None if dout is None else dout[:, :, keys.direction * S:(keys.direction + 1) * S]
            dA, dstate_first, rec = cell.run_backward(_flip(dys) if reverse else dys, tuple(g[idx] for g in dstate_n),
                                                      cache.directions[layer][keys.direction],
                                                      recurrent_weights(params, keys, config), mask)
            for first, g in zip(dstate0, dstate_first):
                first[idx] = g
            x_proc = _flip(x_in) if reverse else x_in  # processing order, to pair with dA
            grads[keys.Wxh] = layers.input_weight_grad(dA, x_proc, config.layer_input_size(layer), token_ids)
            grads[keys.Whh] = rec["Whh"]
            if keys.bh:
                grads[keys.bh] = rec["b"]
            if keys.bhh:  # folded into the input projection it gets the same gradient; the GRU's has its own
                grads[keys.bhh] = rec["bhh"] if "bhh" in rec else rec["b"].copy()
            if keys.Whr:
                grads[keys.Whr] = rec["Whr"]
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
    return params.like({name: grads[name] for name in params}), dx, public_state(dstate0, config)
