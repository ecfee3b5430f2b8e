"""Parity cases: a configuration plus the shape of its inputs, named by a readable id that is also its spec::

    L2-bi-relu-last-lengths      2 layers, bidirectional, relu, many-to-one, variable lengths
    L1-uni-tanh-all-ids-h0-bf    token ids, a given h0, batch_first
    L1-uni-tanh-last-f32-T1-B1   float32, one step, one sequence
    L2-bi-tanh-all-emb-lengths   an embedding table (V, D) in front: token ids in [0, V), V=5 (V7: seven)

``setup(case, device)`` draws a case's parameters and inputs once, as NumPy for the reference and as
tensors for torch, so that both halves of every check (rnn_parity.parity.halves) see the same numbers.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..reference.config import RNNConfig
from ..reference.params import Params, init_params

DEFAULT_SIZES = dict(D=3, H=4, O=3, T=5, B=3)
VOCAB = 5  # token-id cases: input_size of one-hot ids ("ids"), vocab_size of embedded ones ("emb")


@dataclass(frozen=True)
class Case:
    """One parity configuration. ``Case.parse(case.id) == case``."""

    num_layers: int = 1
    bidirectional: bool = False
    nonlinearity: str = "tanh"
    output: str = "last"
    bias: str = "single"
    tokens: bool = False  # integer token ids instead of dense input, one-hot of size D
    vocab_size: int | None = None  # "emb": an embedding table (V, D) in front, the input token ids in [0, V)
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

    def __post_init__(self):
        if self.tokens and self.vocab_size is not None:
            raise ValueError("a case's token ids are one-hot (ids) or embedded (emb), not both")

    @property
    def config(self) -> RNNConfig:
        return RNNConfig(input_size=self.D, hidden_size=self.H, output_size=self.O, num_layers=self.num_layers,
                         nonlinearity=self.nonlinearity, bidirectional=self.bidirectional, bias=self.bias,
                         output=self.output, batch_first=self.batch_first, vocab_size=self.vocab_size)

    @property
    def ids_input(self) -> bool:
        """Whether the input is integer token ids (one-hot or embedded): no dx, nothing to cast."""
        return self.tokens or self.vocab_size is not None

    @property
    def id(self) -> str:
        parts = [f"L{self.num_layers}", "bi" if self.bidirectional else "uni", self.nonlinearity, self.output]
        if self.tokens:
            parts.append("ids")
        if self.vocab_size is not None:
            parts.append("emb")
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
        if self.vocab_size not in (None, VOCAB):
            parts.append(f"V{self.vocab_size}")
        if self.seed:
            parts.append(f"s{self.seed}")
        return "-".join(parts)

    @classmethod
    def parse(cls, case_id: str) -> "Case":
        """The Case an id spells; unknown words are a ValueError naming them."""
        kw: dict = {}
        sizes: dict = {}
        vocab = None
        for word in case_id.split("-"):
            m = re.fullmatch(r"([LDHOTBVs])(\d+)", word)
            if m and m.group(1) == "L":
                kw["num_layers"] = int(m.group(2))
            elif m and m.group(1) == "s":
                kw["seed"] = int(m.group(2))
            elif m and m.group(1) == "V":
                vocab = int(m.group(2))
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
            elif word == "emb":
                kw["vocab_size"] = VOCAB
            else:
                raise ValueError(f"case id {case_id!r}: unknown word {word!r}")
        if vocab is not None:
            if "vocab_size" not in kw:
                raise ValueError(f"case id {case_id!r}: V{vocab} sizes an embedding, and the id has no 'emb'")
            kw["vocab_size"] = vocab
        if kw.get("tokens") and "D" not in sizes:
            sizes["D"] = VOCAB
        case = cls(**kw, **sizes)
        case.config  # validates sizes and options
        return case

    def __str__(self) -> str:
        return self.id


# The grid: every RNNConfig option at least once, T=1, B=1, the three bias modes, dense input vs one-hot
# token ids vs an embedding, h0 given or not, variable lengths (with max == T and all < T), batch_first,
# float32. Embedding cases draw V=5 ids (or V7) over T * B = 15 positions, so ids repeat and the table's
# scatter-add gradient must accumulate.
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
    "L1-uni-tanh-last-emb",
    "L2-bi-relu-all-emb-lengths-h0-bf-torchbias",
    "L1-uni-tanh-all-emb-short-nobias-f32-D4-V7",
]

# A few cases that together still touch every option, for `rnn-parity check --quick`.
QUICK_GRID = [
    "L1-uni-tanh-last-emb",
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
        from ..torch_impl import to_torch

        return to_torch(self.torch_params, device=self.device)

    def tensor(self, a, requires_grad: bool = False):
        """`a` (reference side) as a tensor of the torch side's dtype on its device; ints stay int64."""
        if a is None:
            return None
        torch = _torch()
        a = np.asarray(a)
        if np.issubdtype(a.dtype, np.integer):
            return torch.as_tensor(a, dtype=torch.int64, device=self.device)
        tensor = torch.tensor(a.astype(self.case.dtype), device=self.device)
        return tensor.requires_grad_(requires_grad)

    t = tensor  # the old name, kept one release for code written against rnn_parity.check

    def zeros_h0(self) -> np.ndarray:
        c = self.config
        return np.zeros((c.num_layers * c.num_directions, self.case.B, c.hidden_size), self.ref_dtype)


def draw_inputs(case: Case, rng: np.random.Generator, T: int | None = None):
    """(x, lengths, targets) for `case` in the reference layout, in the case's dtype."""
    T = case.T if T is None else T
    B, c = case.B, case.config
    if case.ids_input:
        x = rng.integers(0, c.input_size if c.vocab_size is None else c.vocab_size, size=(T, B))
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
    this = case(case_or_id)
    c = this.config
    if device != "cpu":
        _strict_cuda_math()
    rng = np.random.default_rng([this.seed, stable_hash(this.id)])
    torch_params = init_params(c, seed=int(rng.integers(2**31)), dtype=this.dtype)
    ref_dtype = "float64" if device != "cpu" else this.dtype
    params = Params({k: v.astype(ref_dtype) for k, v in torch_params.items()}, c)
    x, lengths, targets = draw_inputs(this, rng)
    if not this.ids_input:
        x = x.astype(ref_dtype)
    n_states = c.num_layers * c.num_directions
    h0 = rng.standard_normal((n_states, this.B, c.hidden_size)).astype(this.dtype).astype(ref_dtype) if this.h0 else None
    logits_shape = (this.B, c.output_size) if c.output == "last" else (
        (this.B, this.T, c.output_size) if c.batch_first else (this.T, this.B, c.output_size))
    dlogits = rng.standard_normal(logits_shape).astype(this.dtype).astype(ref_dtype)
    dh_n = rng.standard_normal((n_states, this.B, c.hidden_size)).astype(this.dtype).astype(ref_dtype)
    return Setup(this, device, params, torch_params, x, h0, lengths, targets, dlogits, dh_n)


def _strict_cuda_math():
    """No TF32: cuDNN's RNN kernels and cuBLAS would otherwise round float32 products to 10-bit mantissas."""
    torch = _torch()
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False


def stable_hash(text: str) -> int:
    return int.from_bytes(text.encode(), "little") % (2**61 - 1)


__all__ = ["Case", "DEFAULT_SIZES", "GRID", "QUICK_GRID", "Setup", "VOCAB", "case", "draw_inputs", "setup",
           "stable_hash"]
