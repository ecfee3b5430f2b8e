"""Where the committed data files live (package data of rnn_parity.datasets, never the network)."""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_path(name: str) -> Path:
    """Path of the data file `name` under datasets/data/."""
    path = resources.files(__package__).joinpath("data", name)
    return Path(str(path))


def read_text(name: str) -> str:
    return data_path(name).read_text(encoding="utf-8")
