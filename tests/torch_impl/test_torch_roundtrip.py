"""Round trips reference <-> torch are bit-exact; folding bias_hh is explicit and exact in function."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_parity.errors import RNNParityError
from rnn_parity.reference import RNNConfig, init_params, parity_tolerance
from rnn_parity.torch_impl import TorchRNN, from_state_dict, from_torch, to_state_dict, to_torch

from torch_impl_helpers import (DTYPES, assert_bit_exact, assert_params_bit_exact, config_id, configs,
                                grid_configs, params_st, random_inputs, requires_forward)

TORCH_DTYPE = {"float32": torch.float32, "float64": torch.float64}


def reference_torch_reference(params):
    sd = to_state_dict(params)
    assert list(sd) == list(TorchRNN(params.config).state_dict())  # torch's full key set, torch's order
    assert_params_bit_exact(from_state_dict(sd, params.config), params)
    model = to_torch(params)
    assert all(p.dtype == sd["fc.weight"].dtype for p in model.state_dict().values())
    assert_params_bit_exact(from_torch(model, params.config), params)
    assert_params_bit_exact(from_torch(model), params)  # config from the model


def torch_reference_torch(config, dtype, seed):
    torch.manual_seed(seed)
    model = TorchRNN(config, dtype=TORCH_DTYPE[dtype])
    sd = model.state_dict()
    params = from_torch(model)
    assert params.dtype == np.dtype(dtype)
    for name, state in (("to_state_dict", to_state_dict(params)), ("to_torch", to_torch(params).state_dict())):
        assert list(state) == list(sd), name
        for k in sd:
            assert torch.equal(state[k], sd[k]) and state[k].dtype == sd[k].dtype, (name, k)
            assert_bit_exact(state[k], sd[k], k)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("config", grid_configs(), ids=config_id)
def test_grid_reference_torch_reference(config, dtype):
    reference_torch_reference(init_params(config, seed=7, dtype=dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("config", grid_configs(), ids=config_id)
def test_grid_torch_reference_torch(config, dtype):
    torch_reference_torch(config, dtype, seed=7)


@settings(max_examples=150, deadline=None)
@given(params_st())
def test_random_reference_torch_reference(params):
    reference_torch_reference(params)


@settings(max_examples=150, deadline=None)
@given(configs(), st.sampled_from(DTYPES), st.integers(0, 2**31 - 1))
def test_random_torch_reference_torch(config, dtype, seed):
    torch_reference_torch(config, dtype, seed)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None)
@given(params_st())
def test_random_reference_torch_reference_long(params):
    reference_torch_reference(params)


def test_bit_exact_down_to_negative_zero_and_subnormals():
    params = init_params(RNNConfig(2, 3, 2, bias="torch"), seed=0)
    params["bh"][:] = [-0.0, 5e-324, np.nextafter(1.0, 2.0)]
    params["bhh"][:] = [np.finfo(np.float64).max, -np.finfo(np.float64).tiny, -0.0]
    reference_torch_reference(params)


def test_converters_copy_and_never_alias():
    params = init_params(RNNConfig(2, 3, 2), seed=0)
    sd = to_state_dict(params)
    params["Wxh"] += 1.0
    assert not torch.equal(sd["rnn.weight_ih_l0"], torch.from_numpy(params["Wxh"]))
    back = from_state_dict(sd, params.config)
    sd["fc.bias"] += 1.0
    assert not np.array_equal(back["by"], sd["fc.bias"].numpy())


def test_single_mode_emits_bias_hh_zeros():
    params = init_params(RNNConfig(2, 3, 2, num_layers=2, bidirectional=True), seed=0, dtype="float32")
    sd = to_state_dict(params)
    zeros = [k for k in sd if "bias_hh" in k]
    assert len(zeros) == 4
    for k in zeros:
        assert sd[k].dtype == torch.float32 and not sd[k].any()


def torch_bias_model(dtype="float64", **kw):
    config = RNNConfig(3, 4, 2, bias="torch", **kw)
    torch.manual_seed(4)
    return TorchRNN(config, dtype=TORCH_DTYPE[dtype])


def single(config):
    return RNNConfig(**{**config.to_dict(), "bias": "single"})


def test_folding_needs_to_be_asked_for():
    model = torch_bias_model()
    with pytest.raises(RNNParityError, match="fold_bias=True") as e:
        from_state_dict(model.state_dict(), single(model.config))
    assert "\n" not in str(e.value)
    with pytest.raises(RNNParityError, match="fold_bias=True"):
        from_torch(model, single(model.config))


def test_zero_bias_hh_reads_into_single_without_folding():
    model = torch_bias_model()
    with torch.no_grad():
        model.rnn.bias_hh_l0.zero_()
    params = from_state_dict(model.state_dict(), single(model.config))
    assert_bit_exact(params["bh"], model.rnn.bias_ih_l0, "bh")


@pytest.mark.parametrize("kw", [{}, {"num_layers": 2, "bidirectional": True, "output": "all"}], ids=["1L", "2Lbi"])
def test_folding_is_exact_in_function(kw):
    model = torch_bias_model(**kw)
    folded = from_state_dict(model.state_dict(), single(model.config), fold_bias=True)
    assert folded.config.bias == "single" and "bhh" not in folded
    np.testing.assert_array_equal(folded["bh"], (model.rnn.bias_ih_l0 + model.rnn.bias_hh_l0).detach().numpy())
    x, h0, lengths = random_inputs(model.config, "float64")
    tol = parity_tolerance("forward", "float64")
    for mine, theirs in zip(to_torch(folded)(x, h0, lengths), model(x, h0, lengths)):
        torch.testing.assert_close(mine, theirs, rtol=tol.rtol, atol=tol.atol)


@requires_forward
@pytest.mark.parametrize("kw", [{}, {"num_layers": 2, "bidirectional": True, "output": "all"}], ids=["1L", "2Lbi"])
def test_folding_reference_forward_matches_the_torch_bias_model(kw):
    from rnn_parity.reference import forward

    model = torch_bias_model(**kw)
    folded = from_torch(model, single(model.config), fold_bias=True)
    x, h0, lengths = random_inputs(model.config, "float64")
    logits, h_n, _ = forward(folded, x.numpy(), h0=h0.numpy(), lengths=lengths.numpy())
    t_logits, t_h_n = model(x, h0, lengths)
    tol = parity_tolerance("forward", "float64")
    np.testing.assert_allclose(logits, t_logits.detach().numpy(), rtol=tol.rtol, atol=tol.atol)
    np.testing.assert_allclose(h_n, t_h_n.detach().numpy(), rtol=tol.rtol, atol=tol.atol)


def test_folding_is_not_exact_in_training():
    """Why folding is opt-in: torch gives bias_ih and bias_hh the same gradient, so one SGD step moves
    their sum by 2*lr*g while the folded bh moves by lr*g."""
    model = torch_bias_model()
    folded_model = to_torch(from_torch(model, single(model.config), fold_bias=True))
    x, h0, lengths = random_inputs(model.config, "float64")
    for m in (model, folded_model):
        m(x, h0, lengths)[0].sum().backward()
        torch.optim.SGD([p for p in m.parameters() if p.requires_grad], lr=0.1).step()
    g = folded_model.rnn.bias_ih_l0.grad
    torch.testing.assert_close(model.rnn.bias_ih_l0.grad, g)
    torch.testing.assert_close(model.rnn.bias_hh_l0.grad, g)
    before = folded_model.rnn.bias_ih_l0 + 0.1 * g
    torch.testing.assert_close(model.rnn.bias_ih_l0 + model.rnn.bias_hh_l0, before - 0.2 * g)
    assert not torch.allclose(model.rnn.bias_ih_l0 + model.rnn.bias_hh_l0, folded_model.rnn.bias_ih_l0)


def test_from_torch_needs_a_config_for_a_bare_state_dict():
    with pytest.raises(RNNParityError, match="needs config="):
        from_torch(TorchRNN(RNNConfig(2, 3, 2)).state_dict())


def test_key_map_spelled_out():
    """The one place names are written by hand: what the template must produce for 2 layers x 2 directions."""
    config = RNNConfig(3, 4, 2, num_layers=2, bidirectional=True, bias="torch")
    params = init_params(config, seed=0)
    sd = to_state_dict(params)
    pairs = {"Why": "fc.weight", "by": "fc.bias"}
    for ref_sfx, torch_sfx in (("", "_l0"), ("_reverse", "_l0_reverse"), ("_l1", "_l1"),
                               ("_l1_reverse", "_l1_reverse")):
        pairs.update({f"Wxh{ref_sfx}": f"rnn.weight_ih{torch_sfx}", f"Whh{ref_sfx}": f"rnn.weight_hh{torch_sfx}",
                      f"bh{ref_sfx}": f"rnn.bias_ih{torch_sfx}", f"bhh{ref_sfx}": f"rnn.bias_hh{torch_sfx}"})
    assert set(pairs) == set(params) and set(pairs.values()) == set(sd)
    for ref, key in pairs.items():
        assert_bit_exact(sd[key], params[ref], f"{ref} -> {key}")
