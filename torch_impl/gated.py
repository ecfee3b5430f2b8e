"""Hand-written LSTM and GRU cells in a state_dict, read into torch's gate order (structure.py chooses).

    fused pair   x2h (G*H, D) + h2h (G*H, H) Linears, or bare W (D, G*H) + U (H, G*H) used as x @ W
    fused cat    one Linear (4H, D+H) on cat(x_t, h_{t-1}) (LSTM only: a GRU's candidate reads r * h, so
                 one matrix on cat(x, h) cannot hold torch's GRU)
    per gate     G input weights, G recurrent weights and their biases, Linears or bare (in, out)
                 parameters (d2l's W_xi, W_hi, b_i), paired by the token their names differ in

Real code stacks LSTM gates as i, f, o, g as often as torch's i, f, g, o, and GRU gates as (z, r) + n; the
shapes cannot tell, so every order is a variant of the Part (open question "the gate order"), settled by
running --model, by --map gates=ifog, or by gate names (W_xi, forget_gate). Whether a hand-written GRU
applies its reset gate after the recurrent product (torch) or before it (d2l, many textbooks: a different
function) is in the forward code only: without --model a hand-written GRU is a question left open.
"""
from __future__ import annotations

import itertools
import os
import re
from dataclasses import replace
from typing import Mapping

import numpy as np

from .recurrence import Part, Source, Unit, hint, module_label

TORCH_ORDER = {"lstm": "ifgo", "gru": "rzn"}
CELL_OF = {4: "lstm", 3: "gru"}
# Gate tokens in names (after the common prefix and suffix of a group of names are removed).
GATE_WORDS = {
    "lstm": {"i": ("i", "in", "inp", "input", "ig", "ingate"), "f": ("f", "forget", "forgot", "fg", "forgetgate"),
             "g": ("g", "c", "j", "cell", "cand", "candidate", "tilde", "ctilde", "c_tilde", "ct", "cellgate"),
             "o": ("o", "out", "output", "og", "outgate")},
    "gru": {"r": ("r", "reset", "rg"), "z": ("z", "u", "update", "ug", "zg"),
            "n": ("n", "h", "c", "g", "new", "cand", "candidate", "tilde", "htilde", "h_tilde", "hc", "hidden", "hid")},
}
MAX_GROUP = 12  # same-shaped weights searched for per-gate groups (C(12, 4) = 495): a large model is not a cell
GRU_RESET = "where the reset gate acts (after the recurrent product as in torch, or before it)"


def parse_gates(text: str, cell: str) -> str | None:
    """--map gates=i,f,o,g (or ifog) as the stored order in torch's letters; None when it does not fit `cell`."""
    letters = "".join(c for c in str(text).lower() if c.isalpha())
    letters = letters.replace("c", "g") if cell == "lstm" else letters.replace("h", "n")
    return letters if sorted(letters) == sorted(TORCH_ORDER[cell]) else None


def _rows(order: str, cell: str) -> tuple:
    """The reference's gate blocks (torch's order) that rows stored in `order` hold."""
    return tuple(TORCH_ORDER[cell].index(c) for c in order)


def _orders(cell: str, named: str | None, stated: str | None) -> list[str]:
    """The stored gate orders to read: the stated one, the named one, or every one (torch's first, then the
    common i, f, o, g / z, r, n)."""
    if stated:
        from_text = parse_gates(stated, cell)
        return [from_text] if from_text else []
    if named:
        return [named]
    first = ["ifgo", "ifog"] if cell == "lstm" else ["rzn", "zrn"]
    rest = sorted("".join(p) for p in itertools.permutations(TORCH_ORDER[cell]))
    return first + [o for o in rest if o not in first]


def _pretty(order: str, cell: str) -> str:
    return f"gates {', '.join(order)}" + (" (torch's)" if order == TORCH_ORDER[cell] else "")


def _oriented(u: Unit, rows: int):
    """(transpose, cols) when unit u holds `rows` output rows: a Linear as (rows, cols); a bare parameter either
    way (x @ W stores (cols, rows))."""
    out = []
    if u.shape[0] == rows:
        out.append((False, u.shape[1]))
    if u.bare and u.shape[1] == rows and u.shape[0] != rows:
        out.append((True, u.shape[0]))
    return out


