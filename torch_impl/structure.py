"""Find a vanilla RNN in a torch state_dict by the shapes of its tensors, not by their names.

    recurrence  an nn.RNN (or nn.RNNCell) key group under any prefix, several of them stacked, or a
                hand-written one from Linear layers: input (H, D) + recurrent (H, H), or one (H, D+H)
                applied to cat(x_t, h_{t-1})
    embedding   a (V, D) weight without bias, D being the recurrence's input size
    head        the remaining 2-D weight whose input width is K = H * dirs, with its bias (a Linear's own,
                or a bare top-level 1-D parameter of length O); none at all -> an identity head (O = K)

Wrapper prefixes (module., _orig_mod., and model./network./net. around everything) are stripped. Every
tensor must be explained: keys left over, several readings that fit equally, an LSTM or GRU, a head over
all T steps at once, a head over cat(x_t, h_{t-1}): each is a one-line RNNParityError. Which tensor plays
which part is decided here; what the shapes cannot tell (tanh or relu, last step or every step, the
order inside a cat, a square bare head's orientation) is listed as the Reading's open questions, which
verify.py answers by running the user's model.

Shapes: D input, H hidden, K = H * dirs, O output, V vocabulary.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Mapping, NamedTuple

import numpy as np

from ..reference.errors import RNNParityError
from ..reference.params import EMBEDDING, layer_keys
from ..reference.config import RNNConfig

WRAPPERS = ("model.", "network.", "net.")  # stripped when every key has one (Lightning modules, trainers)
MAP_HINT = "choose with --map rnn=PREFIX,head=PREFIX,embedding=PREFIX (map= in the Python API)"
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
    parts: tuple  # reference names whose columns make it up, in order; None: zeros (a bias torch keeps at 0)
    transpose: bool = False  # stored as the transpose (a bare (K, O) head used as h @ W)


@dataclass(frozen=True)
class Reading:
    """Which checkpoint tensors make up which part of the reference model, and what that leaves open."""

    fields: dict  # the RNNConfig fields the shapes fix
    sources: tuple  # Source per checkpoint tensor, in the checkpoint's order
    recurrence: str  # e.g. "nn.RNN 'rnn'" or "Linear 'i2h' (H, D) + 'h2h' (H, H)"
    embedding: str | None = None
    head: str | None = None  # None: identity head (the hidden states are the output)
    tied: bool = False  # the head's weight holds the embedding's values
    hand_written: bool = False  # its nonlinearity is nowhere in the checkpoint
    wrappers: tuple = ()  # prefixes stripped
    variant: str = ""  # the choice made among readings the shapes allow (cat order, head orientation)
    open_variant: str = ""  # non-empty: the shapes cannot choose it; only running the model can
    notes: tuple = field(default=())

    def describe(self) -> str:
        f = self.fields
        parts = []
        if self.embedding:
            parts.append(f"embedding {self.embedding} ({f['vocab_size']}, {f['input_size']})")
        shape = [f"{f['num_layers']} layers"] if f["num_layers"] > 1 else []
        shape += ["bidirectional"] if f["bidirectional"] else []
        shape += [self.variant] if self.variant else []
        parts.append(self.recurrence + (f" ({', '.join(shape)})" if shape else ""))
        if self.head is None:
            parts.append(f"no head: the hidden states are the output (identity head, O = {f['output_size']})")
        else:
            parts.append(f"head {self.head} ({f['output_size']}, {f['hidden_size'] * (2 if f['bidirectional'] else 1)})"
                         + (", tied to the embedding (same values)" if self.tied else ""))
        return " -> ".join(parts)


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


def strip_wrappers(keys) -> tuple[dict, tuple]:
    """short key -> original key, and the wrapper prefixes stripped."""
    short = {k: k for k in keys}
    stripped = []
    for k in list(short):
        s = k
        while s.startswith(("module.", "_orig_mod.")):  # DataParallel / DistributedDataParallel, torch.compile
            s = s.split(".", 1)[1]
        s = s.replace("._orig_mod.", ".")  # a compiled submodule
        short[k] = s
    if any(short[k] != k for k in short):
        stripped.append("module./_orig_mod.")
    while short and len(set(short.values())) == len(short):
        common = [w for w in WRAPPERS if all(v.startswith(w) for v in short.values())]
        if not common:
            break
        short = {k: v[len(common[0]):] for k, v in short.items()}
        stripped.append(common[0])
    if len(set(short.values())) != len(short):
        raise RNNParityError("two keys are the same after stripping wrapper prefixes (module., _orig_mod.): "
                             + str(sorted(short)[:4]))
    return {v: k for k, v in short.items()}, tuple(stripped)


def _module(key: str) -> str:
    return key.rsplit(".", 1)[0] if "." in key else ""


def _label(name: str) -> str:
    return repr(name.rstrip(".")) if name else "(top level)"


def _hint(name: str, role: str) -> int:
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


def _rnn_part(prefix: str, group: dict, arrays: Mapping) -> Part:
    """One nn.RNN key group as a recurrence, after refusing LSTMs, GRUs and malformed groups."""
    label = _label(prefix)
    ih, hh = group.get(("weight_ih", 0, False)), group.get(("weight_hh", 0, False))
    if ih is None or hh is None:
        raise RNNParityError(f"the RNN {label} lacks {'weight_ih_l0' if ih is None else 'weight_hh_l0'}")
    w_ih, w_hh = np.shape(arrays[ih]), np.shape(arrays[hh])
    if len(w_hh) != 2 or len(w_ih) != 2:
        raise RNNParityError(f"the RNN {label}: {hh} is {w_hh} and {ih} is {w_ih}, expected matrices")
    H = w_hh[1]
    for gates, kind in ((4, "an LSTM"), (3, "a GRU")):
        if w_hh[0] == gates * H and w_ih[0] == gates * H:
            raise RNNParityError(f"{label} is {kind} ({ih} is ({gates}H, D) = {w_ih}), rnn-parity ports vanilla "
                                 "RNNs only")
    if any(k[0] == "weight_hr" for k in group):
        raise RNNParityError(f"{label} is an LSTM with projections (weight_hr_l0), rnn-parity ports vanilla RNNs only")
    if w_hh != (H, H) or w_ih[0] != H:
        raise RNNParityError(f"the RNN {label}: {hh} is {w_hh} and {ih} is {w_ih}, expected (H, H) and (H, D)")
    layers = 1 + max(k[1] for k in group)
    dirs = 2 if any(k[2] for k in group) else 1
    has_bias = ("bias_ih", 0, False) in group
    nonzero_bhh = any(np.any(np.asarray(arrays[key])) for (kind, _, _), key in group.items() if kind == "bias_hh")
    bias = "torch" if nonzero_bhh else "single" if has_bias else "none"
    config = RNNConfig(w_ih[1], H, 1, num_layers=layers, bidirectional=dirs == 2, bias=bias)
    keys, sources = [], []
    for lk in layer_keys(config):
        k, d = lk.layer, lk.direction
        width = w_ih[1] if k == 0 else H * dirs
        expected = (("weight_ih", (H, width), lk.Wxh), ("weight_hh", (H, H), lk.Whh))
        if has_bias:
            expected += (("bias_ih", (H,), lk.bh), ("bias_hh", (H,), lk.bhh))  # lk.bhh None: "single" keeps it 0
        for kind, shape, ref in expected:
            key = group.get((kind, k, bool(d)))
            if key is None or np.shape(arrays[key]) != shape:
                got = "missing" if key is None else f"is {np.shape(arrays[key])}"
                raise RNNParityError(f"the RNN {label}: {kind}_l{k}{'_reverse' if d else ''} {got}, "
                                     f"expected {shape}")
            keys.append(key)
            sources.append(Source(key, (ref,)))
    if len(keys) != len(group):
        extra = sorted(set(group.values()) - set(keys))
        raise RNNParityError(f"the RNN {label} has keys outside its {layers} layer(s): {extra}")
    kind = "nn.RNN" if RNN_KEY.match(keys[0])["layer"] else "nn.RNNCell"
    return Part(frozenset(keys), w_ih[1], H, dirs, layers, bias, tuple(sources), f"{kind} {label}", False)


def _stack(parts: list[Part]) -> list[Part]:
    """Several nn.RNN modules read as the layers of one stacked RNN, when their shapes chain one way only."""
    if len(parts) == 1:
        return parts
    H, dirs = parts[0].H, parts[0].dirs
    if any(p.H != H or p.dirs != dirs or p.bias != parts[0].bias for p in parts):
        desc = ", ".join(f"{p.desc} (H={p.H}, dirs={p.dirs})" for p in parts)
        raise RNNParityError(f"{len(parts)} separate RNN modules that do not stack into one RNN: {desc}; "
                             "rnn-parity ports one (stacked) vanilla RNN")
    firsts = [p for p in parts if p.D != H * dirs]
    if len(firsts) > 1:
        raise RNNParityError(f"{len(parts)} separate RNN modules take input sizes "
                             f"{[p.D for p in parts]}: they do not chain into one stacked RNN")

    def natural(p):
        return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.desc)]
    rest = sorted((p for p in parts if p not in firsts), key=natural)
    order = firsts + rest
    variant = "stacked in the order " + ", ".join(p.desc.split(" ", 1)[1] for p in order) + (
        "" if len(rest) <= 1 else " (the names give the order)")
    layers = sum(p.layers for p in order)
    config = RNNConfig(order[0].D, H, 1, num_layers=layers, bidirectional=dirs == 2, bias=parts[0].bias)
    names = [lk for lk in layer_keys(config)]
    sources, i = [], 0
    per = len(order[0].sources) // (order[0].layers * dirs)  # tensors per layer and direction
    for p in order:
        for j in range(0, len(p.sources), per):
            lk = names[i]
            refs = (lk.Wxh, lk.Whh, lk.bh, lk.bhh)[:per]
            sources += [replace(s, parts=(r,)) for s, r in zip(p.sources[j:j + per], refs)]
            i += 1
    return [Part(frozenset().union(*(p.keys for p in parts)), order[0].D, H, dirs, layers, parts[0].bias,
                 tuple(sources), " + ".join(p.desc for p in order), False, variant)]


def _hand_written(units: list[Unit], arrays: Mapping) -> list[Part]:
    """Recurrences made of Linear layers: input (H, D) + recurrent (H, H), or one (H, D+H) on a cat."""
    parts = []
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
            score = _hint(r.name, "recurrent") + _hint(i.name, "input")
            parts.append(Part(keys, i.shape[1], H, 1, 1, bias, tuple(src),
                              f"Linear {_label(i.name)} {i.shape} on x_t + {_label(r.name)} {r.shape} on h_{{t-1}}",
                              True, score=score))
    for c in linear:
        H, width = c.shape
        if width <= H:
            continue
        D = width - H
        keys = frozenset(k for k in (c.weight, c.bias) if k)
        for order, refs in (("x_t, h_{t-1}", ("Wxh", "Whh")), ("h_{t-1}, x_t", ("Whh", "Wxh"))):
            src = [Source(c.weight, refs)] + ([Source(c.bias, ("bh",))] if c.bias else [])
            parts.append(Part(keys, D, H, 1, 1, "single" if c.bias else "none", tuple(src),
                              f"Linear {_label(c.name)} {c.shape} on a cat of x_t and h_{{t-1}}", True,
                              variant=f"cat({order})", score=-1))
    return parts


def linear_units(arrays: Mapping) -> tuple[list[Unit], list[str]]:
    """Every 2-D tensor as a Unit (with the Linear's own bias), and the 1-D tensors no Unit claims."""
    units, claimed = [], set()
    for key, a in arrays.items():
        if np.ndim(a) != 2:
            continue
        if key == "weight" or key.endswith(".weight"):
            name = _module(key)
            bias = f"{name}.bias" if name else "bias"
            ok = bias in arrays and np.shape(arrays[bias]) == (np.shape(a)[0],)
            units.append(Unit(name, key, bias if ok else None, tuple(np.shape(a)), False))
            claimed |= {bias} if ok else set()
        else:
            units.append(Unit(key, key, None, tuple(np.shape(a)), True))
    loose = [k for k, a in arrays.items() if np.ndim(a) == 1 and k not in claimed]
    return units, loose


def parse_map(text_or_dict) -> dict:
    """--map rnn=PREFIX,head=PREFIX,embedding=PREFIX (head=none: no head) as a dict; a dict passes through."""
    if not text_or_dict:
        return {}
    if isinstance(text_or_dict, Mapping):
        items = dict(text_or_dict)
    else:
        items = {}
        for item in str(text_or_dict).split(","):
            role, sep, prefix = (s.strip() for s in item.partition("="))
            if not sep or not role:
                raise RNNParityError(f"--map: expected role=PREFIX, got {item.strip()!r}; {MAP_HINT}")
            items[role] = prefix
    unknown = sorted(set(items) - {"rnn", "head", "embedding"})
    if unknown:
        raise RNNParityError(f"--map: unknown role(s) {unknown}; the roles are rnn, head and embedding")
    return {role: str(prefix).strip() for role, prefix in items.items()}


def _matches(name: str, prefix: str | None, back: Mapping) -> bool:
    """Whether a module or key `name` (short) is the one `prefix` names (short or as in the file)."""
    if prefix is None:
        return True
    want = prefix.rstrip(".")
    full = back.get(name + ".weight", back.get(name, name))
    return name.rstrip(".") == want or _module(full) == want or full.rstrip(".") == want


def find_readings(arrays: Mapping, map=None) -> list[Reading]:
    """The readings of a state_dict (its own keys) that explain every tensor: one, or several that differ only
    in what the shapes cannot tell (their open_variant). Refuses in one line otherwise."""
    back, wrappers = strip_wrappers(arrays)  # short key -> the file's key
    short = {s: arrays[k] for s, k in back.items()}
    roles = parse_map(map)
    groups = rnn_groups(short)
    if roles.get("rnn"):
        groups = {p: g for p, g in groups.items() if _matches(p.rstrip("."), roles["rnn"], back)}
    in_groups = {k for g in groups.values() for k in g.values()}
    units, loose = linear_units({k: a for k, a in short.items() if k not in in_groups})
    if groups:
        recs = _stack([_rnn_part(p, g, short) for p, g in groups.items()])
    else:
        recs = _hand_written(units, short)
        if roles.get("rnn"):
            wanted = [p.strip() for p in roles["rnn"].split("+")]
            recs = [r for r in recs if all(any(_matches(_module(k), w, back) for k in r.keys) for w in wanted)]
    if not recs:
        raise RNNParityError("no recurrence found: neither an nn.RNN key group (weight_ih_l0, weight_hh_l0 under any "
                             "prefix) nor Linear layers (H, D) + (H, H) or (H, D+H); keys: "
                             + ", ".join(f"{back[k]} {tuple(np.shape(a))}" for k, a in list(short.items())[:12]))
    complete, partial = [], []
    for rec in recs:
        for reading, leftover, score in _complete(rec, units, loose, short, back, roles, wrappers):
            (partial if leftover else complete).append((score, reading, leftover, rec))
    if complete:
        best = max(s for s, *_ in complete)
        top = [(r, rec) for s, r, _, rec in complete if s == best]
        kinds = {(r.recurrence, r.embedding, r.head) for r, _ in top}
        if len(kinds) > 1 and not all(r.tied for r, _ in top):
            listed = "; ".join(f"({i + 1}) {r.describe()}" for i, r in enumerate(r for r, _ in top[:4]))
            raise RNNParityError(f"{len(top)} readings fit the checkpoint equally: {listed}; {MAP_HINT}")
        if len(kinds) > 1:  # a tied embedding and head swapped: the same function either way
            top = top[:1]
        return [r for r, _ in top]
    partial.sort(key=lambda t: (len(t[2]), -t[0]))
    score, reading, leftover, rec = partial[0]
    tied = [r for s, r, left, _ in partial if len(left) == len(leftover) and s == score]
    if roles and len(tied) == 1:  # the user chose the parts: what they left out is theirs to leave out
        ignored = ", ".join(back[k] for k in sorted(leftover))
        return [replace(reading, notes=(f"--map: ignored the tensors outside the mapped parts: {ignored}",))]
    message = _leftover_message(reading, rec, sorted(leftover), short, back)
    same = [r for _, r, left, _ in partial if len(left) == len(leftover)]
    for role in ("head", "embedding", "recurrence"):
        found = sorted({getattr(r, role) or "none" for r in same})
        if len(found) > 1:
            message += f"; candidates for the {role}: {', '.join(found)}"
    raise RNNParityError(message)


def _complete(rec: Part, units, loose, short, back, roles, wrappers):
    """Every (Reading, leftover keys, score) of recurrence `rec` with each embedding and head it allows."""
    K = rec.H * rec.dirs
    free = [u for u in units if u.weight not in rec.keys]
    emb_options = [None] if roles.get("embedding") == "none" else [None] + [
        u for u in free if u.bias is None and u.shape[1] == rec.D and _matches(u.name, roles.get("embedding"), back)]
    for emb in emb_options:
        heads = [(None, False)]
        if roles.get("head") != "none":
            for u in free:
                if u is emb or not _matches(u.name, roles.get("head"), back):
                    continue
                if u.shape[1] == K:
                    heads.append((u, False))
                if u.bare and u.shape[0] == K:
                    heads.append((u, True))  # a bare (K, O) parameter used as h @ W
        if roles.get("head") not in (None, "none"):
            heads = heads[1:]
        for head, transpose in heads:
            O = K if head is None else (head.shape[1] if transpose else head.shape[0])
            bias = head.bias if head is not None else None
            if head is not None and head.bare:
                fits = [k for k in loose if np.shape(short[k]) == (O,) and k not in rec.keys]
                bias = fits[0] if len(fits) == 1 else None
            used = set(rec.keys) | {k for k in (getattr(emb, "weight", None), getattr(head, "weight", None), bias) if k}
            sources = list(rec.sources)
            if emb is not None:
                sources.append(Source(emb.weight, (EMBEDDING,)))
            if head is not None:
                sources.append(Source(head.weight, ("Why",), transpose))
                if bias:
                    sources.append(Source(bias, ("by",)))
            order = {k: i for i, k in enumerate(short)}
            sources = tuple(replace(s, key=back[s.key]) for s in sorted(sources, key=lambda s: order[s.key]))
            tied = (emb is not None and head is not None and head.shape == emb.shape
                    and np.array_equal(np.asarray(short[emb.weight]), np.asarray(short[head.weight])))
            square_bare = head is not None and head.bare and head.shape[0] == head.shape[1]
            open_variant = "; ".join(v for v in (
                "the order inside the cat" if rec.variant.startswith("cat(") else "",
                f"whether the square bare head {head.name!r} is used as h @ W or h @ W.T" if square_bare else "") if v)
            variant = ", ".join(v for v in (rec.variant, ("h @ W" if transpose else "h @ W.T")
                                            if head is not None and head.bare else "") if v)
            fields = dict(input_size=rec.D, hidden_size=rec.H, output_size=O, num_layers=rec.layers,
                          bidirectional=rec.dirs == 2, bias=rec.bias,
                          vocab_size=None if emb is None else emb.shape[0])
            reading = Reading(fields, sources, rec.desc, None if emb is None else _label(emb.name),
                              None if head is None else _label(head.name), tied, rec.hand_written, wrappers,
                              variant, open_variant)
            score = rec.score + (0 if emb is None else _hint(emb.name, "embedding")) + (
                0 if head is None else _hint(head.name, "head") + (not head.bare))
            yield reading, set(short) - used, score


def _leftover_message(reading: Reading, rec: Part, leftover: list, short, back) -> str:
    """The one line that says why no reading explains every tensor."""
    K = rec.H * rec.dirs
    for k in leftover:
        shape = tuple(np.shape(short[k]))
        if len(shape) != 2:
            continue
        if reading.head is None and shape[1] % K == 0 and shape[1] > K:
            return (f"the head reads all T steps at once ({back[k]} is {shape} = (O, T*H) with T={shape[1] // K}, "
                    f"H={K}): rnn-parity ports a head applied to one step's hidden state")
        if rec.hand_written and shape[1] == rec.D + rec.H:
            return (f"{back[k]} {shape} = (O, D+H) reads cat(x_t, h_{{t-1}}), not h_t: an output that sees the input "
                    "directly has no vanilla-RNN head (Why h_t + by) to port to")
        if reading.head is not None and shape[1] == reading.fields["output_size"]:
            return (f"{back[k]} {shape} takes the output of the head {reading.head}: a head of more than one layer; "
                    "rnn-parity ports one linear head")
    listed = ", ".join(f"{back[k]} {tuple(np.shape(short[k]))}" for k in leftover[:8])
    more = f" and {len(leftover) - 8} more" if len(leftover) > 8 else ""
    return (f"{len(leftover)} key(s) left over after reading {reading.describe()}: {listed}{more}; "
            f"rnn-parity ports embedding -> vanilla RNN -> one linear head; {MAP_HINT}")
