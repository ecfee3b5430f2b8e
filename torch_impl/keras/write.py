"""Write weights that Keras's model.load_weights() accepts, in the layout of their own file (--like).

Keras picks its reader by OUT's name: *.weights.h5 and *.keras get Keras 3's (layers/<class>/.../vars/N),
any other *.h5 Keras 2's (layer_names, weight_names). So OUT's name must agree with their file's layout.
Their file's groups, attributes and any arrays that are not the model's (a Dropout's seed state) are copied
as they are; the model's arrays are replaced, at their dtypes. An optimizer's state is left out. The file is
built in memory and written atomically: never half a file.
"""
from __future__ import annotations

import io
import os
import zipfile

import numpy as np

from ...reference.errors import RNNParityError
from ...reference.fsutil import atomic_write
from .bounded import bounded, deadline_for
from .read import _h5py, damaged, locate, open_keras, read_dataset

SKIP = ("optimizer", "optimizer_weights")  # training state: not the model's


def out_layout(path) -> str:
    p = os.fspath(path).lower()
    return "keras3" if p.endswith((".weights.h5", ".keras")) else "keras2"


def write_keras(out, arrays: dict, reading, like) -> int:
    """Write `arrays` ({(layer, side, role): array}, mapping.to_keras) to OUT in the layout of `like` (their file,
    read as `reading`); returns the number of arrays written."""
    want = out_layout(out)
    if want != reading.layout:
        suffix = "name OUT *.weights.h5 (or .keras)" if reading.layout == "keras3" else \
            "name OUT *.h5 (not .weights.h5)"
        reads_as = "Keras 3" if want == "keras3" else "Keras 2"
        raise RNNParityError(f"Keras reads {os.path.basename(os.fspath(out))} as a {reads_as}"
                             f" weights file, but {os.path.basename(os.fspath(like))} has "
                             f"{'Keras 3' if reading.layout == 'keras3' else 'Keras 2'}'s layout: {suffix}")
    if os.fspath(out).lower().endswith(".keras") and not os.fspath(like).lower().endswith(".keras"):
        raise RNNParityError("OUT .keras needs --like THEIR.keras (its config.json is copied): name OUT *.weights.h5")
    by_path = {}
    for x in reading.layers:
        for key, path in x.paths.items():
            by_path[path] = arrays[x.name, *key]
    like_name = os.path.basename(os.fspath(like))
    data = bounded(_rebuilt, locate(like), by_path, name=like_name, seconds=deadline_for(os.path.getsize(like)))
    if os.fspath(out).lower().endswith(".keras"):
        zipped = io.BytesIO()
        with zipfile.ZipFile(like) as z, zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as zout:
            for name in ("metadata.json", "config.json"):
                if name in z.namelist():
                    zout.writestr(name, z.read(name))
            zout.writestr("model.weights.h5", data)
        data = zipped.getvalue()
    atomic_write(out, data)
    return len(by_path)


def _rebuilt(like, by_path: dict) -> bytes:
    """Their file's h5 contents (like: read.locate's finding) with the model's arrays replaced, as the bytes of
    a new h5 file."""
    h5py = _h5py()
    buffer = io.BytesIO()
    with open_keras(like) as kf, h5py.File(buffer, "w") as dst, damaged(like.name):
        left = dict(by_path)
        if kf.layout == "keras2":
            for k, v in kf.root.file.attrs.items():  # keras_version, backend (model_config stays theirs)
                if k not in ("model_config", "training_config"):
                    dst.attrs[k] = v
        _copy(kf.root, dst, left, kf.size, h5py)
        if left:
            raise RNNParityError(f"their file lost arrays while copying: {sorted(left)[:3]}")
    return buffer.getvalue()


def _copy(src, dst, left: dict, size: int, h5py) -> None:
    for k, v in src.attrs.items():
        dst.attrs[k] = v
    for key in src:
        if key in SKIP:
            continue
        obj = src[key]
        if isinstance(obj, h5py.Group):
            _copy(obj, dst.create_group(key), left, size, h5py)
            continue
        value = left.pop(obj.name, None)
        if value is None:
            value = read_dataset(obj, obj.name, size)
        elif value.shape != obj.shape:
            raise RNNParityError(f"{obj.name}: {value.shape} here, {obj.shape} in their file")
        ds = dst.create_dataset(key, data=np.asarray(value))
        for k, v in obj.attrs.items():
            ds.attrs[k] = v
