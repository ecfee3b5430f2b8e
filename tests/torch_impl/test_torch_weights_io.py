"""save_weights / load_weights: bit-exact, plain-torch compatible, never unpickling, atomic."""
import json
import os
import pickle
import warnings

import numpy as np
import pytest
import safetensors.torch
import torch

from rnn_parity.errors import RNNParityError
from rnn_parity.reference import RNNConfig, init_params
from rnn_parity.torch_impl import (ConfigAssumedWarning, TorchRNN, load_weights, save_weights, to_scheme,
                                   to_state_dict)
from rnn_parity.torch_impl import weights_io

from torch_impl_helpers import DTYPES, assert_params_bit_exact, config_id, grid_configs

FORMATS = (".npz", ".pt", ".safetensors")
CONFIG = RNNConfig(3, 4, 2, num_layers=2, bidirectional=True, bias="torch", nonlinearity="relu", output="all")


def load_quietly(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConfigAssumedWarning)  # a stored config means nothing is assumed
        return load_weights(path, **kw)


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("config", grid_configs(), ids=config_id)
def test_save_load_is_bit_exact_with_config(tmp_path, config, suffix):
    for dtype in DTYPES:
        params = init_params(config, seed=5, dtype=dtype)
        path = tmp_path / f"w{suffix}"
        save_weights(params, path)
        assert_params_bit_exact(load_quietly(path), params)
    assert sorted(os.listdir(tmp_path)) == [f"w{suffix}"]  # no temporary file left behind


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_one_layer_gated_npz_is_not_read_as_a_seed_scheme(tmp_path, cell):
    """A one-layer gated model with one bias has the names of the karpathy scheme (Wxh, Whh, bh, Why, by);
    its stored config says it is gated, and a seed scheme holds an RNN only."""
    params = init_params(RNNConfig(3, 5, 2, cell=cell), seed=1)
    save_weights(params, tmp_path / "w.npz")
    assert_params_bit_exact(load_quietly(tmp_path / "w.npz"), params)


def test_pt_is_a_plain_torch_checkpoint(tmp_path):
    params = init_params(CONFIG, seed=1)
    save_weights(params, tmp_path / "w.pt")
    checkpoint = torch.load(tmp_path / "w.pt", weights_only=True)
    assert set(checkpoint) == {"state_dict", "config"} and checkpoint["config"] == CONFIG.to_dict()
    model = TorchRNN(RNNConfig(**checkpoint["config"]))
    model.load_state_dict(checkpoint["state_dict"])
    for k, v in to_state_dict(params).items():
        assert torch.equal(model.state_dict()[k], v)


def test_safetensors_loads_in_plain_torch_and_npz_in_plain_numpy(tmp_path):
    params = init_params(CONFIG, seed=1, dtype="float32")
    save_weights(params, tmp_path / "w.safetensors")
    save_weights(params, tmp_path / "w.npz")
    model = TorchRNN(CONFIG, dtype=torch.float32)
    model.load_state_dict(safetensors.torch.load_file(tmp_path / "w.safetensors"))
    assert torch.equal(model.rnn.weight_hh_l1_reverse, torch.from_numpy(params["Whh_l1_reverse"]))
    with np.load(tmp_path / "w.npz") as z:
        assert np.array_equal(z["Wxh_l1"], params["Wxh_l1"])
        assert json.loads(str(z["__config__"])) == CONFIG.to_dict()


def test_pth_suffix_is_a_torch_file(tmp_path):
    params = init_params(CONFIG, seed=1)
    save_weights(params, tmp_path / "w.pth")
    assert_params_bit_exact(load_quietly(tmp_path / "w.pth"), params)


# --- bare torch state_dicts and seed-style arrays: the config is inferred -------------------------------------

@pytest.mark.parametrize("config", grid_configs(), ids=config_id)
def test_bare_state_dict_infers_shapes_and_warns_about_the_rest(tmp_path, config):
    params = init_params(config, seed=2)
    torch.save(to_state_dict(params), tmp_path / "bare.pt")
    with pytest.warns(ConfigAssumedWarning, match=r"records no config: assumed nonlinearity='tanh', "
                                                  r"output='last', batch_first=False") as record:
        got = load_weights(tmp_path / "bare.pt")
    assert len(record) == 1
    inferred = RNNConfig(**{**config.to_dict(), "nonlinearity": "tanh", "output": "last", "batch_first": False})
    assert got.config == inferred  # sizes, layers, directions, bias from the shapes
    assert_params_bit_exact(got, params.__class__(params, inferred))
    rest = {"nonlinearity": config.nonlinearity, "output": config.output, "batch_first": config.batch_first}
    assert_params_bit_exact(load_quietly(tmp_path / "bare.pt", config=rest), params)
    assert_params_bit_exact(load_quietly(tmp_path / "bare.pt", config=config), params)


