"""TorchRNN: torch's own names, the three bias modes, token ids, batch_first, lengths and the head."""
import numpy as np
import pytest
import torch
from torch import nn

from rnn_parity.errors import RNNParityError
from rnn_parity.reference import RNNConfig, parity_tolerance
from rnn_parity.torch_impl import TorchRNN

from torch_impl_helpers import config_id, grid_configs, random_inputs

TOL64 = parity_tolerance("forward", "float64")


def close(a, b):
    torch.testing.assert_close(a, b, rtol=TOL64.rtol, atol=TOL64.atol)


@pytest.mark.parametrize("config", grid_configs(), ids=config_id)
def test_state_dict_keys_are_torch_own(config):
    model = TorchRNN(config)
    stock = nn.RNN(config.input_size, config.hidden_size, num_layers=config.num_layers,
                   bidirectional=config.bidirectional, bias=config.bias != "none")
    want = [f"rnn.{k}" for k in stock.state_dict()] + ["fc.weight", "fc.bias"]
    assert list(model.state_dict()) == want
    assert all(v.dtype == torch.float64 for v in model.state_dict().values())
    assert model.fc.weight.shape == (config.output_size, config.num_directions * config.hidden_size)


def test_dtype_float32():
    model = TorchRNN(RNNConfig(2, 3, 2), dtype=torch.float32)
    assert {p.dtype for p in model.parameters()} == {torch.float32}


def test_single_bias_hh_is_a_frozen_zero():
    config = RNNConfig(3, 4, 2, num_layers=2, bidirectional=True)
    model = TorchRNN(config)
    frozen = {n for n, p in model.named_parameters() if not p.requires_grad}
    assert frozen == {"rnn.bias_hh_l0", "rnn.bias_hh_l0_reverse", "rnn.bias_hh_l1", "rnn.bias_hh_l1_reverse"}
    x, h0, lengths = random_inputs(config, "float64")
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.5)
    logits, _ = model(x, h0, lengths)
    logits.sum().backward()
    opt.step()
    for name in frozen:
        p = model.get_parameter(name)
        assert p.grad is None and not p.any(), name
    assert model.rnn.bias_ih_l0.grad is not None


def test_single_refuses_a_nonzero_bias_hh_on_load():
    model = TorchRNN(RNNConfig(3, 4, 2))
    sd = model.state_dict()
    sd["rnn.bias_hh_l0"] = torch.ones(4, dtype=torch.float64)
    with pytest.raises(RNNParityError, match="bias_hh_l0 must be zero"):
        model.load_state_dict(sd)


def test_bias_none_keeps_the_head_bias():
    model = TorchRNN(RNNConfig(3, 4, 2, bias="none"))
    assert not model.rnn.bias and model.fc.bias is not None
    assert not any("bias" in k for k in model.state_dict() if k.startswith("rnn."))


@pytest.mark.parametrize("config", grid_configs(), ids=config_id)
def test_token_ids_are_one_hot(config):
    torch.manual_seed(0)
    model = TorchRNN(config)
    ids, h0, lengths = random_inputs(config, "float64", ids=True)
    onehot = nn.functional.one_hot(ids, config.input_size).double()
    for a, b in zip(model(ids, h0, lengths), model(onehot, h0, lengths)):
        assert torch.equal(a, b)


@pytest.mark.parametrize("config", [c for c in grid_configs() if not c.batch_first], ids=config_id)
def test_batch_first_is_a_transpose(config):
    torch.manual_seed(1)
    model = TorchRNN(config)
    bf = TorchRNN(RNNConfig(**{**config.to_dict(), "batch_first": True}))
    bf.load_state_dict(model.state_dict())
    x, h0, lengths = random_inputs(config, "float64")
    logits, h_n = model(x, h0, lengths)
    logits_bf, h_n_bf = bf(x.transpose(0, 1), h0, lengths)
    close(h_n_bf, h_n)
    close(logits_bf, logits.transpose(0, 1) if config.output == "all" else logits)


