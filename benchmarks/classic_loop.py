"""The classic tutorial loop of the sentiment seed (seed 000), written out as the benchmark baseline.

It keeps everything that makes that loop what it is, so the timings measure the classic style:

- every word becomes a (D, 1) one-hot column, rebuilt for every example of every epoch;
- column vectors throughout: h is (H, 1), biases are (H, 1) and (O, 1);
- the hidden states of one sequence live in a dict keyed by step, h[0] being zeros;
- one matrix product per weight per step: Wxh @ x_t + Whh @ h_{t-1} + bh, and Why @ h_T + by;
- softmax as exp / sum(exp), loss -log p_target, accuracy by argmax, per example;
- BPTT from the last step back, gradients accumulated step by step;
- np.clip on each gradient in place, then in-place SGD (p -= lr * dp) on each parameter.

The liberties taken:
- the weights come from outside, so all three contenders start from the same init;
- the per-epoch visiting order can be passed in, so all three see the same examples in the same order
  (without `order` the loop shuffles with `random.shuffle`, as the tutorial does);
- one line of the seed's BPTT is corrected: it propagates dL/dh_{t-1} = Whh @ (dL/da_t) where the chain
  rule gives Whh^T @ (dL/da_t). That is the gradient of the transposed recurrence, so the seed's weights
  drift from the true gradient's (by about 1e-6 after one epoch at its init). The product costs the same
  either way; `seed_transpose_slip=True` restores the seed's line.
"""
from __future__ import annotations

import random

import numpy as np


class ClassicRNN:
    """A many-to-one Elman RNN in the tutorial's column-vector layout."""

    def __init__(self, Wxh: np.ndarray, Whh: np.ndarray, Why: np.ndarray, bh: np.ndarray, by: np.ndarray,
                 seed_transpose_slip: bool = False):
        self.Wxh = np.array(Wxh, dtype=np.float64)  # (H, D)
        self.Whh = np.array(Whh, dtype=np.float64)  # (H, H)
        self.Why = np.array(Why, dtype=np.float64)  # (O, H)
        self.bh = np.array(bh, dtype=np.float64).reshape(-1, 1)  # (H, 1)
        self.by = np.array(by, dtype=np.float64).reshape(-1, 1)  # (O, 1)
        self.last_inputs: list[np.ndarray] = []
        self.last_hs: dict[int, np.ndarray] = {}
        self.seed_transpose_slip = seed_transpose_slip

    @classmethod
    def from_params(cls, params) -> "ClassicRNN":
        """From reference Params (bias="single", one layer): bh (H,) and by (O,) become columns."""
        return cls(params["Wxh"], params["Whh"], params["Why"], params["bh"], params["by"])

    def arrays(self) -> dict[str, np.ndarray]:
        """The weights under the reference's names and shapes (biases flattened), as copies."""
        return {"Wxh": self.Wxh.copy(), "Whh": self.Whh.copy(), "bh": self.bh.ravel().copy(),
                "Why": self.Why.copy(), "by": self.by.ravel().copy()}

    def forward(self, inputs: list[np.ndarray]):
        """inputs: list of (D, 1) one-hot columns. Returns the output column y (O, 1) and the last h (H, 1)."""
        h = np.zeros((self.Whh.shape[0], 1))
        self.last_inputs = inputs
        self.last_hs = {0: h}
        for t, x in enumerate(inputs):
            h = np.tanh(self.Wxh @ x + self.Whh @ h + self.bh)
            self.last_hs[t + 1] = h
        y = self.Why @ h + self.by
        return y, h

    def backprop(self, d_y: np.ndarray, learn_rate: float = 2e-2, clip: float = 1.0) -> None:
        """BPTT from dL/dy (O, 1), element-wise clipping to [-clip, clip], then one SGD step in place."""
        n = len(self.last_inputs)
        d_Why = d_y @ self.last_hs[n].T
        d_by = d_y
        d_Whh = np.zeros(self.Whh.shape)
        d_Wxh = np.zeros(self.Wxh.shape)
        d_bh = np.zeros(self.bh.shape)
        d_h = self.Why.T @ d_y
        for t in reversed(range(n)):
            # dL/da_t = dL/dh_t * tanh'(a_t), with tanh'(a_t) = 1 - h_t^2
            d_a = (1 - self.last_hs[t + 1] ** 2) * d_h
            d_bh += d_a
            d_Whh += d_a @ self.last_hs[t].T
            d_Wxh += d_a @ self.last_inputs[t].T
            # dL/dh_{t-1} = Whh^T dL/da_t. The seed writes `Whh @ temp` here, which is the gradient of the
            # transposed recurrence (a known slip in that tutorial); seed_transpose_slip=True reproduces it.
            d_h = (self.Whh if self.seed_transpose_slip else self.Whh.T) @ d_a
        for d in (d_Wxh, d_Whh, d_Why, d_bh, d_by):
            np.clip(d, -clip, clip, out=d)
        self.Whh -= learn_rate * d_Whh
        self.Wxh -= learn_rate * d_Wxh
        self.Why -= learn_rate * d_Why
        self.bh -= learn_rate * d_bh
        self.by -= learn_rate * d_by


