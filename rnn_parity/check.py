"""The parity protocols (NumPy reference vs torch), the config grid, and the `rnn-parity check` report.

A *case* is one configuration plus its inputs, named by a readable id that is also its spec::

    L2-bi-relu-last-lengths      2 layers, bidirectional, relu, many-to-one, variable lengths
    L1-uni-tanh-all-ids-h0-bf    token ids, a given h0, batch_first
    L1-uni-tanh-last-f32-T1-B1   float32, one step, one sequence

``setup(case, device)`` draws the parameters and inputs once; every protocol then runs the NumPy
half and the torch half on the same numbers and compares them with ``rnn_parity.compare``:

    forward       logits, h_n, the top layer's hidden states
    vjp           every parameter's gradient, dx, dh0 under random upstream gradients on logits and h_n
    loss          cross-entropy loss and every gradient, reduction "sum" or "mean"
    clip          clip_value vs clip_grad_value_, clip_norm vs clip_grad_norm_ (and its returned norm)
    trajectory    N lockstep optimizer steps, loss and every parameter compared after every step
    gradcheck     the reference's finite-difference check (no torch)

The halves of each protocol are written to read alike (``forward_numpy`` / ``forward_torch`` ...).
Reference functions are looked up on ``rnn_parity.reference`` at call time, so a mutant patched into
the reference in-process (rnn_parity.mutants) is what runs.

Torch optimizers are torch.optim.SGD / Adam with ``foreach=False``: the single-tensor implementations
(``_single_tensor_sgd``, ``_single_tensor_adam``), not the foreach or fused kernels.
"""
from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import numpy as np

from . import reference as ref
from .compare import Comparison, compare
from .reference import tolerances
from .reference.config import RNNConfig
from .reference.params import Params, init_params
from .reference.tolerances import Tolerance

# ----------------------------------------------------------------------------------------------
# Cases: a config plus the shape of its inputs, spelled as an id
# ----------------------------------------------------------------------------------------------

DEFAULT_SIZES = dict(D=3, H=4, O=3, T=5, B=3)
VOCAB = 5  # input_size of token-id cases (one-hot size)


@dataclass(frozen=True)
class Case:
    """One parity configuration. ``Case.parse(case.id) == case``."""

    num_layers: int = 1
    bidirectional: bool = False
    nonlinearity: str = "tanh"
    output: str = "last"
    bias: str = "single"
    tokens: bool = False  # integer token ids instead of dense input
    h0: bool = False  # an initial state is given
    lengths: str = ""  # "" (full length), "lengths" (max == T) or "short" (all < T)
    batch_first: bool = False
    dtype: str = "float64"
    D: int = DEFAULT_SIZES["D"]
    H: int = DEFAULT_SIZES["H"]
    O: int = DEFAULT_SIZES["O"]
    T: int = DEFAULT_SIZES["T"]
    B: int = DEFAULT_SIZES["B"]
    seed: int = 0

    @property
    def config(self) -> RNNConfig:
        return RNNConfig(input_size=self.D, hidden_size=self.H, output_size=self.O, num_layers=self.num_layers,
                         nonlinearity=self.nonlinearity, bidirectional=self.bidirectional, bias=self.bias,
                         output=self.output, batch_first=self.batch_first)

    @property
    def id(self) -> str:
        parts = [f"L{self.num_layers}", "bi" if self.bidirectional else "uni", self.nonlinearity, self.output]
        if self.tokens:
            parts.append("ids")
        if self.lengths:
            parts.append(self.lengths)
        if self.h0:
            parts.append("h0")
        if self.batch_first:
            parts.append("bf")
        if self.bias != "single":
            parts.append({"torch": "torchbias", "none": "nobias"}[self.bias])
        if self.dtype == "float32":
            parts.append("f32")
        defaults = dict(DEFAULT_SIZES, D=VOCAB if self.tokens else DEFAULT_SIZES["D"])
        for key in ("D", "H", "O", "T", "B"):
            if getattr(self, key) != defaults[key]:
                parts.append(f"{key}{getattr(self, key)}")
        if self.seed:
            parts.append(f"s{self.seed}")
        return "-".join(parts)

    @classmethod
    def parse(cls, case_id: str) -> "Case":
        """The Case an id spells; unknown words are a ValueError naming them."""
        kw: dict = {}
        sizes: dict = {}
        for word in case_id.split("-"):
            m = re.fullmatch(r"([LDHOTBs])(\d+)", word)
            if m and m.group(1) == "L":
                kw["num_layers"] = int(m.group(2))
            elif m and m.group(1) == "s":
                kw["seed"] = int(m.group(2))
            elif m:
                sizes[m.group(1)] = int(m.group(2))
            elif word in ("uni", "bi"):
                kw["bidirectional"] = word == "bi"
            elif word in ("tanh", "relu"):
                kw["nonlinearity"] = word
            elif word in ("last", "all"):
                kw["output"] = word
            elif word in ("lengths", "short"):
                kw["lengths"] = word
            elif word in ("ids", "h0", "bf"):
                kw[{"ids": "tokens", "h0": "h0", "bf": "batch_first"}[word]] = True
            elif word in ("torchbias", "nobias"):
                kw["bias"] = {"torchbias": "torch", "nobias": "none"}[word]
            elif word == "f32":
                kw["dtype"] = "float32"
            else:
                raise ValueError(f"case id {case_id!r}: unknown word {word!r}")
        if kw.get("tokens") and "D" not in sizes:
            sizes["D"] = VOCAB
        case = cls(**kw, **sizes)
        case.config  # validates sizes and options
        return case

    def __str__(self) -> str:
        return self.id


