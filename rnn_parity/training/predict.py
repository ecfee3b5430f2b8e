"""What a person wants to see from a trained model, through the NumPy reference forward: sentiment
probabilities, the most likely next symbols, sampled names, accuracy per time step."""
from __future__ import annotations

import math

import numpy as np

from .. import datasets as ds
from ..errors import RNNParityError
from ..reference import Params, RNNConfig, forward
from ..reference.loss import softmax
from .tasks import Example, Task, make_batch, repeat_state


def check_params_fit(params: Params, task: Task) -> RNNConfig:
    """The config of `params`, after checking that it fits `task`'s vocabulary and output."""
    config = getattr(params, "config", None)
    if not isinstance(config, RNNConfig):
        raise RNNParityError("the weights carry no RNNConfig")
    want = (len(task.vocab), len(task.classes), task.output)
    got = (config.input_size, config.output_size, config.output)
    if got != want:
        raise RNNParityError(f"these weights do not fit task {task.name!r}: input/output size and output mode "
                             f"{got}, the task needs {want}")
    return config


def sentiment_probabilities(params: Params, task: Task, text: str) -> np.ndarray:
    """(P(negative), P(positive)) for one phrase; an unknown word raises an error naming it."""
    ids = ds.encode_phrase(text, task.vocab)
    logits, _, _ = forward(params, ids[:, None])
    return softmax(logits[0])


def next_symbol_topk(params: Params, task: Task, prefix: str, k: int = 5, h0=None) -> list[tuple[str, float]]:
    """The k most likely next symbols after `prefix` (a string of the task's characters), with probabilities."""
    if not prefix:
        raise RNNParityError("the prefix is empty: give at least one letter")
    if k < 1:
        raise RNNParityError(f"top-k needs k >= 1, got {k}")
    ids = task.vocab.encode(list(prefix.lower()))
    logits, _, _ = forward(params, ids[:, None], h0)
    probs = softmax(logits[-1, 0])
    top = np.argsort(-probs, kind="stable")[:k]
    return [(task.classes[i], float(probs[i])) for i in top]


def sample_names(params: Params, task: Task, count: int = 10, temperature: float = 1.0, seed: int = 0,
                 max_length: int = 20) -> list[str]:
    """`count` names drawn character by character from softmax(logits / temperature), seeded.

    Each name starts from the end symbol "\\n" (as in training) and stops when the model emits it
    again, or after max_length characters.
    """
    if count < 0:
        raise RNNParityError(f"count must be >= 0, got {count}")
    if not (math.isfinite(temperature) and temperature > 0):
        raise RNNParityError(f"temperature must be a positive number, got {temperature}")
    if max_length < 1:
        raise RNNParityError(f"max length must be >= 1, got {max_length}")
    rng = np.random.default_rng(seed)
    end = task.vocab.index("\n")
    names = []
    for _ in range(count):
        h, x, chars = None, end, []
        while len(chars) < max_length:
            logits, h, _ = forward(params, np.array([[x]]), h)
            x = int(rng.choice(len(task.classes), p=softmax(logits[-1, 0], temperature)))
            if x == end:
                break
            chars.append(task.classes[x])
        names.append("".join(chars))
    return names


def position_accuracy(params: Params, task: Task, examples: list[Example] | None = None, h0=None) -> np.ndarray:
    """Accuracy of the argmax prediction at each time step (many-to-many tasks), over `examples` (default: test)."""
    examples = task.test if examples is None else examples
    batch = make_batch(examples, task.output)
    logits, _, _ = forward(params, batch.x, repeat_state(h0, batch.x.shape[1]), batch.lengths)
    correct = logits.argmax(axis=-1) == batch.y
    mask = np.ones_like(correct) if batch.mask is None else batch.mask
    return (correct & mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1)