def _biases(arrays: Mapping, loose, units, n: int) -> list[str]:
    """Top-level biases of length n: 1-D, or bare (1, n) / (n, 1) parameters (a row bias b_h (1, H))."""
    found = [k for k in loose if np.shape(arrays[k]) == (n,)]
    return found + [u.weight for u in units if u.bare and u.shape in ((1, n), (n, 1))]


def _bias_sources(ib, rb, cell, rows):
    """Sources and the bias mode for an input-side and a recurrent-side bias (either may be None)."""
    if ib and rb:
        return [Source(ib, ("bh",), rows=rows), Source(rb, ("bhh",), rows=rows)], "torch"
    if ib or (rb and cell == "lstm"):  # an LSTM's two biases add up: one is bh; a GRU's b_hn is not b_in
        return [Source(ib or rb, ("bh",), rows=rows)], "single"
    if rb:
        return None, ""
    return [], "none"


def fused(units: list[Unit], arrays: Mapping, loose, stated: str | None = None) -> list[Part]:
    """Fused gated cells: x2h + h2h of G*H rows, or one (4H, D+H) on a cat."""
    parts = []
    for r in units:
        for t_r in ((False, True) if r.bare else (False,)):
            rows, H = (r.shape[1], r.shape[0]) if t_r else r.shape
            if H == 0 or rows % H or rows // H not in CELL_OF:
                continue
            G = rows // H
            cell = CELL_OF[G]
            for i in units:
                if i is r:
                    continue
                for t_i, D in _oriented(i, G * H):
                    if t_i != t_r:
                        continue
                    ib, rb = i.bias, r.bias
                    if r.bare:  # bare parameters: top-level biases of G*H, the input's first
                        found = _biases(arrays, loose, units, G * H)
                        if len(found) > 2:
                            continue
                        found.sort(key=lambda k: hint(k, "recurrent"))
                        ib, rb = (found + [None, None])[:2]
                    parts += _variants(cell, H, D, [(i.weight, ("Wxh",), t_i), (r.weight, ("Whh",), t_r)], ib, rb,
                                       f"Linear {module_label(i.name)} {i.shape} on x_t + {module_label(r.name)} "
                                       f"{r.shape} on h_{{t-1}}" if not r.bare else
                                       f"parameters {module_label(i.name)} {i.shape} on x_t + "
                                       f"{module_label(r.name)} {r.shape} on h_{{t-1}}",
                                       (i.name, r.name), hint(r.name, "recurrent") + hint(i.name, "input"), stated)
    for c in units:  # one Linear on cat(x, h): LSTM only
        for t in ((False, True) if c.bare else (False,)):
            rows, width = (c.shape[1], c.shape[0]) if t else c.shape
            if rows % 4 or width <= rows // 4:
                continue
            H, D = rows // 4, width - rows // 4
            bias = c.bias if not c.bare else next(iter(_biases(arrays, loose, units, rows)), None)
            for cat, refs in (("cat(x_t, h_{t-1})", ("Wxh", "Whh")), ("cat(h_{t-1}, x_t)", ("Whh", "Wxh"))):
                parts += _variants("lstm", H, D, [(c.weight, refs, t)], bias, None,
                                   f"Linear {module_label(c.name)} {c.shape} on a cat of x_t and h_{{t-1}}",
                                   (c.name,), -1, stated, extra=cat)
    return parts


def _variants(cell, H, D, weights, ib, rb, desc, modules, score, stated, extra="") -> list[Part]:
    """One Part per stored gate order of a fused cell (its names cannot tell it)."""
    orders = _orders(cell, None, stated)
    out = []
    for order in orders:
        rows = _rows(order, cell)
        bsrc, bias = _bias_sources(ib, rb, cell, rows)
        if bsrc is None:
            return []
        src = [Source(k, refs, t, rows=rows) for k, refs, t in weights] + bsrc
        keys = frozenset([k for k, _, _ in weights] + [b for b in (ib, rb) if b])
        out.append(_part(cell, H, D, bias, src, keys, desc, modules, score, order, orders, None, stated, extra))
    return out