# The grid: every RNNConfig option at least once, T=1, B=1, the three bias modes, token ids vs
# dense input, h0 given or not, variable lengths (with max == T and all < T), batch_first, float32.
GRID = [
    "L1-uni-tanh-last",
    "L1-uni-tanh-all-ids",
    "L1-uni-relu-last-h0",
    "L1-uni-tanh-all-lengths-bf",
    "L1-bi-tanh-last-torchbias",
    "L1-bi-relu-all-ids-nobias-B1",
    "L2-uni-tanh-all-short-h0",
    "L2-bi-relu-last-lengths",
    "L2-bi-tanh-all-lengths-h0-bf-torchbias",
    "L3-uni-relu-all-h0-nobias-T3",
    "L2-bi-tanh-last-ids-short-bf",
    "L1-uni-tanh-last-T1-B1",
    "L2-bi-relu-all-h0-T1",
    "L1-uni-relu-all-lengths-h0-torchbias-B1",
    "L1-uni-tanh-last-f32",
    "L1-uni-tanh-all-ids-h0-f32",
    "L2-bi-relu-last-lengths-bf-f32",
    "L2-bi-tanh-all-short-h0-torchbias-f32",
    "L1-bi-relu-all-nobias-f32-T1-B1",
    "L2-uni-tanh-all-lengths-D2-H5-O4",
    "L1-bi-relu-last-h0-torchbias-D5-H2-O2-T6",
]

# A few cases that together still touch every option, for `rnn-parity check --quick`.
QUICK_GRID = [
    "L1-uni-tanh-last",
    "L2-bi-relu-all-lengths-h0-bf-torchbias",
    "L1-uni-tanh-all-ids-short-nobias-f32-B1",
]


def case(case_id: str | Case) -> Case:
    return case_id if isinstance(case_id, Case) else Case.parse(case_id)


# ----------------------------------------------------------------------------------------------
# Setup: one case's parameters and inputs, as NumPy for the reference and as tensors for torch
# ----------------------------------------------------------------------------------------------

def _torch():
    import torch  # imported lazily: `rnn-parity --help` and the reference-only paths stay torch-free

    return torch


@dataclass
class Setup:
    """A case's numbers for both sides.

    The reference computes in `ref_dtype`; torch in `case.dtype` on `device`. On the CPU both are the
    case's dtype. On CUDA the reference is always float64 (the float32 weights and inputs upcast
    exactly), and torch's float32 results are judged at the float32 tolerances.
    """

    case: Case
    device: str
    params: Params  # reference side, ref_dtype
    torch_params: Params  # torch side, case.dtype
    x: np.ndarray
    h0: np.ndarray | None
    lengths: np.ndarray | None
    targets: np.ndarray
    dlogits: np.ndarray  # random upstream gradient on the logits (their layout)
    dh_n: np.ndarray  # random upstream gradient on h_n

    @property
    def config(self) -> RNNConfig:
        return self.case.config

    @property
    def ref_dtype(self) -> np.dtype:
        return self.params.dtype

    @property
    def dtypes(self):
        """What compare() expects: (reference dtype, torch dtype)."""
        return (self.ref_dtype.name, self.case.dtype)

    # ---- torch helpers ----
    def model(self):
        from .torch_impl import to_torch

        return to_torch(self.torch_params, device=self.device)

    def t(self, a, requires_grad: bool = False):
        """`a` (reference side) as a tensor of the torch side's dtype on its device; ints stay int64."""
        if a is None:
            return None
        torch = _torch()
        a = np.asarray(a)
        if np.issubdtype(a.dtype, np.integer):
            return torch.as_tensor(a, dtype=torch.int64, device=self.device)
        tensor = torch.tensor(a.astype(self.case.dtype), device=self.device)
        return tensor.requires_grad_(requires_grad)

    def zeros_h0(self) -> np.ndarray:
        c = self.config
        return np.zeros((c.num_layers * c.num_directions, self.case.B, c.hidden_size), self.ref_dtype)


