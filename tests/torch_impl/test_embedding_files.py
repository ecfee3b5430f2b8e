"""The embedding (vocab_size) through the torch side: TorchRNN's nn.Embedding, the key map, weight files and
the convert command, all bit for bit; bad input refused in one line."""
import numpy as np
import pytest
import torch

from rnn_parity.cli import main
from rnn_parity.reference import RNNConfig, forward, init_params
from rnn_parity.reference.errors import RNNParityError
from rnn_parity.torch_impl import TorchRNN, from_torch, load_weights, save_weights, to_state_dict, to_torch

CONFIG = RNNConfig(4, 5, 3, num_layers=2, bidirectional=True, bias="torch", output="all", vocab_size=9)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("suffix", [".npz", ".pt", ".safetensors"])
def test_weight_files_round_trip_bit_exact(tmp_path, suffix, dtype):
    params = init_params(CONFIG, seed=3, dtype=dtype)
    save_weights(params, tmp_path / f"w{suffix}")
    back = load_weights(tmp_path / f"w{suffix}")
    assert back.config == CONFIG and list(back) == list(params)
    for k in params:
        assert back[k].dtype == params[k].dtype and np.array_equal(back[k], params[k]), k


def test_state_dict_names_and_bare_state_dict_inference(tmp_path):
    params = init_params(CONFIG, seed=1)
    sd = to_state_dict(params)
    assert next(iter(sd)) == "embedding.weight" and tuple(sd["embedding.weight"].shape) == (9, 4)
    assert list(sd) == list(TorchRNN(CONFIG).state_dict())
    torch.save(sd, tmp_path / "bare.pt")
    with pytest.warns(UserWarning, match="assumed"):
        back = load_weights(tmp_path / "bare.pt", config={"output": "all"})
    assert back.config == CONFIG
    assert np.array_equal(from_torch(to_torch(params))["E"], params["E"])


def test_both_sides_take_ids_only_and_check_their_range():
    params = init_params(CONFIG, seed=0)
    model = to_torch(params)
    dense = np.zeros((3, 2, 4))
    with pytest.raises(ValueError, match=r"token ids .*vocab_size=9"):
        forward(params, dense)
    with pytest.raises(RNNParityError, match="embeds token ids"):
        model(torch.from_numpy(dense))
    ids = np.array([[0, 9]])
    with pytest.raises(ValueError, match=r"token id 9 at \(t, b\) = \(0, 1\) is out of range \[0, 9\)"):
        forward(params, ids)
    with pytest.raises(RNNParityError, match=r"token ids must lie in \[0, 9\)"):
        model(torch.from_numpy(ids))
    ids = np.array([[8, 0]])  # ids >= input_size (4) are valid with a table of 9 rows
    logits, _, _ = forward(params, ids)
    assert np.allclose(logits, model(torch.from_numpy(ids))[0].detach().numpy(), rtol=1e-12, atol=1e-13)


def test_convert_command_round_trips_an_embedding_model(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["rnn-parity"])
    params = init_params(CONFIG, seed=2)
    save_weights(params, tmp_path / "a.npz")
    assert main(["convert", str(tmp_path / "a.npz"), str(tmp_path / "b.safetensors")]) == 0
    out = capsys.readouterr().out
    assert "vocab_size=9" in out and "within the float64 forward tolerance" in out
    back = load_weights(tmp_path / "b.safetensors")
    assert all(np.array_equal(back[k], params[k]) for k in params)
    assert main(["convert", str(tmp_path / "a.npz"), str(tmp_path / "c.npz"), "--to-scheme", "karpathy"]) == 2
    assert "no embedding table" in capsys.readouterr().err


def test_config_rejects_a_bad_vocab_size():
    for bad in (0, -3, 2.5, True, "9"):
        with pytest.raises(ValueError, match="vocab_size must be None or a positive int"):
            RNNConfig(4, 5, 3, vocab_size=bad)
    assert RNNConfig.from_dict({**CONFIG.to_dict()}) == CONFIG
