"""Parity cases: a configuration plus the shape of its inputs, named by a readable id that is also its spec::

    L2-bi-relu-last-lengths      2 layers, bidirectional, relu, many-to-one, variable lengths
    L1-uni-tanh-all-ids-h0-bf    token ids, a given h0, batch_first
    L1-uni-tanh-last-f32-T1-B1   float32, one step, one sequence
    L2-bi-tanh-all-emb-lengths   an embedding table (V, D) in front: token ids in [0, V), V=5 (V7: seven)
    L2-bi-lstm-all-h0-P2         an LSTM (the cell's name stands where an RNN's nonlinearity does), proj_size 2
    L1-uni-gru-last-torchbias    a GRU with torch's two biases (b_hn inside the reset product)

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
    cell: str = "rnn"  # "rnn" | "lstm" | "gru"; last, so positional Case(...) calls keep their meaning
    proj_size: int = 0  # P: the LSTM's projection (torch's weight_hr), 0 for none

    def __post_init__(self):
        if self.tokens and self.vocab_size is not None:
            raise ValueError("a case's token ids are one-hot (ids) or embedded (emb), not both")
        if self.cell != "rnn" and self.nonlinearity != "tanh":
            raise ValueError(f"a case's nonlinearity ({self.nonlinearity!r}) belongs to the rnn cell, "
                             f"not {self.cell!r}")

    @property
    def config(self) -> RNNConfig:
        return RNNConfig(input_size=self.D, hidden_size=self.H, output_size=self.O, num_layers=self.num_layers,
                         nonlinearity=self.nonlinearity, bidirectional=self.bidirectional, bias=self.bias,
                         output=self.output, batch_first=self.batch_first, vocab_size=self.vocab_size,
                         cell=self.cell, proj_size=self.proj_size)

    @property
    def ids_input(self) -> bool:
        """Whether the input is integer token ids (one-hot or embedded): no dx, nothing to cast."""
        return self.tokens or self.vocab_size is not None

    @property
    def id(self) -> str:
        # A gated cell has no nonlinearity to choose: its name stands in that place.
        kind = self.nonlinearity if self.cell == "rnn" else self.cell
        parts = [f"L{self.num_layers}", "bi" if self.bidirectional else "uni", kind, self.output]
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
        if self.proj_size:
            parts.append(f"P{self.proj_size}")
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
            m = re.fullmatch(r"([LDHOTBVPs])(\d+)", word)
            if m and m.group(1) == "L":
                kw["num_layers"] = int(m.group(2))
            elif m and m.group(1) == "P":
                kw["proj_size"] = int(m.group(2))
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
            elif word in ("lstm", "gru"):
                kw["cell"] = word
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


# The grid, per cell: every RNNConfig option at least once, T=1, B=1, the three bias modes, dense input vs
# one-hot token ids vs an embedding, h0 given or not, variable lengths (with max == T and all < T),
# batch_first, float32. Embedding cases draw V=5 ids (or V7) over T * B = 15 positions, so ids repeat and
# the table's scatter-add gradient must accumulate.
RNN_GRID = [
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
# The LSTM's state is the pair (h, c), so "h0" gives c0 too; the projection (P) narrows h, the next layer's
# input and the head's, so it meets several layers, both directions, lengths, h0, an embedding and float32.
LSTM_GRID = [
    "L1-uni-lstm-last",
    "L1-uni-lstm-all-ids-h0",
    "L2-bi-lstm-last-lengths-torchbias",
    "L2-bi-lstm-all-short-h0-bf-P2",
    "L1-bi-lstm-all-nobias-T1-B1",
    "L3-uni-lstm-all-lengths-h0-torchbias-T3",
    "L1-uni-lstm-last-emb-h0-P1",
    "L2-bi-lstm-all-emb-lengths-bf-nobias-f32",
    "L2-bi-lstm-last-ids-short-h0-torchbias-f32-P2",
    "L1-uni-lstm-all-h0-f32-T1-B1",
    "L1-uni-lstm-all-short-bf-D2-H5-O4-P3",
]
# The GRU's b_hn sits inside the reset gate's product, so "torchbias" (a trained b_hh) is its sharpest case.
GRU_GRID = [
    "L1-uni-gru-last",
    "L1-uni-gru-all-ids-h0-torchbias",
    "L2-bi-gru-last-lengths-torchbias",
    "L2-bi-gru-all-short-h0-bf",
    "L1-bi-gru-all-nobias-T1-B1",
    "L3-uni-gru-all-lengths-h0-torchbias-T3",
    "L1-uni-gru-last-emb-torchbias",
    "L2-bi-gru-all-emb-lengths-h0-bf-torchbias-f32",
    "L2-bi-gru-last-ids-short-nobias-f32",
    "L1-uni-gru-all-h0-f32-T1-B1",
    "L1-uni-gru-all-short-bf-D2-H5-O4",
]
GRIDS = {"rnn": RNN_GRID, "lstm": LSTM_GRID, "gru": GRU_GRID}
GRID = [c for cell_grid in GRIDS.values() for c in cell_grid]  # every cell's

# Per cell, a few cases that together still touch every option, for `rnn-parity check --quick`.
QUICK_GRIDS = {
    "rnn": ["L1-uni-tanh-last-emb", "L2-bi-relu-all-lengths-h0-bf-torchbias",
            "L1-uni-tanh-all-ids-short-nobias-f32-B1"],
    "lstm": ["L1-uni-lstm-last-emb-P2", "L2-bi-lstm-all-lengths-h0-bf-torchbias-P1",
             "L1-uni-lstm-all-ids-short-nobias-f32-B1"],
    "gru": ["L1-uni-gru-last-emb", "L2-bi-gru-all-lengths-h0-bf-torchbias", "L1-uni-gru-all-ids-short-nobias-f32-B1"],
}
QUICK_GRID = [c for cell_grid in QUICK_GRIDS.values() for c in cell_grid]

CELL_CHOICES = ("rnn", "lstm", "gru", "all")


def cells_of(choice: str) -> tuple:
    """The cells a `--cell` choice names: one of them, or all three."""
    if choice not in CELL_CHOICES:
        raise ValueError(f"cell must be one of {CELL_CHOICES}, got {choice!r}")
    return tuple(GRIDS) if choice == "all" else (choice,)


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
    h0: np.ndarray | tuple | None  # an LSTM's is the pair (h0, c0), as torch takes it
    lengths: np.ndarray | None
    targets: np.ndarray
    dlogits: np.ndarray  # random upstream gradient on the logits (their layout)
    dh_n: np.ndarray | tuple  # random upstream gradient on h_n; an LSTM's is the pair (dh_n, dc_n)

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
        """`a` (reference side) as a tensor of the torch side's dtype on its device; ints stay int64.

        A pair (an LSTM's (h, c)) becomes a pair of tensors."""
        if a is None:
            return None
        if isinstance(a, tuple):
            return tuple(self.tensor(part, requires_grad) for part in a)
        torch = _torch()
        a = np.asarray(a)
        if np.issubdtype(a.dtype, np.integer):
            return torch.as_tensor(a, dtype=torch.int64, device=self.device)
        tensor = torch.tensor(a.astype(self.case.dtype), device=self.device)
        return tensor.requires_grad_(requires_grad)

    t = tensor  # the old name, kept one release for code written against rnn_parity.check

    def zeros_h0(self):
        """A zero initial state: (L*dirs, B, S), or the LSTM's pair with c0 (L*dirs, B, H)."""
        shapes = state_shapes(self.config, self.case.B)
        zeros = tuple(np.zeros(shape, self.ref_dtype) for shape in shapes)
        return zeros if self.config.has_cell_state else zeros[0]


def state_shapes(config: RNNConfig, B: int) -> tuple:
    """The state's shapes: ((L*dirs, B, S),), and (L*dirs, B, H) for the LSTM's c."""
    n = config.num_layers * config.num_directions
    return ((n, B, config.state_size),) + (((n, B, config.hidden_size),) if config.has_cell_state else ())


def draw_state(config: RNNConfig, B: int, rng: np.random.Generator, dtype: str, ref_dtype: str):
    """A standard-normal state (h, or the LSTM's pair (h, c)) in `dtype`, then held in `ref_dtype` exactly."""
    parts = tuple(rng.standard_normal(shape).astype(dtype).astype(ref_dtype) for shape in state_shapes(config, B))
    return parts if config.has_cell_state else parts[0]


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
    h0 = draw_state(c, this.B, rng, this.dtype, ref_dtype) if this.h0 else None
    logits_shape = (this.B, c.output_size) if c.output == "last" else (
        (this.B, this.T, c.output_size) if c.batch_first else (this.T, this.B, c.output_size))
    dlogits = rng.standard_normal(logits_shape).astype(this.dtype).astype(ref_dtype)
    dh_n = draw_state(c, this.B, rng, this.dtype, ref_dtype)
    return Setup(this, device, params, torch_params, x, h0, lengths, targets, dlogits, dh_n)


def _strict_cuda_math():
    """No TF32: cuDNN's RNN kernels and cuBLAS would otherwise round float32 products to 10-bit mantissas."""
    torch = _torch()
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False


def stable_hash(text: str) -> int:
    return int.from_bytes(text.encode(), "little") % (2**61 - 1)


__all__ = ["CELL_CHOICES", "Case", "DEFAULT_SIZES", "GRID", "GRIDS", "QUICK_GRID", "QUICK_GRIDS", "Setup", "VOCAB",
           "case", "cells_of", "draw_inputs", "draw_state", "setup", "stable_hash", "state_shapes"]
