"""The tolerance policy of DESIGN.md. The one place these numbers live; tests import them."""
from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Tolerance(NamedTuple):
    rtol: float
    atol: float


# (quantity, dtype) -> Tolerance, for reference-vs-torch comparisons: |mine - theirs| <= atol + rtol * |theirs|.
PARITY = {
    ("forward", "float64"): Tolerance(rtol=1e-10, atol=1e-12),
    ("forward", "float32"): Tolerance(rtol=1e-5, atol=1e-6),
    ("grad", "float64"): Tolerance(rtol=1e-9, atol=1e-11),
    ("grad", "float32"): Tolerance(rtol=1e-4, atol=1e-5),
}

# scipy.optimize.check_grad, always on float64 copies: error / ||analytic grad|| must stay below this.
GRADCHECK_REL_ERROR = 1e-5
# check_grad's forward-difference step. Its default sqrt(eps) ~ 1.5e-8 leaves rounding noise of
# ~eps * |loss| / step ~ 1.5e-7 per component at losses of 1-10, above 1e-5 of small gradients (h0 of a
# many-to-one model); 1e-6 cuts that to ~2e-9 while the truncation error h * |f''| / 2 stays below it.
GRADCHECK_EPSILON = 1e-6

# The grader's check of a student's backward against central differences of the student's OWN forward
# (rnn_parity/grader/judging/own_gradient.py), class protocols: norm-relative error. float64 forwards:
# check_grad's bound. A forward that rounds to float32 somewhere (DLFS2's dtype='f' buffers) leaves ~1e-4 of
# noise at the 1e-2 step used there.
OWN_DIFFERENCES_REL_ERROR = {"float64": GRADCHECK_REL_ERROR, "float32": 1e-3}

# Trajectories: max |param_mine - param_theirs| after N optimizer steps in float64.
TRAJECTORY_FLOAT64 = 1e-9

# Trajectories in float32, documented per N: max |param_mine - param_theirs| after at most N steps.
# Measured (rnn-parity check, every cell, lr 1e-2..5e-2, clipping active): <= 1.9e-6 after 50 steps (RNN and LSTM;
# GRU 9.5e-7); the RNN measured <= 2.3e-6 after 200.
TRAJECTORY_FLOAT32 = {50: 1e-5, 200: 1e-4}


def parity_tolerance(quantity: str, dtype) -> Tolerance:
    """The tolerance for `quantity` ("forward" or "grad") at `dtype` (float64 or float32)."""
    name = np.dtype(dtype).name
    try:
        return PARITY[(quantity, name)]
    except KeyError:
        raise ValueError(f"no tolerance for quantity={quantity!r}, dtype={name}") from None

# The grader's own-gradient check (rnn_parity.grader.judging.own_gradient): relative error between a backward's
# directional derivatives and central differences of the student's own forward (step 1e-6) for the function
# protocols (cs231n, dlai), whose forwards are float64; one that rounds to float32 is judged at
# OWN_DIFFERENCES_REL_ERROR["float32"]. An exact gradient lands near 1e-9 on the probes; the catalogued
# mistakes land above 1e-3.
OWN_GRADIENT_REL_ERROR = 1e-6
