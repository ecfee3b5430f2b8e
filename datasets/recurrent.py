"""The single-word character example of seed 002: the word "recurrent".

Vocabulary: 'a'..'z' with ids 0..25 (the seed's numbering: "recurrent" ->
17 4 2 20 17 17 4 13 19) plus the end symbol "\\n" as id 26, so n_x = 27.

The seed's pair is input "recurren", target "ecurrent": every step predicts the next
letter. With `with_end=True` the whole word is read and the last step predicts the end
symbol: input "recurrent", target "ecurrent\\n".
"""
from __future__ import annotations

import string

import numpy as np

from .vocab import Vocabulary

WORD = "recurrent"
END = "\n"


def recurrent_vocabulary() -> Vocabulary:
    return Vocabulary(string.ascii_lowercase + END, kind="character")


def recurrent_example(word: str = WORD, with_end: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(input ids, target ids) of `word`, int64, each of shape (T,)."""
    vocab = recurrent_vocabulary()
    ids = vocab.encode(list(word.lower()))
    if len(ids) < 2 and not with_end:
        raise ValueError(f"word {word!r} is too short: it needs at least two letters")
    if with_end:
        return ids, np.concatenate([ids[1:], [vocab.index(END)]])
    return ids[:-1], ids[1:]