@pytest.mark.parametrize("config", grid_configs(), ids=config_id)
def test_lengths_equal_running_each_sequence_alone(config):
    """Packing semantics: steps past a length change nothing, and their hidden output is zero."""
    torch.manual_seed(2)
    model = TorchRNN(config)
    x, h0, lengths = random_inputs(config, "float64")
    t_dim = 1 if config.batch_first else 0
    out, h_n = model.hidden_states(x, h0, lengths)
    logits, h_n2 = model(x, h0, lengths)
    assert torch.equal(h_n, h_n2)
    for b, n in enumerate(lengths.tolist()):
        xb = x.narrow(1 - t_dim, b, 1).narrow(t_dim, 0, n)
        out_b, h_n_b = model.hidden_states(xb, h0[:, b:b + 1].contiguous())
        logits_b, _ = model(xb, h0[:, b:b + 1].contiguous())
        close(h_n[:, b:b + 1], h_n_b)
        mine = out.narrow(1 - t_dim, b, 1)
        close(mine.narrow(t_dim, 0, n), out_b)
        assert not mine.narrow(t_dim, n, x.shape[t_dim] - n).any()  # padded steps: zero
        if config.output == "all":
            lb = logits.narrow(1 - t_dim, b, 1)
            close(lb.narrow(t_dim, 0, n), logits_b)
            pad = lb.narrow(t_dim, n, x.shape[t_dim] - n).reshape(-1, config.output_size)
            assert torch.equal(pad, model.fc.bias.detach().expand_as(pad))  # logits there equal by
        else:
            close(logits[b:b + 1], logits_b)


@pytest.mark.parametrize("config", [c for c in grid_configs() if c.output == "last"], ids=config_id)
def test_last_reads_fwd_at_last_valid_step_and_bwd_at_step_0(config):
    torch.manual_seed(3)
    model = TorchRNN(config)
    x, h0, lengths = random_inputs(config, "float64")
    out, _ = model.hidden_states(x, h0, lengths)
    if config.batch_first:
        out = out.transpose(0, 1)
    H = config.hidden_size
    rows = []
    for b, n in enumerate(lengths.tolist()):
        h = out[n - 1, b, :H]
        if config.bidirectional:
            h = torch.cat([h, out[0, b, H:]])
        rows.append(h)
    logits, _ = model(x, h0, lengths)
    assert torch.equal(logits, model.fc(torch.stack(rows)))


def test_h0_is_used_and_defaults_to_zeros():
    config = RNNConfig(3, 4, 2, num_layers=2, bidirectional=True)
    model = TorchRNN(config)
    x, h0, _ = random_inputs(config, "float64")
    assert torch.equal(model(x)[0], model(x, torch.zeros_like(h0))[0])
    assert not torch.equal(model(x)[0], model(x, h0)[0])
    assert model(x, h0)[1].shape == (4, x.shape[1], 4)


def test_accepts_numpy_inputs():
    config = RNNConfig(3, 4, 2)
    model = TorchRNN(config)
    x, h0, lengths = random_inputs(config, "float64")
    for a, b in zip(model(x.numpy(), h0.numpy(), lengths.numpy()), model(x, h0, lengths)):
        assert torch.equal(a, b)


@pytest.mark.parametrize("call, message", [
    (lambda m, x, h0, n: m(x[..., :2]), r"input must have shape \(T, B, 3\), got \(5, 3, 2\)"),
    (lambda m, x, h0, n: m(x.float()), "input dtype torch.float32 differs"),
    (lambda m, x, h0, n: m(torch.full((5, 3), 3)), r"token ids must lie in \[0, 3\)"),
    (lambda m, x, h0, n: m(torch.zeros(5, 3, 1, dtype=torch.long)), r"token ids must be \(T, B\)"),
    (lambda m, x, h0, n: m(x, h0[:, :2]), r"h0 must have shape \(L\*dirs, B, H\) = \(1, 3, 4\)"),
    (lambda m, x, h0, n: m(x, lengths=[5, 0, 1]), r"lengths must lie in \[1, T=5\]"),
    (lambda m, x, h0, n: m(x, lengths=[5, 6, 1]), r"lengths must lie in \[1, T=5\]"),
    (lambda m, x, h0, n: m(x, lengths=[5, 1]), "lengths must be 3 integers"),
    (lambda m, x, h0, n: m(x, lengths=[5.0, 1.0, 2.0]), "lengths must be 3 integers"),
], ids=["width", "dtype", "id-range", "id-shape", "h0", "len0", "len>T", "len-count", "len-float"])
def test_bad_inputs_give_one_line_errors(call, message):
    config = RNNConfig(3, 4, 2)
    model = TorchRNN(config)
    x, h0, lengths = random_inputs(config, "float64")
    with pytest.raises(RNNParityError, match=message) as e:
        call(model, x, h0, lengths)
    assert "\n" not in str(e.value)


def test_config_must_be_an_rnnconfig():
    with pytest.raises(ValueError, match="needs an RNNConfig"):
        TorchRNN({"input_size": 3})
    with pytest.raises(ValueError, match="float32 or torch.float64"):
        TorchRNN(RNNConfig(3, 4, 2), dtype=torch.float16)
