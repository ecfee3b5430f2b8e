"""LSTM and GRU checkpoints, read by structure (gated_models.py holds the real-shaped models): each ports
exactly (the reference computes what the model computes, run here by its own code, not verify.py's), writes
back bit for bit in its names under a wrapper, and what the shapes cannot tell is settled by running the
model or refused in one line that lists the candidates."""
import io

import numpy as np
import pytest
import torch

import gated_models as gm
from rnn_parity.compare import assert_parity, compare
from rnn_parity.reference import RNNConfig, forward
from rnn_parity.reference.errors import RNNParityError
from rnn_parity.reference.params import Params
from rnn_parity.torch_impl import read_checkpoint, read_verified, write_like, write_verified

B = 3
# read by their shapes alone (the rest needs the model run: gate orders, reset position, halves order)
BY_SHAPES = ("WordLanguageModel", "WordGRU", "LSTMTagger", "CharRNN", "CharGRU", "SentimentLSTM", "Forecaster",
             "ProjLSTM", "TwoLSTMs", "ReusedGRU", "LSTMCellLoop", "GRUCellLoop", "D2LScratchLSTM", "GateLinears",
             "BiasParamHead", "GateCatLinears", "CustomLSTM", "TorchNamesLSTM")
WRAPPERS = [
    lambda sd: sd,
    lambda sd: {"module." + k: v for k, v in sd.items()},
    lambda sd: {"_orig_mod." + k: v for k, v in sd.items()},
    lambda sd: {"state_dict": {"model." + k: v for k, v in sd.items()}, "optimizer_states": [{}], "epoch": 2},
    lambda sd: {"model_state_dict": sd, "optimizer_state_dict": {"state": {}}, "epoch": 3},
    lambda sd: {"n_hidden": gm.H, "n_layers": 2, "state_dict": sd, "tokens": tuple("abc")},  # char-rnn's dict
]


def trained(name, seed=0):
    torch.manual_seed(seed)
    model = getattr(gm, name)()
    with torch.no_grad():
        for p in model.parameters():  # nonzero biases everywhere, so a dropped or swapped one shows
            p.add_(0.1 * torch.randn_like(p))
    return model