def test_stock_nn_rnn_state_dict_reads_as_torch_bias(tmp_path):
    model = TorchRNN(RNNConfig(3, 4, 2, bias="torch"))
    torch.save(model.state_dict(), tmp_path / "stock.pt")
    with pytest.warns(ConfigAssumedWarning):
        assert load_weights(tmp_path / "stock.pt").config.bias == "torch"
    with pytest.raises(RNNParityError, match="fold_bias=True"):
        load_weights(tmp_path / "stock.pt", config=RNNConfig(3, 4, 2))
    folded = load_weights(tmp_path / "stock.pt", config=RNNConfig(3, 4, 2), fold_bias=True)
    np.testing.assert_array_equal(folded["bh"], (model.rnn.bias_ih_l0 + model.rnn.bias_hh_l0).detach().numpy())


@pytest.mark.filterwarnings("ignore::rnn_parity.torch_impl.weights_io.ConfigAssumedWarning")
def test_config_contradicting_the_shapes_is_an_error(tmp_path):
    torch.save(to_state_dict(init_params(CONFIG)), tmp_path / "bare.pt")
    with pytest.raises(ValueError, match=r"num_layers=1 contradicts the arrays, which give num_layers=2"):
        load_weights(tmp_path / "bare.pt", config={"num_layers": 1})
    with pytest.raises(ValueError, match=r"'rnn.weight_ih_l0' has shape \(4, 3\), expected \(4, 5\)"):
        load_weights(tmp_path / "bare.pt", config=RNNConfig(**{**CONFIG.to_dict(), "input_size": 5}))


def test_config_overrides_a_stored_one(tmp_path):
    save_weights(init_params(CONFIG), tmp_path / "w.npz")
    assert load_quietly(tmp_path / "w.npz", config={"nonlinearity": "tanh"}).config.nonlinearity == "tanh"
    with pytest.warns(ConfigAssumedWarning, match=r"differs from the stored config in \['output'\]"):
        got = load_weights(tmp_path / "w.npz", config=RNNConfig(**{**CONFIG.to_dict(), "output": "last"}))
    assert got.config.output == "last"


@pytest.mark.parametrize("scheme", ["karpathy", "coursera", "uvw"])
def test_seed_style_npz(tmp_path, scheme):
    params = init_params(RNNConfig(4, 6, 2), seed=3, scheme="sentiment")
    np.savez(tmp_path / "seed.npz", **to_scheme(params, scheme))
    with pytest.warns(ConfigAssumedWarning, match="assumed nonlinearity='tanh', output='last'"):
        assert_params_bit_exact(load_weights(tmp_path / "seed.npz"), params)
    assert_params_bit_exact(load_quietly(tmp_path / "seed.npz", scheme=scheme,
                                         config={"nonlinearity": "tanh", "output": "last", "batch_first": False}),
                            params)
    save_weights(params, tmp_path / "out.npz", scheme=scheme)  # with the config entry: nothing assumed
    with np.load(tmp_path / "out.npz") as z:
        assert set(z.files) == set(to_scheme(params, scheme)) | {"__config__"}
    assert_params_bit_exact(load_quietly(tmp_path / "out.npz"), params)


def test_unknown_naming_lists_the_keys(tmp_path):
    np.savez(tmp_path / "odd.npz", A=np.zeros((2, 2)), B=np.zeros(2))
    with pytest.raises(RNNParityError, match=r"no known naming fits the keys found \['A', 'B'\]"):
        load_weights(tmp_path / "odd.npz")


def test_wrong_shape_in_a_file_names_the_key(tmp_path):
    params = init_params(CONFIG)
    params["Whh_l1"] = np.zeros((4, 5))
    entries = dict(params, __config__=np.array(json.dumps(CONFIG.to_dict())))
    np.savez(tmp_path / "w.npz", **entries)
    with pytest.raises(ValueError, match=r"'Whh_l1' has shape \(4, 5\), expected \(4, 4\)") as e:
        load_weights(tmp_path / "w.npz")
    assert "\n" not in str(e.value)


# --- loading never unpickles --------------------------------------------------------------------------------

