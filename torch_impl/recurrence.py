"""Candidate recurrences in a state_dict (structure.py chooses among them).

    nn.RNN / nn.RNNCell key groups under any prefix (weight_ih_l{k}[_reverse], weight_hh_..., bias_...),
    several modules stacked into one RNN when their shapes chain one way, and recurrences written with
    Linear layers: input (H, D) + recurrent (H, H), or one (H, D+H) applied to a cat of x_t and h_{t-1}.

nn.LSTM / nn.GRU (and their Cell forms, and an LSTM's projection weight_hr) are read here too: torch
stores their gates in its own order, so their rows map as they are. Hand-written gated cells are gated.py's.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from typing import Mapping, NamedTuple

import numpy as np

from ..reference.config import RNNConfig
from ..reference.errors import RNNParityError
from ..reference.params import layer_keys

RNN_KEY = re.compile(r"^(?P<prefix>.*?)(?P<kind>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)"
                     r"(?:_l(?P<layer>\d+)(?P<rev>_reverse)?)?$")
# Name hints break ties between readings the shapes allow equally (never override the shapes).
HINTS = {"embedding": ("emb", "encoder", "lookup", "wte", "tok", "word"),
         "head": ("fc", "out", "head", "decoder", "classifier", "linear", "proj", "h2o", "dense", "logit", "why"),
         "recurrent": ("h2h", "hh", "hid", "rec", "whh"),
         "input": ("i2h", "ih", "x2h", "xh", "inp", "wxh")}


@dataclass(frozen=True)
class Source:
    """How one checkpoint tensor is made of reference parameters."""

    key: str  # the key as the checkpoint spells it (wrappers included)
    parts: tuple  # reference names whose columns make it up, in order; None: zeros (a bias torch keeps at 0);
    # empty: not the model's (a loss function's weights), written back as theirs
    transpose: bool = False  # stored as the transpose (a bare (K, O) head used as h @ W)
    rows: tuple | None = None  # gated cells: the reference's gate blocks (torch's order) its rows hold, in order
    halves: bool = False  # a bidirectional head stored [backward ; forward]: its column halves swapped
    negate: tuple = ()  # gate blocks stored negated (a GRU written h = (1-z)*h + z*n holds -z's pre-activation)


class Unit(NamedTuple):
    """A 2-D weight with its bias: a Linear or Embedding ("decoder.weight" + "decoder.bias") or a bare parameter."""

    name: str
    weight: str
    bias: str | None
    shape: tuple
    bare: bool


class Part(NamedTuple):
    """A candidate recurrence: the keys it uses and how they map."""

    keys: frozenset
    D: int
    H: int
    dirs: int
    layers: int
    bias: str
    sources: tuple  # of Source with short keys
    desc: str
    hand_written: bool
    variant: str = ""
    score: int = 0
    modules: tuple = ()  # the hand-written recurrence's modules: (input, recurrent) or (cat,)
    open_question: str = ""  # what the shapes leave open between this Part and its sibling variants
    cell: str = "rnn"  # "rnn", "lstm" or "gru"
    proj: int = 0  # an LSTM's proj_size (weight_hr)

    @property
    def S(self) -> int:
        """The width of h: what the head reads per direction."""
        return self.proj or self.H


def module_of(key: str) -> str:
    return key.rsplit(".", 1)[0] if "." in key else ""


def module_label(name: str) -> str:
    return repr(name.rstrip(".")) if name else "(top level)"


def hint(name: str, role: str) -> int:
    low = name.lower().rsplit(".", 1)[-1] if name else ""
    return int(any(h in low for h in HINTS[role]))


def rnn_groups(arrays: Mapping) -> dict[str, dict]:
    """prefix -> {(kind, layer, reverse): short key} for nn.RNN (and nn.RNNCell) key groups."""
    groups: dict[str, dict] = {}
    for key in arrays:
        m = RNN_KEY.match(key)
        if m and (m["prefix"] == "" or m["prefix"].endswith(".")):
            layer = int(m["layer"]) if m["layer"] is not None else 0
            groups.setdefault(m["prefix"], {})[(m["kind"], layer, bool(m["rev"]))] = key
    return groups


CELL_NAMES = {1: ("rnn", "nn.RNN"), 3: ("gru", "nn.GRU"), 4: ("lstm", "nn.LSTM")}
REF_OF = {"weight_ih": "Wxh", "weight_hh": "Whh", "bias_ih": "bh", "bias_hh": "bhh", "weight_hr": "Whr"}


def _layer_refs(lk, kinds) -> list:
    """The reference names of one layer's tensors of `kinds` (None for a bias_hh "single" keeps at zero)."""
    return [getattr(lk, REF_OF[k]) for k in kinds]


