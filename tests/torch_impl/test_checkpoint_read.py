"""read_checkpoint / write_like on checkpoints the tests write from checkpoint_models.py: every shape ports
exactly (the reference computes what the model computes) and writes back bit for bit in its names, under
every wrapper; every other shape is refused in one line."""
import numpy as np
import pytest
import torch

import checkpoint_models as cm
from rnn_parity.compare import assert_parity, compare
from rnn_parity.reference import forward
from rnn_parity.reference.errors import RNNParityError
from rnn_parity.reference.params import Params
from rnn_parity.torch_impl import read_checkpoint, write_like

T, B = cm.T, 3


def log_softmax(a):
    a = a - a.max(axis=-1, keepdims=True)
    return a - np.log(np.exp(a).sum(axis=-1, keepdims=True))


def step_loop(model, x):
    h, outs = torch.zeros(B, cm.H, dtype=torch.float64), []
    for t in range(T):
        out, h = model(x[t], h)
        outs.append(out)
    return torch.stack(outs)


# model -> (nonlinearity, output, what follows the head, how to run it on time-major x (T, B[, D]) -> time-major)
EXACT = {
    "Classifier": ("tanh", "last", None, lambda m, x: m(x.transpose(0, 1))),
    "H2O": ("tanh", "last", log_softmax, lambda m, x: m(x)),
    "BareHead": ("relu", "all", None, lambda m, x: m(x)),
    "WordLM": ("tanh", "all", log_softmax, lambda m, x: m(x, m.init_hidden(B))[0].view(T, B, cm.V)),
    "EmbedRNN": ("tanh", "all", None, lambda m, x: m(x.transpose(0, 1)).transpose(0, 1)),
    "CharRNN": ("tanh", "all", log_softmax, step_loop),
    "CatRNN": ("relu", "last", None, lambda m, x: m(x)),
    "Stacked": ("tanh", "last", None, lambda m, x: m(x)),
    "NoHead": ("tanh", "all", None, lambda m, x: m(x)),
    "CellLoop": ("tanh", "last", None, lambda m, x: m(x)),
    "ScratchLM": ("tanh", "all", None, lambda m, x: m(x).transpose(0, 1)),
    "CellParams": ("tanh", "last", None, lambda m, x: m(x)),
}

WRAPPERS = {
    "bare": lambda sd: sd,
    "DataParallel": lambda sd: {"module." + k: v for k, v in sd.items()},
    "compiled": lambda sd: {"_orig_mod." + k: v for k, v in sd.items()},
    "Lightning": lambda sd: {"state_dict": {"model." + k: v for k, v in sd.items()}, "epoch": 3,
                             "optimizer_states": [{"state": {}}], "hyper_parameters": {"lr": 0.1}},
    "training": lambda sd: {"model_state_dict": sd, "optimizer_state_dict": {"state": {}}, "loss": 0.5},
}


def trained(name, seed=0):
    torch.manual_seed(seed)
    model = getattr(cm, name)()
    with torch.no_grad():
        for p in model.parameters():  # nonzero biases everywhere, so a dropped or swapped one shows
            p.add_(0.1 * torch.randn_like(p))
    return model


def inputs(model, name, seed=1):
    rng = np.random.default_rng(seed)
    if name == "WordLM":
        return rng.integers(0, cm.V, size=(T, B))
    if name == "EmbedRNN":
        return rng.integers(0, cm.V, size=(T, B))
    return rng.standard_normal((T, B, cm.D))


@pytest.mark.parametrize("name", list(EXACT))
def test_the_port_computes_what_the_model_computes(name):
    nonlinearity, output, post, run = EXACT[name]
    model = trained(name)
    params, reading = read_checkpoint(model.state_dict(), config={"nonlinearity": nonlinearity, "output": output})
    x = inputs(model, name)
    model.double().eval()
    with torch.no_grad():
        theirs = run(model, torch.from_numpy(x)).numpy()
    logits, _, _ = forward(Params({k: v.astype(np.float64) for k, v in params.items()}, params.config), x)
    mine = post(logits) if post else logits
    assert_parity(compare(f"{name}: {reading.describe()}", mine, theirs))


@pytest.mark.parametrize("wrapper", list(WRAPPERS))
@pytest.mark.parametrize("name", list(EXACT))
def test_write_like_gives_back_their_state_dict_bit_for_bit(name, wrapper):
    model = trained(name)
    sd = model.state_dict()
    checkpoint = WRAPPERS[wrapper](sd)
    params, reading = read_checkpoint(checkpoint, config={"nonlinearity": EXACT[name][0]})
    out = write_like(params, checkpoint)
    assert list(out) == list(sd)  # their nn.Module's names: wrappers dropped, order kept
    for key, value in sd.items():
        assert out[key].dtype == value.dtype and torch.equal(out[key], value), key
    getattr(cm, name)().load_state_dict(out, strict=True)
    if wrapper != "bare":
        assert reading.wrappers or any("state_dict" in n for n in reading.notes)
    if wrapper in ("Lightning", "training"):
        assert any("ignored the optimizer state" in n for n in reading.notes)


