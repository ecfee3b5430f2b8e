"""from_scheme reads the seeds' three naming conventions; to_scheme is its exact inverse."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_parity.errors import RNNParityError
from rnn_parity.reference import RNNConfig, init_params
from rnn_parity.torch_impl import SCHEMES, from_scheme, to_scheme, to_state_dict

from torch_impl_helpers import DTYPES, assert_bit_exact, assert_params_bit_exact

D, H, O = 5, 7, 3


def single_params(dtype="float64", **kw):
    return init_params(RNNConfig(D, H, O, **kw), seed=11, dtype=dtype)


NAMES = {"karpathy": ("Wxh", "Whh", "Why", "bh", "by"), "coursera": ("Wax", "Waa", "Wya", "ba", "by"),
         "uvw": ("U", "V", "W", "bh", "by")}


@pytest.mark.parametrize("column_bias", [True, False], ids=["column", "flat"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_round_trip_is_bit_exact(scheme, dtype, column_bias):
    params = single_params(dtype)
    arrays = to_scheme(params, scheme, column_bias=column_bias)
    assert tuple(arrays) == NAMES[scheme]
    assert arrays[NAMES[scheme][3]].shape == ((H, 1) if column_bias else (H,))
    for detect in ("auto", scheme):
        back = from_scheme(arrays, detect)
        assert_params_bit_exact(back, params)
        assert_bit_exact(to_scheme(back, scheme, column_bias=column_bias)[NAMES[scheme][0]], arrays[NAMES[scheme][0]])


def test_seed_layouts_read_as_written_in_the_seeds():
    """uvw's U is input->hidden (H, D), V hidden->hidden, W hidden->output; coursera's bias may be 'b'."""
    g = np.random.default_rng(0)
    U, V, W = g.standard_normal((H, D)), g.standard_normal((H, H)), g.standard_normal((O, H))
    bh, by = g.standard_normal((H, 1)), g.standard_normal((O, 1))
    p = from_scheme({"U": U, "V": V, "W": W, "bh": bh, "by": by})
    assert p.config == RNNConfig(D, H, O)
    for ref, src in (("Wxh", U), ("Whh", V), ("Why", W), ("bh", bh[:, 0]), ("by", by[:, 0])):
        assert_bit_exact(p[ref], src, ref)
    q = from_scheme({"Wax": U, "Waa": V, "Wya": W, "b": bh, "by": by})
    assert_params_bit_exact(q, p)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 9), st.sampled_from(tuple(SCHEMES)),
       st.sampled_from(DTYPES), st.booleans(), st.integers(0, 2**31 - 1))
def test_random_sizes_round_trip(d, h, o, scheme, dtype, column_bias, seed):
    params = init_params(RNNConfig(d, h, o), seed=seed, dtype=dtype)
    assert_params_bit_exact(from_scheme(to_scheme(params, scheme, column_bias=column_bias)), params)


def test_overrides_set_what_the_arrays_cannot_tell():
    arrays = to_scheme(single_params(), "uvw")
    p = from_scheme(arrays, output="all", nonlinearity="relu", batch_first=True)
    assert p.config == RNNConfig(D, H, O, output="all", nonlinearity="relu", batch_first=True)
    assert from_scheme(arrays, hidden_size=H).config.hidden_size == H  # agreeing with the shapes is fine
    with pytest.raises(RNNParityError, match=r"hidden_size=4 contradicts the arrays, which give hidden_size=7"):
        from_scheme(arrays, hidden_size=4)
    with pytest.raises(RNNParityError, match="unknown RNNConfig field 'hiden_size'"):
        from_scheme(arrays, hiden_size=4)
    with pytest.raises(ValueError, match="nonlinearity"):
        from_scheme(arrays, nonlinearity="sigmoid")


def test_karpathy_names_are_the_reference_names():
    params = single_params()
    assert_params_bit_exact(from_scheme(dict(params)), params)


def test_torch_state_dict_is_no_seed_scheme():
    with pytest.raises(RNNParityError, match=r"keys found \['fc.bias', 'fc.weight'"):
        from_scheme(to_state_dict(single_params()))


def test_to_scheme_refuses_what_a_seed_cannot_hold():
    with pytest.raises(RNNParityError, match="one layer and one direction, got num_layers=2"):
        to_scheme(single_params(num_layers=2), "karpathy")
    with pytest.raises(RNNParityError, match="bidirectional=True"):
        to_scheme(single_params(bidirectional=True), "karpathy")
    with pytest.raises(RNNParityError, match="config.bias is 'none'"):
        to_scheme(single_params(bias="none"), "uvw")
    with pytest.raises(RNNParityError, match="unknown scheme 'auto'"):
        to_scheme(single_params(), "auto")


def test_to_scheme_folds_a_torch_bias_only_when_asked():
    params = single_params(bias="torch")
    with pytest.raises(RNNParityError, match="fold_bias=True"):
        to_scheme(params, "coursera")
    arrays = to_scheme(params, "coursera", fold_bias=True, column_bias=False)
    np.testing.assert_array_equal(arrays["ba"], params["bh"] + params["bhh"])
    params["bhh"][:] = 0.0  # a zero second bias needs no folding
    assert_bit_exact(to_scheme(params, "coursera", column_bias=False)["ba"], params["bh"])