def rnn_part(prefix: str, group: dict, arrays: Mapping) -> Part:
    """One nn.RNN / nn.LSTM / nn.GRU (or Cell) key group as a recurrence; malformed groups are refused."""
    label = module_label(prefix)
    ih, hh = group.get(("weight_ih", 0, False)), group.get(("weight_hh", 0, False))
    if ih is None or hh is None:
        raise RNNParityError(f"the RNN {label} lacks {'weight_ih_l0' if ih is None else 'weight_hh_l0'}")
    w_ih, w_hh = np.shape(arrays[ih]), np.shape(arrays[hh])
    if len(w_hh) != 2 or len(w_ih) != 2:
        raise RNNParityError(f"the RNN {label}: {hh} is {w_hh} and {ih} is {w_ih}, expected matrices")
    hr = group.get(("weight_hr", 0, False))
    if hr is not None:  # an LSTM with a projection: weight_hr (P, H), weight_hh (4H, P)
        w_hr = np.shape(arrays[hr])
        H, P = (w_hr[1], w_hr[0]) if len(w_hr) == 2 else (0, 0)
        if not H or w_hh != (4 * H, P) or P >= H:
            raise RNNParityError(f"the LSTM {label}: {hr} is {w_hr} and {hh} is {w_hh}, expected (P, H) and (4H, P) "
                                 "with P < H")
        G = 4
    else:
        H, P = w_hh[1], 0
        G = w_hh[0] // H if H and w_hh[0] % H == 0 else 0
    if G not in CELL_NAMES or w_ih[0] != G * H:
        raise RNNParityError(f"the RNN {label}: {hh} is {w_hh} and {ih} is {w_ih}, expected (GH, H) and (GH, D) with "
                             "G = 1 (RNN), 3 (GRU) or 4 (LSTM)")
    cell, kind = CELL_NAMES[G]
    S = P or H
    layers = 1 + max(k[1] for k in group)
    dirs = 2 if any(k[2] for k in group) else 1
    has_bias = ("bias_ih", 0, False) in group
    nonzero_bhh = any(np.any(np.asarray(arrays[key])) for (kind_, _, _), key in group.items() if kind_ == "bias_hh")
    bias = "torch" if nonzero_bhh else "single" if has_bias else "none"
    config = RNNConfig(w_ih[1], H, 1, num_layers=layers, bidirectional=dirs == 2, bias=bias, cell=cell, proj_size=P)
    kinds = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if has_bias else ()) + (("weight_hr",) if P else ())
    keys, sources = [], []
    for lk in layer_keys(config):
        k, d = lk.layer, lk.direction
        width = w_ih[1] if k == 0 else S * dirs
        shapes = {"weight_ih": (G * H, width), "weight_hh": (G * H, S), "bias_ih": (G * H,), "bias_hh": (G * H,),
                  "weight_hr": (P, H)}
        for kind_, ref in zip(kinds, _layer_refs(lk, kinds)):  # lk.bhh None: "single" keeps it 0
            key, shape = group.get((kind_, k, bool(d))), shapes[kind_]
            if key is None or np.shape(arrays[key]) != shape:
                got = "missing" if key is None else f"is {np.shape(arrays[key])}"
                raise RNNParityError(f"the RNN {label}: {kind_}_l{k}{'_reverse' if d else ''} {got}, "
                                     f"expected {shape}")
            keys.append(key)
            sources.append(Source(key, (ref,)))
    if len(keys) != len(group):
        extra = sorted(set(group.values()) - set(keys))
        raise RNNParityError(f"the RNN {label} has keys outside its {layers} layer(s): {extra}")
    kind += "" if RNN_KEY.match(keys[0])["layer"] else "Cell"
    return Part(frozenset(keys), w_ih[1], H, dirs, layers, bias, tuple(sources), f"{kind} {label}", False,
                cell=cell, proj=P)