def draw_inputs(case: Case, rng: np.random.Generator, T: int | None = None):
    """(x, lengths, targets) for `case` in the reference layout, in the case's dtype."""
    T = case.T if T is None else T
    B, c = case.B, case.config
    if case.tokens:
        x = rng.integers(0, c.input_size, size=(T, B))
    else:
        x = rng.standard_normal((T, B, c.input_size)).astype(case.dtype)
    lengths = None
    if case.lengths:
        top = T if case.lengths == "lengths" else max(T - 1, 1)
        pattern = [(top + 1) // 2, top, 1]  # unsorted, with a full-length and a length-1 sequence
        lengths = np.array([pattern[b % 3] for b in range(B)], dtype=np.int64)
        if case.lengths == "lengths":
            lengths[min(1, B - 1)] = T
    targets = rng.integers(0, c.output_size, size=(B,) if c.output == "last" else (T, B))
    if c.batch_first:
        x = np.swapaxes(x, 0, 1).copy()
        if c.output == "all":
            targets = targets.T.copy()
    return x, lengths, targets


def setup(case_or_id, device: str = "cpu") -> Setup:
    """Parameters (torch's init scheme) and inputs for a case, seeded by its id."""
    cs = case(case_or_id)
    c = cs.config
    if device != "cpu":
        _strict_cuda_math()
    rng = np.random.default_rng([cs.seed, _stable_hash(cs.id)])
    torch_params = init_params(c, seed=int(rng.integers(2**31)), dtype=cs.dtype)
    ref_dtype = "float64" if device != "cpu" else cs.dtype
    params = Params({k: v.astype(ref_dtype) for k, v in torch_params.items()}, c)
    x, lengths, targets = draw_inputs(cs, rng)
    if not cs.tokens:
        x = x.astype(ref_dtype)
    L = c.num_layers * c.num_directions
    h0 = rng.standard_normal((L, cs.B, c.hidden_size)).astype(cs.dtype).astype(ref_dtype) if cs.h0 else None
    logits_shape = (cs.B, c.output_size) if c.output == "last" else (
        (cs.B, cs.T, c.output_size) if c.batch_first else (cs.T, cs.B, c.output_size))
    dlogits = rng.standard_normal(logits_shape).astype(cs.dtype).astype(ref_dtype)
    dh_n = rng.standard_normal((L, cs.B, c.hidden_size)).astype(cs.dtype).astype(ref_dtype)
    return Setup(cs, device, params, torch_params, x, h0, lengths, targets, dlogits, dh_n)


def _strict_cuda_math():
    """No TF32: cuDNN's RNN kernels and cuBLAS would otherwise round float32 products to 10-bit mantissas."""
    torch = _torch()
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False


def _stable_hash(text: str) -> int:
    return int.from_bytes(text.encode(), "little") % (2**61 - 1)


# ----------------------------------------------------------------------------------------------
# Comparing named quantities
# ----------------------------------------------------------------------------------------------

def parity(prefix: str, mine: dict, theirs: dict, quantity, dtypes=None) -> list[Comparison]:
    """compare() every quantity the two sides report, named "<prefix> <key>".

    quantity: "forward" | "grad" | a Tolerance, or a dict of those per key with a default under None
    (LOSS_QUANTITIES). A key on one side only, or None on one side only, is a failed comparison;
    None on both sides (dx for token ids) is skipped.
    """
    results = []
    for key in list(mine) + [k for k in theirs if k not in mine]:
        name = f"{prefix} {key}"
        a, b = mine.get(key), theirs.get(key)
        q = quantity.get(key, quantity.get(None)) if isinstance(quantity, dict) else quantity
        if a is None and b is None and key in mine and key in theirs:
            continue
        if a is None or b is None:
            side = "mine (reference)" if a is None else "theirs (torch)"
            results.append(_missing(name, side, q))
            continue
        results.append(compare(name, a, b, q, dtypes))
    return results


# A loss is a forward quantity, its gradients are gradients.
LOSS_QUANTITIES = {"loss": "forward", None: "grad"}


def _missing(name: str, side: str, quantity) -> Comparison:
    nan = float("nan")
    tol = quantity if isinstance(quantity, Tolerance) else Tolerance(nan, nan)
    return Comparison(name=name, passed=False, max_abs=nan, max_rel=nan, used=nan, tol=tol, dtypes=("", ""),
                      shape=(), problem="shape", detail=f"missing on {side}")


def _grads_named(grads) -> dict:
    return {f"grad {name}": g for name, g in grads.items()}


def torch_grads(model) -> dict:
    """The model's .grad tensors under reference names (from_torch's key map); a missing grad is zeros."""
    from .torch_impl import from_torch

    torch = _torch()
    sd = {name: p.grad if p.grad is not None else torch.zeros_like(p) for name, p in model.named_parameters()}
    return _grads_named(from_torch(sd, model.config))


def time_major(out, config: RNNConfig):
    return out.transpose(0, 1) if config.batch_first else out


# ----------------------------------------------------------------------------------------------
# forward: logits, h_n, the top layer's hidden states
# ----------------------------------------------------------------------------------------------

def forward_numpy(s: Setup) -> dict:
    logits, h_n, cache = ref.forward(s.params, s.x, s.h0, s.lengths)
    return {"logits": logits, "h_n": h_n, "hidden states": cache.outputs[-1]}


def forward_torch(s: Setup) -> dict:
    model = s.model()
    logits, h_n = model(s.t(s.x), s.t(s.h0), s.lengths)
    hidden, _ = model.hidden_states(s.t(s.x), s.t(s.h0), s.lengths)
    return {"logits": logits, "h_n": h_n, "hidden states": time_major(hidden, s.config)}


def check_forward(s: Setup) -> list[Comparison]:
    return parity("forward", forward_numpy(s), forward_torch(s), "forward", s.dtypes)


# ----------------------------------------------------------------------------------------------
# vjp: gradients of every parameter, dx and dh0 under random upstream gradients on logits and h_n
# ----------------------------------------------------------------------------------------------

def vjp_numpy(s: Setup, scale: float = 1.0) -> dict:
    logits, h_n, cache = ref.forward(s.params, s.x, s.h0, s.lengths)
    grads, dx, dh0 = ref.backward(s.params, cache, s.dlogits * scale, s.dh_n * scale)
    return {**_grads_named(grads), "dx": dx, "dh0": dh0}


def vjp_torch(s: Setup, scale: float = 1.0) -> dict:
    model = s.model()
    x = s.t(s.x, requires_grad=not s.case.tokens)
    h0 = s.t(s.zeros_h0() if s.h0 is None else s.h0, requires_grad=True)  # h0=None's dh0: an explicit zero h0
    logits, h_n = model(x, h0, s.lengths)
    _torch().autograd.backward([logits, h_n], [s.t(s.dlogits * scale), s.t(s.dh_n * scale)])
    return {**torch_grads(model), "dx": None if s.case.tokens else x.grad, "dh0": h0.grad}


def check_vjp(s: Setup) -> list[Comparison]:
    return parity("vjp", vjp_numpy(s), vjp_torch(s), "grad", s.dtypes)


# ----------------------------------------------------------------------------------------------
# loss: cross-entropy (sum or mean over the scored positions) and every gradient
# ----------------------------------------------------------------------------------------------

def torch_cross_entropy(logits, targets, lengths, config: RNNConfig, reduction: str):
    """F.cross_entropy over the scored positions: padded steps of output="all" get ignore_index."""
    torch = _torch()
    targets = torch.as_tensor(targets, dtype=torch.int64, device=logits.device)
    if config.output == "all" and lengths is not None:
        t_axis = 1 if config.batch_first else 0
        steps = torch.arange(targets.shape[t_axis], device=logits.device)
        lengths_t = torch.as_tensor(lengths, device=logits.device)
        padded = steps[None, :] >= lengths_t[:, None]  # (B, T)
        targets = targets.masked_fill(padded if config.batch_first else padded.T, -100)
    return torch.nn.functional.cross_entropy(logits.reshape(-1, config.output_size), targets.reshape(-1),
                                             reduction=reduction, ignore_index=-100)


def loss_numpy(s: Setup, reduction: str) -> dict:
    loss, grads = ref.loss_and_grads(s.params, s.x, s.targets, s.h0, s.lengths, reduction)
    return {"loss": np.asarray(loss, s.ref_dtype), **_grads_named(grads)}


def loss_torch(s: Setup, reduction: str) -> dict:
    model = s.model()
    logits, _ = model(s.t(s.x), s.t(s.h0), s.lengths)
    loss = torch_cross_entropy(logits, s.targets, s.lengths, s.config, reduction)
    loss.backward()
    return {"loss": loss, **torch_grads(model)}


def check_loss(s: Setup, reduction: str = "sum") -> list[Comparison]:
    return parity(f"loss-{reduction}", loss_numpy(s, reduction), loss_torch(s, reduction), LOSS_QUANTITIES, s.dtypes)


# ----------------------------------------------------------------------------------------------
# clip: clip_value vs clip_grad_value_, clip_norm vs clip_grad_norm_, with clipping active
# ----------------------------------------------------------------------------------------------

CLIP_UPSTREAM_SCALE = 1.0  # the vjp test's upstream gradients: float32 errors stay at their usual size
CLIP_METHODS = {"value": 0.05, "norm": 0.1, "norm-inf": 0.05}  # thresholds well inside the gradients


def clip_numpy(s: Setup, method: str) -> dict:
    grads = {k[5:]: v for k, v in vjp_numpy(s, CLIP_UPSTREAM_SCALE).items() if k.startswith("grad ")}
    grads = s.params.like(grads)
    if method == "value":
        return _grads_named(ref.clip_value(grads, CLIP_METHODS[method]))
    clipped, norm = ref.clip_norm(grads, CLIP_METHODS[method], norm_type=_norm_type(method))
    return {**_grads_named(clipped), "total norm": np.asarray(norm, s.ref_dtype)}


def clip_torch(s: Setup, method: str) -> dict:
    torch = _torch()
    model = s.model()
    logits, h_n = model(s.t(s.x), s.t(s.h0), s.lengths)
    torch.autograd.backward([logits, h_n], [s.t(s.dlogits * CLIP_UPSTREAM_SCALE), s.t(s.dh_n * CLIP_UPSTREAM_SCALE)])
    if method == "value":
        torch.nn.utils.clip_grad_value_(model.parameters(), CLIP_METHODS[method])
        return torch_grads(model)
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP_METHODS[method], norm_type=_norm_type(method))
    return {**torch_grads(model), "total norm": norm}


