import numpy as np
import pytest

from rnn_parity.datasets import fibonacci_letters, fibonacci_sequence, fibonacci_split, letters_vocabulary


def test_rule_holds_everywhere():
    data = fibonacci_letters(500, length=7, seed=3)
    assert data.inputs.shape == data.targets.shape == (500, 7)
    full = np.concatenate([data.inputs, data.targets[:, -1:]], axis=1)
    assert np.array_equal(data.inputs[:, 1:], data.targets[:, :-1])
    assert np.array_equal(full[:, 2:], (full[:, 1:-1] + full[:, :-2]) % 26)
    assert full.min() >= 0 and full.max() <= 25


def test_single_sequence_example():
    # c=2, d=3 -> 5=f, 8=i, 13=n, 21=v, 34%26=8=i
    seq = fibonacci_sequence(2, 3, 7)
    assert "".join(letters_vocabulary().decode(seq)) == "cdfinvi"


def test_seeded_and_deterministic():
    a, b = fibonacci_letters(50, 5, seed=7), fibonacci_letters(50, 5, seed=7)
    assert np.array_equal(a.inputs, b.inputs) and np.array_equal(a.targets, b.targets)
    assert not np.array_equal(a.inputs, fibonacci_letters(50, 5, seed=8).inputs)
    state = np.random.get_state()[1].copy()
    fibonacci_letters(10, 5, seed=1)
    assert np.array_equal(state, np.random.get_state()[1])  # global RNG untouched


@pytest.mark.parametrize("n, length", [(0, 5), (1, 1), (3, 40)])
def test_any_count_and_length(n, length):
    data = fibonacci_letters(n, length, seed=0)
    assert data.inputs.shape == (n, length)


def test_split_holds_out_starting_pairs():
    train, test = fibonacci_split(1000, 200, length=5, seed=0)
    assert len(train) == 1000 and len(test) == 200
    train_pairs = {tuple(r) for r in train.inputs[:, :2]}
    test_pairs = {tuple(r) for r in test.inputs[:, :2]}
    assert not train_pairs & test_pairs
    again = fibonacci_split(1000, 200, length=5, seed=0)
    assert np.array_equal(again[0].inputs, train.inputs) and np.array_equal(again[1].targets, test.targets)


def test_bad_sizes():
    with pytest.raises(ValueError):
        fibonacci_letters(-1)
    with pytest.raises(ValueError):
        fibonacci_letters(3, length=0)
    with pytest.raises(ValueError):
        fibonacci_split(test_fraction=1.5)
