"""The "Fibonacci letters" task of seed 001 (synthetic, generated on demand).

A sequence starts with two random letters; each later letter's index is the sum of the two
before it, mod 26. The model reads letters 0..T-1 and predicts letters 1..T at every step
(many-to-many). The first prediction (letter 1 from letter 0) is pure chance; all later
ones are determined by the two letters before.
"""
from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np

from .vocab import Vocabulary

ALPHABET = string.ascii_lowercase
N_LETTERS = len(ALPHABET)


def letters_vocabulary() -> Vocabulary:
    """'a'..'z' with ids 0..25."""
    return Vocabulary(ALPHABET, kind="letter")


def fibonacci_sequence(first: int, second: int, length: int) -> np.ndarray:
    """`length` letter ids starting first, second, then (previous two summed) mod 26."""
    if length < 2:
        raise ValueError(f"a Fibonacci letter sequence needs length >= 2, got {length}")
    seq = np.empty(length, dtype=np.int64)
    seq[0], seq[1] = first % N_LETTERS, second % N_LETTERS
    for t in range(2, length):
        seq[t] = (seq[t - 1] + seq[t - 2]) % N_LETTERS
    return seq


@dataclass(frozen=True)
class LetterSequences:
    """inputs[i, t] is letter t of sample i, targets[i, t] is letter t+1 (ids 0..25, int64, (N, T))."""

    inputs: np.ndarray
    targets: np.ndarray

    def __len__(self) -> int:
        return len(self.inputs)


def _check_sizes(n_samples: int, length: int) -> None:
    if n_samples < 0:
        raise ValueError(f"n_samples must be >= 0, got {n_samples}")
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")


def _from_starts(starts: np.ndarray, length: int) -> LetterSequences:
    full = np.empty((len(starts), length + 1), dtype=np.int64)
    full[:, :2] = starts
    for t in range(2, length + 1):
        full[:, t] = (full[:, t - 1] + full[:, t - 2]) % N_LETTERS
    return LetterSequences(inputs=full[:, :-1].copy(), targets=full[:, 1:].copy())


def fibonacci_letters(n_samples: int, length: int = 5, seed: int = 0) -> LetterSequences:
    """`n_samples` sequences of `length` steps with uniformly random first two letters.

    Deterministic in `seed` (numpy's default_rng); no global random state is touched.
    """
    _check_sizes(n_samples, length)
    starts = np.random.default_rng(seed).integers(0, N_LETTERS, size=(n_samples, 2))
    return _from_starts(starts, length)


def fibonacci_split(n_train: int = 1000, n_test: int = 200, length: int = 5, seed: int = 0,
                    test_fraction: float = 0.2) -> tuple[LetterSequences, LetterSequences]:
    """Training and held-out sequences whose starting letter pairs never overlap.

    A sequence is fixed by its first two letters (26 * 26 = 676 possibilities), so random
    train and test sets would mostly share sequences. Here a seeded `test_fraction` of the
    676 starting pairs is reserved for the test set; training samples draw their starts from
    the rest. Each side samples its pairs uniformly with replacement.
    """
    _check_sizes(n_train, length)
    _check_sizes(n_test, length)
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    rng = np.random.default_rng(seed)
    pairs = rng.permutation(N_LETTERS * N_LETTERS)
    n_held = max(1, round(test_fraction * len(pairs)))
    test_pairs, train_pairs = pairs[:n_held], pairs[n_held:]
    train_starts = rng.choice(train_pairs, size=n_train)
    test_starts = rng.choice(test_pairs, size=n_test)

    def split(p):
        return np.stack([p // N_LETTERS, p % N_LETTERS], axis=1)

    return _from_starts(split(train_starts), length), _from_starts(split(test_starts), length)
