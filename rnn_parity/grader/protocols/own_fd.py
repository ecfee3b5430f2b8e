"""The gradient of the student's OWN forward, by central differences: what the student's backward must equal
whatever the forward computes. Child side (it runs the student's code), NumPy only.

Local stand-in for the shared helper (rnn_parity/grader/own_gradient.py) until that lands on main; the
gated protocols call only `own_gradients` and `STEPS`.

The loss is L = sum_k <outputs[k], upstream[k]>, so dL/d(input) is exactly what a backward given
`upstream` returns. A forward that keeps float32 somewhere (DLFS2's `np.empty(..., dtype='f')`) rounds L at
~1e-7: the step is then 1e-2, where rounding (~1e-6 / 2e-2) and truncation (step^2/6 |f'''|) both stay
near 1e-4, and the parent's tolerance follows (reference/tolerances.py OWN_GRADIENT_REL_ERROR).
"""
from __future__ import annotations

import numpy as np

STEPS = {"float64": 1e-6, "float32": 1e-2}


def precision(outputs) -> str:
    """float64 when every output is float64, else float32 (a lower precision somewhere in the forward)."""
    return "float64" if all(np.asarray(o).dtype == np.float64 for o in outputs) else "float32"


def own_gradients(forward, arrays: dict, upstream: list) -> tuple[dict, str]:
    """({name: dL/d array}, precision) for L = sum_k <forward(arrays)[k], upstream[k]>.

    forward(arrays) -> a list of output arrays; it is given fresh float64 copies each time (the student's
    code may keep or change what it gets). arrays: name -> float64 array, not changed.
    """
    base = {k: np.array(v, dtype=np.float64) for k, v in arrays.items()}
    ups = [np.asarray(u, dtype=np.float64) for u in upstream]

    def loss(values):
        outs = forward({k: v.copy() for k, v in values.items()})
        return sum(float(np.sum(np.asarray(o, dtype=np.float64) * u)) for o, u in zip(outs, ups)), outs

    _, outs = loss(base)
    prec = precision(outs)
    eps = STEPS[prec]
    grads = {}
    for name, a in base.items():
        g = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            keep = a[i]
            a[i] = keep + eps
            up, _ = loss(base)
            a[i] = keep - eps
            down, _ = loss(base)
            a[i] = keep
            g[i] = (up - down) / (2 * eps)
        grads[name] = g
    return grads, prec