def saved(sd):
    """As torch.save and torch.load give it back (tensors that share storage keep sharing it)."""
    buf = io.BytesIO()
    torch.save(sd, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


def model_vs_reference(name, params, out_last=False):
    output, ids, run, post = gm.RUN[name]
    c = params.config
    rng = np.random.default_rng(1)
    x = rng.integers(0, c.vocab_size, size=(gm.T, B)) if ids else rng.standard_normal((gm.T, B, c.input_size))
    model = trained(name).double().eval()
    with torch.no_grad():
        theirs = run(model, torch.from_numpy(x)).numpy()
    time_major = RNNConfig.from_dict({**c.to_dict(), "batch_first": False})  # x here is (T, B)
    p64 = Params({k: v.astype(np.float64) for k, v in params.items()}, time_major)
    logits, _, _ = forward(p64, x)
    if post == "log-softmax":
        logits = logits - logits.max(-1, keepdims=True)
        logits = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    mine = logits[-1] if out_last else logits
    assert_parity(compare(f"{name}: cell={c.cell}", mine, theirs))


@pytest.mark.parametrize("name", BY_SHAPES)
def test_ports_by_their_shapes_exactly(name):
    params, reading = read_checkpoint(trained(name).state_dict(), config={"output": gm.RUN[name][0]})
    assert params.config.cell == ("gru" if "GRU" in name else "rnn" if name == "RowBiasRNN" else "lstm")
    model_vs_reference(name, params)


@pytest.mark.parametrize("i, name", list(enumerate(BY_SHAPES)))
def test_write_like_gives_back_their_state_dict_bit_for_bit(i, name):
    sd = saved(trained(name).state_dict())
    checkpoint = WRAPPERS[i % len(WRAPPERS)](sd)
    params, _ = read_checkpoint(checkpoint)
    out = write_like(params, checkpoint)
    assert list(out) == list(sd)
    for key, value in sd.items():
        assert out[key].dtype == value.dtype and torch.equal(out[key], value), key
    getattr(gm, name)().load_state_dict(out, strict=True)


@pytest.mark.parametrize("name, variant", [
    ("CatLSTM", "cat(x_t, h_{t-1}), gates i, f, o, g"),
    ("X2HLSTM", "gates i, f, g, o (torch's)"),
    ("X2HGRU", "gates z, r, n"),
    ("SentimentSwapped", "head on [backward ; forward]"),
    ("RowBiasRNN", "x @ W_xh, h @ W_hh"),
    ("UnpairedNames", "gates f, i, g, o"),
    ("SplitGRU", "gates z, r, n"),
    ("ListGRU", "gates r, z, n (torch's), h = (1-z)*h + z*n"),
    ("StepLSTMCell", "gates i, f, o, g"),
    ("CellListLSTM", "gates i, f, g, o (torch's)"),
    ("StepCharLSTM", ""),
])
def test_running_the_model_settles_what_the_shapes_cannot(name, variant):
    model = trained(name)
    params, reading, match = read_verified(model.state_dict(), getattr(gm, name)())
    assert reading.variant == variant and match.passed
    model_vs_reference(name, params)
    out, _, _ = write_verified(params, getattr(gm, name)(), like=model.state_dict())
    for key, value in model.state_dict().items():  # back in their gate order, bit for bit
        assert torch.equal(out[key], value), key


def test_without_the_model_a_gate_order_is_refused_with_its_candidates():
    with pytest.raises(RNNParityError, match=r"^the shapes cannot tell the gate order; the order inside the cat "
                                             r"\(candidates: \(1\) cat\(x_t, h_\{t-1\}\), gates i, f, g, o "
                                             r"\(torch's\); "
                                             r"\(2\) cat\(x_t, h_\{t-1\}\), gates i, f, o, g; .* and 42 more\); "
                                             r"pass --model") as info:
        read_checkpoint(trained("CatLSTM").state_dict())
    assert "\n" not in str(info.value)
    with pytest.raises(RNNParityError, match=r"where the reset gate acts .*candidates: \(1\) gates r, z, n"):
        read_checkpoint(trained("X2HGRU").state_dict())
    with pytest.raises(RNNParityError, match=r"^the shapes cannot tell where the reset gate acts"):
        read_checkpoint(trained("D2LScratchGRU").state_dict())  # gates named, the reset position is not


def test_map_gates_states_the_order():
    model = trained("X2HLSTM")
    params, reading = read_checkpoint(model.state_dict(), map="gates=ifgo", config={"output": "all"})
    assert reading.variant == "gates i, f, g, o (torch's)"
    model_vs_reference("X2HLSTM", params)
    params, _ = read_checkpoint(model.state_dict(), map="gates=ifoc")  # another order: other rows
    H = gm.H
    assert np.array_equal(params["Wxh"][2 * H:3 * H], model.x2h.weight.detach().numpy()[3 * H:])
    with pytest.raises(RNNParityError, match=r"^--map gates=ifx: expected the stored order"):
        read_checkpoint(model.state_dict(), map="gates=ifx")


@pytest.mark.parametrize("name, message", [
    ("ResetBeforeGRU", r"no reading matches .*a GRU whose reset gate acts before the recurrent product"),
    ("D2LScratchGRU", r"no reading matches .*is a different function that no nn\.GRU holds"),
])
def test_a_reset_before_gru_is_refused_with_the_reason(name, message):
    with pytest.raises(RNNParityError, match=message):
        read_verified(trained(name).state_dict(), getattr(gm, name)())


def test_a_reused_module_reads_as_two_equal_layers_and_stays_one():
    sd = saved(trained("ReusedGRU").state_dict())
    params, reading = read_checkpoint(sd)
    assert params.config.num_layers == 2 and np.array_equal(params["Whh"], params["Whh_l1"])
    assert any("'gru1' and 'gru2' hold the same tensors" in n for n in reading.notes)
    params["Whh_l1"][0, 0] += 1.0
    with pytest.raises(RNNParityError, match=r"are one tensor \(one module applied twice\)"):
        write_like(params, sd)


def test_bidirectional_out_last_is_ported_and_said():
    params, reading, match = read_verified(trained("BiForecaster").state_dict(), gm.BiForecaster())
    assert match.out_last and params.config.output == "all"
    assert "out[:, -1]" in match.describe(reading) and "not h_n's reading" in match.describe(reading)
    model_vs_reference("BiForecaster", params, out_last=True)


def test_a_bias_parameter_beside_a_bias_free_head_is_its_bias():
    model = trained("BiasParamHead")
    params, reading = read_checkpoint(model.state_dict())
    assert reading.head == "'W' + bias 'b'" and np.array_equal(params["by"], model.b.detach().numpy())
    vanilla = {**{"rnn." + k: v for k, v in torch.nn.RNN(gm.D, gm.H).state_dict().items()},
               "W.weight": model.W.weight.detach(), "b": model.b.detach()}  # the same head on an nn.RNN
    params, reading = read_checkpoint(vanilla, config={"nonlinearity": "tanh"})
    assert reading.head == "'W' + bias 'b'" and list(write_like(params, vanilla)) == list(vanilla)


def test_a_row_bias_is_the_recurrence_bias_not_a_head():
    model = trained("RowBiasRNN")
    params, reading = read_checkpoint(model.state_dict(), config={"nonlinearity": "tanh", "output": "all"})
    assert reading.head is None and params.config.output_size == gm.H
    assert np.array_equal(params["bh"], model.b_h.detach().numpy()[0])
    model_vs_reference("RowBiasRNN", params)
    out = write_like(params, model.state_dict())
    assert out["b_h"].shape == (1, gm.H) and torch.equal(out["b_h"], model.b_h.detach())


def test_proj_size_and_float64():
    model = trained("ProjLSTM").double()
    params, reading = read_checkpoint(model.state_dict())
    assert params.config.proj_size == gm.P and params.dtype == np.float64 and params["Whr"].shape == (gm.P, gm.H)


def test_a_head_on_one_direction_of_a_bidirectional_stack_is_refused():
    sd = {**torch.nn.LSTM(gm.D, gm.H, bidirectional=True).state_dict(), **torch.nn.Linear(gm.H, gm.O).state_dict()}
    with pytest.raises(RNNParityError, match=r"^fc\.weight \(3, 6\) reads one direction's 6 of the 12 a bidirectional "
                                             r"stack's last step holds \(h_n\[-1\] is the backward direction only\)"):
        read_checkpoint({("fc." + k if k in ("weight", "bias") else "lstm." + k): v for k, v in sd.items()})


@pytest.mark.parametrize("edit, message", [
    (lambda sd: sd.update({"lstm.weight_hh_l0": torch.zeros(24, 5)}), r"^the RNN 'lstm': lstm\.weight_hh_l0 is"),
    (lambda sd: sd.pop("lstm.bias_hh_l1"), r"^the RNN 'lstm': bias_hh_l1 missing, expected \(24,\)"),
    (lambda sd: sd.update({"lstm.weight_hr_l0": torch.zeros(2, 6)}), r"^the LSTM 'lstm': lstm\.weight_hr_l0 is"),
])
def test_malformed_groups_are_one_line(edit, message):
    sd = dict(trained("Forecaster").state_dict())
    edit(sd)
    with pytest.raises(RNNParityError, match=message) as info:
        read_checkpoint(sd)
    assert "\n" not in str(info.value)


def test_damaged_checkpoints_read_or_refuse_in_one_line():
    """Seeded damage to real-shaped state_dicts (a key dropped, reshaped, resized, duplicated, NaN): each reads
    or is refused with an RNNParityError, never another exception."""
    rng = np.random.default_rng(0)
    names = sorted(set(gm.RUN) - {"LitForecaster"})  # built with arguments
    for trial in range(40):
        name = names[trial % len(names)]
        sd = dict(trained(name, seed=trial).state_dict())
        key = list(sd)[rng.integers(len(sd))]
        v = sd[key]
        sd.update([{key: v.reshape(-1)}, {key: v.unsqueeze(0)}, {key + "_2": v}, {key: torch.full_like(v, np.nan)},
                   {key: torch.zeros(*[s + 1 for s in v.shape])}][trial % 5])
        if trial % 7 == 0:
            sd.pop(list(sd)[0])
        try:
            read_checkpoint(sd, config={"nonlinearity": "tanh"})
        except RNNParityError as e:
            assert "\n" not in str(e)
