"""Property tests (hypothesis, 1,000 examples each, marker `slow`) over the weight formats and converters.

1. Any valid Params, values drawn from all finite bit patterns (-0.0, subnormals, the largest floats),
   survives save -> load -> to_torch -> from_torch bit for bit in every format. This complements
   tests/torch_impl/test_torch_roundtrip.py, whose 1,000-example test goes reference -> torch -> reference
   in memory with init_params values only: here every value goes through a file.
2. Any corruption of a real weight file (truncation, bit flips, overwritten bytes, a cut-out slice,
   random bytes) ends in weights that pass every check or in the one clear error: an RNNParityError with
   a one-line message naming the file. Never another exception, never a hang, never a crash.

Speed: tiny models (sizes 1-3), one file per format reused by every example, on tmpfs where there is one
(save_weights fsyncs: ~6 ms a file on disk, ~0.05 ms on tmpfs).
"""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnn_parity.errors import RNNParityError
from rnn_parity.reference import Params, RNNConfig, init_params, param_shapes
from rnn_parity.torch_impl import from_torch, load_weights, save_weights, to_state_dict, to_torch

FORMATS = (".npz", ".pt", ".safetensors")
EXAMPLES = 1000
SLOW = settings(max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

pytestmark = pytest.mark.slow


# --- strategies ----------------------------------------------------------------------------------------------

@st.composite
def configs(draw) -> RNNConfig:
    size = st.integers(1, 3)
    return RNNConfig(input_size=draw(size), hidden_size=draw(size), output_size=draw(size),
                     num_layers=draw(st.integers(1, 2)), nonlinearity=draw(st.sampled_from(("tanh", "relu"))),
                     bidirectional=draw(st.booleans()), bias=draw(st.sampled_from(("single", "torch", "none"))),
                     output=draw(st.sampled_from(("last", "all"))), batch_first=draw(st.booleans()))


SPECIAL = {np.dtype("float64"): np.array([0.0, -0.0, 5e-324, -2.2250738585072014e-308, 1.7976931348623157e308,
                                          -1.7976931348623157e308, 1.0, np.nextafter(1.0, 2.0)]),
           np.dtype("float32"): np.array([0.0, -0.0, 1e-45, -1.1754944e-38, 3.4028235e38, -3.4028235e38, 1.0,
                                          np.nextafter(np.float32(1.0), np.float32(2.0))], dtype=np.float32)}


def finite_bits(rng: np.random.Generator, shape, dtype: np.dtype) -> np.ndarray:
    """Uniform over bit patterns, so every exponent appears; non-finite patterns and a few slots are replaced
    by the edge cases (signed zeros, subnormals, the extremes, 1 and the next float)."""
    uint = np.uint64 if dtype == np.float64 else np.uint32
    a = rng.integers(0, np.iinfo(uint).max, size=shape, dtype=uint, endpoint=True).view(dtype)
    special = SPECIAL[dtype]
    swap = ~np.isfinite(a) | (rng.random(shape) < 0.2)
    a[swap] = special[rng.integers(0, len(special), size=int(swap.sum()))]
    return a


@st.composite
def valid_params(draw) -> Params:
    config = draw(configs())
    dtype = np.dtype(draw(st.sampled_from(("float64", "float32"))))
    seed = draw(st.integers(0, 2**32 - 1))
    if draw(st.booleans()):
        return init_params(config, seed=seed, dtype=dtype.name)
    rng = np.random.default_rng(seed)
    return Params({k: finite_bits(rng, shape, dtype) for k, shape in param_shapes(config).items()}, config)


def assert_bit_exact(got: Params, want: Params, where: str):
    assert got.config == want.config, where
    assert list(got) == list(want), where
    for k in want:
        a, b = np.asarray(got[k]), want[k]
        assert a.dtype == b.dtype and a.shape == b.shape, f"{where}: {k} {a.dtype}{a.shape} != {b.dtype}{b.shape}"
        assert a.tobytes() == b.tobytes(), f"{where}: {k} differs in its bits"


# --- 1. round trip through every format ----------------------------------------------------------------------

@SLOW
@given(params=valid_params())
def test_any_valid_params_survive_every_format_bit_for_bit(fast_dir, params):
    for suffix in FORMATS:
        path = fast_dir / f"roundtrip{suffix}"
        save_weights(params, path)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the stored config is complete: nothing may be assumed
            loaded = load_weights(path)
        assert_bit_exact(loaded, params, f"load_weights({suffix})")
    # The three loads are bit-identical to params, so one trip through torch covers them all.
    assert_bit_exact(from_torch(to_torch(loaded)), params, "load_weights -> to_torch -> from_torch")


# --- 2. corrupted files end in the one clear error -----------------------------------------------------------

GOOD_CONFIGS = (RNNConfig(2, 3, 2, bias="torch"),
                RNNConfig(3, 2, 3, num_layers=2, bidirectional=True, output="all", nonlinearity="relu"))


@pytest.fixture(scope="module")
def good_bytes(fast_dir) -> dict:
    """The bytes of real weight files: per format, one float64 and one float32 file."""
    out = {}
    for suffix in FORMATS:
        out[suffix] = []
        for config, dtype in zip(GOOD_CONFIGS, ("float64", "float32")):
            path = fast_dir / f"good{suffix}"
            save_weights(init_params(config, seed=1, dtype=dtype), path)
            out[suffix].append(path.read_bytes())
            os.unlink(path)
    return out


@st.composite
def corruptions(draw, sizes: tuple[int, ...]):
    """(which good file, a function bytes -> corrupted bytes, a description for the failure report)."""
    index = draw(st.integers(0, len(sizes) - 1))
    n = sizes[index]
    kind = draw(st.sampled_from(("truncate", "flip bits", "overwrite", "cut slice", "random bytes")))
    if kind == "truncate":
        keep = draw(st.one_of(st.integers(0, 64), st.integers(0, n - 1), st.integers(max(0, n - 64), n - 1)))
        return index, (lambda b: b[:keep]), f"truncate to {keep} of {n}"
    if kind == "flip bits":
        flips = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, 7)), min_size=1, max_size=8))

        def flip(b):
            b = bytearray(b)
            for pos, bit in flips:
                b[pos] ^= 1 << bit
            return bytes(b)
        return index, flip, f"flip (byte, bit) {flips}"
    if kind == "overwrite":
        start = draw(st.integers(0, n - 1))
        junk = draw(st.binary(min_size=1, max_size=32))
        return index, (lambda b: b[:start] + junk + b[start + len(junk):]), f"overwrite at {start} with {junk!r}"
    if kind == "cut slice":
        start = draw(st.integers(0, n - 1))
        length = draw(st.integers(1, 256))
        return index, (lambda b: b[:start] + b[start + length:]), f"cut {length} bytes at {start}"
    junk = draw(st.binary(min_size=0, max_size=512))
    return index, (lambda b: junk), f"random bytes {junk[:40]!r}... ({len(junk)})"


