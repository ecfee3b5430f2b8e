"""The gradient of the student's OWN forward, by central differences: what the student's backward must equal
whatever the forward computes. Child side (it runs the student's code), NumPy only.

Local stand-in for the shared helper (rnn_parity/grader/judging/own_gradient.py) until that lands on main; the
gated protocols call only `own_projections`.

The loss is L = sum_k <outputs[k], upstream[k]>, so dL/d(input) is exactly what a backward given `upstream`
returns. Rather than one difference per element (thousands of forward calls for a TimeLSTM), each input is
probed along DIRECTIONS random unit directions v (torch.autograd.gradcheck's fast mode does the same): the
central difference (L(a + eps v) - L(a - eps v)) / 2 eps must equal <dL/da, v>, the backward's gradient
projected on v. Any gradient that differs from the true one differs along a random direction (almost surely),
and the norm of the K projections of an error tracks the error's own norm.

A forward that keeps float32 somewhere (DLFS2's `np.empty(..., dtype='f')`) rounds L at ~1e-7: the step is then
1e-2, where rounding (~1e-6 / 2e-2) and truncation (step^2/6 |f'''|) both stay near 1e-4, and the parent's
tolerance follows (reference/tolerances.py OWN_DIFFERENCES_REL_ERROR).
"""
from __future__ import annotations

import numpy as np

STEPS = {"float64": 1e-6, "float32": 1e-2}
DIRECTIONS = 4


def precision(outputs) -> str:
    """float64 when every output is float64, else float32 (a lower precision somewhere in the forward)."""
    return "float64" if all(np.asarray(o).dtype == np.float64 for o in outputs) else "float32"


def directions(shape: tuple, seed: int) -> np.ndarray:
    """(K, size) unit directions for an input of `shape`: the identity's rows when size <= K (every element
    exactly), else K Gaussian directions. A pure function of the seed and the shape."""
    size = int(np.prod(shape))
    if size <= DIRECTIONS:
        return np.eye(size)
    v = np.random.default_rng([seed, size, 7]).normal(size=(DIRECTIONS, size))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def own_projections(forward, arrays: dict, upstream: list, seed: int = 0) -> tuple[dict, str]:
    """({name: (V (K, size), the forward's directional derivatives (K,))}, precision) for
    L = sum_k <forward(arrays)[k], upstream[k]>.

    forward(arrays) -> a list of output arrays; it is given fresh float64 copies each time (the student's code
    may keep or change what it gets). arrays: name -> float64 array, not changed.
    """
    base = {k: np.array(v, dtype=np.float64) for k, v in arrays.items()}
    ups = [np.asarray(u, dtype=np.float64) for u in upstream]

    def loss(values):
        outs = forward({k: v.copy() for k, v in values.items()})
        return sum(float(np.sum(np.asarray(o, dtype=np.float64) * u)) for o, u in zip(outs, ups)), outs

    _, outs = loss(base)
    prec = precision(outs)
    eps = STEPS[prec]
    out = {}
    for name, a in base.items():
        V = directions(a.shape, seed)
        d = np.empty(len(V))
        for j, v in enumerate(V):
            step = eps * v.reshape(a.shape)
            up, _ = loss({**base, name: a + step})
            down, _ = loss({**base, name: a - step})
            d[j] = (up - down) / (2 * eps)
        out[name] = (V, d)
    return out, prec


def project(grad, V: np.ndarray):
    """The student's gradient projected on the directions V, or None when it has the wrong number of elements."""
    g = np.asarray(grad, dtype=np.float64)
    return V.dot(g.ravel()) if g.size == V.shape[1] else None