def _norm_type(method: str) -> float:
    return math.inf if method == "norm-inf" else 2.0


def clipping_active(s: Setup, method: str) -> bool:
    """Whether the raw gradients exceed the threshold (else a clip comparison proves nothing)."""
    grads = [v for k, v in vjp_numpy(s, CLIP_UPSTREAM_SCALE).items() if k.startswith("grad ")]
    if method == "value":
        return max(float(np.abs(g).max()) for g in grads) > CLIP_METHODS[method]
    flat = np.concatenate([np.ravel(g) for g in grads])
    return float(np.linalg.norm(flat, ord=_norm_type(method))) > CLIP_METHODS[method]


def check_clip(s: Setup, method: str = "value") -> list[Comparison]:
    mine, theirs = clip_numpy(s, method), clip_torch(s, method)
    return parity(f"clip-{method}", mine, theirs, "grad", s.dtypes) + [
        _flag(f"clip-{method} active", clipping_active(s, method), "the raw gradients never exceed the threshold")]


def _flag(name: str, ok: bool, why: str) -> Comparison:
    """A yes/no check as a Comparison row (passes when ok)."""
    return Comparison(name=name, passed=bool(ok), max_abs=0.0, max_rel=0.0, used=0.0 if ok else math.inf,
                      tol=Tolerance(0.0, 0.0), dtypes=("", ""), shape=(), problem=None if ok else "shape",
                      detail="" if ok else why)


