"""The probe plan: every call the grader makes on an implementation, in order, with its arrays.

The plan is a pure function of (seed, what discovery found), built from NumPy's seeded generator
only, so the child process (which runs the implementation) and the grader (which replays the
same calls on the reference and on its mutants) build identical plans without exchanging them.
NumPy only: this module is imported inside the child, next to the student's code.

Conventions (canonical names, whatever the implementation calls them):
    Wxh (H, D), Whh (H, H), bh (H,), Why (O, H), by (O,)
Inputs are token ids; the implementation receives them as one-hot (D, 1) columns. Within a
sequence the tokens are distinct and never equal to their position, so the input-weight gradient's
columns separate the per-step backpropagated signal, and a one-hot built from the position
instead of the token changes the result.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

D, H, O = 10, 6, 4  # all different, so most transposition mistakes show up as wrong shapes or values
O_IDENTITY = H + 1  # the hidden-state probe: head [I; 0], so logits are [h_t; 0]
MAIN_LENGTHS = (1, 2, 5, 7)  # the gradient probes, with length 1 and lengths above 5
LOCALIZE_LENGTH = 8  # prefixes 1..8 of one sequence localize where a result starts to depart
CANONICAL = ("Wxh", "Whh", "bh", "Why", "by")
# The checks in report order, by canonical group (reports show the student's own names).
CHECK_ORDER = ("forward", "hidden", *("grad:" + c for c in CANONICAL), "clip", "update")
PLAN_SEED = 20240611  # mixed into every plan's generator, so --seed 0 is not NumPy's seed 0

# Upstream gradients for backprop(d_y, learn_rate): small enough that no plausible clipping bound is
# reached, so the update is -learn_rate * gradient and the gradient can be read off it.
BACKPROP_DY_SCALE = 1e-3
BACKPROP_LR = 1.0
# The clipping probe: the same d_y direction twice, tiny (to read the unclipped gradient) and huge.
CLIP_SMALL_SCALE = 1e-3
CLIP_BIG_SCALE = 1e3
CLIP_BIG_LR = 1e-3
# A few learning steps in a row, without resetting the weights between them.
UPDATE_STEPS = 3
UPDATE_DY_SCALE = 1e-2
UPDATE_LR = 0.5
# loss(Y) / backward() implementations with a clip(value) method are clipped at this value.
LOSS_CLIP_VALUE = 0.05


@dataclass
class Call:
    """One use of the implementation.

    tag: "grad" (gradient probe), "prefix" (localization), "hidden" (identity-head forward only),
    "clip_small" / "clip_big" (backprop clipping probe), "clip" (loss-form clip(value) probe),
    "update" (one of several learning steps in a row).
    """

    index: int
    tag: str
    tokens: np.ndarray  # (T,) ints in [0, D)
    reset: bool = True  # load the plan's weights before the call
    dy: np.ndarray | None = None  # dL/dlogits: (T, O) per step, or (O,) for many-to-one
    targets: np.ndarray | None = None  # loss form: (T,) or () class ids
    lr: float | None = None
    clip: float | None = None

    @property
    def T(self) -> int:
        return int(self.tokens.shape[0])

    def key(self, what: str) -> str:
        return f"{self.index}:{what}"


@dataclass
class Plan:
    seed: int
    protocol: str  # "functions" | "class"
    step: str  # "functions" | "backprop" | "loss"
    many_to_one: bool
    params: dict  # canonical name -> array, biases (n,)
    identity_head: dict  # Why (O_IDENTITY, H), by (O_IDENTITY,)
    h0: np.ndarray  # (H,): zeros for the class protocol, whose forward starts from zeros
    calls: list = field(default_factory=list)
    has_clip: bool = False
    has_update: bool = False

    @property
    def output_size(self) -> int:
        return O


def _tokens(rng: np.random.Generator, T: int) -> np.ndarray:
    """T distinct token ids, none equal to its position."""
    while True:
        ids = rng.permutation(D)[:T]
        if not np.any(ids == np.arange(T)):
            return ids.astype(np.int64)


def plan_rng(seed: int) -> np.random.Generator:
    """The one generator a plan is drawn from: the child and the grader derive it alike from the seed."""
    return np.random.default_rng([seed, PLAN_SEED])


def make_params(rng: np.random.Generator) -> dict:
    """Weights large enough that tanh is far from linear (|h| ~ 0.3-0.9), biases nonzero."""
    return {
        "Wxh": rng.normal(0.0, 0.8, size=(H, D)),
        "Whh": rng.normal(0.0, 0.9 / np.sqrt(H), size=(H, H)),
        "bh": rng.normal(0.0, 0.3, size=(H,)),
        "Why": rng.normal(0.0, 0.6, size=(O, H)),
        "by": rng.normal(0.0, 0.3, size=(O,)),
    }


def build(seed: int, protocol: str, step: str, many_to_one: bool, has_clip: bool = False,
          has_update: bool = False, zero_h0: bool = False) -> Plan:
    """The ordered calls for one implementation. step: "functions", "backprop" or "loss".

    zero_h0: the function protocol's h0 is zeros (for forward functions that always start from zeros).
    """
    rng = plan_rng(seed)
    params = make_params(rng)
    identity = {"Why": np.vstack([np.eye(H), np.zeros((1, H))]), "by": np.zeros(O_IDENTITY)}
    h0 = rng.normal(0.0, 0.5, size=(H,))
    if protocol != "functions" or zero_h0:
        h0 = np.zeros(H)
    plan = Plan(seed, protocol, step, many_to_one, params, identity, h0, has_clip=has_clip, has_update=has_update)
    main = [_tokens(rng, T) for T in MAIN_LENGTHS]
    long_seq = _tokens(rng, LOCALIZE_LENGTH)
    calls = plan.calls

    def add(tag, tokens, **kw):
        calls.append(Call(len(calls), tag, tokens, **kw))

    def upstream(T: int, scale: float, last_only: bool = False) -> np.ndarray:
        if many_to_one:
            return rng.normal(0.0, scale, size=(O,))
        dy = rng.normal(0.0, scale, size=(T, O))
        if last_only:
            dy[:-1] = 0.0
        return dy

    def targets(T: int) -> np.ndarray:
        return rng.integers(0, O, size=() if many_to_one else (T,)).astype(np.int64)

    if step == "functions":
        for tokens in main:
            add("grad", tokens, dy=upstream(len(tokens), 1.0))
        for L in range(1, LOCALIZE_LENGTH + 1):
            add("prefix", long_seq[:L], dy=upstream(L, 1.0, last_only=True))
    elif step == "backprop":
        for tokens in main:
            add("grad", tokens, dy=upstream(len(tokens), BACKPROP_DY_SCALE), lr=BACKPROP_LR)
        for L in range(1, LOCALIZE_LENGTH + 1):
            add("prefix", long_seq[:L], dy=upstream(L, BACKPROP_DY_SCALE, last_only=True), lr=BACKPROP_LR)
        direction = upstream(len(main[-1]), 1.0)
        add("clip_small", main[-1], dy=direction * CLIP_SMALL_SCALE, lr=BACKPROP_LR)
        add("clip_big", main[-1], dy=direction * CLIP_BIG_SCALE, lr=CLIP_BIG_LR)
        for k in range(UPDATE_STEPS):
            tokens = main[1 + k % (len(main) - 1)]
            add("update", tokens, reset=k == 0, dy=upstream(len(tokens), UPDATE_DY_SCALE), lr=UPDATE_LR)
    elif step == "loss":
        for tokens in main:
            add("grad", tokens, targets=targets(len(tokens)))
        for L in range(1, LOCALIZE_LENGTH + 1):
            add("prefix", long_seq[:L], targets=targets(L))
        if has_clip:
            add("clip", main[-1], targets=targets(len(main[-1])), clip=LOSS_CLIP_VALUE)
        if has_update:
            for k in range(UPDATE_STEPS):
                tokens = main[1 + k % (len(main) - 1)]
                add("update", tokens, reset=k == 0, targets=targets(len(tokens)), lr=UPDATE_LR,
                    clip=LOSS_CLIP_VALUE if has_clip else None)
    else:
        raise ValueError(f"unknown step form {step!r}")
    if not many_to_one:
        for tokens in main + [long_seq]:
            add("hidden", tokens)
    return plan


def one_hot_columns(tokens: np.ndarray) -> list:
    """The implementation's view of a sequence: a list of (D, 1) one-hot column vectors."""
    cols = []
    for tok in tokens:
        v = np.zeros((D, 1))
        v[int(tok), 0] = 1.0
        cols.append(v)
    return cols


def hidden_from_identity_outputs(out: np.ndarray, probs: bool) -> np.ndarray:
    """h_t from the identity-head outputs (T, H+1): logits [h_t; 0], or their softmax."""
    out = np.asarray(out, dtype=np.float64)
    if probs:
        with np.errstate(divide="ignore", invalid="ignore"):
            logp = np.log(out)
        return logp[..., :H] - logp[..., H:]
    return out[..., :H] - out[..., H:]
