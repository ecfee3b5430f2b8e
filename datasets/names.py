"""Person names for the character-level name generator of seed 003.

The names are the US Census 1990 first-name lists (public domain), lower-cased and
deduplicated; see data/PROVENANCE.md. The character vocabulary is "\\n" (end of name)
followed by 'a'..'z', in sorted order as seed 003 builds it: 27 symbols.

Each name is one training sequence. The input is the end symbol followed by the name's
letters and the target is the letters followed by the end symbol, so the first step
predicts a first letter and the last step predicts the end:
    name "ana" -> input "\\n a n a", target "a n a \\n".
(Seed 003 feeds an all-zero vector at the first step instead of a start symbol; starting
from the end symbol lets the model use plain token ids and is equivalent to a learned
first-step input.)
"""
from __future__ import annotations

import string
from pathlib import Path
from typing import Iterable

import numpy as np

from ._files import read_text
from .vocab import Vocabulary

DATA_FILE = "names.txt"
END = "\n"
NAME_CHARS = string.ascii_lowercase


def names_vocabulary() -> Vocabulary:
    """27 symbols: "\\n" (id 0), then 'a'..'z' (ids 1..26)."""
    return Vocabulary(sorted(END + NAME_CHARS), kind="character")


def load_names() -> tuple[str, ...]:
    """The committed name list: 5,163 lower-case names, sorted."""
    return tuple(line for line in read_text(DATA_FILE).splitlines() if line)


def derive_names(paths: Iterable[str | Path]) -> list[str]:
    """Repeat the one-time derivation of names.txt from the census list files (see PROVENANCE.md).

    Each non-empty line's first field, lower-cased; duplicates dropped; sorted.
    """
    found = set()
    for path in paths:
        for line in Path(path).read_text(encoding="ascii").splitlines():
            if line.strip():
                found.add(line.split()[0].lower())
    return sorted(found)


def encode_name(name: str, vocab: Vocabulary | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(input ids, target ids) of one name, each of length len(name) + 1."""
    vocab = vocab or names_vocabulary()
    name = name.strip().lower()
    if not name:
        raise ValueError("empty name")
    ids = vocab.encode(list(name))
    end = vocab.index(END)
    return np.concatenate([[end], ids]), np.concatenate([ids, [end]])


def split_names(names: Iterable[str], test_fraction: float = 0.1, seed: int = 0) -> tuple[list[str], list[str]]:
    """A seeded (train, test) split of `names`; test gets round(test_fraction * n) names."""
    names = list(names)
    if not 0.0 <= test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in [0, 1), got {test_fraction}")
    order = np.random.default_rng(seed).permutation(len(names))
    n_test = round(test_fraction * len(names))
    test = [names[i] for i in order[:n_test]]
    train = [names[i] for i in order[n_test:]]
    return train, test
