"""cmu: GRU cells in the style of CMU 11-785's homework (one example at a time, column-vector weights).

    cell = GRUCell(in_dim, hidden_dim)   holding Wrx Wzx Wnx (h, d), Wrh Wzh Wnh (h, h) and biases
                                          brx bzx bnx brh bzh bnh (or bir biz bin bhr bhz bhn), (h,)
    h_t = cell.forward(x, h_prev_t)       x (d,), h_prev_t (h,) -> (h,)
    dx, dh_prev_t = cell.backward(delta)  delta (h,); the weight gradients on self: dWrx, ..., dbrx, ...
Older handouts name the candidate's weights Wx, Wh (no n), have no biases, and pass delta as a (1, h) row.
torch's convention: r = sigmoid(Wrx x + brx + Wrh h + brh), z likewise, n = tanh(Wnx x + bnx + r * (Wnh h + bnh)),
h_t = (1 - z) * n + z * h. A cell in another GRU convention is graded in its own (rnn_parity.grader.judging.conventions).
The weights are set on the cell as the course's autograder does (init_weights(...) when the class has it).
"""
from __future__ import annotations

import inspect

import numpy as np

from . import gated as G
from .engine import CheckSpec, Protocol, Recognition, parameter_names
from .gated_mistakes import CATALOG, PHRASING_CMU
from .student import GradeError, call_student

D, H = 5, 6
WEIGHTS = ("Wrx", "Wzx", "Wnx", "Wrh", "Wzh", "Wnh")  # canonical names: the plan's keys
WEIGHT_SETS = (WEIGHTS, ("Wrx", "Wzx", "Wx", "Wrh", "Wzh", "Wh"))
BIAS_KEYS = ("bx_r", "bx_z", "bx_n", "bh_r", "bh_z", "bh_n")  # the plan's keys, in the order of each set
BIASES = (("brx", "bzx", "bnx", "brh", "bzh", "bnh"), ("bir", "biz", "bin", "bhr", "bhz", "bhn"))
DEFAULT = ((0, 1, 2), "after", "old")


def _source(cls) -> set:
    """The attribute and global names the class's methods use (self.Wrx = ... puts "Wrx" there): read from
    the code objects, so it works whatever the file (a notebook's generated module, Python 2 converted)."""
    names, todo = set(), [f.__code__ for f in vars(cls).values() if hasattr(f, "__code__")]
    todo += [f.__func__.__code__ for f in vars(cls).values() if hasattr(getattr(f, "__func__", None), "__code__")]
    while todo:
        code = todo.pop()
        names.update(code.co_names)
        todo += [c for c in code.co_consts if hasattr(c, "co_names")]
    return names


def find(module):
    """The module's own class with forward(x, h), backward(delta) and the six weights Wrx ... Wnh, or None."""
    for name, cls in vars(module).items():
        if not (inspect.isclass(cls) and cls.__module__ == module.__name__):
            continue
        if not all(callable(getattr(cls, m, None)) for m in ("forward", "backward")):
            continue
        if _weights(cls) and len(parameter_names(cls.forward)) == 3:
            return cls
    return None


def _weights(cls) -> tuple:
    src = _source(cls)
    return next((names for names in WEIGHT_SETS if all(w in src for w in names)), ())


def _biases(cls) -> tuple:
    """The class's six bias names, or () for a cell without biases."""
    src = _source(cls)
    return next((names for names in BIASES if all(n in src for n in names)), ())


