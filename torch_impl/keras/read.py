"""Open a Keras file without running anything in it, in bounded time and memory.

Two stages: locate() checks in plain Python what can be checked without the HDF5 library (the file's kind,
the zip, config.json, the HDF5 superblock's declared length), in the caller's process; open_keras() then opens
the HDF5 file with h5py, inside bounded.bounded()'s forked child, since a damaged file can loop the library.

A .keras file is a zip: its config.json is parsed as JSON (never deserialized into objects) and its
model.weights.h5 is opened with h5py. Keras 2's .h5 holds the config as the attribute model_config beside
model_weights/; a .weights.h5 holds weights only. Bounds: a zip entry may not expand beyond MAX_ENTRY bytes,
nor by more than MAX_RATIO once past RATIO_FROM (a zip bomb); a dataset may not hold more bytes than the
file it sits in (a dataset that declares terabytes, or unallocated storage read as fill values), nor use a
filter (compression: Keras writes none, and a filter could expand without bound).
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import zipfile
from dataclasses import dataclass

import numpy as np

from ...reference.errors import RNNParityError

MAX_ENTRY = 4 << 30  # bytes a .keras entry may expand to
RATIO_FROM, MAX_RATIO = 64 << 20, 100  # past 64 MiB, an entry may not expand more than 100-fold
MAX_CONFIG = 64 << 20  # bytes of config JSON
KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")
H5_MAGIC = b"\x89HDF\r\n\x1a\n"
SUPERBLOCK_BYTES = 64  # the superblock's fixed part up to its end-of-file address, for every version


@dataclass
class KerasFile:
    """What a Keras file holds: its config (JSON, or None for weights only), the h5 group the weights sit
    under, and which layout ("keras3" or "keras2")."""

    path: str
    kind: str  # ".keras", "Keras 2 .h5", ".weights.h5"
    config: dict | None
    root: object  # h5py.Group
    layout: str
    version: str = ""
    _close: tuple = ()

    def close(self):
        for c in self._close:
            c.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def is_keras_path(path) -> bool:
    return str(path).lower().endswith(KERAS_SUFFIXES)


def h5py_hardlink():
    return _h5py().HardLink


def _h5py():
    try:
        import h5py
    except ImportError:  # a core dependency: only a broken install gets here
        raise RNNParityError("reading Keras files needs h5py: pip install h5py") from None
    return h5py


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, (bytes, np.bytes_)) else str(value)


def _json(text, where: str) -> dict:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as e:  # RecursionError: nesting deeper than any real config
        raise RNNParityError(f"{where} is not JSON ({type(e).__name__}: {str(e)[:80]})") from None
    if not isinstance(data, dict):
        raise RNNParityError(f"{where} is not a JSON object (it is a {type(data).__name__})")
    return data


@dataclass
class Located:
    """A Keras file checked as far as plain Python can check it, before the HDF5 library sees it: the file's
    kind by its first bytes, a .keras's zip (entries, CRCs, expansion bounds) and config.json, and the HDF5
    superblock's declared length. A damaged file refused here never starts the bounded walk (bounded.py)."""

    path: str
    name: str
    config: dict | None  # a .keras's config.json; None where the HDF5 file holds the config, or none
    h5: object  # the HDF5 file's path, or a .keras's model.weights.h5 as bytes
    size: int  # bytes of the HDF5 file


def locate(path) -> Located:
    """The checks before HDF5: one-line refusals of a missing file, the wrong kind, a damaged zip, and a
    truncated HDF5 file. Pure Python on bounded input: it cannot loop as the HDF5 library can."""
    path = os.fspath(path)
    name = os.path.basename(path)
    if not os.path.isfile(path):
        raise RNNParityError(f"cannot read {path}: no such file")
    with open(path, "rb") as f:
        head = f.read(SUPERBLOCK_BYTES)
    if path.lower().endswith(".keras"):
        if head[:4] != b"PK\x03\x04":
            raise RNNParityError(f"{name} is not a .keras file: a .keras file is a zip archive "
                                 f"({'an HDF5 file: name it .h5' if head[:8] == H5_MAGIC else 'this is not one'})")
        return _locate_zip(path, name)
    if head[:8] != H5_MAGIC:
        what = "a zip archive (a .keras file: name it .keras)" if head[:4] == b"PK\x03\x04" else "not an HDF5 file"
        raise RNNParityError(f"{name} is not a Keras HDF5 file: it is {what}")
    size = os.path.getsize(path)
    _check_length(head, size, name)
    return Located(path, name, None, path, size)


