"""Find an RNN, LSTM or GRU in a torch state_dict by the shapes of its tensors, not by their names.

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

import itertools
import re
from dataclasses import dataclass, field, replace
from typing import Mapping

import numpy as np

from ..reference.errors import RNNParityError
from ..reference.params import EMBEDDING
from .gated import gated_parts
from .recurrence import (Part, Source, Unit, hand_written, hint, linear_units, module_label, module_of, rnn_groups,
                         rnn_part, stack)

WRAPPERS = ("model.", "network.", "net.")  # stripped when every key has one (Lightning modules, trainers)
# weight_norm's two tensors in place of one weight: torch.nn.utils.parametrizations.weight_norm (original0 = g,
# original1 = v) and the older torch.nn.utils.weight_norm (weight_g, weight_v)
NORMED = re.compile(r"^(?P<module>.+?)\.(?:parametrizations\.(?P<name>\w+)\.original[01]|(?P<old>weight\w*)_[gv])$")
MAP_HINT = "choose with --map rnn=PREFIX,head=PREFIX,embedding=PREFIX (map= in the Python API)"


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
            width = (f.get("proj_size") or f["hidden_size"]) * (2 if f["bidirectional"] else 1)
            parts.append(f"head {self.head} ({f['output_size']}, {width})"
                         + (", tied to the embedding (same values)" if self.tied else ""))
        return " -> ".join(parts)


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
    # One level only: a trainer's attribute (Lightning's self.model); a second model. is the user's own module.
    common = [w for w in WRAPPERS if short and all(v.startswith(w) for v in short.values())]
    if common:
        short = {k: v[len(common[0]):] for k, v in short.items()}
        stripped.append(common[0])
    if len(set(short.values())) != len(short):
        raise RNNParityError("two keys are the same after stripping wrapper prefixes (module., _orig_mod.): "
                             + str(sorted(short)[:4]))
    return {v: k for k, v in short.items()}, tuple(stripped)


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
    unknown = sorted(set(items) - {"rnn", "head", "embedding", "gates"})
    if unknown:
        raise RNNParityError(f"--map: unknown role(s) {unknown}; the roles are rnn, head, embedding and gates")
    if "gates" in items:  # a hand-written cell's stored gate order, in torch's letters: ifog, zrn
        from .gated import parse_gates

        gates = str(items["gates"]).strip()
        if parse_gates(gates, "lstm") is None and parse_gates(gates, "gru") is None:
            raise RNNParityError(f"--map gates={gates}: expected the stored order of an LSTM's i, f, g (or c), o or "
                                 "a GRU's r, z, n (or h), written without commas, e.g. gates=ifog or gates=zrn")
    return {role: str(prefix).strip() for role, prefix in items.items()}


def _matches(name: str, prefix: str | None, back: Mapping) -> bool:
    """Whether a module or key `name` (short) is the one `prefix` names (short or as in the file)."""
    if prefix is None:
        return True
    want = prefix.rstrip(".")
    full = back.get(name + ".weight", back.get(name, name))
    return name.rstrip(".") == want or module_of(full) == want or full.rstrip(".") == want


def find_readings(arrays: Mapping, map=None) -> list[Reading]:
    """_find_readings, and when that refuses, again with bare (n, 1) parameters read as (n,) biases: the
    column biases of W @ x code (Karpathy's bh, by as nn.Parameter(torch.zeros(H, 1))). Not first: an (H, 1)
    parameter is as well a head to one output (h @ W_hq)."""
    try:
        return _find_readings(arrays, map)
    except RNNParityError:
        columns = {k for k, a in arrays.items() if np.ndim(a) == 2 and np.shape(a)[1] == 1
                   and not k.endswith("weight")}
        if not columns:
            raise
        try:
            return _find_readings({k: np.reshape(a, -1) if k in columns else a for k, a in arrays.items()}, map)
        except RNNParityError:
            pass
        raise


def _find_readings(arrays: Mapping, map=None) -> list[Reading]:
    """The readings of a state_dict (its own keys) that explain every tensor: one, or several that differ only
    in what the shapes cannot tell (their open_variant). Refuses in one line otherwise."""
    back, wrappers = strip_wrappers(arrays)  # short key -> the file's key
    short = {s: arrays[k] for s, k in back.items()}
    _refuse_weight_norm(short, back)
    roles = parse_map(map)
    groups = rnn_groups(short)
    # Every nn.RNN group's keys, the ones --map leaves out included: a decoder's weight_ih (H, D) is never an
    # embedding or a head.
    in_groups = {k for g in groups.values() for k in g.values()}
    if roles.get("rnn"):
        groups = {p: g for p, g in groups.items() if _matches(p.rstrip("."), roles["rnn"], back)}
    units, loose = linear_units({k: a for k, a in short.items() if k not in in_groups})
    if groups:
        recs = stack([rnn_part(p, g, short) for p, g in groups.items()])
    else:
        stated = roles.get("gates")
        recs = hand_written(units, short, loose) + gated_parts(units, short, loose, stated)
        if roles.get("rnn"):
            wanted = [p.strip() for p in roles["rnn"].split("+")]  # input first, then recurrent
            recs = [r for r in recs if len(r.modules) == len(wanted)
                    and all(_matches(m, w, back) for m, w in zip(r.modules, wanted))]
    if not recs and roles.get("rnn"):
        found = sorted({p.rstrip(".") for p in rnn_groups(short)} | {u.name for u in units if not u.bare})
        raise RNNParityError(f"--map rnn={roles['rnn']} names no recurrence; the modules are {found}")
    if not recs:
        raise RNNParityError("no recurrence found: neither an nn.RNN key group (weight_ih_l0, weight_hh_l0 under any "
                             "prefix) nor Linear layers (H, D) + (H, H) or (H, D+H); keys: "
                             + ", ".join(f"{back[k]} {tuple(np.shape(a))}" for k, a in list(short.items())[:12]))
    complete, partial = [], []
    for rec in recs:
        for reading, leftover, score in _complete(rec, units, loose, short, back, roles, wrappers):
            (partial if leftover else complete).append((score, reading, leftover, rec))
    explainable = {k for k, a in short.items() if _loss_buffer(k, a) or not np.any(a)}  # a cheap filter first
    for item in list(partial):  # zero initial states (an h0 buffer: the default) and a loss's class weights
        score, reading, leftover, rec = item
        if not leftover <= explainable:
            continue
        zeros = sorted(k for k in leftover if _initial_state(k, short[k], rec) and not np.any(short[k]))
        losses = sorted(k for k in leftover if _loss_buffer(k, short[k]))
        if leftover and len(zeros) + len(losses) == len(leftover):
            partial.remove(item)
            complete.append((score, _explained(reading, zeros, losses, short, back, arrays), set(), rec))
    if complete:
        best = max(s for s, *_ in complete)
        top = [(r, rec) for s, r, _, rec in complete if s == best]
        kinds = {(r.recurrence, r.embedding, r.head) for r, _ in top}
        if len(kinds) > 1 and not all(r.tied for r, _ in top):
            listed = "; ".join(f"({i + 1}) {r.describe()}" for i, r in enumerate(r for r, _ in top[:4]))
            said = f"{len(top)} readings fit the checkpoint equally: {listed}; {MAP_HINT}"
            if len({tuple(sorted(r.fields.items())) for r, _ in top}) > 1:
                raise RNNParityError(said)
            # Same sizes, roles swapped (an embedding and a bias-free head of one shape): running --model can
            # tell them apart; read_checkpoint without a variant refuses with this line (pick).
            return [replace(r, open_variant="; ".join(v for v in (r.open_variant, f"which reading it is ({said})")
                                                      if v)) for r, _ in top]
        if len(kinds) > 1:  # a tied embedding and head swapped: the same function either way
            top = top[:1]
        return [r for r, _ in top]
    if not partial:  # only --map can empty the list: it named a module that cannot play its role
        modules = sorted({module_of(k) or k for k in short})
        raise RNNParityError(f"--map {', '.join(f'{r}={p}' for r, p in roles.items())} fits no reading: no module of "
                             f"that name has the shape its role needs; the modules are {modules}")
    partial.sort(key=lambda t: (len(t[2]), -t[0]))
    score, reading, leftover, rec = partial[0]
    tied = [r for s, r, left, _ in partial if len(left) == len(leftover) and s == score]
    if set(roles) - {"gates"} and len(tied) == 1:  # the user chose the parts: what they left out is theirs to leave out
        ignored = ", ".join(back[k] for k in sorted(leftover))
        return [replace(reading, notes=(f"--map: ignored the tensors outside the mapped parts: {ignored}",))]
    message = _leftover_message(reading, rec, sorted(leftover), short, back)
    same = [r for _, r, left, _ in partial if len(left) == len(leftover)]
    for role in ("head", "embedding", "recurrence"):
        found = sorted({getattr(r, role) or "none" for r in same})
        if len(found) > 1:
            message += f"; candidates for the {role}: {', '.join(found)}"
    raise RNNParityError(message)


def _refuse_weight_norm(short: Mapping, back: Mapping) -> None:
    """A weight-normalized module stores g and v, not its weight: reading v as the weight would port it wrong."""
    pairs: dict = {}
    for k in short:
        m = NORMED.match(k)
        if m:
            pairs.setdefault((m["module"], m["name"] or m["old"]), []).append(k)
    for (module, name), keys in pairs.items():
        if len(keys) == 2:  # g and v both there
            listed = ", ".join(f"{back[k]} {tuple(np.shape(short[k]))}" for k in keys)
            raise RNNParityError(f"{module!r} is weight-normalized ({listed} hold g and v of its {name}, not the "
                                 f"{name} itself): fold it first, e.g. torch.nn.utils.parametrize."
                                 f"remove_parametrizations(model.{module}, {name!r}) (or remove_weight_norm), then "
                                 "save the state_dict and convert that")


def _complete(rec: Part, units, loose, short, back, roles, wrappers):
    """Every (Reading, leftover keys, score) of recurrence `rec` with each embedding and head it allows."""
    K = rec.S * rec.dirs
    order = {k: i for i, k in enumerate(short)}
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
            if emb is not None and emb.shape[1] == K:
                # A tied decoder saved once (savers that keep one of two shared tensors): only its bias (V,)
                # is left, its weight is the embedding's.
                heads += [(Unit(module_of(k) or k, emb.weight, k, emb.shape, False), False) for k in loose
                          if np.shape(short[k]) == (emb.shape[0],) and _matches(module_of(k), roles.get("head"), back)]
        if roles.get("head") not in (None, "none"):
            heads = heads[1:]
        # a bidirectional head's column halves: [forward ; backward] (cat(h_n[-2], h_n[-1])) first, then the
        # other order (cat(h_n[-1], h_n[-2])): the same shapes, told apart only by running the model
        halves = (False, True) if rec.dirs == 2 else (False,)
        for (head, transpose), swap in itertools.product(heads, halves):
            if head is None and swap:
                continue
            O = K if head is None else (head.shape[1] if transpose else head.shape[0])
            bias = head.bias if head is not None else None
            if head is not None and bias is None:  # a bare matrix, or Linear(K, O, bias=False) + a Parameter (O,)
                fits = [k for k in loose if np.shape(short[k]) == (O,) and k not in rec.keys
                        and not _loss_buffer(k, short[k])]
                bias = fits[0] if len(fits) == 1 else None
            used = set(rec.keys) | {k for k in (getattr(emb, "weight", None), getattr(head, "weight", None), bias) if k}
            sources = list(rec.sources)
            if emb is not None:
                sources.append(Source(emb.weight, (EMBEDDING,)))
            if head is not None:
                sources.append(Source(head.weight, ("Why",), transpose, halves=swap))
                if bias:
                    sources.append(Source(bias, ("by",)))
            sources = tuple(replace(s, key=back[s.key]) for s in sorted(sources, key=lambda s: order[s.key]))
            tied = (emb is not None and head is not None and head.shape == emb.shape
                    and np.array_equal(np.asarray(short[emb.weight]), np.asarray(short[head.weight])))
            square_bare = head is not None and head.bare and head.shape[0] == head.shape[1]
            open_variant = "; ".join(v for v in (
                rec.open_question,
                f"whether the square bare head {head.name!r} is used as h @ W or h @ W.T" if square_bare else "",
                "whether the last Linear reads cat(h_n[-2], h_n[-1]) = [forward ; backward], cat(h_n[-1], h_n[-2]) or "
                "out[:, -1] (whose backward half has seen one step)"
                if head is not None and rec.dirs == 2 else "") if v)
            variant = ", ".join(v for v in (rec.variant, "" if head is None or rec.dirs == 1 else
                                            "head on [backward ; forward]" if swap else "head on [forward ; backward]")
                                if v)
            head_label = None if head is None else module_label(head.name)
            if head is not None and head.bare:  # say how the bare matrix is applied
                head_label += f" used as h @ {head.name}" + ("" if transpose else ".T")
            if head is not None and bias and bias != head.bias and not head.bare:
                head_label += f" + bias {module_label(bias)}"  # Linear(K, O, bias=False) + a Parameter (O,)
            fields = dict(input_size=rec.D, hidden_size=rec.H, output_size=O, num_layers=rec.layers,
                          bidirectional=rec.dirs == 2, bias=rec.bias,
                          vocab_size=None if emb is None else emb.shape[0], cell=rec.cell, proj_size=rec.proj)
            reading = Reading(fields, sources, rec.desc, None if emb is None else module_label(emb.name),
                              head_label, tied, rec.hand_written, wrappers,
                              variant, open_variant)
            score = rec.score + (0 if emb is None else hint(emb.name, "embedding")) + (
                0 if head is None else hint(head.name, "head") + (not head.bare))
            yield reading, set(short) - used, score


STATE_NAMES = ("h0", "h_0", "hx", "hidden", "init", "state")  # names of a learned initial state


def _initial_state(key: str, a, rec: Part) -> bool:
    """Whether tensor `key` is an initial hidden state: (layers*dirs, 1 or B, H) by shape; (H,), (1, H) or
    (layers*dirs, H) when its name also says so."""
    shape, n = tuple(np.shape(a)), rec.layers * rec.dirs
    if len(shape) == 3:
        return shape[0] == n and shape[2] == rec.H
    named = any(w in key.rsplit(".", 1)[-1].lower() for w in STATE_NAMES)
    return named and shape in ((rec.H,), (1, rec.H), (n, rec.H))


LOSS_NAMES = ("criterion", "loss", "loss_fn", "loss_func", "lossfn", "loss_function", "crit")


def _loss_buffer(key: str, a) -> bool:
    """A loss module's 1-D buffer (CrossEntropyLoss(weight=...), BCEWithLogitsLoss(pos_weight=...)): training
    state, not part of what the model computes."""
    module, _, name = key.rpartition(".")
    return np.ndim(a) == 1 and name in ("weight", "pos_weight") and module.rsplit(".", 1)[-1].lower() in LOSS_NAMES


def _explained(reading: Reading, zeros: list, losses: list, short, back, arrays) -> Reading:
    """`reading` with zero initial states (nothing to read, zeros to write back) and loss buffers (ignored,
    their own values written back) explained."""
    order = {k: i for i, k in enumerate(arrays)}
    added = tuple(Source(back[k], (None,)) for k in zeros) + tuple(Source(back[k], ()) for k in losses)
    sources = tuple(sorted(reading.sources + added, key=lambda src: order[src.key]))
    notes = []
    if zeros:
        listed = ", ".join(f"{back[k]} {tuple(np.shape(short[k]))}" for k in zeros)
        notes.append(f"ignored {listed}: an initial hidden state of zeros, the reference's default h0")
    if losses:
        listed = ", ".join(f"{back[k]} {tuple(np.shape(short[k]))}" for k in losses)
        notes.append(f"ignored {listed}: the loss function's weights, not part of the model's output "
                     "(written back as they are)")
    return replace(reading, sources=sources, notes=reading.notes + tuple(notes))


def _leftover_message(reading: Reading, rec: Part, leftover: list, short, back) -> str:
    """The one line that says why no reading explains every tensor."""
    K = rec.S * rec.dirs
    for k in leftover:
        shape = tuple(np.shape(short[k]))
        if len(shape) == 1 and shape[0] == K and module_of(k) and f"{module_of(k)}.bias" in leftover:
            return (f"{module_of(back[k])!r} ({K},) weight and bias act on the hidden states: a normalization layer "
                    "(LayerNorm, BatchNorm) between the RNN and the head; rnn-parity ports embedding -> one RNN stack "
                    "-> one linear head with nothing between")
        if _initial_state(k, short[k], rec):
            return (f"{back[k]} {shape} is a learned initial hidden state (nonzero): the reference's weights hold no "
                    "h0, its forward takes one (h0=); port a state_dict without it and pass its values as h0, "
                    f"broadcast to (layers*directions, B, H) = ({rec.layers * rec.dirs}, B, {rec.H})")
        if len(shape) != 2:
            continue
        if reading.head is None and shape[1] % K == 0 and shape[1] > K:
            n = shape[1] // K
            layers = f", or the final states of all {n} layers" if n == rec.layers else ""
            return (f"the head reads all T steps at once ({back[k]} is {shape} = (O, T*H) with T={n}, "
                    f"H={K}{layers}): rnn-parity ports a head applied to one step's hidden state")
        if (rec.hand_written and len(rec.modules) == 1 and shape[1] == rec.D + rec.H and hint(module_of(k), "embedding")
                and f"{module_of(k)}.bias" not in short):
            # A bag-of-words classifier (nn.EmbeddingBag -> Linear): its Linear (O, E) passes for a cat recurrence
            # (H, D+H) only because the embedding's width is E; the embedding then feeds nothing.
            return (f"no recurrence: {back[k]} {shape} is an embedding (no bias) whose {shape[1]}-wide vectors the "
                    f"Linear {module_label(rec.modules[0])} reads directly, a feed-forward model (nn.EmbeddingBag "
                    "-> Linear?); rnn-parity ports embedding -> one RNN/LSTM/GRU stack -> one linear head")
        if rec.dirs == 2 and shape[1] == rec.S and reading.head is None:
            return (f"{back[k]} {shape} reads one direction's {rec.S} of the {K} a bidirectional stack's last step "
                    "holds (h_n[-1] is the backward direction only): rnn-parity ports a head on both directions")
        if rec.hand_written and shape[1] == rec.D + rec.H:
            return (f"{back[k]} {shape} = (O, D+H) reads cat(x_t, h_{{t-1}}), not h_t: an output that sees the input "
                    "directly has no RNN head (Why h_t + by) to port to")
        if reading.head is not None and shape[1] == reading.fields["output_size"]:
            return (f"{back[k]} {shape} takes the output of the head {reading.head}: a head of more than one layer; "
                    "rnn-parity ports one linear head")
    listed = ", ".join(f"{back[k]} {tuple(np.shape(short[k]))}" for k in leftover[:8])
    more = f" and {len(leftover) - 8} more" if len(leftover) > 8 else ""
    return (f"{len(leftover)} key(s) left over after reading {reading.describe()}: {listed}{more}; "
            f"rnn-parity ports embedding -> one RNN/LSTM/GRU stack -> one linear head; {MAP_HINT}")
