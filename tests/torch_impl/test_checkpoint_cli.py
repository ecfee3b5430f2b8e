"""rnn-parity convert on real-shaped checkpoints: --model finds the reading by running the user's model and
writes only then; --like / --model write back in their names; refusals are one line, exit 2, no traceback."""
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

import checkpoint_models as cm
from rnn_parity.cli import main
from rnn_parity.torch_impl import load_weights, save_weights

MODELS = os.path.join(os.path.dirname(__file__), "checkpoint_models.py")


def convert(monkeypatch, capsys, *argv):
    monkeypatch.setattr(sys, "argv", ["rnn-parity"])
    code = main(["convert", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def save(tmp_path, name, wrap="lightning", seed=0):
    torch.manual_seed(seed)
    model = getattr(cm, name)()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    sd = model.state_dict()
    suffix = dict(training="pth", extras="pt", bare="pt", list="pt", own_key="pt", script="pt", vocab="pt").get(wrap, "ckpt")
    path = tmp_path / f"{name}.{suffix}"
    if wrap == "lightning":
        torch.save({"state_dict": {"model." + k: v for k, v in sd.items()}, "optimizer_states": [{}], "epoch": 1}, path)
    elif wrap == "training":  # the PyTorch tutorials' resumable checkpoint
        torch.save({"epoch": 3, "model_state_dict": sd, "optimizer_state_dict": {"state": {}}, "loss": 0.5}, path)
    elif wrap == "extras":  # a training script's extras: its argparse options, a numpy best score
        import argparse

        import pathlib

        args = argparse.Namespace(lr=0.1, data_dir=pathlib.Path("data"))
        torch.save({"model_state_dict": sd, "best_acc": np.float64(0.9), "args": args}, path)
    elif wrap == "vocab":  # a text model's vocabulary beside it: word counts (a Counter), str -> int
        import collections

        torch.save({"model": sd, "vocab": collections.Counter({"the": 3}), "stoi": {"<pad>": 0, "the": 1}}, path)
    elif wrap == "list":  # d2l: torch.save(params, ...), the scratch model's parameters as a list
        torch.save(list(sd.values()), path)
    elif wrap == "own_key":  # a script's own key: torch.save({"best_model_wts": copy.deepcopy(sd), ...})
        torch.save({"best_model_wts": sd, "best_acc": 0.9, "epoch": 4}, path)
    elif wrap == "bare":  # torch.save(model.state_dict(), "model.pt")
        torch.save(sd, path)
    elif wrap == "whole":  # torch.save(model): the class pickled with it
        torch.save(model, path)
    elif wrap == "script":  # torch.jit.save: code and weights in one archive
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.script is deprecated, still in use
            torch.jit.save(torch.jit.script(model), path)
    else:
        torch.save({"module." + k: v for k, v in sd.items()}, path)
    return path, model


@pytest.mark.parametrize("name, expect", [
    ("WordLM", "tanh recurrence, head at every step, then log-softmax"),
    ("H2O", "tanh recurrence, head at the last step, then log-softmax"),
    ("Classifier", "input layout (B, T)"),
    ("CharRNN", "one step per call"),
    ("CatRNN", "relu recurrence, cat(x_t, h_{t-1}), head at the last step"),
    ("ReluRNN", "relu recurrence, head at the last step"),
    ("BareHead", "relu recurrence, head at every step"),
    ("Stacked", "stacked in the order 'rnn1', 'rnn2'"),
    ("ScratchLM", "tanh recurrence, x @ rnn.W_xh, h @ rnn.W_hh, head at every step"),
    ("CellParams", "tanh recurrence, W_ih @ x, W_hh @ h, head at the last step"),
    ("MixedOrientation", "tanh recurrence, W_ih @ x, h @ W_hh, head at the last step"),
    ("ChannelsSecond", "tanh recurrence, head at every step; input layout (B, T)"),
    ("Sentiment", "tanh recurrence, head at the last step, then sigmoid"),
    ("CellStep", "relu recurrence, head at every step; one step per call"),
    ("EncoderDecoderNames", "stacked in the order 'second', 'first', head at the last step"),
    ("NeedsLengths", "head at the last step; input layout (T, B)"),  # forward(x, lengths): full lengths passed
    ("CellNoHead", "head at every step; one step per call"),  # the step returns the new hidden alone
    ("OneHotInside", "head at every step; token ids the model one-hots itself, input layout (B, T)"),
    ("FixedBatch", "head at every step; input layout (B, T)"),  # runs only at its own self.batch_size
    ("ZeroH0Buffer", "head at the last step; input layout (B, T)"),  # a zero h0 buffer is the default h0
    ("StepEmbedRNN", "tanh recurrence, head at every step; one step per call"),  # an nn.RNN fed step by step
    ("FixedSteps", "head at the last step; input layout (B, T)"),  # runs only at its own self.sequence_length
    ("UnivariateSeries", "head at the last step; a series without its feature axis, input layout (B, T)"),
    ("WeightedLoss", "head at the last step; input layout (B, T)"),  # criterion.weight ignored, and said
    ("ReluVocabClassifier", "relu recurrence, head at the last step, then sigmoid"),  # bias=False, hidden[-1]
    ("OneSentenceTagger", "head at every step, then log-softmax"),  # runs at batch size 1 only
    ("NeutralRoles", "head at every step; input layout (B, T)"),  # embedding or head: running the model tells
    ("ColumnBiases", "tanh recurrence, Wxh @ x, Whh @ h, head at every step"),  # bh (H, 1), by (O, 1)
])
def test_model_finds_the_reading_and_the_port_is_exact(tmp_path, monkeypatch, capsys, name, expect):
    path, model = save(tmp_path, name)
    code, out, err = convert(monkeypatch, capsys, path, tmp_path / "port.npz", "--model", f"{MODELS}:{name}")
    assert code == 0, out + err
    assert f"verified against your model {MODELS}:{name}: " in out and expect in out, out
    assert "reads back bit-exact" in out and "within the float32 forward tolerance" in out
    params = load_weights(tmp_path / "port.npz")
    if name == "NeutralRoles":
        assert "reading: embedding 'second' (11, 6) -> nn.RNN 'rnn' -> head 'first' (11, 6)" in out, out
        assert np.array_equal(params["E"], model.second.weight.detach().numpy())
    if name == "CatRNN":
        assert params.config.nonlinearity == "relu"
        assert np.array_equal(params["Whh"], model.i2h.weight.detach().numpy()[:, cm.D:])


def test_without_model_says_stock_only(tmp_path, monkeypatch, capsys):
    path, _ = save(tmp_path, "EmbedRNN", wrap="dataparallel")
    code, out, err = convert(monkeypatch, capsys, path, tmp_path / "port.pt")
    assert code == 0, out + err
    assert "verified against a stock nn.RNN + Linear only" in out
    assert "stripped the wrapper prefixes module./_orig_mod." in out
    assert load_weights(tmp_path / "port.pt").config.vocab_size == cm.V


@pytest.mark.parametrize("name, with_model, message", [
    ("ActivationBetween", True, r"no reading matches \(closest differs by [0-9.e-]+: .*\): something sits "
                                       "between the RNN and the head"),
    ("NoTanhCharRNN", True, r"no reading matches"),
    ("FlattenHead", True, r"the head reads all T steps at once \(model\.fc\.weight is \(3, 30\) = \(O, T\*H\)"),
    ("TutorialI2O", False, r"i2o\.weight \(3, 10\) = \(O, D\+H\) reads cat\(x_t, h_\{t-1\}\), not h_t"),
    ("CharRNN", False, r"hand-written recurrence .*its nonlinearity is in the forward code"),
    ("TwoHeads", False, r"left over .*candidates for the head: 'aux', 'fc'"),
    ("EncoderDecoderNames", False, r"the shapes cannot tell the order of the RNN modules \(candidates: \(1\) .*\); "
                                   "pass --model"),
    ("NormBetween", False, r"'norm' \(6,\) weight and bias act on the hidden states: a normalization layer"),
    ("AllLayerStates", False, r"\(O, T\*H\) with T=3, H=6, or the final states of all 3 layers"),
    ("LearnedH0", True, r"model\.h0 \(1, 1, 6\) is a learned initial hidden state \(nonzero\).*pass its values as h0"),
    ("BagOfWords", False, r"no recurrence: embedding\.weight \(11, 4\) is an embedding .*nn\.EmbeddingBag"),
    ("WeightNormHead", True, r"'fc' is weight-normalized \(.*original0 \(3, 1\).*remove_parametrizations"),
    ("Seq2SeqPair", False, r"2 separate RNN modules \('encoder', 'decoder'\).*choose one with --map rnn=PREFIX"),
])
def test_refusals_write_nothing(tmp_path, monkeypatch, capsys, name, with_model, message):
    import re

    path, _ = save(tmp_path, name, wrap="lightning" if with_model else "bare")  # bare: torch.save(state_dict)
    argv = [path, tmp_path / "port.npz"] + ([f"--model={MODELS}:{name}"] if with_model else [])
    code, out, err = convert(monkeypatch, capsys, *argv)
    assert code == 2 and not (tmp_path / "port.npz").exists()
    assert err.count("\n") == 1 and re.search(message, err), err


@pytest.mark.parametrize("name, wrap, message", [
    ("ParamsListLM", "list", r"got a list of 5 tensors \(4, 6\), \(6, 6\), .* without names: save them as a dict"),
])
def test_unreadable_files_refuse_in_one_line(tmp_path, monkeypatch, capsys, name, wrap, message):
    import re

    path, _ = save(tmp_path, name, wrap=wrap)
    for extra in ([], [f"--model={MODELS}:{name}"]):
        code, out, err = convert(monkeypatch, capsys, path, tmp_path / "port.npz", *extra)
        assert code == 2 and not (tmp_path / "port.npz").exists()
        assert err.count("\n") == 1 and re.search(message, err), err


@pytest.mark.parametrize("name, wrap, with_model, expect", [
    ("StockNames", "training", False, "read the weights under 'model_state_dict'"),  # TorchRNN's own names, nested
    ("StockNames", "training", True, "read the weights under 'model_state_dict'"),
    ("StockNames", "extras", False, "ignored args, best_acc"),  # Namespace and np.float64 are harmless globals
    ("StockNamesNoBias", "bare", False, "reading: embedding 'embedding'"),  # TorchRNN's names, no fc.bias
    ("ReluVocabClassifier", "vocab", True, "ignored stoi, vocab"),  # a Counter and a dict beside the weights
    ("NextStepForecast", "own_key", True, "read the weights under 'best_model_wts'"),  # a key of its own
])
def test_training_checkpoints_port(tmp_path, monkeypatch, capsys, name, wrap, with_model, expect):
    path, _ = save(tmp_path, name, wrap=wrap)
    argv = [path, tmp_path / "port.npz"] + ([f"--model={MODELS}:{name}"] if with_model else [])
    code, out, err = convert(monkeypatch, capsys, *argv)
    assert code == 0 and expect in out and "reads back bit-exact" in out, out + err


@pytest.mark.parametrize("argv, message", [
    ([], r"whole pickled nn\.Module \(checkpoint_models\.StockNames\), saved with torch\.save\(model\).*"
         r"torch\.save\(model\.state_dict\(\), PATH\)"),
    ([f"--model={MODELS}:StockNames"], r"whole pickled nn\.Module"),  # not a complaint about OUT's suffix
])
def test_whole_pickled_or_scripted_model_is_refused_with_the_fix(tmp_path, monkeypatch, capsys, argv, message):
    import re

    path, _ = save(tmp_path, "StockNames", wrap="whole")
    code, out, err = convert(monkeypatch, capsys, path, tmp_path / "port.npz", *argv)
    assert code == 2 and err.count("\n") == 1 and re.search(message, err), err
    path, _ = save(tmp_path, "StockNames", wrap="script")
    message = r"TorchScript archive \(torch\.jit\.save\).*torch\.save\(model\.state_dict\(\), PATH\)"
    code, out, err = convert(monkeypatch, capsys, path, tmp_path / "port.npz", *argv)
    assert code == 2 and err.count("\n") == 1 and re.search(message, err), err


def test_refusal_has_no_traceback_in_a_real_process(tmp_path):
    path, _ = save(tmp_path, "ActivationBetween")
    proc = subprocess.run([sys.executable, "-m", "rnn_parity", "convert", str(path), str(tmp_path / "p.npz"),
                           "--model", f"{MODELS}:ActivationBetween"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert proc.stderr.startswith("rnn-parity convert: error: no reading matches")


@pytest.mark.parametrize("spec, message", [
    ("nofile.py:Net", "no such file"),
    ("{MODELS}:Nope", "defines no 'Nope'"),
    ("{MODELS}", "expected FILE.py:NAME"),
    ("{MODELS}:GRUModel", "does not load the checkpoint strictly"),
    ("{SCRIPT}:Net", "importing"),
])
def test_bad_model_option(tmp_path, monkeypatch, capsys, spec, message):
    path, _ = save(tmp_path, "H2O")
    script = tmp_path / "train.py"  # a training script: its argparse exits at import
    script.write_text("import argparse\np = argparse.ArgumentParser()\np.add_argument('--epochs', required=True)\n"
                      "p.parse_args()\n")
    code, out, err = convert(monkeypatch, capsys, path, tmp_path / "p.npz", "--model",
                             spec.format(MODELS=MODELS, SCRIPT=script))
    assert code == 2 and message in err and err.count("\n") == 1, err


@pytest.mark.parametrize("name", ["WordLM", "CharRNN", "BareHead", "Wrapped", "ZeroH0Buffer", "WeightedLoss",
                                  "ColumnBiases"])
def test_like_and_model_write_their_names(tmp_path, monkeypatch, capsys, name):
    path, model = save(tmp_path, name)
    code, out, err = convert(monkeypatch, capsys, path, tmp_path / "port.npz", "--model", f"{MODELS}:{name}")
    assert code == 0, out + err
    params = load_weights(tmp_path / "port.npz")
    params["Whh"] += 0.01  # new weights (as after training in NumPy), same shapes
    save_weights(params, tmp_path / "trained.npz")
    for how in (["--like", path], ["--model", f"{MODELS}:{name}"], ["--like", path, "--model", f"{MODELS}:{name}"]):
        target = tmp_path / "theirs.pt"
        code, out, err = convert(monkeypatch, capsys, tmp_path / "trained.npz", target, *how)
        assert code == 0, out + err
        sd = torch.load(target, weights_only=True)
        fresh = getattr(cm, name)()
        fresh.load_state_dict(sd, strict=True)
        assert [v.dtype for v in sd.values()] == [v.dtype for v in model.state_dict().values()]
        # Wrapped: the checkpoint's first model. is the Lightning-like wrapper's, the second one is theirs.
        key = {"CharRNN": "h2h.weight", "Wrapped": "model.rnn.weight_hh_l0", "ColumnBiases": "Whh"}.get(name, "rnn.weight_hh_l0")
        assert np.array_equal(sd[key].numpy(), params["Whh"])
        if name == "WeightedLoss":  # not the model's function, but theirs: kept as it was
            assert torch.equal(sd["criterion.weight"], model.criterion.weight)
        assert ("verified: your model" in out) == ("--model" in how), out


def test_model_that_computes_something_else_refuses_write_back(tmp_path, monkeypatch, capsys):
    path, _ = save(tmp_path, "H2O")
    code, out, err = convert(monkeypatch, capsys, path, tmp_path / "port.npz", "--model", f"{MODELS}:H2O")
    assert code == 0, out + err
    # ActivationBetween has H2O's shapes under other names (fc for h2o) and a ReLU before its head.
    code, out, err = convert(monkeypatch, capsys, tmp_path / "port.npz", tmp_path / "theirs.pt",
                             "--model", f"{MODELS}:ActivationBetween")
    assert code == 2 and "does not compute these weights' function" in err and not (tmp_path / "theirs.pt").exists()


def test_like_refuses_npz_output(tmp_path, monkeypatch, capsys):
    path, _ = save(tmp_path, "H2O")
    convert(monkeypatch, capsys, path, tmp_path / "port.npz", "--model", f"{MODELS}:H2O")
    code, out, err = convert(monkeypatch, capsys, tmp_path / "port.npz", tmp_path / "x.npz", "--like", path)
    assert code == 2 and "name OUT .pt" in err


def test_model_may_be_a_function_and_forward_a_function(tmp_path, monkeypatch, capsys):
    path, _ = save(tmp_path, "H2O")
    code, out, err = convert(monkeypatch, capsys, path, tmp_path / "a.npz", "--model", f"{MODELS}:make_h2o")
    assert code == 0 and "verified against your model" in out, out + err
    path, _ = save(tmp_path, "NeedsMask")
    code, out, err = convert(monkeypatch, capsys, path, tmp_path / "b.npz", "--model", f"{MODELS}:NeedsMask")
    assert code == 2 and "pass --forward FILE.py:FUNC" in err, err
    code, out, err = convert(monkeypatch, capsys, path, tmp_path / "b.npz", "--model", f"{MODELS}:NeedsMask",
                             "--forward", f"{MODELS}:run_with_mask")
    assert code == 0 and "head at every step; input layout (B, T)" in out, out + err


def test_layout_is_taken_as_given(tmp_path, monkeypatch, capsys):
    path, _ = save(tmp_path, "CatRNN")  # loops over x.shape[0] as time: it takes (T, B, D)
    code, out, err = convert(monkeypatch, capsys, path, tmp_path / "a.npz", "--model", f"{MODELS}:CatRNN",
                             "--layout", "TB")
    assert code == 0, out + err
    code, out, err = convert(monkeypatch, capsys, path, tmp_path / "b.npz", "--model", f"{MODELS}:CatRNN",
                             "--layout", "BT")
    assert code == 2 and not (tmp_path / "b.npz").exists(), out + err


def test_tied_weights_saved_once_are_filled_from_the_model(tmp_path, monkeypatch, capsys):
    import safetensors.torch

    torch.manual_seed(0)
    model = cm.WordLM()
    safetensors.torch.save_model(model, str(tmp_path / "lm.safetensors"))  # keeps one of encoder/decoder.weight
    code, out, err = convert(monkeypatch, capsys, tmp_path / "lm.safetensors", tmp_path / "lm.npz",
                             "--model", f"{MODELS}:WordLM")
    assert code == 0 and "the file holds tied tensors once" in out and "tied to the embedding" in out, out + err
    params = load_weights(tmp_path / "lm.npz")
    assert np.array_equal(params["E"], model.encoder.weight.detach().numpy()) and params.config.vocab_size == cm.V


@pytest.mark.parametrize("head, forward, expect", [
    ("cls", None, "verified against your model"),
    ("reg", None, "a model returning several outputs: pass --forward FILE.py:FUNC returning this head's"),
    ("reg", "reg_output", "verified against your model"),
])
def test_map_picks_one_of_several_heads(tmp_path, monkeypatch, capsys, head, forward, expect):
    path, _ = save(tmp_path, "TaskHeads")
    argv = [path, tmp_path / "port.npz", "--map", f"head={head}", "--model", f"{MODELS}:TaskHeads"]
    code, out, err = convert(monkeypatch, capsys, *argv + (["--forward", f"{MODELS}:{forward}"] if forward else []))
    assert code == (2 if "pass --forward" in expect else 0) and expect in out + err, out + err


@pytest.mark.parametrize("with_model", [False, True])
def test_half_precision_reads_widened_and_writes_back_in_half(tmp_path, monkeypatch, capsys, with_model):
    path, model = save(tmp_path, "half_sentiment", wrap="bare")
    model_opt = ["--model", f"{MODELS}:half_sentiment"] if with_model else []
    code, out, err = convert(monkeypatch, capsys, path, tmp_path / "port.npz", *model_opt)
    assert code == 0 and "widened float16 to float32 (exact" in out, out + err
    params = load_weights(tmp_path / "port.npz")
    assert params.dtype == np.float32 and np.array_equal(params["Whh"], model.rnn.weight_hh_l0.detach().float().numpy())
    params["Whh"] += 0.0123  # trained in NumPy: no longer float16 values
    save_weights(params, tmp_path / "trained.npz")
    code, out, err = convert(monkeypatch, capsys, tmp_path / "trained.npz", tmp_path / "theirs.pt", "--like", path,
                             *model_opt)
    assert code == 0 and "cast float32 -> float16" in out, out + err
    assert {v.dtype for v in torch.load(tmp_path / "theirs.pt", weights_only=True).values()} == {torch.float16}


@pytest.mark.parametrize("with_model", [False, True])
def test_map_ports_the_encoder_of_a_seq2seq_and_reads_no_embedding_from_the_decoder(
        tmp_path, monkeypatch, capsys, with_model):
    path, model = save(tmp_path, "Seq2SeqPair", wrap="bare")
    argv = [path, tmp_path / "port.npz", "--map", "rnn=encoder,head=fc"]
    code, out, err = convert(monkeypatch, capsys, *argv + (["--model", f"{MODELS}:Seq2SeqEncoderHead"] * with_model))
    assert code == 0 and "reading: nn.RNN 'encoder' -> head 'fc'" in out and "ignored the tensors outside" in out, (
        out + err)
    params = load_weights(tmp_path / "port.npz")
    assert params.config.vocab_size is None  # decoder.weight_ih_l0 (H, D) is not an embedding (V, D)
    assert np.array_equal(params["Wxh"], model.encoder.weight_ih_l0.detach().numpy())


def test_a_vocabulary_the_safe_loader_cannot_read_is_refused_with_the_plain_data_fix(tmp_path, monkeypatch, capsys):
    import collections

    sd = cm.ReluVocabClassifier().state_dict()
    path = tmp_path / "lm.pt"  # torch's weights_only unpickler cannot fill a defaultdict, whatever is allowed
    torch.save({"model": sd, "stoi": collections.defaultdict(int, {"the": 1})}, path)
    code, out, err = convert(monkeypatch, capsys, path, tmp_path / "port.npz")
    assert code == 2 and err.count("\n") == 1 and "(collections.defaultdict)" in err, err
    assert "'vocab': dict(vocab)}, PATH)" in err, err


def test_a_hugging_face_folder_is_refused_naming_its_weights_file_which_ports(tmp_path, monkeypatch, capsys):
    path, _ = save(tmp_path, "TinyRNNForCausalLM", wrap="bare")
    folder = tmp_path / "tiny-rnn"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "tiny-rnn"}')
    path.rename(folder / "pytorch_model.bin")
    code, out, err = convert(monkeypatch, capsys, folder, tmp_path / "port.npz")
    assert code == 2 and err.count("\n") == 1 and "it is a folder; name the weights file in it" in err, err
    assert str(folder / "pytorch_model.bin") in err and "config.json" not in err, err
    code, out, err = convert(monkeypatch, capsys, folder / "pytorch_model.bin", tmp_path / "port.npz",
                             "--model", f"{MODELS}:TinyRNNForCausalLM")
    assert code == 0 and "tanh recurrence, head at every step; input layout (B, T)" in out, out + err


@pytest.mark.parametrize("mapping, code_, expect", [
    ("rnn=encoder", 2, "it returns the RNN's hidden states: if the head is unused, as in an encoder, port without it "
                       "with --map head=none"),
    ("rnn=encoder,head=none", 0, "verified against your model"),
])
def test_an_encoder_returning_its_states_is_told_to_map_no_head(tmp_path, monkeypatch, capsys, mapping, code_, expect):
    path, _ = save(tmp_path, "Seq2SeqEncoderStates", wrap="bare")
    code, out, err = convert(monkeypatch, capsys, path, tmp_path / "port.npz", "--map", mapping,
                             "--model", f"{MODELS}:Seq2SeqEncoderStates")
    assert code == code_ and expect in out + err and (out + err).count("error") <= 1, out + err


@pytest.mark.parametrize("where, code_, expect", [
    ("hyper_parameters", 0, "built NeedsSizes(input_size=4, hidden_size=6, num_layers=2, num_classes=3, "
                            "dropout=0.1) from the checkpoint's 'hyper_parameters'"),
    ("args", 0, "from the checkpoint's 'args'"),  # a script's argparse.Namespace
    ("elsewhere", 2, "calling it with no arguments failed (TypeError"),  # no sizes saved: say so, build nothing
])
def test_model_needing_sizes_is_built_from_the_saved_hyper_parameters(tmp_path, monkeypatch, capsys, where, code_,
                                                                      expect):
    import argparse

    sizes = dict(input_size=cm.D, hidden_size=cm.H, num_layers=2, num_classes=cm.O, dropout=0.1, lr=0.01)
    sd = cm.NeedsSizes(**{k: v for k, v in sizes.items() if k != "lr"}).state_dict()
    saved = argparse.Namespace(**sizes) if where == "args" else sizes
    torch.save({"state_dict": {"model." + k: v for k, v in sd.items()}, where: saved}, tmp_path / "m.ckpt")
    code, out, err = convert(monkeypatch, capsys, tmp_path / "m.ckpt", tmp_path / "port.npz",
                             "--model", f"{MODELS}:NeedsSizes")
    assert code == code_ and expect in out + err, out + err
    assert code_ or "verified against your model" in out and load_weights(tmp_path / "port.npz").config.num_layers == 2
