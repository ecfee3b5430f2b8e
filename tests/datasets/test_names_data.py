import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

from rnn_parity.datasets import (data_path, derive_names, encode_name, load_names, names_vocabulary,
                                 recurrent_example, recurrent_vocabulary, split_names)


def test_names_file_contents():
    names = load_names()
    assert len(names) == 5163
    assert list(names) == sorted(set(names))
    assert all(re.fullmatch("[a-z]+", n) for n in names)
    assert {"mary", "james", "linda", "john"} <= set(names)


def test_provenance_note_matches_the_file():
    note = data_path("PROVENANCE.md").read_text()
    for needed in ("1990", "public domain", "names", "0.3.0", "dist.female.first", "dist.male.first"):
        assert needed in note
    digest = hashlib.sha256(data_path("names.txt").read_bytes()).hexdigest()
    assert digest in note, "PROVENANCE.md must record names.txt's SHA-256"
    assert f"{len(load_names()):,}" in note


def _census_files():
    try:
        import names as census_pkg  # the PyPI package `names`, if installed
    except ImportError:
        return None
    root = Path(census_pkg.__file__).parent
    files = [root / "dist.female.first", root / "dist.male.first"]
    return files if all(f.exists() for f in files) else None


def test_derivation_reproduces_the_file():
    files = _census_files()
    if files is None:
        pytest.skip("the `names` package (source of the census lists) is not installed")
    assert tuple(derive_names(files)) == load_names()


def test_derive_names_rule(tmp_path):
    f = tmp_path / "list"
    f.write_text("MARY  2.6 2.6 1\nJOHN 1 1 2\n\nmary 0 0 3\n")
    assert derive_names([f]) == ["john", "mary"]


def test_names_vocabulary_and_encoding():
    vocab = names_vocabulary()
    assert len(vocab) == 27 and vocab.tokens[0] == "\n" and vocab.tokens[1] == "a" and vocab.tokens[-1] == "z"
    x, y = encode_name("Ana")
    assert x.tolist() == [0, 1, 14, 1] and y.tolist() == [1, 14, 1, 0]


def test_split_names_is_seeded_and_disjoint():
    names = load_names()
    train, test = split_names(names, 0.1, seed=2)
    assert len(test) == 516 and len(train) + len(test) == len(names)
    assert not set(train) & set(test)
    assert split_names(names, 0.1, seed=2) == (train, test)
    assert split_names(names, 0.1, seed=3) != (train, test)


def test_recurrent_example_matches_the_seed_numbering():
    x, y = recurrent_example()
    assert len(recurrent_vocabulary()) == 27
    assert x.tolist() == [17, 4, 2, 20, 17, 17, 4, 13]
    assert y.tolist() == [4, 2, 20, 17, 17, 4, 13, 19]
    x, y = recurrent_example(with_end=True)
    assert len(x) == 9 and y[-1] == 26
    assert np.array_equal(x[1:], y[:-1])
