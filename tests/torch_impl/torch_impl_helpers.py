"""Shared pieces of the torch_impl tests: config grids, hypothesis strategies, bit-exact assertions.

A uniquely named module (not conftest.py), so it cannot collide with other test folders' helpers.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import strategies as st

from rnn_parity import reference
from rnn_parity.reference import RNNConfig, init_params

BIAS_MODES = ("single", "torch", "none")
DTYPES = ("float32", "float64")

requires_forward = pytest.mark.skipif(not hasattr(reference, "forward"),
                                      reason="the reference forward has not landed in reference/ yet")


def grid_configs() -> list[RNNConfig]:
    """Every structural option once: layers 1-3 x directions x bias modes x nonlinearity, odd small sizes."""
    out = []
    for layers, bidir, bias, nl in itertools.product((1, 2, 3), (False, True), BIAS_MODES, ("tanh", "relu")):
        out.append(RNNConfig(input_size=3, hidden_size=5, output_size=2, num_layers=layers, nonlinearity=nl,
                             bidirectional=bidir, bias=bias, output="all" if layers == 2 else "last",
                             batch_first=bidir and layers == 3))
    return out


def config_id(c: RNNConfig) -> str:
    return (f"L{c.num_layers}{'bi' if c.bidirectional else 'uni'}-{c.bias}-{c.nonlinearity}-{c.output}"
            + ("-bf" if c.batch_first else ""))


@st.composite
def configs(draw) -> RNNConfig:
    size = st.integers(1, 9)
    return RNNConfig(input_size=draw(size), hidden_size=draw(size), output_size=draw(size),
                     num_layers=draw(st.integers(1, 3)), nonlinearity=draw(st.sampled_from(("tanh", "relu"))),
                     bidirectional=draw(st.booleans()), bias=draw(st.sampled_from(BIAS_MODES)),
                     output=draw(st.sampled_from(("last", "all"))), batch_first=draw(st.booleans()))


@st.composite
def params_st(draw):
    config = draw(configs())
    return init_params(config, seed=draw(st.integers(0, 2**32 - 1)), dtype=draw(st.sampled_from(DTYPES)))


def assert_bit_exact(a, b, name=""):
    """Same dtype, shape and bytes: stricter than np.array_equal (tells -0.0 from 0.0)."""
    a = a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    b = b.detach().cpu().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    assert a.dtype == b.dtype, f"{name}: dtype {a.dtype} != {b.dtype}"
    assert a.shape == b.shape, f"{name}: shape {a.shape} != {b.shape}"
    assert np.array_equal(a, b) and a.tobytes() == b.tobytes(), f"{name}: values differ"


def assert_params_bit_exact(got, want):
    assert list(got) == list(want), f"names differ: {sorted(set(got) ^ set(want))}"
    assert got.config == want.config
    for k in want:
        assert_bit_exact(got[k], want[k], k)


def random_inputs(config: RNNConfig, dtype: str, seed: int = 0, T: int = 5, B: int = 3, ids: bool = False):
    """(x, h0, lengths) as torch tensors; lengths include a full-length and a length-1 sequence."""
    g = np.random.default_rng(seed)
    h0 = torch.from_numpy(g.standard_normal((config.num_layers * config.num_directions, B,
                                             config.hidden_size)).astype(dtype))
    lengths = torch.from_numpy(g.integers(1, T + 1, size=B))
    lengths[0], lengths[-1] = T, 1
    if ids:
        x = torch.from_numpy(g.integers(0, config.input_size, size=(T, B)))
    else:
        x = torch.from_numpy(g.standard_normal((T, B, config.input_size)).astype(dtype))
    if config.batch_first:
        x = x.transpose(0, 1).contiguous()
    return x, h0, lengths