def check_loads_cleanly(path) -> str:
    """Load a possibly corrupted file: valid weights, or the one clear error. Returns the outcome."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. ConfigAssumedWarning when the config entry got damaged
        try:
            params = load_weights(path)
        except RNNParityError as e:
            message = str(e)
            assert message and "\n" not in message, f"not one line: {message!r}"
            assert path.name in message, f"the message does not name the file: {message!r}"
            return "refused"
    # A flip inside a float's bits yields other but valid weights: they must pass every check.
    to_state_dict(params)  # names, shapes, one float dtype, all finite
    return "loaded"


@pytest.mark.parametrize("suffix", FORMATS)
def test_any_corruption_ends_in_the_one_clear_error(fast_dir, good_bytes, suffix):
    path = fast_dir / f"corrupt{suffix}"
    outcomes = {"refused": 0, "loaded": 0}
    sizes = tuple(len(b) for b in good_bytes[suffix])

    @SLOW
    @given(case=corruptions(sizes))
    def property_(case):
        index, corrupt, description = case
        path.write_bytes(corrupt(good_bytes[suffix][index]))
        try:
            outcomes[check_loads_cleanly(path)] += 1
        except AssertionError as e:
            raise AssertionError(f"{suffix}, {description}: {e}") from None
        except Exception as e:
            raise AssertionError(f"{suffix}, {description}: {type(e).__name__} escaped: {e}") from e

    property_()
    assert sum(outcomes.values()) >= EXAMPLES, outcomes
    assert outcomes["refused"] > EXAMPLES // 2, outcomes  # the corruptions mostly hit something that matters