def stack(parts: list[Part]) -> list[Part]:
    """Several nn.RNN / LSTM / GRU modules (or cells) read as the layers of one stacked RNN, when their shapes
    chain one way only."""
    if len(parts) == 1:
        return parts
    p0 = parts[0]
    H, S, dirs = p0.H, p0.S, p0.dirs
    biases = {p.bias for p in parts}
    bias = "torch" if biases == {"single", "torch"} else p0.bias  # a zero bias_hh reads as the zeros it holds
    if any((p.H, p.S, p.dirs, p.cell) != (H, S, dirs, p0.cell) for p in parts) or len(biases - {"single"}) > 1 \
            or (len(biases) > 1 and "none" in biases):
        desc = ", ".join(f"{p.desc} (H={p.H}, dirs={p.dirs}, bias={p.bias})" for p in parts)
        raise RNNParityError(f"{len(parts)} separate RNN modules that do not stack into one RNN: {desc}; "
                             "rnn-parity ports one stack of one cell, width and bias")
    firsts = [p for p in parts if p.D != S * dirs]
    if len(firsts) > 1:
        names = ", ".join(repr(p.desc.split(" ", 1)[1].strip("'")) for p in parts)
        raise RNNParityError(f"{len(parts)} separate RNN modules ({names}) take input sizes {[p.D for p in parts]}: "
                             "they do not chain into one stacked RNN (an encoder and a decoder?); rnn-parity ports "
                             "one (stacked) RNN: choose one with --map rnn=PREFIX[,head=PREFIX]")

    def natural(p):
        return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.desc)]
    rest = sorted((p for p in parts if p not in firsts), key=natural)
    if len(rest) <= 1 or len({re.sub(r"\d+", "#", p.desc) for p in rest}) == 1:
        orders = [firsts + rest]  # rnn1, rnn2 / layers.0, layers.1: the numbers give the order
    elif len(rest) <= 3:
        orders = [firsts + list(perm) for perm in itertools.permutations(rest)]
    else:
        raise RNNParityError(f"{len(parts)} separate RNN modules of one shape and no numbered names: their order "
                             "is neither in the shapes nor in the names")
    desc = " + ".join(p.desc for p in sorted(parts, key=natural))
    stacked = []
    kinds = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if bias != "none" else ()) + \
        (("weight_hr",) if p0.proj else ())
    for order in orders:
        layers = sum(p.layers for p in order)
        config = RNNConfig(order[0].D, H, 1, num_layers=layers, bidirectional=dirs == 2, bias=bias, cell=p0.cell,
                           proj_size=p0.proj)
        refs = [r for lk in layer_keys(config) for r in _layer_refs(lk, kinds)]
        olds = [s for p in order for s in p.sources]
        sources = [replace(s, parts=(r,)) for s, r in zip(olds, refs)]
        variant = "stacked in the order " + ", ".join(p.desc.split(" ", 1)[1] for p in order)
        stacked.append(Part(frozenset().union(*(p.keys for p in parts)), order[0].D, H, dirs, layers,
                            bias, tuple(sources), desc, False, variant,
                            open_question="" if len(orders) == 1 else "the order of the RNN modules",
                            cell=p0.cell, proj=p0.proj))
    return stacked


def hand_written(units: list[Unit], arrays: Mapping, loose=()) -> list[Part]:
    """Recurrences made of Linear layers: input (H, D) + recurrent (H, H), or one (H, D+H) on a cat; or of
    bare parameters (d2l's W_xh (D, H) used as x @ W, an RNNCell-like W_ih (H, D)) with top-level biases."""
    parts = _bare_pairs([u for u in units if u.bare], arrays, loose)
    linear = [u for u in units if not u.bare]
    for r in linear:
        H = r.shape[0]
        if r.shape != (H, H):
            continue
        for i in linear:
            if i is r or i.shape[0] != H:
                continue
            bias = "torch" if i.bias and r.bias and np.any(np.asarray(arrays[r.bias])) else \
                "single" if (i.bias or r.bias) else "none"
            src = [Source(i.weight, ("Wxh",)), Source(r.weight, ("Whh",))]
            if i.bias:
                src.append(Source(i.bias, ("bh",)))
            if r.bias:
                src.append(Source(r.bias, ("bh",) if not i.bias else ("bhh",) if bias == "torch" else (None,)))
            keys = frozenset(k for k in (i.weight, i.bias, r.weight, r.bias) if k)
            score = hint(r.name, "recurrent") + hint(i.name, "input")
            parts.append(Part(keys, i.shape[1], H, 1, 1, bias, tuple(src),
                              f"Linear {module_label(i.name)} {i.shape} on x_t + "
                              f"{module_label(r.name)} {r.shape} on h_{{t-1}}",
                              True, score=score, modules=(i.name, r.name)))
    for c in linear:
        H, width = c.shape
        if width <= H:
            continue
        D = width - H
        keys = frozenset(k for k in (c.weight, c.bias) if k)
        for order, refs in (("x_t, h_{t-1}", ("Wxh", "Whh")), ("h_{t-1}, x_t", ("Whh", "Wxh"))):
            src = [Source(c.weight, refs)] + ([Source(c.bias, ("bh",))] if c.bias else [])
            parts.append(Part(keys, D, H, 1, 1, "single" if c.bias else "none", tuple(src),
                              f"Linear {module_label(c.name)} {c.shape} on a cat of x_t and h_{{t-1}}", True,
                              variant=f"cat({order})", score=-1, modules=(c.name,),
                              open_question="the order inside the cat"))
    return parts