def _locate_zip(path: str, name: str) -> Located:
    try:
        z = zipfile.ZipFile(path)
        names = set(z.namelist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise RNNParityError(f"{name} is a damaged .keras archive (truncated?): {_first(e)}") from None
    with z:
        for part in ("config.json", "model.weights.h5"):
            if part not in names:
                raise RNNParityError(f"{name} has no {part} (a .keras archive holds config.json and "
                                     f"model.weights.h5; it holds {sorted(names)[:6]})")
        config = _json(_read_entry(z, "config.json", name, MAX_CONFIG), f"{name}: config.json")
        data = _read_entry(z, "model.weights.h5", name, MAX_ENTRY)
    if data[:8] != H5_MAGIC:
        raise RNNParityError(f"{name}: model.weights.h5 is not an HDF5 file")
    _check_length(data[:SUPERBLOCK_BYTES], len(data), f"{name}: model.weights.h5")
    return Located(path, name, config, data, len(data))


def superblock_end(head: bytes) -> int | None:
    """The file length an HDF5 superblock at offset 0 declares (its base address plus its end-of-file
    address), or None where `head` is short, of an unknown version, or the address is undefined: then the
    HDF5 library judges the file. Layouts: the HDF5 File Format Specification, superblock versions 0-3."""
    if len(head) < 16 or head[:8] != H5_MAGIC:
        return None
    version = head[8]
    if version in (0, 1):
        offsets, at = head[13], 24 + 4 * version  # v1 adds the indexed storage K and 2 reserved bytes
    elif version in (2, 3):
        offsets, at = head[9], 12
    else:
        return None
    if offsets not in (2, 4, 8) or len(head) < at + 3 * offsets:
        return None
    base = int.from_bytes(head[at:at + offsets], "little")
    eof_at = at + 2 * offsets  # after the free-space info's address (v0, v1) or the extension's (v2, v3)
    eof = int.from_bytes(head[eof_at:eof_at + offsets], "little")
    undefined = (1 << (8 * offsets)) - 1
    if eof == undefined or base == undefined:
        return None
    return base + eof


def _check_length(head: bytes, size: int, where: str) -> None:
    """A file shorter than its superblock declares is truncated: refused here, as the HDF5 library would
    refuse it, without starting the library."""
    end = superblock_end(head)
    if end is not None and size < end:
        raise RNNParityError(f"{where} is a truncated HDF5 file: {size} of the {end} bytes its header declares")


def open_keras(located: Located) -> KerasFile:
    """The config and the weights group of a .keras, Keras 2 .h5 or .weights.h5 file, as locate() found it;
    one-line refusals. Runs the HDF5 library: call it inside bounded.bounded()."""
    h5py = _h5py()
    buffer = io.BytesIO(located.h5) if isinstance(located.h5, bytes) else None
    try:
        f = h5py.File(buffer if buffer is not None else located.h5, "r")
    except Exception as e:  # noqa: BLE001 - h5py raises OSError or others on a damaged file
        what = f"{located.name}: model.weights.h5 is a damaged HDF5 file" if buffer is not None else \
            f"{located.name} is a damaged HDF5 file (truncated?)"
        raise RNNParityError(f"{what}: {_first(e)}") from None
    closers = (f, buffer) if buffer is not None else (f,)
    return _classify(f, located.path, located.name, located.size, config=located.config, closers=closers)


def _read_entry(z: zipfile.ZipFile, entry: str, name: str, limit: int) -> bytes:
    info = z.getinfo(entry)
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > limit or (info.file_size > RATIO_FROM and ratio > MAX_RATIO):
        raise RNNParityError(f"{name}: {entry} would expand to {info.file_size} bytes from {info.compress_size} "
                             "(a zip bomb, or far beyond any RNN's weights): refused")
    try:
        with z.open(entry) as f:
            data = f.read(limit + 1)  # zipfile checks the declared size and the CRC as it reads
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as e:
        raise RNNParityError(f"{name}: {entry} is damaged (truncated?): {_first(e)}") from None
    if len(data) > limit:
        raise RNNParityError(f"{name}: {entry} expands beyond {limit} bytes: refused")
    return data


def _classify(f, path, name, size, config, closers) -> KerasFile:
    """Which layout the h5 file has, by structure; Keras 2's config from its model_config attribute."""
    try:
        attrs = dict(f.attrs)
        if config is None and "model_config" in attrs:
            text = _text(attrs["model_config"])
            if len(text) > MAX_CONFIG:
                raise RNNParityError(f"{name}: model_config is {len(text)} bytes: refused")
            config = _json(text, f"{name}: the model_config attribute")
        version = _text(attrs.get("keras_version", ""))
        links = []  # a soft or external link could point anywhere, another file included: none is followed
        f.visititems_links(lambda n, link: links.append(n) if not isinstance(link, h5py_hardlink()) else None)
        if links:
            raise RNNParityError(f"{name}: holds links ({links[0]!r}{' ...' if len(links) > 1 else ''}), which "
                                 "Keras never writes: refused")
        if "model_weights" in f:
            root, layout = f["model_weights"], "keras2"
        elif "layer_names" in attrs:
            root, layout = f, "keras2"  # Keras 2's save_weights("x.h5")
        elif "layers" in f:
            root, layout = f, "keras3"
        else:
            raise RNNParityError(f"{name} holds no Keras weights: no model_weights, layer_names or layers/ "
                                 f"(its entries: {sorted(f.keys())[:6]})")
    except RNNParityError:
        for c in closers:
            c.close()
        raise
    except Exception as e:  # noqa: BLE001 - a damaged header or attribute
        for c in closers:
            c.close()
        raise RNNParityError(f"{name} is a damaged HDF5 file: {_first(e)}") from None
    kind = ".keras" if path.lower().endswith(".keras") else ("legacy .h5 model" if config is not None
                                                            else "weights-only .h5")
    kf = KerasFile(path, kind, config, root, layout, version, closers)
    kf.size = size
    return kf


@contextlib.contextmanager
def damaged(name: str):
    """Whatever h5py raises while walking a damaged file (KeyError, OSError, ValueError, ...) as one line."""
    try:
        yield
    except RNNParityError:
        raise
    except (MemoryError, RecursionError) as e:
        raise RNNParityError(f"{name}: refused ({type(e).__name__} while walking the file)") from None
    except Exception as e:  # noqa: BLE001 - a damaged HDF5 structure, in h5py's words
        raise RNNParityError(f"{name} is a damaged HDF5 file: {_first(e)}") from None


def read_dataset(ds, where: str, size: int) -> np.ndarray:
    """A dataset's values, refused when it declares more bytes than its file holds, uses a filter, or is not
    a float array."""
    try:
        shape, dtype = ds.shape, ds.dtype
        filtered = ds.id.get_create_plist().get_nfilters() > 0
    except Exception as e:  # noqa: BLE001
        raise RNNParityError(f"{where}: a damaged dataset: {_first(e)}") from None
    if shape is None or dtype.kind not in "fiu":
        raise RNNParityError(f"{where}: not a numeric array (dtype {dtype}, shape {shape})")
    nbytes = int(np.prod(shape, dtype=np.float64)) * dtype.itemsize
    if nbytes > size:
        raise RNNParityError(f"{where}: declares {shape} {dtype} ({nbytes} bytes), more than its file holds "
                             f"({size} bytes): refused")
    if filtered:
        raise RNNParityError(f"{where}: a compressed dataset ({ds.compression or 'a filter'}); Keras writes none: "
                             "refused")
    try:
        return np.asarray(ds[()])
    except Exception as e:  # noqa: BLE001
        raise RNNParityError(f"{where}: cannot read its values (truncated file?): {_first(e)}") from None


def _first(e: BaseException) -> str:
    text = str(e).strip()
    return (text.splitlines()[0] if text else type(e).__name__)[:160]
