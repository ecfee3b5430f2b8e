"""Untrusted and damaged weight files, and output paths that cannot be written: one line each, nothing run,
nothing half-written. Through the CLI (`rnn-parity convert IN OUT`, `predict --weights`, `train --save`)
and the API (load_weights, save_weights)."""
from __future__ import annotations

import json
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch

from rnn_parity.errors import RNNParityError
from rnn_parity.reference import RNNConfig, init_params
from rnn_parity.torch_impl import load_weights, save_weights, to_state_dict

from .conftest import assert_one_line_error

CONFIG = RNNConfig(3, 4, 2, bias="torch")
FORMATS = (".npz", ".pt", ".safetensors")


@pytest.fixture(scope="module")
def params():
    return init_params(CONFIG, seed=3)


@pytest.fixture(scope="module")
def good_files(tmp_path_factory, params):
    folder = tmp_path_factory.mktemp("good")
    files = {}
    for suffix in FORMATS:
        files[suffix] = folder / f"good{suffix}"
        save_weights(params, files[suffix])
    return files


def convert_error(cli, path, tmp_path, *needles):
    out = tmp_path / "out.pt"
    code, stdout, err = cli("convert", path, out)
    line = assert_one_line_error(code, err, *needles)
    assert not out.exists(), "convert wrote an output from a bad input"
    return line


# --- damaged files -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("keep", [0, 1, 8, 0.5, -1], ids=["empty", "1 byte", "8 bytes", "half", "last byte cut"])
def test_truncated_file(cli, tmp_path, good_files, suffix, keep):
    data = good_files[suffix].read_bytes()
    n = {0: 0, 1: 1, 8: 8, 0.5: len(data) // 2, -1: len(data) - 1}[keep]
    bad = tmp_path / f"cut{suffix}"
    bad.write_bytes(data[:n])
    convert_error(cli, bad, tmp_path, "cut" + suffix)


@pytest.mark.parametrize("actual, named", [(a, n) for a in FORMATS for n in FORMATS if a != n])
def test_wrong_format_for_its_suffix(cli, tmp_path, good_files, actual, named):
    bad = tmp_path / f"renamed{named}"
    bad.write_bytes(good_files[actual].read_bytes())
    convert_error(cli, bad, tmp_path, f"renamed{named}: this is", f"name it with the suffix {actual}")


def test_a_single_npy_named_npz(cli, tmp_path):
    bad = tmp_path / "one.npz"
    with open(bad, "wb") as f:
        np.save(f, np.zeros(3))
    convert_error(cli, bad, tmp_path, "single .npy array", "np.savez")


def test_unknown_suffix_and_missing_file(cli, tmp_path, good_files):
    other = tmp_path / "w.dat"
    other.write_bytes(good_files[".npz"].read_bytes())
    convert_error(cli, other, tmp_path, "unknown weight file suffix '.dat'")
    convert_error(cli, tmp_path / "absent.pt", tmp_path, "no such file")


# --- keys ----------------------------------------------------------------------------------------------------

def write_entries(path, entries: dict, config=CONFIG):
    """A weight file holding exactly `entries` (reference names for .npz, torch names otherwise) and the config."""
    if path.suffix == ".npz":
        np.savez(path, **entries, __config__=np.array(json.dumps(config.to_dict())))
    elif path.suffix == ".pt":
        torch.save({"state_dict": entries, "config": config.to_dict()}, path)
    else:
        import safetensors.torch
        safetensors.torch.save_file(entries, path, metadata={"rnn_parity.config": json.dumps(config.to_dict())})


def entries_for(params, suffix):
    return dict(params) if suffix == ".npz" else to_state_dict(params)


@pytest.mark.parametrize("suffix", FORMATS)
def test_missing_key(cli, tmp_path, params, suffix):
    entries = entries_for(params, suffix)
    key = "Whh" if suffix == ".npz" else "rnn.weight_hh_l0"
    del entries[key]
    path = tmp_path / f"missing{suffix}"
    write_entries(path, entries)
    convert_error(cli, path, tmp_path, f"missing{suffix}", f"missing key {key!r}", "expected shape (4, 4)")


@pytest.mark.parametrize("suffix", FORMATS)
def test_extra_key(cli, tmp_path, params, suffix):
    entries = entries_for(params, suffix)
    key = "Wxh_l1" if suffix == ".npz" else "rnn.weight_ih_l1"
    entries[key] = entries["Wxh" if suffix == ".npz" else "rnn.weight_ih_l0"]
    if suffix != ".npz":
        entries[key] = entries[key].clone()
    path = tmp_path / f"extra{suffix}"
    write_entries(path, entries)
    convert_error(cli, path, tmp_path, f"extra{suffix}", f"unexpected key {key!r}")


@pytest.mark.parametrize("suffix", FORMATS)
def test_a_shape_that_does_not_fit_the_stored_config(cli, tmp_path, params, suffix):
    entries = entries_for(params, suffix)
    path = tmp_path / f"shape{suffix}"
    write_entries(path, entries, RNNConfig(3, 5, 2, bias="torch"))
    convert_error(cli, path, tmp_path, f"shape{suffix}", "has shape", "expected")


@pytest.mark.parametrize("stored, needle", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "should be a dict"),
    ('{"input_size": 3}', "not a valid RNNConfig"),
    ('{"input_size": 3, "hidden_size": 4, "output_size": 2, "bias": "torch", "nonlinearity": "sigmoid"}',
     "nonlinearity must be one of"),
    ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
], ids=["broken", "list", "partial", "bad value", "deeply nested"])
def test_a_broken_stored_config(cli, tmp_path, params, stored, needle):
    path = tmp_path / "conf.npz"
    np.savez(path, **dict(params), __config__=np.array(stored))
    convert_error(cli, path, tmp_path, "conf.npz", needle)