def _part(cell, H, D, bias, src, keys, desc, modules, score, order, orders, named, stated, extra=""):
    """The Part of one gate order, with what is left open: the order (when several are read), the cat's order,
    a square parameter's orientation, and for a GRU where its reset gate acts."""
    variant = ", ".join(v for v in (extra, _pretty(order, cell)) if v)
    if named and not stated:
        variant += ", told by their names"
    open_q = [] if len(orders) == 1 else ["the gate order"]
    open_q += ["the order inside the cat"] if extra.startswith("cat") else []
    open_q += ["how the square parameters are applied (W @ v or v @ W)"] if extra.startswith("applied") else []
    open_q += [GRU_RESET] if cell == "gru" else []
    kind = "LSTM" if cell == "lstm" else "GRU"
    return Part(keys, D, H, 1, 1, bias, tuple(src), f"hand-written {kind}: {desc}", True, variant, score,
                tuple(modules), "; ".join(open_q), cell=cell)


def _token_split(names: list[str]) -> list[str] | None:
    """The tokens a group of names differ in (their common prefix and suffix removed), or None."""
    pre = os.path.commonprefix(names)
    suf = os.path.commonprefix([n[len(pre):][::-1] for n in names])[::-1]
    tokens = [n[len(pre):len(n) - len(suf)] for n in names]
    return tokens if all(tokens) and len(set(tokens)) == len(tokens) else None


def _name_gates(tokens: list[str], cell: str) -> str | None:
    """The gate each token names (a letter of torch's order per token), or None when they do not all name one."""
    words = GATE_WORDS[cell]
    out = []
    for tok in tokens:
        low = tok.lower().strip("_.")
        hit = [g for g, ws in words.items() if low in ws]
        if len(hit) != 1:
            return None
        out.append(hit[0])
    return "".join(out) if len(set(out)) == len(out) else None


def per_gate_cat(units: list[Unit], stated: str | None = None) -> list[Part]:
    """Four per-gate Linears (H, D+H) on cat(x_t, h_{t-1}) (i_gate_linear, f_gate_linear, ...): an LSTM (a GRU's
    candidate reads cat(x, r * h), a function no nn.GRU holds)."""
    parts, by_shape = [], {}
    for u in units:
        if not u.bare and u.shape[1] > u.shape[0]:
            by_shape.setdefault(u.shape, []).append(u)
    for (H, width), group in by_shape.items():
        if len(group) > MAX_GROUP:
            continue
        for combo in itertools.combinations(group, 4):
            tokens = _token_split([u.name for u in combo])
            named = _name_gates(tokens, "lstm") if tokens else None
            if named is None and len(group) != 4:
                continue
            orders = _orders("lstm", named, stated)
            desc = f"4 per-gate Linears {', '.join(module_label(u.name) for u in combo)} on a cat of x_t and h_{{t-1}}"
            keys = frozenset([u.weight for u in combo] + [u.bias for u in combo if u.bias])
            bias = "single" if all(u.bias for u in combo) else "none" if not any(u.bias for u in combo) else None
            if bias is None:
                continue
            for cat, refs in (("cat(x_t, h_{t-1})", ("Wxh", "Whh")), ("cat(h_{t-1}, x_t)", ("Whh", "Wxh"))):
                for order in orders:
                    src = []
                    for u, gate in zip(combo, order):
                        g = (TORCH_ORDER["lstm"].index(gate),)
                        src += [Source(u.weight, refs, rows=g)] + ([Source(u.bias, ("bh",), rows=g)] if u.bias else [])
                    parts.append(_part("lstm", H, width - H, bias, src, keys, desc, (combo[0].name,), -1, order,
                                       orders, named, stated, cat))
    return parts


def per_gate(units: list[Unit], arrays: Mapping, loose, stated: str | None = None) -> list[Part]:
    """G input weights (H, D) and G recurrent (H, H) (Linears, or bare (in, out) parameters used as x @ W),
    paired by the tokens their names differ in; biases: the Linears' own, or G top-level ones."""
    parts = []
    by_shape: dict = {}
    for u in units:
        by_shape.setdefault(u.shape, []).append(u)
    for (H, H2), recs in by_shape.items():
        if H != H2 or not 3 <= len(recs) <= MAX_GROUP:
            continue
        for G in (4, 3):
            cell = CELL_OF[G]
            for rgroup in itertools.combinations(recs, G):
                r_tok = _token_split([u.name for u in rgroup])
                if r_tok is None or (len(recs) > G and _name_gates(r_tok, cell) is None):
                    continue
                bare = rgroup[0].bare
                if any(u.bare != bare for u in rgroup):
                    continue
                for igroup, t in _input_groups(units, rgroup, H, G, r_tok, bare):
                    parts += _per_gate_parts(cell, H, igroup, rgroup, r_tok, t, arrays, loose, units, stated)
    return parts