# ----------------------------------------------------------------------------------------------
# trajectory: N lockstep optimizer steps, loss and every parameter after every step
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipe:
    """An optimizer, its clipping and its schedule; the same on both sides."""

    id: str
    optimizer: str  # "SGD" | "Adam"
    options: tuple = ()  # (name, value) pairs for both optimizers' constructors
    clip_value: float | None = None
    clip_norm: float | None = None
    steps: int = 50
    reduction: str = "sum"
    batches: int = 3  # distinct batches, cycled
    tbptt: bool = False  # carry h_n into the next chunk's h0 (detached on the torch side)
    per_example: bool = False  # the seeds' protocol: B=1, one shuffled example per step, its own length
    clipping_must_act: bool = True  # fail the run if clipping never changes a gradient (else it proves nothing)

    @property
    def kwargs(self) -> dict:
        return dict(self.options)


RECIPES = {r.id: r for r in [
    Recipe("sgd-clipvalue", "SGD", (("lr", 0.05),), clip_value=0.5),
    Recipe("sgd-momentum-clipnorm", "SGD", (("lr", 0.05), ("momentum", 0.9)), clip_norm=1.0),
    Recipe("sgd-nesterov-wd-clipvalue", "SGD", (("lr", 0.05), ("momentum", 0.9), ("nesterov", True),
                                                ("weight_decay", 1e-2)), clip_value=0.05, reduction="mean"),
    Recipe("sgd-dampening-wd-clipnorm", "SGD", (("lr", 0.05), ("momentum", 0.5), ("dampening", 0.3),
                                                ("weight_decay", 1e-2)), clip_norm=1.0),
    Recipe("adam-clipnorm", "Adam", (("lr", 1e-2),), clip_norm=1.0),
    Recipe("adam-amsgrad-wd-clipvalue", "Adam", (("lr", 1e-2), ("betas", (0.8, 0.99)), ("amsgrad", True),
                                                 ("weight_decay", 1e-2)), clip_value=0.05, reduction="mean"),
    # The seeds' protocol (000/004): per-example SGD, lr 2e-2, element-wise clip to [-1, 1].
    # Its clip of 1 is a safety net that one-example gradients of these small models never reach, as in
    # the seeds; the recipes above prove clipping (value and norm, active) on both sides.
    Recipe("seeds-sgd", "SGD", (("lr", 2e-2),), clip_value=1.0, steps=60, batches=20, per_example=True,
           clipping_must_act=False),
    # Truncated BPTT: h0 of chunk k+1 is h_n of chunk k (min-char-rnn's hprev), reset every `batches` chunks.
    Recipe("tbptt-adam-clipvalue", "Adam", (("lr", 1e-2),), clip_value=0.5, steps=50, batches=10, tbptt=True),
]}

# Which cases each recipe runs on (trajectories are the expensive protocol).
TRAJECTORY_GRID = [
    ("sgd-clipvalue", "L1-uni-tanh-last"),
    ("sgd-momentum-clipnorm", "L2-bi-relu-last-lengths"),
    ("sgd-nesterov-wd-clipvalue", "L1-uni-tanh-all-ids-h0"),
    ("sgd-dampening-wd-clipnorm", "L2-uni-tanh-all-short-bf-torchbias"),
    ("adam-clipnorm", "L1-bi-tanh-all-lengths-nobias"),
    ("adam-amsgrad-wd-clipvalue", "L2-bi-tanh-last-h0-torchbias"),
    ("seeds-sgd", "L1-uni-tanh-last-ids-D8-H6-O2-B1"),
    ("tbptt-adam-clipvalue", "L1-uni-tanh-all-ids-D6-T4-B2"),
    ("sgd-momentum-clipnorm", "L1-uni-tanh-last-f32"),
    ("adam-clipnorm", "L2-bi-relu-all-lengths-h0-f32"),
]


def trajectory_tolerance(dtype, steps: int) -> Tolerance:
    """Max |param_mine - param_theirs| allowed after `steps` optimizer steps (DESIGN.md's policy)."""
    name = np.dtype(dtype).name
    if name == "float64":
        return Tolerance(rtol=0.0, atol=tolerances.TRAJECTORY_FLOAT64)
    per_n = getattr(tolerances, "TRAJECTORY_FLOAT32", None)
    if per_n is None:
        raise ValueError("reference/tolerances.py defines no float32 trajectory tolerance (TRAJECTORY_FLOAT32)")
    if isinstance(per_n, Tolerance):
        return per_n
    fitting = [n for n in sorted(per_n) if n >= steps]
    if not fitting:
        raise ValueError(f"TRAJECTORY_FLOAT32 documents no bound for {steps} steps (has {sorted(per_n)})")
    bound = per_n[fitting[0]]
    return bound if isinstance(bound, Tolerance) else Tolerance(rtol=0.0, atol=float(bound))


