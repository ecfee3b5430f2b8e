"""rnn-parity convert: format and scheme conversions, inferred configs, verification, one-line errors."""
import os
import subprocess
import sys

import numpy as np
import pytest

from rnn_parity.cli import main
from rnn_parity.reference import RNNConfig, init_params
from rnn_parity.torch_impl import load_weights, save_weights, to_scheme, to_state_dict
from rnn_parity.commands.convert import parse_config

from torch_impl_helpers import assert_params_bit_exact, requires_forward

CONFIG = RNNConfig(4, 5, 3, num_layers=2, bidirectional=True, bias="torch", nonlinearity="relu", output="all")


def convert(monkeypatch, capsys, *argv):
    monkeypatch.setattr(sys, "argv", ["rnn-parity"])  # the dispatcher rewrites sys.argv[1:]
    code = main(["convert", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


@requires_forward
def test_npz_to_pt_to_safetensors_to_npz(tmp_path, monkeypatch, capsys):
    params = init_params(CONFIG, seed=4)
    save_weights(params, tmp_path / "a.npz")
    chain = ["a.npz", "b.pt", "c.safetensors", "d.npz"]
    for src, dst in zip(chain, chain[1:]):
        code, out, err = convert(monkeypatch, capsys, tmp_path / src, tmp_path / dst)
        assert code == 0, out + err
        assert "config: input_size=4, hidden_size=5, output_size=3, num_layers=2, nonlinearity=relu" in out
        assert "reads back bit-exact" in out and "within the float64 forward tolerance" in out
        assert "note:" not in out  # every file records its config
    assert_params_bit_exact(load_weights(tmp_path / "d.npz"), params)


@requires_forward
def test_karpathy_npz_to_pt(tmp_path, monkeypatch, capsys):
    params = init_params(RNNConfig(6, 8, 2), seed=1, scheme="sentiment")
    np.savez(tmp_path / "seed.npz", **to_scheme(params, "karpathy"))  # (n, 1) column biases, no config
    code, out, err = convert(monkeypatch, capsys, tmp_path / "seed.npz", tmp_path / "model.pt")
    assert code == 0, out + err
    assert "config: input_size=6, hidden_size=8, output_size=2, num_layers=1, nonlinearity=tanh" in out
    assert "note:" in out and "assumed nonlinearity='tanh', output='last', batch_first=False" in out
    assert "largest difference |reference - torch| on random inputs: " in out
    assert_params_bit_exact(load_weights(tmp_path / "model.pt"), params)


@requires_forward
def test_scheme_config_and_to_scheme(tmp_path, monkeypatch, capsys):
    params = init_params(RNNConfig(6, 8, 6, output="all", nonlinearity="relu"), seed=2)
    np.savez(tmp_path / "uvw.npz", **to_scheme(params, "uvw", column_bias=False))
    code, out, err = convert(monkeypatch, capsys, tmp_path / "uvw.npz", tmp_path / "c.npz",
                             "--scheme", "uvw", "--config", "output=all,nonlinearity=relu", "--to-scheme", "coursera")
    assert code == 0, out + err
    assert "note: " in out and "assumed batch_first=False" in out
    with np.load(tmp_path / "c.npz") as z:
        assert {"Wax", "Waa", "Wya", "ba", "by"} <= set(z.files) and z["ba"].shape == (8, 1)
    assert_params_bit_exact(load_weights(tmp_path / "c.npz"), params)


@requires_forward
def test_bare_state_dict_with_config_json(tmp_path, monkeypatch, capsys):
    import torch

    params = init_params(CONFIG, seed=3, dtype="float32")
    torch.save(to_state_dict(params), tmp_path / "bare.pt")
    code, out, err = convert(monkeypatch, capsys, tmp_path / "bare.pt", tmp_path / "w.safetensors",
                             "--config", '{"nonlinearity": "relu", "output": "all", "batch_first": false}')
    assert code == 0, out + err
    assert "float32" in out and "within the float32 forward tolerance" in out and "note:" not in out
    assert_params_bit_exact(load_weights(tmp_path / "w.safetensors"), params)


@requires_forward
def test_a_disagreement_fails_with_exit_1(tmp_path, monkeypatch, capsys):
    """The verification can fail: break the torch side's forward and the command says so."""
    from rnn_parity.torch_impl import TorchRNN

    save_weights(init_params(RNNConfig(3, 4, 2), seed=0), tmp_path / "a.npz")
    real = TorchRNN.forward
    monkeypatch.setattr(TorchRNN, "forward", lambda self, *a, **k: (lambda r: (r[0] * (1 + 1e-6), r[1]))(
        real(self, *a, **k)))
    code, out, err = convert(monkeypatch, capsys, tmp_path / "a.npz", tmp_path / "b.pt")
    assert code == 1
    assert "ABOVE the float64 forward tolerance" in out and "FAIL: logits" in out


@pytest.mark.parametrize("make, argv, message", [
    (lambda d: (d / "bad.npz").write_bytes(b"garbage"), ["bad.npz", "out.pt"], r"bad\.npz: not an \.npz archive"),
    (lambda d: (d / "bad.pt").write_bytes(b"garbage"), ["bad.pt", "out.npz"], r"bad\.pt: not a readable torch file"),
    (lambda d: None, ["missing.npz", "out.pt"], r"cannot read .*missing\.npz: no such file"),
    (lambda d: np.savez(d / "odd.npz", A=np.zeros(2)), ["odd.npz", "out.pt"], r"no known naming fits the keys found"),
    (lambda d: None, ["missing.npz", "out.txt"], r"out\.txt: unknown weight file suffix '\.txt'"),
    (lambda d: None, ["missing.npz", "out.pt", "--to-scheme", "uvw"], r"--to-scheme writes an \.npz"),
    (lambda d: None, ["missing.npz", "out.pt", "--config", "relu"], r"--config: expected key=value, got 'relu'"),
], ids=["junk-npz", "junk-pt", "missing", "unknown-names", "out-suffix", "to-scheme-suffix", "bad-config"])
def test_user_mistakes_are_one_line_errors(tmp_path, monkeypatch, capsys, make, argv, message):
    make(tmp_path)
    argv = [str(tmp_path / a) if not a.startswith("-") and "=" not in a and a not in ("uvw", "relu") else a
            for a in argv]
    code, out, err = convert(monkeypatch, capsys, *argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnn-parity convert: error: "), err
    assert __import__("re").search(message, lines[0]), lines[0]
    assert not (tmp_path / "out.pt").exists() and not (tmp_path / "out.npz").exists()


def test_the_installed_command_on_a_bad_file(tmp_path):
    import torch

    torch.save([torch.zeros(2)], tmp_path / "bad.pt")  # a valid torch file, but no state_dict
    exe = os.path.join(os.path.dirname(sys.executable), "rnn-parity")
    result = subprocess.run([exe, "convert", str(tmp_path / "bad.pt"), str(tmp_path / "out.npz")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "neither a checkpoint dict" in result.stderr


def test_parse_config():
    assert parse_config(None) == {}
    assert parse_config("nonlinearity=relu, output=all,batch_first=True,hidden_size=4") == {
        "nonlinearity": "relu", "output": "all", "batch_first": True, "hidden_size": 4}
    assert parse_config('{"output": "all"}') == {"output": "all"}
    for bad in ("{not json", "[1]", "x", "=3"):
        with pytest.raises(ValueError, match="--config"):
            parse_config(bad)
