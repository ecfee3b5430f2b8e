"""The forked, deadline-bound walk that Keras files are read in: results, refusals, loops and crashes."""
from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from rnn_parity.errors import RNNParityError
from rnn_parity.torch_impl.keras.bounded import bounded

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork: the walk runs in-process")


def _arrays(n):
    return {"w": np.arange(n, dtype=np.float32).reshape(-1, 2), "notes": ["a"]}


def _refuse():
    raise RNNParityError("m.h5: refused for a reason")


def _bug():
    raise KeyError("a bug")


def _loop():
    while True:
        pass


def _crash():
    os.kill(os.getpid(), signal.SIGSEGV)


def test_the_result_comes_back_whole():
    got = bounded(_arrays, 1 << 20, name="m.h5", seconds=30)  # 4 MiB: more than one pipe buffer
    np.testing.assert_array_equal(got["w"], _arrays(1 << 20)["w"])
    assert got["notes"] == ["a"]


@pytest.mark.parametrize("fn, err, needle", [
    (_refuse, RNNParityError, "m.h5: refused for a reason"),
    (_bug, RuntimeError, "reading m.h5 failed: KeyError"),
    (_loop, RNNParityError, "m.h5: reading its HDF5 structure did not finish in 1 s"),
    (_crash, RNNParityError, "m.h5: the HDF5 library crashed reading it (signal 11"),
], ids=["refusal", "bug", "endless loop", "crash"])
def test_what_goes_wrong_in_the_child_is_one_line(fn, err, needle):
    start = time.monotonic()
    with pytest.raises(err) as e:
        bounded(fn, name="m.h5", seconds=1.0)
    assert needle in str(e.value) and "\n" not in str(e.value)
    assert time.monotonic() - start < 10