@dataclass
class Batch:
    x: np.ndarray
    targets: np.ndarray
    lengths: np.ndarray | None


def trajectory_batches(s: Setup, recipe: Recipe) -> list[Batch]:
    """The schedule: `recipe.batches` distinct batches drawn for the case, cycled for `recipe.steps` steps.

    Per-example (the seeds' protocol): B=1 examples of lengths 1..T visited in a shuffled order each epoch.
    Truncated BPTT: one sequence of batches * T steps cut into consecutive chunks of T steps.
    """
    rng = np.random.default_rng([_stable_hash(recipe.id), _stable_hash(s.case.id)])
    pool = []
    if recipe.tbptt:
        if s.config.output != "all" or s.case.lengths:
            raise ValueError(f"truncated BPTT needs output='all' and full-length sequences, not case {s.case.id}")
        x, _, targets = draw_inputs(s.case, rng, s.case.T * recipe.batches)
        if not s.case.tokens:
            x = x.astype(s.ref_dtype)
        axis = 1 if s.config.batch_first else 0
        pool = [Batch(xc, tc, None) for xc, tc in zip(np.split(x, recipe.batches, axis=axis),
                                                     np.split(targets, recipe.batches, axis=axis))]
    for i in range(0 if recipe.tbptt else recipe.batches):
        T = int(rng.integers(1, s.case.T + 1)) if recipe.per_example else s.case.T
        x, lengths, targets = draw_inputs(s.case, rng, T)
        if not s.case.tokens:
            x = x.astype(s.ref_dtype)
        pool.append(Batch(x, targets, lengths))
    order = []
    while len(order) < recipe.steps:
        epoch = list(range(recipe.batches))
        if recipe.per_example:
            rng.shuffle(epoch)
        order += epoch
    return [pool[i] for i in order[:recipe.steps]]


def numpy_optimizer(params: Params, recipe: Recipe):
    return getattr(ref, recipe.optimizer)(params, **recipe.kwargs)


def torch_optimizer(model, recipe: Recipe):
    torch = _torch()
    trainable = [p for p in model.parameters() if p.requires_grad]  # bias="single": bias_hh stays frozen
    return getattr(torch.optim, recipe.optimizer)(trainable, **recipe.kwargs, foreach=False)


def torch_train_step(model, optimizer, s: Setup, batch: Batch, h0, recipe: Recipe):
    """The torch half of reference.train_step: loss, backward, clip, step. Returns (loss, h_n, clip active)."""
    torch = _torch()
    optimizer.zero_grad()
    logits, h_n = model(s.t(batch.x), h0, batch.lengths)
    loss = torch_cross_entropy(logits, batch.targets, batch.lengths, s.config, recipe.reduction)
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    active = False
    if recipe.clip_value is not None:
        active |= max(float(g.abs().max()) for g in grads) > recipe.clip_value
        torch.nn.utils.clip_grad_value_(model.parameters(), recipe.clip_value)
    if recipe.clip_norm is not None:
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), recipe.clip_norm)
        active |= float(norm) > recipe.clip_norm
    optimizer.step()
    return loss, h_n, active


def check_trajectory(s: Setup, recipe: Recipe | str, numpy_side: str = "train_step") -> list[Comparison]:
    """Both sides train in lockstep from the same weights; loss and every parameter compared after every step.

    numpy_side: "train_step" (reference.train_step) or "Trainer" (reference.Trainer, flat buffers).
    """
    recipe = RECIPES[recipe] if isinstance(recipe, str) else recipe
    tol = trajectory_tolerance(s.case.dtype, recipe.steps)
    params, model = s.params.copy(), s.model()
    opt_numpy, opt_torch = numpy_optimizer(params, recipe), torch_optimizer(model, recipe)
    if numpy_side == "Trainer":
        trainer = ref.Trainer(params, opt_numpy, recipe.clip_value, recipe.clip_norm, recipe.reduction)

        def numpy_step(x, targets, h0, lengths):
            return trainer.step(x, targets, h0, lengths)
    elif numpy_side == "train_step":
        def numpy_step(x, targets, h0, lengths):
            return ref.train_step(params, opt_numpy, x, targets, h0, lengths, recipe.reduction, recipe.clip_value,
                                  recipe.clip_norm)
    else:
        raise ValueError(f"numpy_side must be 'train_step' or 'Trainer', got {numpy_side!r}")
    h0_numpy, h0_torch = s.h0, s.t(s.h0)
    results, active_steps = [], 0
    for step, batch in enumerate(trajectory_batches(s, recipe), start=1):
        if recipe.tbptt and (step - 1) % recipe.batches == 0:
            h0_numpy, h0_torch = None, None  # a new pass over the sequence starts from zeros
        loss_numpy, _, hn_numpy = numpy_step(batch.x, batch.targets, h0_numpy, batch.lengths)
        loss_torch, hn_torch, active = torch_train_step(model, opt_torch, s, batch, h0_torch, recipe)
        active_steps += active
        mine = {"loss": np.asarray(loss_numpy, s.ref_dtype), **params}
        theirs = {"loss": loss_torch, **_params_named(model)}
        results += parity(f"{recipe.id} step {step}", mine, theirs, {"loss": "forward", None: tol}, s.dtypes)
        if recipe.tbptt:
            h0_numpy, h0_torch = hn_numpy, hn_torch.detach()
    if recipe.clipping_must_act and (recipe.clip_value is not None or recipe.clip_norm is not None):
        results.append(_flag(f"{recipe.id} clipping active", active_steps > 0,
                             f"clipping never changed a gradient in {recipe.steps} steps"))
    return results


