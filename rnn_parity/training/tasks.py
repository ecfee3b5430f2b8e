"""The seed tasks as training jobs: their data, their defaults (the seeds' recipes) and padded batches.

Every task trains the seeds' way by default: per-example SGD (batch of one) over the training set
in a seeded shuffled order, the loss summed over the scored steps, gradients clipped, then one
optimizer step (rnn_parity.training.engine).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from .. import datasets as ds
from ..errors import RNNParityError
from ..reference import Params, RNNConfig, init_params
from ..reference.config import CELLS
from ..reference.loss import log_softmax

FRAMEWORKS = ("numpy", "torch")
FRAMEWORK_CHOICES = ("numpy", "torch", "both")
DATA_SEED = 0  # the synthetic data and the names split are fixed; --seed changes init and order only


# The seeds' initializations, by the names TaskDefaults.init uses: weights ~ N(0, 1) * scale, biases zero.
SEED_INIT_SCALES = {
    "sentiment": 1e-3,  # randn / 1000 (seeds 000 and 004)
    "fibonacci": 0.1,  # randn * 0.1 (seed 001)
    "dlai": 0.01,  # randn * 0.01 (seeds 002 and 003)
}


def init_task_params(config: RNNConfig, init: str, seed: int = 0, dtype="float64") -> Params:
    """init_params for a seed task's init name: a SEED_INIT_SCALES key ("randn" at that scale) or a
    scheme of init_params' own ("torch", "randn")."""
    if init in SEED_INIT_SCALES:
        return init_params(config, seed=seed, dtype=dtype, scheme="randn", scale=SEED_INIT_SCALES[init])
    return init_params(config, seed=seed, dtype=dtype, scheme=init)


@dataclass(frozen=True)
class TaskDefaults:
    """A seed document's training recipe: the defaults of `rnn-parity train TASK`."""

    hidden: int
    lr: float
    clip_value: float | None  # element-wise, like np.clip(d, -c, c); None: no clipping
    epochs: int
    init: str  # a key of SEED_INIT_SCALES (the seed's randn scale: "sentiment" is randn / 1000) or "torch"
    log_every: int  # epochs between report lines
    source: str  # which seed document it follows


@dataclass(frozen=True)
class Example:
    """One training sequence: x token ids (T,); y a class id () for many-to-one, next ids (T,) for many-to-many."""

    x: np.ndarray
    y: np.ndarray


@dataclass
class Task:
    name: str
    description: str
    output: str  # "last" (many-to-one) or "all" (many-to-many)
    vocab: ds.Vocabulary  # input symbols
    classes: tuple[str, ...]  # output symbols: class names or the next-symbol vocabulary
    train: list[Example]
    test: list[Example]  # may be empty (the one-word task)
    defaults: TaskDefaults
    h0_scale: float | None = None  # a seeded N(0, 1) * scale initial state (seed 002's a0); None: zeros
    notes: str = ""

    def config(self, hidden: int | None = None, cell: str = "rnn") -> RNNConfig:
        return RNNConfig(input_size=len(self.vocab), hidden_size=hidden or self.defaults.hidden,
                         output_size=len(self.classes), output=self.output, cell=cell)

    def recipe(self, cell: str = "rnn") -> TaskDefaults:
        """The defaults for `cell`: the seed's own for the RNN; for a gated cell the seed's size, clip and
        epochs with GATED_RECIPES' init and learning rate."""
        return self.defaults if cell == "rnn" else replace(self.defaults, **GATED_RECIPES[cell][self.name])


