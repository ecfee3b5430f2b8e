"""Untrusted and damaged Keras files (.keras, Keras 2 .h5, .weights.h5): a one-line refusal in bounded time and
memory, nothing in them run, nothing written. Built by hand (keras_helpers), so Keras need not be installed."""
from __future__ import annotations

import io
import json
import sys
import time
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import given, settings

from rnn_parity.errors import RNNParityError
from rnn_parity.torch_impl.keras import mapping as keras_mapping
from rnn_parity.torch_impl.keras import read_keras
from rnn_parity.torch_impl.keras.read import SUPERBLOCK_BYTES, superblock_end

from .conftest import assert_one_line_error
from .test_properties import SLOW, corruptions

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "torch_impl"))
from keras_helpers import layer, stack, write_keras2, write_keras3  # noqa: E402

FORMATS = (".keras", ".h5", ".weights.h5")
KERAS_EXAMPLES = 300  # per format; h5py's walk costs more than the weight files' readers (make test's budget)
CORRUPT_SECONDS = 1.0  # a 20 KB file's walk takes milliseconds; one that loops libhdf5 costs this much per example


def good(path: Path, **kw):
    layers = stack(np.random.default_rng(0), cls=kw.pop("cls", "GRU"), **kw)
    if path.name.endswith((".keras", ".weights.h5")):
        write_keras3(path, layers)
    else:
        write_keras2(path, layers)
    return layers