class CMU(Protocol):
    name = "cmu"
    title = "CMU 11-785-style GRU cell (GRUCell: Wrx ... Wnh, forward(x, h), backward(delta))"
    functions = ("GRUCell(in_dim, hidden_dim).forward(x, h_prev_t)", "GRUCell.backward(delta)")
    mutants = CATALOG
    phrasing = PHRASING_CMU

    # --- child side

    def recognise(self, module) -> Recognition:
        cls = find(module)
        return Recognition(12.0, [cls.__name__]) if cls else Recognition(0.0)

    def plan(self, seed: int) -> dict:
        g = np.random.default_rng([seed, 11785]).normal
        out = {w: g(0, 0.6, (H, D) if w.endswith("x") else (H, H)) for w in WEIGHTS}
        out.update({k: g(0, 0.4, (H,)) for k in BIAS_KEYS})
        out.update(x=g(0, 1, (D,)), h=g(0, 0.8, (H,)), delta=g(0, 1, (H,)))
        return out

    def probe(self, probe, plan: dict) -> None:
        cls = find(probe.module)
        if cls is None:
            return
        fn, bn = f"{cls.__name__}.forward", f"{cls.__name__}.backward"
        weights, biases = _weights(cls), _biases(cls)
        probe.info["functions"] += [fn, bn]
        probe.info["cmu"] = {"class": cls.__name__, "weights": list(weights), "biases": list(biases),
                             "names": parameter_names(cls.forward)[1:]}
        c = {k: np.array(v) for k, v in plan.items()}
        with probe.function(fn, bn):
            self._probe_cell(probe, cls, weights, biases, c, fn, bn)

    def _probe_cell(self, probe, cls, weights, biases, c, fn, bn):
        names = weights + biases
        def build(v):
            cell = cls(D, H)
            values = [v[w] for w in WEIGHTS] + ([v[k] for k in BIAS_KEYS] if biases else [])
            init = getattr(cell, "init_weights", None)
            if callable(init) and len(parameter_names(init)) == len(values):
                init(*values)
            else:
                for name, value in zip(names, values):
                    setattr(cell, name, value)
            return cell

        def run(v):
            cell = build(v)
            return cell, cell.forward(v["x"], v["h"])

        cell, h = probe.call_as(fn, run, {k: v.copy() for k, v in c.items()})
        probe.record("gru:step:h", h, "h_t")
        cell, res = self._backward(probe, run, cell, c, bn)
        for key, value, n in (("dx", res[0], D), ("dh", res[1], H)):
            probe.record(f"gru:step:{key}", _vector(value, n), key)
        for canon, name in zip(WEIGHTS + BIAS_KEYS, names):
            grad = getattr(cell, "d" + name, None)
            if grad is not None:
                probe.record(f"gru:step:d{canon}", _vector(grad, H) if canon in BIAS_KEYS else grad, "d" + name)
        arrays = {k: c[k] for k in ("x", "h") + WEIGHTS + (BIAS_KEYS if biases else ())}
        keys = {"x": "dx", "h": "dh", **{k: "d" + k for k in WEIGHTS + BIAS_KEYS}}
        G.own_check(probe, bn, "gru:step:", lambda v: [run(v)[1]], arrays, [c["delta"]],
                    {k: s for k, s in keys.items() if k in arrays})

    @staticmethod
    def _backward(probe, run, cell, c, bn):
        """(cell, (dx, dh)): delta as (h,); when that raises or returns dx, dh of other sizes, delta as a (1, h)
        row on a fresh cell (older handouts), and the report says so."""
        try:
            first = call_student(probe.progress, probe.file, bn, cell.backward, c["delta"].copy())
            res = G.returned(probe, first, 2, bn)
            if np.size(res[0]) == D and np.size(res[1]) == H:
                return cell, res
        except GradeError:
            pass
        cell, _ = probe.call_as(f"{bn.split('.')[0]}.forward", run, {k: v.copy() for k, v in c.items()})
        res = G.returned(probe, probe.call_as(bn, cell.backward, c["delta"].copy()[None]), 2, bn)
        probe.note(f"{bn} takes delta as a (1, hidden_dim) row: graded with it")
        return cell, res

    # --- parent side

    def settle(self, plan: dict, info: dict, student: dict) -> list:
        if "cmu" not in info:
            return []
        biased = bool(info["cmu"]["biases"])
        cands = G.gru_candidates(lambda order, conv: _run(plan, conv, False, biased)["gru:step:h"], DEFAULT[0])
        cands = {k: v for k, v in cands.items() if k[0] == DEFAULT[0]}  # named weights: no order to read
        return G.settle(info, "gru", f"{info['cmu']['class']}.forward", student.get("gru:step:h"), cands, DEFAULT,
                        "gru", G.forward_tol(), columns=False)  # named weights: no columns to order

    def checks(self, plan: dict, info: dict) -> list:
        if "cmu" not in info:
            return []
        meta = info["cmu"]
        fn, bn = f"{meta['class']}.forward", f"{meta['class']}.backward"
        x, h = (meta["names"] + ["x", "h_prev_t"])[:2]
        out = [CheckSpec("gru:step:forward", fn, ["gru:step:h"], f"h_t of {fn}")]
        canon = WEIGHTS + (BIAS_KEYS if meta["biases"] else ())
        pairs = [("dx", x), ("dh", h)] + [("d" + k, n) for k, n in zip(canon, meta["weights"] + meta["biases"])]
        for key, name in pairs:
            out.append(CheckSpec(f"gru:step:grad:{name}", bn, [f"gru:step:{key}"], f"d{name} of {bn}"))
        out.append(G.own_spec("gru:step:", bn, "gru:step:", [k for k, _ in pairs], info))
        return out

    def expected_parts(self, plan: dict, info: dict) -> list:
        if "cmu" not in info:
            return []
        label = G.label_of(info, "gru", DEFAULT)
        return [lambda: _run(plan, label[1:], True, bool(info["cmu"]["biases"]))]


def _vector(value, n: int):
    """(n,) from a (1, n) row or an (n, 1) column (older handouts' shapes); anything else as it is (its shape
    check says so)."""
    a = np.asarray(value)
    return a.reshape(n) if a.shape in ((1, n), (n, 1)) else a


def _run(c: dict, conv: tuple, backward: bool, biased: bool = True) -> dict:
    from ..judging import conventions as CV

    Wx = np.hstack([c[w].T for w in WEIGHTS[:3]])
    Wh = np.hstack([c[w].T for w in WEIGHTS[3:]])
    bx = np.concatenate([c[k] for k in BIAS_KEYS[:3]]) * biased
    bh = np.concatenate([c[k] for k in BIAS_KEYS[3:]]) * biased
    r = CV.gru(c["x"][None, None], c["h"][None], Wx, Wh, bx, bh, tuple(conv),
               dh=c["delta"][None, None] if backward else None)
    out = {"gru:step:h": r["h"][0, 0]}
    if not backward:
        return out
    out.update({"gru:step:dx": r["dx"][0, 0], "gru:step:dh": r["dh0"][0]})
    for k, w in enumerate(WEIGHTS[:3]):
        out[f"gru:step:d{w}"] = r["dWx"][:, k * H:(k + 1) * H].T
        out[f"gru:step:d{BIAS_KEYS[k]}"] = r["dbx"][k * H:(k + 1) * H]
    for k, w in enumerate(WEIGHTS[3:]):
        out[f"gru:step:d{w}"] = r["dWh"][:, k * H:(k + 1) * H].T
        out[f"gru:step:d{BIAS_KEYS[3 + k]}"] = r["dbh"][k * H:(k + 1) * H]
    return out


PROTOCOL = CMU()