# --- tensors that hold no plain data ---------------------------------------------------------------------------

@pytest.mark.parametrize("make, needle", [
    (lambda t: t.to_sparse(), "sparse_coo tensor"),
    (lambda t: torch.empty_like(t, device="meta"), "meta tensor"),
    (lambda t: t.to(torch.bfloat16), "dtype torch.bfloat16"),
    (lambda t: t.to(torch.int64), "dtype int64"),
], ids=["sparse", "meta", "bfloat16", "int64"])
def test_a_tensor_that_is_no_plain_float_array(cli, tmp_path, params, make, needle):
    sd = to_state_dict(params)
    sd["fc.bias"] = make(sd["fc.bias"])
    path = tmp_path / "odd.pt"
    torch.save({"state_dict": sd, "config": CONFIG.to_dict()}, path)
    convert_error(cli, path, tmp_path, "odd.pt", "'fc.bias'", needle)


# --- files that would run code -------------------------------------------------------------------------------

class RunsCode:
    """Unpickling this calls open(marker, "w"): the stand-in for a payload that runs a shell command."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def payload_files(tmp_path, params, marker) -> dict:
    """Each way a weight file can smuggle a pickle, keyed by a readable name."""
    files = {}
    sd = to_state_dict(params)
    files["pt: object in the checkpoint"] = tmp_path / "evil1.pt"
    torch.save({"state_dict": sd, "config": RunsCode(marker)}, files["pt: object in the checkpoint"])
    files["pt: object as a tensor"] = tmp_path / "evil2.pt"
    torch.save({**sd, "fc.bias": RunsCode(marker)}, files["pt: object as a tensor"])
    files["pt: a bare pickle"] = tmp_path / "evil3.pt"
    files["pt: a bare pickle"].write_bytes(pickle.dumps(RunsCode(marker)))
    files["npz: object array"] = tmp_path / "evil4.npz"
    np.savez(files["npz: object array"], **{**dict(params), "by": np.array([RunsCode(marker)], dtype=object)})
    files["npz: a bare pickle"] = tmp_path / "evil5.npz"
    files["npz: a bare pickle"].write_bytes(pickle.dumps(RunsCode(marker)))
    files["npz: a pickled .npy inside"] = tmp_path / "evil6.npz"
    with zipfile.ZipFile(files["npz: a pickled .npy inside"], "w") as z:
        with z.open("Wxh.npy", "w") as f:
            np.save(f, np.array([RunsCode(marker)], dtype=object), allow_pickle=True)
    files["safetensors: pickle bytes"] = tmp_path / "evil7.safetensors"
    files["safetensors: pickle bytes"].write_bytes(pickle.dumps(RunsCode(marker)))
    return files


def test_the_payload_is_live(tmp_path):
    """Sanity: unpickling these payloads does run code, so the refusals below are real."""
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(RunsCode(marker)))
    assert marker.exists()


@pytest.mark.parametrize("case", ["pt: object in the checkpoint", "pt: object as a tensor", "pt: a bare pickle",
                                  "npz: object array", "npz: a bare pickle", "npz: a pickled .npy inside",
                                  "safetensors: pickle bytes"])
def test_a_pickle_that_would_run_code_is_refused_and_never_runs(cli, tmp_path, params, case):
    marker = tmp_path / "ran"
    path = payload_files(tmp_path, params, marker)[case]
    with pytest.raises(RNNParityError) as e:
        load_weights(path)
    assert "\n" not in str(e.value) and path.name in str(e.value)
    line = convert_error(cli, path, tmp_path, path.name)
    if not case.startswith("safetensors"):
        assert "refused" in line or "pickle" in line, line
    assert not marker.exists(), "loading ran code from the file"


def test_predict_refuses_a_pickle(cli, tmp_path, params):
    marker = tmp_path / "ran"
    path = payload_files(tmp_path, params, marker)["pt: object in the checkpoint"]
    code, out, err = cli("predict", "sentiment", "--weights", path, "i am happy")
    assert_one_line_error(code, err, "evil1.pt: refused")
    assert not marker.exists()


# --- output paths --------------------------------------------------------------------------------------------

def unwritable_targets(tmp_path) -> dict:
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    (tmp_path / "folder.npz").mkdir()
    return {
        "missing directory": (tmp_path / "no" / "such" / "w.npz", "does not exist"),
        "parent is a file": (a_file / "w.npz", "plain.txt"),
        "target is a directory": (tmp_path / "folder.npz", "directory"),
        "unknown suffix": (tmp_path / "w.h5", ".h5"),
    }


@pytest.mark.parametrize("case", ["missing directory", "parent is a file", "target is a directory",
                                  "unknown suffix"])
def test_train_refuses_an_unwritable_save_path_before_training(cli, tmp_path, case):
    target, needle = unwritable_targets(tmp_path)[case]
    code, out, err = cli("train", "sentiment", "--epochs", "1", "--no-progress", "--save", target)
    assert_one_line_error(code, err, "--save", needle)
    assert "epoch" not in out, "training ran before the path was checked"


@pytest.mark.parametrize("case", ["missing directory", "parent is a file", "target is a directory",
                                  "unknown suffix"])
def test_convert_and_save_weights_refuse_an_unwritable_output(cli, tmp_path, good_files, params, case):
    target, _ = unwritable_targets(tmp_path)[case]
    code, out, err = cli("convert", good_files[".npz"], target)
    assert_one_line_error(code, err, str(target.name))
    with pytest.raises(RNNParityError) as e:
        save_weights(params, target)
    assert "\n" not in str(e.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.npz", "plain.txt"], "something was left behind"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through directory permissions")
def test_a_read_only_directory(cli, tmp_path, params):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(RNNParityError, match="cannot write") as e:
            save_weights(params, folder / "w.pt")
        assert "\n" not in str(e.value)
        code, out, err = cli("train", "sentiment", "--epochs", "1", "--no-progress", "--save", folder / "w.pt")
        assert_one_line_error(code, err, "not writable")
    finally:
        folder.chmod(0o700)


def test_demo_refuses_an_unwritable_output_directory_before_training(cli, tmp_path):
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    for out_dir, needle in ((a_file, "is a file, not a directory"), (a_file / "sub", "cannot create")):
        code, out, err = cli("demo", "--epochs", "1", "--no-progress", "--out", out_dir)
        assert_one_line_error(code, err, needle)
        assert "Result" not in out