class WritesAMarker:
    """Unpickling this runs open(marker, "w"): what a malicious checkpoint would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def assert_refused(path, marker, pattern):
    with pytest.raises(RNNParityError, match=pattern) as e:
        load_weights(path)
    assert "\n" not in str(e.value)
    assert not os.path.exists(marker), "loading ran code from the file"


def test_pickled_code_in_a_checkpoint_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "marker"
    state = to_state_dict(init_params(RNNConfig(3, 4, 2)))
    torch.save({"state_dict": state, "config": WritesAMarker(marker)}, tmp_path / "evil.pt")
    assert_refused(tmp_path / "evil.pt", marker, r"evil\.pt: refused: it holds pickled Python objects")
    with open(tmp_path / "evil2.pt", "wb") as f:  # a bare pickle named .pt
        pickle.dump(WritesAMarker(marker), f)
    assert_refused(tmp_path / "evil2.pt", marker, "refused")
    # Sanity: the payload is live, so the tests above would have caught a loader that unpickles.
    pickle.loads(pickle.dumps(WritesAMarker(tmp_path / "live")))
    assert os.path.exists(tmp_path / "live")


def test_object_arrays_in_an_npz_are_refused_and_never_run(tmp_path):
    marker = tmp_path / "marker"
    entries = dict(init_params(RNNConfig(3, 4, 2)))
    entries["by"] = np.array([WritesAMarker(marker)], dtype=object)
    np.savez(tmp_path / "evil.npz", **entries)
    assert_refused(tmp_path / "evil.npz", marker, r"refused: entry 'by' is an object array")
    with open(tmp_path / "pickle.npz", "wb") as f:
        pickle.dump(WritesAMarker(marker), f)
    assert_refused(tmp_path / "pickle.npz", marker, "refused: it holds pickled data")


@pytest.mark.parametrize("name, content, pattern", [
    ("junk.pt", b"not a torch file", "not a readable torch file"),
    ("junk.safetensors", b"\xff" * 16, "not a readable .safetensors file"),
    ("junk.npz", b"hello", r"not an \.npz archive"),
    ("empty.npz", b"", r"not an \.npz archive"),
])
def test_damaged_files_give_one_line_errors(tmp_path, name, content, pattern):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(RNNParityError, match=pattern) as e:
        load_weights(tmp_path / name)
    assert "\n" not in str(e.value)


def test_a_pt_of_something_else_is_refused(tmp_path):
    torch.save([torch.zeros(2)], tmp_path / "list.pt")
    with pytest.raises(RNNParityError, match="neither a checkpoint dict"):
        load_weights(tmp_path / "list.pt")


def test_path_errors(tmp_path):
    with pytest.raises(RNNParityError, match="no such file"):
        load_weights(tmp_path / "missing.pt")
    with pytest.raises(RNNParityError, match=r"unknown weight file suffix '\.h5'"):
        load_weights(tmp_path / "w.h5")
    with pytest.raises(RNNParityError, match=r"unknown weight file suffix '\(none\)'"):
        save_weights(init_params(CONFIG), tmp_path / "w")


# --- saving is atomic ---------------------------------------------------------------------------------------

def fail_mid_write(*args, **kwargs):
    next(a for a in args if hasattr(a, "write")).write(b"half a file")  # torch.save(obj, f), np.savez(f, ...)
    raise RuntimeError("simulated crash while writing")


@pytest.mark.parametrize("suffix, target, attr", [
    (".pt", torch, "save"), (".npz", np, "savez"), (".pt", os, "fsync"), (".npz", os, "fsync"),
    (".safetensors", os, "fsync"), (".pt", os, "replace"),
])
def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch, suffix, target, attr):
    path = tmp_path / f"w{suffix}"
    old = init_params(CONFIG, seed=1)
    save_weights(old, path)
    before = path.read_bytes()
    if attr in ("fsync", "replace"):
        def fail(*args):
            raise OSError(28, "No space left on device")
        monkeypatch.setattr(target, attr, fail)
    else:
        monkeypatch.setattr(target, attr, fail_mid_write)
    with pytest.raises((RuntimeError, RNNParityError)) as e:
        save_weights(init_params(CONFIG, seed=2), path)
    monkeypatch.undo()
    if attr in ("fsync", "replace"):
        assert str(e.value) == f"cannot write {path}: No space left on device"
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]  # the temporary file is gone
    assert_params_bit_exact(load_quietly(path), old)


def test_keyboard_interrupt_mid_save_leaves_nothing(tmp_path, monkeypatch):
    def interrupted(obj, f, *args, **kwargs):
        f.write(b"partial")
        raise KeyboardInterrupt
    monkeypatch.setattr(torch, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_weights(init_params(CONFIG), tmp_path / "w.pt")
    assert os.listdir(tmp_path) == []


def test_unwritable_targets_give_one_line_errors(tmp_path):
    params = init_params(CONFIG)
    with pytest.raises(RNNParityError, match=r"^cannot write .*/no/such/dir/w\.pt: No such file or directory$"):
        save_weights(params, tmp_path / "no" / "such" / "dir" / "w.pt")
    (tmp_path / "d.npz").mkdir()
    with pytest.raises(RNNParityError, match="it is a directory"):
        save_weights(params, tmp_path / "d.npz")


def test_bad_params_never_touch_the_disk(tmp_path):
    params = init_params(CONFIG)
    params["Whh"][0, 0] = np.nan
    with pytest.raises(ValueError, match=r"'Whh' holds NaN/Inf"):
        save_weights(params, tmp_path / "w.pt")
    assert os.listdir(tmp_path) == []


def test_saved_files_follow_the_umask(tmp_path):
    save_weights(init_params(CONFIG), tmp_path / "w.pt")
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(tmp_path / "w.pt").st_mode & 0o777 == 0o666 & ~umask


def test_seed_scheme_only_to_npz(tmp_path):
    with pytest.raises(RNNParityError, match=r"\.npz only"):
        save_weights(init_params(RNNConfig(3, 4, 2)), tmp_path / "w.pt", scheme="uvw")
    assert weights_io.weight_format("a.PTH") == ".pt"
