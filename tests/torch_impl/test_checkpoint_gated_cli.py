"""rnn-parity convert on LSTM / GRU checkpoints, both ways: their file -> .pt / .npz / .safetensors (a stock
TorchRNN) -> back in their names with --like or --model; refusals are one line, exit 2, nothing written."""
import os
import sys

import numpy as np
import pytest
import torch

import gated_models as gm
from rnn_parity.cli import main
from rnn_parity.torch_impl import load_weights, save_weights

MODELS = os.path.join(os.path.dirname(__file__), "gated_models.py")


def convert(monkeypatch, capsys, *argv):
    monkeypatch.setattr(sys, "argv", ["rnn-parity"])
    code = main(["convert", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def trained(name, seed=0):
    torch.manual_seed(seed)
    model = getattr(gm, name)()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    return model


@pytest.mark.parametrize("name, wrap, suffix", [
    ("WordLanguageModel", lambda sd: sd, "npz"),
    ("CharRNN", lambda sd: {"n_hidden": gm.H, "n_layers": 2, "state_dict": sd, "tokens": tuple("abc")}, "pt"),
    ("Forecaster", lambda sd: {"state_dict": {"model." + k: v for k, v in sd.items()}, "epoch": 1}, "safetensors"),
])
def test_an_lstm_checkpoint_goes_both_ways(tmp_path, monkeypatch, capsys, name, wrap, suffix):
    model = trained(name)
    theirs = tmp_path / f"{name}.{'ckpt' if name == 'Forecaster' else 'pt'}"
    torch.save(wrap(model.state_dict()), theirs)
    port = tmp_path / f"port.{suffix}"
    code, out, err = convert(monkeypatch, capsys, theirs, port, "--model", f"{MODELS}:{name}")
    assert code == 0, out + err
    assert f"verified against your model {MODELS}:{name}: " in out and "LSTM cells" in out
    params = load_weights(port)
    assert params.config.cell == "lstm"
    params["Whh"] *= 0.5  # the reference changed the weights: they go back in their names
    mine = tmp_path / "mine.npz"
    save_weights(params, mine)
    back = tmp_path / "back.pt"
    code, out, err = convert(monkeypatch, capsys, mine, back, "--like", theirs)
    assert code == 0, out + err
    sd = torch.load(back, weights_only=True)
    fresh = getattr(gm, name)()
    fresh.load_state_dict(sd, strict=True)
    rnn = next(m for m in fresh.modules() if isinstance(m, torch.nn.LSTM))
    assert np.array_equal(rnn.weight_hh_l0.detach().numpy(), params["Whh"].astype(np.float32))
    code, out, err = convert(monkeypatch, capsys, mine, tmp_path / "back2.pt", "--model", f"{MODELS}:{name}")
    assert code == 0 and "loads OUT with strict=True" in out, out + err


def test_a_hand_written_cell_goes_both_ways_in_its_gate_order(tmp_path, monkeypatch, capsys):
    model = trained("CatLSTM")
    theirs = tmp_path / "cat.pt"
    torch.save({"model_state_dict": model.state_dict(), "optimizer_state_dict": {"state": {}}}, theirs)
    code, out, err = convert(monkeypatch, capsys, theirs, tmp_path / "port.pt", "--model", f"{MODELS}:CatLSTM")
    assert code == 0, out + err
    assert "gates i, f, o, g" in out and "ignored the optimizer state" in out
    code, out, err = convert(monkeypatch, capsys, tmp_path / "port.pt", tmp_path / "back.pt",
                             "--model", f"{MODELS}:CatLSTM", "--like", theirs)
    assert code == 0, out + err
    back = torch.load(tmp_path / "back.pt", weights_only=True)
    assert all(torch.equal(back[k], v) for k, v in model.state_dict().items())


def test_the_model_file_imports_its_neighbours(tmp_path, monkeypatch, capsys):
    (tmp_path / "layers.py").write_text("from torch import nn\n\ndef lstm(d, h):\n    return nn.LSTM(d, h)\n")
    (tmp_path / "net.py").write_text(
        "from torch import nn\nfrom layers import lstm\n\n\nclass Net(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.rnn = lstm(4, 6)\n        self.fc = nn.Linear(6, 3)\n\n"
        "    def forward(self, x):\n        return self.fc(self.rnn(x)[0][-1])\n")
    sys.path.insert(0, str(tmp_path))
    try:
        from net import Net
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("layers", None)
    torch.save(Net().state_dict(), tmp_path / "net.pt")
    code, out, err = convert(monkeypatch, capsys, tmp_path / "net.pt", tmp_path / "port.npz",
                             "--model", f"{tmp_path / 'net.py'}:Net")
    assert code == 0 and "head at the last step" in out, out + err


@pytest.mark.parametrize("name, extra, message", [
    ("CatLSTM", [], r"the shapes cannot tell the gate order.*\(candidates: \(1\) .* and 42 more\); pass --model"),
    ("X2HGRU", [], r"where the reset gate acts"),
    ("ResetBeforeGRU", ["--model", f"{MODELS}:ResetBeforeGRU"], r"reset gate acts before the recurrent product"),
    ("X2HLSTM", ["--map", "gates=ifq"], r"--map gates=ifq: expected the stored order"),
    ("X2HLSTM", ["--model", f"{MODELS}:X2HGRU"], r"does not load the checkpoint strictly"),
])
def test_refusals_write_nothing(tmp_path, monkeypatch, capsys, name, extra, message):
    import re

    torch.save(trained(name).state_dict(), tmp_path / "theirs.pt")
    code, out, err = convert(monkeypatch, capsys, tmp_path / "theirs.pt", tmp_path / "port.npz", *extra)
    assert code == 2 and not (tmp_path / "port.npz").exists()
    assert err.count("\n") == 1 and re.search(message, err), err


def test_a_malformed_lstm_group_is_one_line(tmp_path, monkeypatch, capsys):
    sd = dict(trained("Forecaster").state_dict())
    sd["lstm.weight_hh_l1"] = sd["lstm.weight_hh_l1"][:, :4]
    torch.save(sd, tmp_path / "theirs.pt")
    code, out, err = convert(monkeypatch, capsys, tmp_path / "theirs.pt", tmp_path / "port.npz")
    assert code == 2 and not (tmp_path / "port.npz").exists() and err.count("\n") == 1, err


def test_a_lightning_forecaster_is_built_from_its_hyper_parameters(tmp_path, monkeypatch, capsys):
    torch.manual_seed(0)
    model = gm.LitForecaster(gm.D, gm.H, 2)
    hp = {"n_features": gm.D, "hidden_size": gm.H, "num_layers": 2, "dropout": 0.2}
    torch.save({"state_dict": model.state_dict(), "hyper_parameters": hp, "optimizer_states": [{}], "epoch": 9,
                "pytorch-lightning_version": "2.1.0"}, tmp_path / "epoch=9.ckpt")
    code, out, err = convert(monkeypatch, capsys, tmp_path / "epoch=9.ckpt", tmp_path / "port.safetensors",
                             "--model", f"{MODELS}:LitForecaster")
    assert code == 0, out + err
    assert "built LitForecaster(n_features=4, hidden_size=6, num_layers=2, dropout=0.2)" in out
    assert "LSTM cells, head at the last step; input layout (B, T)" in out
    assert load_weights(tmp_path / "port.safetensors").config.batch_first
