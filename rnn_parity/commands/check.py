"""`rnn-parity check [--quick] [--cell rnn|lstm|gru|all]`: the parity report, NumPy reference vs torch, over a
grid of configs.

--cell picks the cells whose grids run; the default, all, runs the Elman RNN's, the LSTM's and the GRU's.
One row per config and quantity (each row names its cell) with the largest absolute and relative difference,
the share of the tolerance it used and PASS/FAIL; a summary line per cell and dtype; exit status 0 only if
every comparison passes.
"""
from __future__ import annotations

import argparse

from ..errors import RNNParityError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help="per cell, a few configs that still touch every option, two trajectories and two gradchecks")
    parser.add_argument("--cell", default="all", metavar="{rnn,lstm,gru,all}",
                        help="whose grid to run: rnn, lstm, gru, or all three (default)")
    parser.add_argument("--device", default="cpu",
                        help="where the torch side runs: cpu (default) or cuda[:N], against the float64 reference")


def run(args: argparse.Namespace) -> int:
    from ..parity.cases import CELL_CHOICES

    if args.cell not in CELL_CHOICES:  # checked here, not by argparse choices: one line naming every choice
        raise RNNParityError(f"--cell must be one of {', '.join(CELL_CHOICES)}, got {args.cell!r}")
    device = args.device
    if device != "cpu":
        import torch

        if not device.startswith("cuda"):
            raise RNNParityError(f"--device must be cpu or cuda[:N], got {device!r}")
        if not torch.cuda.is_available():
            raise RNNParityError(f"--device {device}: this machine has no CUDA device (torch {torch.__version__})")
    from ..parity.report import main
    from ..torch_impl.threads import torch_threads

    with torch_threads(1):
        return main(quick=args.quick, device=device, cell=args.cell)