TASK_DEFAULTS: dict[str, TaskDefaults] = {
    "sentiment": TaskDefaults(hidden=64, lr=2e-2, clip_value=1.0, epochs=1000, init="sentiment", log_every=100,
                          source="seed 000: H=64, randn/1000, SGD lr 2e-2, clip [-1, 1], 1000 epochs"),
    "fibonacci": TaskDefaults(hidden=50, lr=1e-4, clip_value=1.0, epochs=200, init="fibonacci", log_every=20,
                          source="seed 001: 1000 sequences of 5, H=50, randn*0.1, SGD lr 1e-4, clip [-1, 1], "
                                 "200 epochs"),
    "names": TaskDefaults(hidden=50, lr=1e-2, clip_value=1.0, epochs=20, init="dlai", log_every=2,
                      source="seed 003: H=50, SGD lr 0.01, clip 1, about 100,000 single-name steps "
                             "(20 epochs of 4,647 names here); init randn*0.01 (the seed does not show its own)"),
    "recurrent": TaskDefaults(hidden=100, lr=1e-2, clip_value=None, epochs=300, init="dlai", log_every=30,
                          source="seed 002: n_x=27, H=100, random a0, SGD lr 0.01, no clipping; init randn*0.01 "
                                 "(the seed's randn is unscaled), 300 steps"),
}


# The seeds train Elman RNNs only. For an LSTM or a GRU a user keeps the task's size, clip and epochs, takes
# torch's default init (every tensor ~ U(-1/sqrt(H), 1/sqrt(H)), what nn.LSTM/nn.GRU start from) and picks a
# learning rate that trains: gated cells take larger steps than the seeds' RNN lrs (a sigmoid gate passes a
# quarter of the gradient at most). The lrs below reach the accuracies recorded in docs/training.md.
GATED_RECIPES: dict[str, dict[str, dict]] = {
    "lstm": {"sentiment": dict(init="torch", lr=5e-2), "fibonacci": dict(init="torch", lr=1e-2),
             "names": dict(init="torch", lr=1e-2), "recurrent": dict(init="torch", lr=1e-1)},
    "gru": {"sentiment": dict(init="torch", lr=5e-2), "fibonacci": dict(init="torch", lr=1e-2),
            "names": dict(init="torch", lr=1e-2), "recurrent": dict(init="torch", lr=1e-1)},
}
INIT_LABELS = {"sentiment": "randn/1000, zero biases", "fibonacci": "randn*0.1, zero biases",
               "dlai": "randn*0.01, zero biases", "torch": "torch's default, U(-1/sqrt(H), 1/sqrt(H)) for every tensor",
               "randn": "randn*0.01, zero biases"}


def check_cell(cell: str) -> str:
    if cell not in CELLS:
        raise RNNParityError(f"unknown cell {cell!r}; choose one of {', '.join(CELLS)}")
    return cell


def _sentiment() -> Task:
    data = ds.load_sentiment()
    encode = data.encode
    return Task(
        name="sentiment", description="sentiment of short phrases (seeds 000/004), many-to-one",
        output="last", vocab=data.vocab, classes=data.labels,
        train=[Example(encode(p.text), np.int64(p.label)) for p in data.train],
        test=[Example(encode(p.text), np.int64(p.label)) for p in data.test],
        defaults=TASK_DEFAULTS["sentiment"])


def _fibonacci() -> Task:
    train, test = ds.fibonacci_split(n_train=1000, n_test=200, length=5, seed=DATA_SEED)
    vocab = ds.letters_vocabulary()

    def examples(seqs):
        return [Example(x, y) for x, y in zip(seqs.inputs, seqs.targets)]

    return Task(
        name="fibonacci", description="next letter of 'Fibonacci mod 26' sequences (seed 001), many-to-many",
        output="all", vocab=vocab, classes=vocab.tokens, train=examples(train), test=examples(test),
        defaults=TASK_DEFAULTS["fibonacci"],
        notes="test sequences start from letter pairs never seen in training; the first step of every "
              "sequence is a coin toss (1/26), the other four follow the rule")


