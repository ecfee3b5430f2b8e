"""Vocabularies: a fixed, ordered list of tokens and the token <-> id maps built from it."""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np


class UnknownTokenError(ValueError):
    """A token that is not in the vocabulary (the message names it)."""


class Vocabulary:
    """An ordered token list. Token i has id i; the order never depends on hashing or sets.

    unk: optional token that unknown tokens map to. It is appended to `tokens` when absent, so
    the vocabulary grows by one. Without it, encoding an unknown token raises UnknownTokenError.
    kind: what a token is ("word", "character"), for error messages.
    """

    def __init__(self, tokens: Iterable[str], unk: str | None = None, kind: str = "token"):
        tokens = list(tokens)
        if unk is not None and unk not in tokens:
            tokens.append(unk)
        if len(set(tokens)) != len(tokens):
            dupes = sorted({t for t in tokens if tokens.count(t) > 1})
            raise ValueError(f"Vocabulary: duplicate tokens {dupes}")
        self.tokens: tuple[str, ...] = tuple(tokens)
        self.unk = unk
        self.kind = kind
        self._index = {t: i for i, t in enumerate(self.tokens)}

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self._index

    def __iter__(self):
        return iter(self.tokens)

    def __eq__(self, other) -> bool:
        return isinstance(other, Vocabulary) and (self.tokens, self.unk) == (other.tokens, other.unk)

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} {self.kind}s, unk={self.unk!r})"

    def index(self, token: str) -> int:
        """The id of `token`; the unk id or UnknownTokenError when it is not in the vocabulary."""
        try:
            return self._index[token]
        except KeyError:
            if self.unk is not None:
                return self._index[self.unk]
            known = f" ({', '.join(map(repr, self.tokens))})" if len(self) <= 40 else ""
            raise UnknownTokenError(
                f"unknown {self.kind} {token!r}: not in the {len(self)}-{self.kind} vocabulary{known}") from None

    def encode(self, tokens: Sequence[str]) -> np.ndarray:
        """Token ids, int64, one per token."""
        return np.array([self.index(t) for t in tokens], dtype=np.int64)

    def decode(self, ids: Iterable[int]) -> list[str]:
        out = []
        for i in ids:
            i = int(i)
            if not 0 <= i < len(self):
                raise ValueError(f"token id {i} out of range for a vocabulary of {len(self)}")
            out.append(self.tokens[i])
        return out