def _bare_pairs(bare: list[Unit], arrays: Mapping, loose) -> list[Part]:
    """Bare parameters: a square recurrent (H, H) and an input weight (H, D) or (D, H), with up to two
    top-level biases of length H. How a square matrix is applied (W @ h or h @ W) is open; the reading
    that applies it like the input weight comes first."""
    parts = []
    for r in bare:
        H = r.shape[0]
        if r.shape != (H, H):
            continue
        # a row bias b_h (1, H) next to W_xh / W_hh is the recurrence's (x @ W + b broadcasts it), not a head
        biases = [k for k in loose if np.shape(arrays[k]) == (H,)] + [u.weight for u in bare if u.shape == (1, H)]
        columns = sum(u.shape == (H, 1) for u in bare)  # column biases (H, 1), read as such on a second pass
        if len(biases) + columns > 2:  # more H-long biases than one recurrence holds: a gated cell's, not this
            continue
        biases.sort(key=lambda k: hint(k, "recurrent"))  # a b_hh goes second: it is the bhh
        bias = "none" if not biases else "torch" if len(biases) == 2 and np.any(np.asarray(arrays[biases[1]])) \
            else "single"
        bsrc = [Source(b, (ref,)) for b, ref in zip(biases, ("bh", "bhh" if bias == "torch" else None))]
        for i in bare:
            if i is r or H not in i.shape or i.weight in biases:
                continue
            for t_in in ([False] if i.shape[0] == H else []) + ([True] if i.shape[1] == H else []):
                D = i.shape[0] if t_in else i.shape[1]
                square = "'" + i.name + "' and '" + r.name + "'" if D == H else "'" + r.name + "'"
                for t_r in (t_in, not t_in):
                    how = (f"x @ {i.name}" if t_in else f"{i.name} @ x") + ", " + (
                        f"h @ {r.name}" if t_r else f"{r.name} @ h")
                    src = (Source(i.weight, ("Wxh",), t_in), Source(r.weight, ("Whh",), t_r), *bsrc)
                    keys = frozenset((i.weight, r.weight, *biases))
                    parts.append(Part(keys, D, H, 1, 1, bias, src,
                                      f"parameters {module_label(i.name)} {i.shape} on x_t + "
                                      f"{module_label(r.name)} {r.shape} on h_{{t-1}}", True, how,
                                      hint(r.name, "recurrent") + hint(i.name, "input"), (i.name, r.name),
                                      f"how the square {square} is applied (W @ v or v @ W)"))
    return parts


def linear_units(arrays: Mapping) -> tuple[list[Unit], list[str]]:
    """Every 2-D tensor as a Unit (with the Linear's own bias), and the 1-D tensors no Unit claims."""
    units, claimed = [], set()
    for key, a in arrays.items():
        if np.ndim(a) != 2:
            continue
        if key == "weight" or key.endswith(".weight"):
            name = module_of(key)
            bias = f"{name}.bias" if name else "bias"
            ok = bias in arrays and np.shape(arrays[bias]) == (np.shape(a)[0],)
            units.append(Unit(name, key, bias if ok else None, tuple(np.shape(a)), False))
            claimed |= {bias} if ok else set()
        else:
            units.append(Unit(key, key, None, tuple(np.shape(a)), True))
    loose = [k for k, a in arrays.items() if np.ndim(a) == 1 and k not in claimed]
    return units, loose
