"""The sentiment task of seeds 000 and 004: 58 training and 20 test phrases, two classes.

Each phrase becomes a sequence of word ids (many-to-one input); its label is 1 (positive)
or 0 (negative). The word vocabulary is the training phrases' words in sorted order, so
ids never depend on set iteration order (the seeds' `list(set(...))` does).
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from ._files import read_text
from .vocab import Vocabulary

DATA_FILE = "sentiment.json"
LABELS = ("negative", "positive")


@dataclass(frozen=True)
class Phrase:
    text: str
    label: int  # 1 positive, 0 negative


@dataclass(frozen=True)
class SentimentData:
    train: tuple[Phrase, ...]
    test: tuple[Phrase, ...]
    vocab: Vocabulary
    labels: tuple[str, ...] = LABELS

    def encode(self, text: str) -> np.ndarray:
        """Word ids of `text` (int64, shape (T,)). An unknown word raises UnknownTokenError naming it."""
        return encode_phrase(text, self.vocab)


def tokenize(text: str) -> list[str]:
    """Lower-cased, whitespace-separated words."""
    words = text.lower().split()
    if not words:
        raise ValueError("empty phrase: it needs at least one word")
    return words


def encode_phrase(text: str, vocab: Vocabulary) -> np.ndarray:
    return vocab.encode(tokenize(text))


def sentiment_vocabulary(phrases, unk: str | None = None) -> Vocabulary:
    """The sorted set of words of `phrases` (Phrase objects or strings); `unk` adds an unknown-word token."""
    words = {w for p in phrases for w in tokenize(p.text if isinstance(p, Phrase) else p)}
    return Vocabulary(sorted(words), unk=unk, kind="word")


def load_sentiment(unk: str | None = None) -> SentimentData:
    """The committed phrases with their vocabulary (18 words; 19 with `unk="<unk>"`)."""
    raw = json.loads(read_text(DATA_FILE))
    if tuple(raw["labels"]) != LABELS:
        raise ValueError(f"{DATA_FILE}: labels {raw['labels']} differ from {LABELS}")
    train = tuple(Phrase(text, int(label)) for text, label in raw["train"])
    test = tuple(Phrase(text, int(label)) for text, label in raw["test"])
    return SentimentData(train=train, test=test, vocab=sentiment_vocabulary(train, unk=unk))
