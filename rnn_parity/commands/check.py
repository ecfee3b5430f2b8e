"""`rnn-parity check [--quick]`: the parity report, NumPy reference vs torch, over a grid of configs.

One row per config and quantity with the largest absolute and relative difference, the share of the
tolerance it used and PASS/FAIL; a summary line; exit status 0 only if every comparison passes.
"""
from __future__ import annotations

import argparse

from ..errors import RNNParityError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help="a few configs that still touch every option, and two trajectories (a few seconds)")
    parser.add_argument("--device", default="cpu",
                        help="where the torch side runs: cpu (default) or cuda[:N], against the float64 reference")


def run(args: argparse.Namespace) -> int:
    device = args.device
    if device != "cpu":
        import torch

        if not device.startswith("cuda"):
            raise RNNParityError(f"--device must be cpu or cuda[:N], got {device!r}")
        if not torch.cuda.is_available():
            raise RNNParityError(f"--device {device}: this machine has no CUDA device (torch {torch.__version__})")
    import torch

    # The models are tiny: one intra-op thread is fastest, and on a busy machine OpenMP's spinning
    # threads make a 50-step trajectory ~15x slower.
    torch.set_num_threads(1)
    from ..check import main

    return main(quick=args.quick, device=device)
