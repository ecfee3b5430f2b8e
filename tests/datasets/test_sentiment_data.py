import numpy as np
import pytest

from rnn_parity.datasets import UnknownTokenError, Vocabulary, load_sentiment


def test_counts_and_labels():
    data = load_sentiment()
    assert len(data.train) == 58
    assert len(data.test) == 20
    assert {p.label for p in data.train + data.test} == {0, 1}
    # 26 of 58 and 10 of 20 positive; the splits share no phrase
    assert sum(p.label for p in data.train) == 26
    assert sum(p.label for p in data.test) == 10
    assert not {p.text for p in data.train} & {p.text for p in data.test}


def test_vocabulary_has_18_sorted_words():
    data = load_sentiment()
    assert len(data.vocab) == 18
    assert list(data.vocab.tokens) == sorted(data.vocab.tokens)
    assert data.vocab.tokens[0] == "all" and data.vocab.tokens[-1] == "was"
    # every test word is known
    for p in data.test:
        data.encode(p.text)


def test_vocabulary_is_deterministic():
    assert load_sentiment().vocab == load_sentiment().vocab


def test_encode_round_trip_and_case():
    data = load_sentiment()
    ids = data.encode("I am  not sad")
    assert ids.dtype == np.int64 and ids.shape == (4,)
    assert data.vocab.decode(ids) == ["i", "am", "not", "sad"]


def test_unknown_word_error_names_the_word():
    data = load_sentiment()
    with pytest.raises(UnknownTokenError, match="'glad'"):
        data.encode("i am glad")
    assert issubclass(UnknownTokenError, ValueError)


def test_explicit_unk_option():
    data = load_sentiment(unk="<unk>")
    assert len(data.vocab) == 19 and data.vocab.tokens[-1] == "<unk>"
    assert data.encode("i am glad")[-1] == 18


def test_empty_phrase_rejected():
    with pytest.raises(ValueError, match="empty"):
        load_sentiment().encode("   ")


def test_vocabulary_rejects_duplicates_and_bad_ids():
    with pytest.raises(ValueError, match="duplicate"):
        Vocabulary(["a", "b", "a"])
    with pytest.raises(ValueError, match="out of range"):
        Vocabulary(["a"]).decode([1])