def _params_named(model) -> dict:
    from .torch_impl import from_torch

    return dict(from_torch(model, model.config))


# ----------------------------------------------------------------------------------------------
# gradcheck: the reference against finite differences (scipy.optimize.check_grad)
# ----------------------------------------------------------------------------------------------

# The finite-difference step lives with the other numbers of the tolerance policy (why: see there).
GRADCHECK_EPSILON = tolerances.GRADCHECK_EPSILON


def check_gradcheck(s: Setup, reduction: str = "sum") -> list[Comparison]:
    """One row per gradcheck row, passing when its relative error is below GRADCHECK_REL_ERROR."""
    rows = ref.gradcheck(s.params, s.x, s.targets, s.h0, s.lengths, reduction=reduction, epsilon=GRADCHECK_EPSILON)
    limit = tolerances.GRADCHECK_REL_ERROR
    return [Comparison(name=f"gradcheck {row.name}", passed=bool(row.passed), max_abs=float(row.error),
                       max_rel=float(row.rel_error), used=float(row.rel_error) / limit,
                       tol=Tolerance(rtol=limit, atol=0.0), dtypes=("float64", "float64"), shape=(),
                       problem=None if row.passed else "values", worst_index=(), mine=float(row.rel_error),
                       theirs=0.0, n_bad=0 if row.passed else 1,
                       detail="" if row.passed else f"relative error {row.rel_error:.3g} >= {limit:g}")
            for row in rows]


# ----------------------------------------------------------------------------------------------
# The report of `rnn-parity check`
# ----------------------------------------------------------------------------------------------

@dataclass
class Row:
    """One line of the report: a config, a quantity, the worst differences over what it groups."""

    config: str
    quantity: str
    dtype: str
    max_abs: float = 0.0
    max_rel: float = 0.0
    used: float = 0.0  # the largest |diff| / (atol + rtol * |theirs|): the share of the tolerance used
    worst: str = ""  # where `used` peaks: a parameter, a step, an index
    passed: bool = True
    count: int = 0
    failures: list = field(default_factory=list)

    def add(self, r: Comparison, member: str) -> None:
        self.count += 1
        if not r.passed:
            self.passed = False
            self.failures.append(r)
        if r.problem == "shape" and r.tol.rtol == 0 and r.tol.atol == 0:  # a yes/no flag, no numbers
            return
        where = " ".join(p for p in (member, _index(r)) if p)
        if _bigger(r.used, self.used):
            self.worst = where
        self.used = _max(self.used, r.used)
        self.max_abs = _max(self.max_abs, r.max_abs)
        self.max_rel = _max(self.max_rel, r.max_rel)


def _index(r: Comparison) -> str:
    return str(r.worst_index) if r.worst_index and r.used > 0 else ""


def _quantity(name: str) -> tuple[str, str]:
    """Group a comparison name into a report quantity and the member it names.

    "vjp grad Whh_l1" -> ("vjp grads", "Whh_l1"); "adam-clipnorm step 7 Whh" -> ("adam-clipnorm params (50
    steps)", "step 7 Whh"); a clipping-active flag joins the row of what it guards.
    """
    m = re.fullmatch(r"(.+?) step (\d+) (.+)", name)
    if m:
        what = "loss" if m.group(3) == "loss" else "params"
        return f"{m.group(1)} {what} ({_steps_word(m.group(1))})", f"step {m.group(2)} {m.group(3)}"
    protocol, _, key = name.partition(" ")
    if key == "clipping active":
        return f"{protocol} params ({_steps_word(protocol)})", ""
    if key == "active":
        return f"{protocol} grads", ""
    if key.startswith("grad "):
        return f"{protocol} grads", key[5:]
    if protocol == "gradcheck":
        return "gradcheck (finite differences)", key
    return f"{protocol} {key}", ""


def _steps_word(recipe_id: str) -> str:
    recipe = RECIPES.get(recipe_id)
    return f"{recipe.steps} steps" if recipe else "steps"


def rows_of(config_id: str, results: Iterable[Comparison], dtype: str) -> list[Row]:
    """Fold comparisons into report rows, one per quantity, in the order they first appear."""
    rows: dict[str, Row] = {}
    for r in results:
        quantity, member = _quantity(r.name)
        rows.setdefault(quantity, Row(config_id, quantity, dtype)).add(r, member)
    return list(rows.values())


def _bigger(a: float, b: float) -> bool:
    return (a != a and b == b) or a > b


def _max(a: float, b: float) -> float:
    return b if _bigger(b, a) else a


@dataclass
class Plan:
    cases: list  # case ids: forward, vjp, loss (both reductions), clipping (value, norm, inf-norm)
    trajectories: list  # (recipe id, case id)
    gradcheck: list  # case ids