def one_hot_columns(text: str, word_to_idx: dict[str, int], vocab_size: int) -> list[np.ndarray]:
    """The words of `text` as a list of (vocab_size, 1) one-hot columns."""
    columns = []
    for word in text.split(" "):
        v = np.zeros((vocab_size, 1))
        v[word_to_idx[word]] = 1
        columns.append(v)
    return columns


def softmax(v: np.ndarray) -> np.ndarray:
    """The tutorial's softmax: exp over the builtin sum of exp (no max shift)."""
    return np.exp(v) / sum(np.exp(v))


def process_data(rnn: ClassicRNN, items: list[tuple[str, int]], word_to_idx: dict[str, int],
                 backprop: bool = True, order=None, learn_rate: float = 2e-2, clip: float = 1.0):
    """One pass over `items` (text, label), one SGD step per example. Returns (mean loss, accuracy).

    order: the indices of `items` to visit, or None to shuffle with random.shuffle like the tutorial.
    """
    if order is None:
        items = list(items)
        random.shuffle(items)
    else:
        items = [items[i] for i in order]
    vocab_size = len(word_to_idx)
    loss = 0.0
    num_correct = 0
    for text, label in items:
        inputs = one_hot_columns(text, word_to_idx, vocab_size)
        target = int(label)
        out, _ = rnn.forward(inputs)
        probs = softmax(out)
        loss -= np.log(probs[target])
        num_correct += int(np.argmax(probs) == target)
        if backprop:
            d_y = probs
            d_y[target] -= 1
            rnn.backprop(d_y, learn_rate, clip)
    return float(np.ravel(loss)[0]) / len(items), num_correct / len(items)


def train(rnn: ClassicRNN, items: list[tuple[str, int]], word_to_idx: dict[str, int], orders,
          learn_rate: float = 2e-2, clip: float = 1.0) -> list[tuple[float, float]]:
    """One process_data pass per entry of `orders` (one per epoch). Returns (loss, accuracy) per epoch."""
    return [process_data(rnn, items, word_to_idx, True, order, learn_rate, clip) for order in orders]


def main(argv=None) -> int:
    """Seed 000's script as a whole process: load the phrases, init randn/1000, train, print the test accuracy.

    `python -m rnn_parity.benchmarks.classic_loop --epochs 1000`: the stand-in for running the seed's own
    file, the baseline of the whole-process benchmark (benchmarks/processes.py).
    """
    import argparse

    from rnn_parity import datasets

    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    data = datasets.load_sentiment()
    word_to_idx = {w: i for i, w in enumerate(data.vocab.tokens)}
    H, D, O = 64, len(word_to_idx), len(data.labels)
    rng = np.random.default_rng(args.seed)
    rnn = ClassicRNN(rng.standard_normal((H, D)) / 1000, rng.standard_normal((H, H)) / 1000,
                     rng.standard_normal((O, H)) / 1000, np.zeros((H, 1)), np.zeros((O, 1)))
    random.seed(args.seed)
    train_items = [(p.text, p.label) for p in data.train]
    for _ in range(args.epochs):
        process_data(rnn, train_items, word_to_idx)
    _, accuracy = process_data(rnn, [(p.text, p.label) for p in data.test], word_to_idx, backprop=False,
                               order=range(len(data.test)))
    print(f"test accuracy {accuracy:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