def _input_groups(units, rgroup, H, G, r_tok, bare):
    """Groups of G input weights whose tokens are the recurrent group's, and whether they are stored (in, out)."""
    shapes: dict = {}
    for u in units:
        if u in rgroup or u.bare != bare:
            continue
        for t in ((False, True) if bare else (False,)):
            rows, D = (u.shape[1], u.shape[0]) if t else u.shape
            if rows == H and (D != H or u.shape == (H, H)):
                shapes.setdefault((D, t), []).append(u)
    for (D, t), group in shapes.items():
        if len(group) > MAX_GROUP:
            continue
        for combo in itertools.combinations(group, G):
            tok = _token_split([u.name for u in combo])
            if tok is not None and sorted(tok) == sorted(r_tok):
                yield [combo[tok.index(k)] for k in r_tok], t
            elif len(group) == G:  # names that do not pair (linear_forget_w1 / linear_forget_r1): in the order
                yield list(combo), t  # they were defined, the recurrent ones' too; only running the model checks it


def _per_gate_parts(cell, H, igroup, rgroup, tokens, t, arrays, loose, units, stated) -> list[Part]:
    G = len(tokens)
    D = igroup[0].shape[0] if t else igroup[0].shape[1]
    named = _name_gates(tokens, cell)
    # biases: the Linears' own, else top-level ones of length H whose tokens are the gates'
    ib = [u.bias for u in igroup] if all(u.bias for u in igroup) else None
    rb = [u.bias for u in rgroup] if all(u.bias for u in rgroup) else None
    if ib is None and rb is None and igroup[0].bare:
        # one group of G top-level biases (d2l's b_i), or two (torch's names: b_ii.. on x, b_hi.. on h)
        cands = _biases(arrays, loose, units, H)
        found = []
        for combo in itertools.combinations(cands, G) if len(cands) <= 2 * G else ():
            tok = _token_split(list(combo))
            if tok is not None and sorted(tok) == sorted(tokens):
                found.append([combo[tok.index(k)] for k in tokens])
        if len(found) == 2 and not set(found[0]) & set(found[1]):
            ib, rb = sorted(found, key=lambda g: hint(os.path.commonprefix(g), "recurrent"))
        elif found:
            ib = found[0]
    letters = TORCH_ORDER[cell]
    orders = _orders(cell, named, stated)
    desc = (f"{G} per-gate {'parameters' if igroup[0].bare else 'Linears'} "
            f"{', '.join(module_label(u.name) for u in igroup)} on x_t + "
            f"{', '.join(module_label(u.name) for u in rgroup)} on h_{{t-1}}")
    out = []
    for order in orders:
        src, bias = [], None
        for j, gate in enumerate(order):
            g = (letters.index(gate),)
            src += [Source(igroup[j].weight, ("Wxh",), t, rows=g), Source(rgroup[j].weight, ("Whh",), t, rows=g)]
            bsrc, bias = _bias_sources(ib[j] if ib else None, rb[j] if rb else None, cell, g)
            if bsrc is None:
                return []
            src += bsrc
        keys = frozenset([u.weight for u in igroup + list(rgroup)] + (ib or []) + (rb or []))
        score = hint(rgroup[0].name, "recurrent") + hint(igroup[0].name, "input")
        how = ("applied as v @ W" if t else "applied as W @ v") if igroup[0].bare and D == H else ""
        out.append(_part(cell, H, D, bias, src, keys, desc, [u.name for u in igroup], score, order, orders,
                         named, stated, how))
    return out


