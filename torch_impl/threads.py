"""torch's intra-op thread count, set for a block and restored after it."""
from __future__ import annotations

import contextlib

import torch


@contextlib.contextmanager
def torch_threads(count: int = 1):
    """Run the block with `count` intra-op threads.

    The models here are tiny (H <= 100): extra threads only add synchronisation, and on a busy 2-core
    machine OpenMP's spinning threads make a 50-step trajectory about 15x slower and a sentiment
    training step about 7x slower. So the suite, `rnn-parity check` and training use one.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)