def test_write_like_keeps_their_dtype_and_order():
    model = trained("H2O").double()
    params, _ = read_checkpoint(model.state_dict(), config={"nonlinearity": "tanh"})
    as32 = {k: v.float() for k, v in model.state_dict().items()}
    out = write_like(params, as32)
    assert all(v.dtype == torch.float32 for v in out.values()) and list(out) == list(as32)


def test_tied_decoder_is_read_and_said():
    params, reading = read_checkpoint(trained("WordLM").state_dict(), config={"nonlinearity": "tanh"})
    assert reading.tied and reading.embedding == "'encoder'" and reading.head == "'decoder'"
    assert np.array_equal(params["E"], params["Why"]) and params.config.vocab_size == cm.V
    assert any("tied" in n for n in reading.notes)
    params["Why"][0, 0] += 1.0  # the reference trained them apart: their model holds one tensor for both
    with pytest.raises(RNNParityError, match="tied to the embedding"):
        write_like(params, trained("WordLM").state_dict())


def test_no_head_is_an_identity_head():
    params, reading = read_checkpoint(trained("NoHead").state_dict())
    assert reading.head is None and params.config.output_size == 2 * cm.H
    assert np.array_equal(params["Why"], np.eye(2 * cm.H)) and not params["by"].any()
    assert any("identity head" in n for n in reading.notes)


def test_hand_written_pair_reads_both_biases():
    model = trained("CharRNN")
    params, reading = read_checkpoint(model.state_dict(), config={"nonlinearity": "tanh"})
    assert params.config.bias == "torch" and reading.hand_written
    assert np.array_equal(params["bh"], model.i2h.bias.detach().numpy())
    assert np.array_equal(params["bhh"], model.h2h.bias.detach().numpy())
    folded, _ = read_checkpoint(model.state_dict(), config={"nonlinearity": "tanh"}, fold_bias=True)
    assert folded.config.bias == "single"
    assert np.array_equal(folded["bh"], params["bh"] + params["bhh"])


def test_cat_halves_split_at_D():
    model = trained("CatRNN")
    params, reading = read_checkpoint(model.state_dict(), config={"nonlinearity": "relu"})
    w = model.i2h.weight.detach().numpy()
    assert np.array_equal(params["Wxh"], w[:, :cm.D]) and np.array_equal(params["Whh"], w[:, cm.D:])
    assert any("order inside the cat" in n for n in reading.notes)


def test_map_chooses_between_equal_readings():
    sd = trained("TwoHeads").state_dict()
    with pytest.raises(RNNParityError, match=r"left over .*--map rnn=PREFIX,head=PREFIX.*candidates for the head: "
                                             r"'aux', 'fc'$"):
        read_checkpoint(sd)
    params, reading = read_checkpoint(sd, map="head=fc")
    assert reading.head == "'fc'" and np.array_equal(params["Why"], sd["fc.weight"].numpy())
    assert any("ignored the tensors outside the mapped parts: aux.bias, aux.weight" in n for n in reading.notes)


def test_equal_readings_are_refused_with_candidates():
    """An embedding-shaped (O, H) weight without bias and no other head: embedding or head? (D == H)"""
    sd = {"rnn.weight_ih_l0": torch.randn(6, 6), "rnn.weight_hh_l0": torch.randn(6, 6),
          "enc_a.weight": torch.randn(9, 6), "enc_b.weight": torch.randn(9, 6)}
    with pytest.raises(RNNParityError, match=r"readings fit the checkpoint equally: \(1\) .*--map"):
        read_checkpoint(sd)
    params, reading = read_checkpoint(sd, map="embedding=enc_a,head=enc_b")
    assert np.array_equal(params["E"], sd["enc_a.weight"].numpy())
    assert np.array_equal(params["Why"], sd["enc_b.weight"].numpy())


@pytest.mark.parametrize("name, config, message", [
    ("TutorialI2O", {}, r"^i2o\.weight \(3, 10\) = \(O, D\+H\) reads cat\(x_t, h_\{t-1\}\), not h_t"),
    ("FlattenHead", {}, r"^the head reads all T steps at once \(fc\.weight is \(3, 30\) = \(O, T\*H\) with T=5"),
    ("MLPHead", {}, r"^fc2\.weight \(3, 8\) takes the output of the head 'fc1'"),
    ("CharRNN", {}, r"^a hand-written recurrence .*pass --model FILE\.py:NAME"),
])
def test_refusals_are_one_line(name, config, message):
    with pytest.raises(RNNParityError, match=message) as info:
        read_checkpoint(trained(name).state_dict(), config=config)
    assert "\n" not in str(info.value)