def split_gru(units: list[Unit], stated: str | None = None) -> list[Part]:
    """A GRU fused as (z, r) + n: Linears x2h (2H, D) + h2h (2H, H) for the two sigmoid gates, and x2n (H, D) +
    h2n (H, H) for the candidate. Which of z and r comes first is open (a variant each)."""
    parts = []
    linear = [u for u in units if not u.bare]
    for h2 in linear:
        H = h2.shape[1]
        if h2.shape != (2 * H, H):
            continue
        for x2, hn, xn in itertools.product(linear, repeat=3):
            D = x2.shape[1]
            if x2.shape != (2 * H, D) or hn.shape != (H, H) or xn.shape != (H, D) or len({x2, hn, xn, h2}) < 4:
                continue
            pairs = ((x2, h2), (xn, hn))
            if any(bool(x.bias) != bool(xn.bias) or bool(h.bias) != bool(hn.bias) for x, h in pairs):
                continue  # biases on one pair and not the other: not one cell's
            desc = (f"Linears {module_label(x2.name)} {x2.shape} + {module_label(h2.name)} {h2.shape} for two gates, "
                    f"{module_label(xn.name)} {xn.shape} + {module_label(hn.name)} {hn.shape} for the candidate")
            keys = frozenset(k for u in (x2, h2, xn, hn) for k in (u.weight, u.bias) if k)
            orders = [o for o in ("rzn", "zrn") if not stated or parse_gates(stated, "gru") == o]
            for order in orders:
                src, bias = [], "none"
                for (x, h), rows in zip(pairs, (_rows(order[:2], "gru"), (2,))):
                    src += [Source(x.weight, ("Wxh",), rows=rows), Source(h.weight, ("Whh",), rows=rows)]
                    bsrc, bias = _bias_sources(x.bias, h.bias, "gru", rows)
                    if bsrc is None:
                        break
                    src += bsrc
                else:
                    parts.append(_part("gru", H, D, bias, src, keys, desc, (x2.name, h2.name),
                                       hint(h2.name, "recurrent") + hint(x2.name, "input"), order, orders, None,
                                       stated))
    return parts


def gated_parts(units: list[Unit], arrays: Mapping, loose, stated: str | None = None) -> list[Part]:
    """Every hand-written gated reading; each GRU one also as h = (1-z)*h + z*n (Wikipedia's "fully gated unit",
    where z weighs the candidate): torch's GRU with the z gate's weights and biases negated, exactly."""
    parts = fused(units, arrays, loose, stated) + per_gate(units, arrays, loose, stated) + \
        per_gate_cat(units, stated) + split_gru(units, stated)
    z = TORCH_ORDER["gru"].index("z")
    flipped = [p._replace(sources=tuple(replace(s, negate=(z,)) if s.rows and z in s.rows else s for s in p.sources),
                          variant=p.variant + ", h = (1-z)*h + z*n")
               for p in parts if p.cell == "gru"]
    parts += flipped
    return parts + stack_cells(parts)


def stack_cells(parts: list[Part]) -> list[Part]:
    """Hand-written cells in a numbered list (cells.0.x2h, cells.1.x2h, ...: a ModuleList of LSTMCells) as the
    layers of one stack: the same code, so the same gate order in every layer; layer k > 0 reads H inputs."""
    groups: dict = {}
    for p in parts:
        prefixes = {m.rsplit(".", 1)[0] if "." in m else "" for m in p.modules}
        m = re.fullmatch(r"(.*?)(\d+)", prefixes.pop()) if len(prefixes) == 1 else None
        if m:
            shape = (m[1], p.cell, p.H, p.bias, p.variant, re.sub(r"\d+", "#", p.desc))
            groups.setdefault(shape, {})[int(m[2])] = p
    stacked = []
    for (base, cell, H, bias, variant, desc), layers in groups.items():
        L = len(layers)
        if L < 2 or sorted(layers) != list(range(L)) or any(layers[k].D != H for k in range(1, L)):
            continue
        sources = []
        for k in range(L):
            suffix = f"_l{k}" if k else ""
            sources += [replace(s, parts=tuple(r + suffix if r else r for r in s.parts)) for s in layers[k].sources]
        p0 = layers[0]
        stacked.append(p0._replace(keys=frozenset().union(*(p.keys for p in layers.values())), layers=L,
                                   sources=tuple(sources), desc=p0.desc.replace(f"{base}0", f"{base}#"), modules=tuple(m for p in layers.values() for m in p.modules)))
    return stacked