def _names() -> Task:
    train, test = ds.split_names(ds.load_names(), test_fraction=0.1, seed=DATA_SEED)
    vocab = ds.names_vocabulary()

    def examples(names):
        return [Example(*ds.encode_name(n, vocab)) for n in names]

    return Task(
        name="names", description="character-level person names (seed 003), many-to-many",
        output="all", vocab=vocab, classes=vocab.tokens, train=examples(train), test=examples(test),
        defaults=TASK_DEFAULTS["names"])


def _recurrent() -> Task:
    vocab = ds.recurrent_vocabulary()
    x, y = ds.recurrent_example()
    return Task(
        name="recurrent", description="the one word 'recurrent' (seed 002), many-to-many, nonzero h0",
        output="all", vocab=vocab, classes=vocab.tokens, train=[Example(x, y)], test=[],
        defaults=TASK_DEFAULTS["recurrent"],
        h0_scale=1.0)


TASKS: dict[str, Callable[[], Task]] = {
    "sentiment": _sentiment, "fibonacci": _fibonacci, "names": _names, "recurrent": _recurrent,
}


def load_task(name: str) -> Task:
    try:
        return TASKS[name]()
    except KeyError:
        raise RNNParityError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}") from None


def task_h0(task: Task, config: RNNConfig, seed: int, dtype=None):
    """The task's h0 for one sequence, (1, 1, H), or None; an LSTM's is the pair (h0, zeros c0): seed 002
    draws its a0 at random and has no cell state to draw. dtype: cast to it (None: float64)."""
    if task.h0_scale is None:
        return None
    rng = np.random.default_rng([seed, 2])
    n = config.num_layers * config.num_directions
    h0 = rng.standard_normal((n, 1, config.state_size)) * task.h0_scale
    if dtype is not None:
        h0 = h0.astype(dtype)
    if config.has_cell_state:
        return h0, np.zeros((n, 1, config.hidden_size), dtype=h0.dtype)
    return h0


def repeat_state(h0, batch: int):
    """A one-sequence state (h0 (n, 1, S), or an LSTM's pair) repeated over `batch` sequences; None stays None."""
    if h0 is None:
        return None
    if isinstance(h0, tuple):
        return tuple(np.repeat(s, batch, axis=1) for s in h0)
    return np.repeat(h0, batch, axis=1)


# --------------------------------------------------------------------------------------------
# Padded batches and their numbers, shared by both frameworks


def tally(logits: np.ndarray, targets: np.ndarray, mask: np.ndarray | None = None) -> tuple[float, int, int]:
    """(summed cross-entropy, correct argmax count, scored count) of logits (..., O) against targets (...)."""
    nll = -np.take_along_axis(log_softmax(logits), targets[..., None], axis=-1)[..., 0]
    correct = logits.argmax(axis=-1) == targets
    if mask is None:
        return float(nll.sum()), int(correct.sum()), int(targets.size)
    return float(nll[mask].sum()), int(correct[mask].sum()), int(mask.sum())


@dataclass(frozen=True)
class Batch:
    """Examples padded into one time-major batch: x (T, B), y (B,) or (T, B), mask (T, B) for "all"."""

    x: np.ndarray
    y: np.ndarray
    lengths: np.ndarray | None
    mask: np.ndarray | None


def make_batch(examples: list[Example], output: str) -> Batch:
    lengths = np.array([len(e.x) for e in examples], dtype=np.int64)
    T, B = int(lengths.max()), len(examples)
    x = np.zeros((T, B), dtype=np.int64)
    for b, e in enumerate(examples):
        x[:len(e.x), b] = e.x
    ragged = bool((lengths != T).any())
    if output == "last":
        y = np.array([int(e.y) for e in examples], dtype=np.int64)
        mask = None
    else:
        y = np.zeros((T, B), dtype=np.int64)
        for b, e in enumerate(examples):
            y[:len(e.y), b] = e.y
        mask = np.arange(T)[:, None] < lengths[None, :] if ragged else None
    return Batch(x, y, lengths if ragged else None, mask)