def plan(quick: bool = False) -> Plan:
    if quick:
        return Plan(QUICK_GRID, [("sgd-momentum-clipnorm", "L1-uni-tanh-last"),
                                 ("adam-amsgrad-wd-clipvalue", "L2-bi-relu-all-lengths-h0-bf-torchbias")],
                    ["L2-bi-relu-all-lengths-h0-bf-torchbias"])
    return Plan(GRID, TRAJECTORY_GRID, list(GRID))


def case_checks(s: Setup) -> list[Comparison]:
    """Every single-shot protocol on one case."""
    return (check_forward(s) + check_vjp(s) + check_loss(s, "sum") + check_loss(s, "mean")
            + [r for method in CLIP_METHODS for r in check_clip(s, method)])


def run_check(quick: bool = False, device: str = "cpu", progress: Callable[[str], None] | None = None,
              only: Plan | None = None) -> list[Row]:
    """Every protocol over the grid (or the quick one, or `only`); one Row per (config, quantity)."""
    p = only or plan(quick)
    rows: list[Row] = []
    for cid in p.cases:
        if progress:
            progress(cid)
        s = setup(cid, device)
        results = case_checks(s)
        if cid in p.gradcheck:
            results += check_gradcheck(s)
        rows += rows_of(cid, results, s.case.dtype)
    for cid in p.gradcheck:
        if cid not in p.cases:
            rows += rows_of(cid, check_gradcheck(setup(cid, device)), case(cid).dtype)
    for recipe_id, cid in p.trajectories:
        if progress:
            progress(f"{cid} {recipe_id}")
        s = setup(cid, device)
        rows += rows_of(cid, check_trajectory(s, recipe_id), s.case.dtype)
    return rows


def _fmt(v: float) -> str:
    return "-" if v != v else f"{v:.2e}"


def _used(used: float) -> str:
    """The share of the tolerance a row used: 1e-03 passes comfortably, above 1 fails."""
    return "-" if used != used else ("inf" if used == math.inf else f"{used:.0e}")


def summary(rows: list[Row]) -> dict:
    """(dtype, kind) -> (largest relative difference, largest share of the tolerance used).

    kind: forward (outputs and losses), grads (gradients, clipped or not), trajectory (every step),
    gradcheck (finite differences, always float64).
    """
    out: dict = {}
    for r in rows:
        q = r.quantity
        kind = ("gradcheck" if q.startswith("gradcheck") else "trajectory" if " steps)" in q
                else "forward" if q.startswith("forward") or q.endswith(" loss") else "grads")
        key = ("float64" if kind == "gradcheck" else r.dtype, kind)
        rel, used = out.get(key, (0.0, 0.0))
        out[key] = (_max(rel, r.max_rel), _max(used, r.used))
    return out


def format_report(rows: list[Row], seconds: float | None = None, device: str = "cpu") -> str:
    width = max([len("config")] + [len(r.config) for r in rows])
    qwidth = max([len("quantity")] + [len(r.quantity) for r in rows])
    header = (f"{'config':<{width}}  {'quantity':<{qwidth}}  {'max abs':>9}  {'max rel':>9}  {'of tol':>6}  "
              f"result  worst at")
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(f"{r.config:<{width}}  {r.quantity:<{qwidth}}  {_fmt(r.max_abs):>9}  {_fmt(r.max_rel):>9}  "
                     f"{_used(r.used):>6}  {'PASS' if r.passed else 'FAIL':<6}  {r.worst}".rstrip())
    failed = [r for r in rows if not r.passed]
    if failed:
        lines.append("")
    for r in failed:
        for c in r.failures[:3]:
            lines.append(f"FAIL [{r.config}] {c.message}")
        if len(r.failures) > 3:
            lines.append(f"FAIL [{r.config}] ... and {len(r.failures) - 3} more in {r.quantity}")
    n = sum(r.count for r in rows)
    n_bad = sum(len(r.failures) for r in rows)
    figures = summary(rows)
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    configs = len({r.config for r in rows})
    verdict = "PASS" if not failed else "FAIL"
    lines.append(f"{verdict}: {len(rows) - len(failed)} of {len(rows)} rows, {n - n_bad} of {n} comparisons passed "
                 f"over {configs} configs, torch on {device}{took}")
    kinds = ("forward", "grads", "trajectory", "gradcheck")
    for dtype in ("float64", "float32"):
        parts = [f"{kind} {_fmt(figures[(dtype, kind)][0])} ({_used(figures[(dtype, kind)][1])} of tol)"
                 for kind in kinds if (dtype, kind) in figures]
        if parts:
            lines.append(f"{dtype} largest rel diff: " + ", ".join(parts))
    return "\n".join(lines)


def main(quick: bool = False, device: str = "cpu", out=print) -> int:
    start = time.perf_counter()
    rows = run_check(quick, device)
    out(format_report(rows, time.perf_counter() - start, device))
    return 0 if all(r.passed for r in rows) else 1


__all__ = ["Case", "GRID", "LOSS_QUANTITIES", "QUICK_GRID", "RECIPES", "TRAJECTORY_GRID", "Recipe", "Row", "Setup", "case",
           "check_clip", "check_forward", "check_gradcheck", "check_loss", "check_trajectory", "check_vjp",
           "clip_numpy", "clip_torch", "clipping_active", "forward_numpy", "forward_torch", "format_report",
           "loss_numpy", "loss_torch", "main", "parity", "run_check", "setup", "trajectory_tolerance",
           "vjp_numpy", "vjp_torch"]