def refused(cli, tmp_path, path, *needles, seconds=20.0):
    out = tmp_path / "out.pt"
    start = time.perf_counter()
    code, _, err = cli("convert", path, out)
    took = time.perf_counter() - start
    line = assert_one_line_error(code, err, *needles)
    assert not out.exists(), "convert wrote an output from a bad input"
    assert took < seconds, f"took {took:.1f}s"
    return line


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("keep", [0, 8, 0.5, -1], ids=["empty", "8 bytes", "half", "last byte cut"])
def test_truncated(cli, tmp_path, fmt, keep):
    path = tmp_path / f"m{fmt}"
    good(path)
    data = path.read_bytes()
    path.write_bytes(data[:{0: 0, 8: 8, 0.5: len(data) // 2, -1: len(data) - 1}[keep]])
    refused(cli, tmp_path, path, f"m{fmt}")


def test_config_not_json_and_missing_entries(cli, tmp_path):
    good(tmp_path / "g.keras")
    with zipfile.ZipFile(tmp_path / "g.keras") as z:
        parts = {n: z.read(n) for n in z.namelist()}

    def archive(name, **changes):
        with zipfile.ZipFile(tmp_path / name, "w") as z:
            for n, data in {**parts, **changes}.items():
                if data is not None:
                    z.writestr(n, data)
        return tmp_path / name

    refused(cli, tmp_path, archive("a.keras", **{"config.json": b"{not json"}), "config.json is not JSON")
    refused(cli, tmp_path, archive("b.keras", **{"config.json": b"[" * 100000}), "config.json is not JSON")
    refused(cli, tmp_path, archive("c.keras", **{"model.weights.h5": None}), "has no model.weights.h5")
    refused(cli, tmp_path, archive("d.keras", **{"model.weights.h5": b"\x89HDF\r\n\x1a\n" + b"\0" * 50}),
            "damaged HDF5")
    refused(cli, tmp_path, archive("e.keras", **{"config.json": json.dumps({"class_name": "Sequential", "config": {
        "layers": [{"class_name": "LSTM", "config": {"name": "lstm", "units": 4}}]}})}), "no weights for layer 'lstm'")


@pytest.mark.parametrize("libver", ["earliest", "v108", "v110"], ids=["superblock v0", "v2", "v3"])
def test_the_superblock_declares_the_files_length(tmp_path, libver):
    path = tmp_path / "x.h5"
    with h5py.File(path, "w", libver=libver) as f:
        f["w"] = np.arange(100.0)
    data = path.read_bytes()
    assert data[8] == {"earliest": 0, "v108": 2, "v110": 3}[libver]
    assert superblock_end(data[:SUPERBLOCK_BYTES]) == len(data)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_truncated_hdf5_file_is_refused_before_the_library_starts(tmp_path, monkeypatch, fmt):
    """Found by reading the superblock's declared length in plain Python: no walk, no fork, and a message
    that says what happened (a download cut short)."""
    path = tmp_path / f"t{fmt}"
    good(path)
    if fmt == ".keras":  # a sound zip around a truncated model.weights.h5
        with zipfile.ZipFile(path) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        with zipfile.ZipFile(path, "w") as z:
            for n, data in parts.items():
                z.writestr(n, data[:-100] if n == "model.weights.h5" else data)
    else:
        path.write_bytes(path.read_bytes()[:-100])

    def no_walk(*_, **__):
        raise AssertionError("the HDF5 walk started on a file locate() can refuse")
    monkeypatch.setattr(keras_mapping, "bounded", no_walk)
    with pytest.raises(RNNParityError, match=r"is a truncated HDF5 file: (\d+) of the \d+ bytes its header") as e:
        read_keras(path)
    assert path.name in str(e.value) and "\n" not in str(e.value)


def test_a_zip_bomb(cli, tmp_path):
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("config.json", "{}")
        with z.open("model.weights.h5", "w", force_zip64=True) as f:
            chunk = bytes(1 << 20)
            for _ in range(80):  # 80 MiB of zeros in ~80 KiB
                f.write(chunk)
    assert path.stat().st_size < 1 << 20
    refused(cli, tmp_path, path, "zip bomb", seconds=5)


def test_a_dataset_that_declares_terabytes(cli, tmp_path):
    path = tmp_path / "huge.weights.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("layers/lstm/cell/vars/0", shape=(1 << 20, 1 << 20), dtype="f4")  # 4 TiB, unallocated
        f.create_dataset("layers/lstm/cell/vars/1", data=np.zeros((4, 16), "f4"))
        f.create_dataset("layers/lstm/cell/vars/2", data=np.zeros(16, "f4"))
    assert path.stat().st_size < 1 << 20
    refused(cli, tmp_path, path, "declares (1048576, 1048576)", "more than its file holds", seconds=5)


def test_nan_weights_inconsistent_kernels_links_and_filters(cli, tmp_path):
    layers = stack(np.random.default_rng(1), cls="LSTM", layers=2)
    next(iter(layers[1]["weights"].values()))[0, 0] = np.nan
    write_keras3(tmp_path / "nan.keras", layers)
    refused(cli, tmp_path, tmp_path / "nan.keras", "NaN")
    layers = stack(np.random.default_rng(1), cls="LSTM", layers=2)
    layers[1]["weights"]["lstm_2/kernel:0"] = np.zeros((3, 16), np.float32)
    write_keras3(tmp_path / "shapes.weights.h5", layers)
    refused(cli, tmp_path, tmp_path / "shapes.weights.h5", "inconsistent shapes")
    good(tmp_path / "link.h5")
    with h5py.File(tmp_path / "link.h5", "a") as f:
        f["model_weights/elsewhere"] = h5py.ExternalLink("/etc/passwd", "/")
    refused(cli, tmp_path, tmp_path / "link.h5", "links")
    with h5py.File(tmp_path / "gz.weights.h5", "w") as f:
        f.create_dataset("layers/gru/cell/vars/0", data=np.zeros((3, 12), "f4"), compression="gzip")
        f.create_dataset("layers/gru/cell/vars/1", data=np.zeros((4, 12), "f4"))
        f.create_dataset("layers/gru/cell/vars/2", data=np.zeros((2, 12), "f4"))
    refused(cli, tmp_path, tmp_path / "gz.weights.h5", "compressed")


def test_a_lambda_layer_is_refused_and_never_runs(cli, tmp_path):
    """A Lambda whose marshalled code would write a file, and a custom object: refused from the config alone."""
    import base64
    import marshal

    marker = tmp_path / "ran"
    code = compile(f"open({str(marker)!r}, 'w').write('x')", "<lambda>", "exec")
    layers = stack(np.random.default_rng(2), cls="LSTM")
    layers.insert(0, layer("Lambda", {"name": "lambda", "function": {"class_name": "__lambda__", "config": {
        "code": base64.b64encode(marshal.dumps(code)).decode(), "defaults": None, "closure": None}}}))
    write_keras3(tmp_path / "lambda.keras", layers)
    refused(cli, tmp_path, tmp_path / "lambda.keras", "'lambda'", "Lambda", "never runs")
    custom = stack(np.random.default_rng(2), cls="LSTM")
    custom.insert(1, layer("MyAttention", {"name": "att"}))
    custom[1]["module"], custom[1]["registered_name"] = "evil.module", "Custom>MyAttention"
    write_keras2(tmp_path / "custom.h5", custom)
    refused(cli, tmp_path, tmp_path / "custom.h5", "'att'", "MyAttention")
    assert not marker.exists(), "something in the file ran"
    assert "evil" not in sys.modules


@pytest.mark.parametrize("fmt", FORMATS)
def test_any_corruption_ends_in_the_one_clear_error(tmp_path, fmt):
    """The weight files' corruption property, on Keras files: a valid reading or one line naming the file."""
    path = tmp_path / f"corrupt{fmt}"
    sources = []
    for kw in (dict(cls="GRU", bidirectional=True), dict(cls="LSTM", vocab=5, layers=2)):
        good(path, **kw)
        sources.append(path.read_bytes())
    outcomes = {"refused": 0, "read": 0}

    @settings(SLOW, max_examples=KERAS_EXAMPLES)
    @given(case=corruptions(tuple(map(len, sources))))
    def property_(case):
        index, corrupt, description = case
        path.write_bytes(corrupt(sources[index]))
        try:
            read_keras(path, seconds=CORRUPT_SECONDS)
            outcomes["read"] += 1
        except RNNParityError as e:
            assert "\n" not in str(e) and path.name in str(e), f"{fmt}, {description}: {e!r}"
            outcomes["refused"] += 1
        except Exception as e:
            raise AssertionError(f"{fmt}, {description}: {type(e).__name__} escaped: {e}") from e

    property_()
    assert sum(outcomes.values()) >= KERAS_EXAMPLES, outcomes
    assert outcomes["refused"] > outcomes["read"], outcomes


def test_a_file_that_loops_the_hdf5_library_is_refused_in_bounded_time(tmp_path):
    """Three bit flips in a Keras 2 .h5 send libhdf5 into an endless loop reading an attribute (found by the
    corruption property under Hypothesis's CI profile): the walk's child is killed at its deadline."""
    path = tmp_path / "loops.h5"
    good(path, cls="LSTM", vocab=5, layers=2)
    data = bytearray(path.read_bytes())
    for pos, bit in ((619, 1), (2073, 0), (6064, 2)):
        data[pos] ^= 1 << bit
    path.write_bytes(bytes(data))
    start = time.perf_counter()
    with pytest.raises(RNNParityError, match="did not finish in 2 s") as e:
        read_keras(path, seconds=2.0)
    assert "\n" not in str(e.value) and "loops.h5" in str(e.value)
    assert time.perf_counter() - start < 10
