"""The same seed gives bit-identical results across two runs in separate processes, for both frameworks (CPU).

Run 1 is a fresh subprocess with its own hash seed; run 2 is this test process, which has already run
other tests (other seeds drawn, other torch state). Each run trains with the CLI (`rnn-parity train
sentiment --framework both --epochs 2 --seed 3 --save X`) and then with the API for the torch weights,
which `--save` does not write when both frameworks train.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from .conftest import ROOT

ARGS = ["train", "sentiment", "--framework", "both", "--epochs", "2", "--seed", "3", "--no-progress"]

SCRIPT = """
import sys, numpy as np
from rnn_parity.cli import main
from rnn_parity import training
save, arrays = sys.argv[1], sys.argv[2]
code = main({args!r} + ["--save", save])
assert code == 0, code
result = training.train("sentiment", framework="both", epochs=2, seed=3, progress=False, log=lambda line: None)
np.savez(arrays, **{{f"{{fw}}/{{k}}": v for fw, p in result.params.items() for k, v in p.items()}})
"""


def run_here_and_there(tmp_path):
    script = SCRIPT.format(args=ARGS)
    there = (tmp_path / "run1.npz", tmp_path / "run1-arrays.npz")
    here = (tmp_path / "run2.npz", tmp_path / "run2-arrays.npz")
    env = dict(os.environ)
    env.pop("PYTHONHASHSEED", None)
    proc = subprocess.run([sys.executable, "-c", script, *map(str, there)], capture_output=True, text=True,
                          timeout=300, env=env, cwd=ROOT, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-3000:]
    saved_argv = sys.argv
    try:
        sys.argv = ["determinism", *map(str, here)]
        exec(compile(script, "<determinism run 2>", "exec"), {"__name__": "run2"})
    finally:
        sys.argv = saved_argv
    return there, here


def test_same_seed_bit_identical_across_processes(tmp_path, capsys):
    (cli1, api1), (cli2, api2) = run_here_and_there(tmp_path)
    capsys.readouterr()
    assert cli1.read_bytes() == cli2.read_bytes(), "`train --save` wrote different bytes for the same seed"
    with np.load(api1) as a, np.load(api2) as b:
        assert sorted(a.files) == sorted(b.files)
        assert {k.split("/")[0] for k in a.files} == {"numpy", "torch"}
        for k in a.files:
            assert a[k].dtype == b[k].dtype and a[k].tobytes() == b[k].tobytes(), f"{k} differs between runs"
    with np.load(cli1) as saved, np.load(api1) as a:  # --save wrote the NumPy reference's weights
        for k in saved.files:
            if k != "__config__":
                assert saved[k].tobytes() == a[f"numpy/{k}"].tobytes(), k