def test_leftover_keys_are_listed():
    sd = dict(trained("H2O").state_dict())
    sd["norm.weight"] = torch.ones(5)
    sd["norm.bias"] = torch.zeros(5)
    with pytest.raises(RNNParityError, match=r"2 key\(s\) left over .*norm\.weight \(5,\).*--map"):
        read_checkpoint(sd)


def test_read_checkpoint_reads_files(tmp_path):
    model = trained("WordLM")
    torch.save(WRAPPERS["Lightning"](model.state_dict()), tmp_path / "lm.ckpt")
    params, reading = read_checkpoint(tmp_path / "lm.ckpt", config={"nonlinearity": "tanh", "output": "all"})
    assert params.config.output == "all" and reading.wrappers == ("model.",)
    assert any("'state_dict'" in n and "optimizer_states" in n for n in reading.notes)


def test_single_bias_weights_write_zeros_into_their_bias_hh():
    """Weights with one hidden bias (the textbook's) into a stock nn.RNN whose bias_hh is nonzero now."""
    from rnn_parity.reference import RNNConfig, init_params

    model = trained("H2O")
    params = init_params(RNNConfig(cm.D, cm.H, cm.O), seed=5, dtype="float32")
    out = write_like(params, model.state_dict())
    assert model.rnn.bias_hh_l0.detach().any() and not out["rnn.bias_hh_l0"].any()
    assert torch.equal(out["rnn.bias_ih_l0"], torch.from_numpy(params["bh"]))
    cm.H2O().load_state_dict(out, strict=True)


def test_python_api_verifies_against_the_model_both_ways():
    from rnn_parity.torch_impl import read_verified, write_verified

    model = trained("MixedOrientation")
    params, reading, match = read_verified(model.state_dict(), cm.MixedOrientation())
    assert match.passed and reading.variant.endswith("h @ W_hh") and params.config.output == "last"
    assert not any("--model" in n for n in reading.notes)
    params["Whh"] *= 0.5
    out, reading, match = write_verified(params, cm.MixedOrientation())
    assert torch.equal(out["W_hh"], torch.from_numpy(params["Whh"].T))  # applied as h @ W: stored transposed
    out, _, _ = write_verified(params, cm.CellParams())  # the same keys, W_hh applied as W_hh @ h
    assert torch.equal(out["W_hh"], torch.from_numpy(params["Whh"]))
    with pytest.raises(RNNParityError, match="does not compute these weights' function"):
        write_verified(params, cm.ReluRNN())  # the same shapes, a relu recurrence


@pytest.mark.parametrize("map, message", [
    ("head=nope", r"^--map head=nope fits no reading: .*the modules are \['h2o', 'rnn'\]$"),
    ("rnn=nope", r"^--map rnn=nope names no recurrence"),
    ("bad", r"^--map: expected role=PREFIX, got 'bad'"),
    ("size=3", r"^--map: unknown role\(s\) \['size'\]"),
])
def test_bad_map_is_one_line(map, message):
    with pytest.raises(RNNParityError, match=message):
        read_checkpoint(trained("H2O").state_dict(), map=map)


def test_layers_prefix_and_head_named_anything():
    renamed = {"rnn.": "layers.0.", "h2o.": "layers.1."}  # an nn.ModuleList
    sd = {renamed[k.split(".")[0] + "."] + k.split(".", 1)[1]: v for k, v in trained("H2O").state_dict().items()}
    params, reading = read_checkpoint(sd)
    assert reading.recurrence == "nn.RNN 'layers.0'" and reading.head == "'layers.1'"


def test_tied_decoder_saved_once():
    """Savers that keep one of two shared tensors (safetensors' save_model) may drop decoder.weight: its bias
    is left, and its weight is the embedding's."""
    model = trained("WordLM")
    sd = {k: v for k, v in model.state_dict().items() if k != "decoder.weight"}
    params, reading = read_checkpoint(sd, config={"nonlinearity": "tanh"})
    assert reading.tied and reading.head == "'decoder'"
    assert np.array_equal(params["Why"], model.decoder.weight.detach().numpy())
    assert np.array_equal(params["by"], model.decoder.bias.detach().numpy())
    assert list(write_like(params, sd)) == list(sd)


def test_two_state_dicts_under_own_keys_are_refused_with_their_keys():
    sd = cm.NextStepForecast().state_dict()
    with pytest.raises(RNNParityError, match=r"holds 2 state_dicts, under 'enc_sd', 'dec_sd': save the model's alone"):
        read_checkpoint({"enc_sd": sd, "dec_sd": sd, "epoch": 1})
