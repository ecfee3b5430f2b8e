"""The seed tasks as training jobs, and the lockstep engine that trains them in NumPy and torch.

Every task trains the seeds' way by default: per-example SGD (batch of one) over the training set
in a seeded shuffled order, the loss summed over the scored steps, gradients clipped, then one
optimizer step. With both frameworks the two start from the same weights (the reference's
init converted by torch_impl.to_torch), see the same example at every step, and the engine
records the largest parameter difference between them after every epoch.

    NumPy side: rnn_parity.reference forward -> softmax_cross_entropy -> backward -> clip -> SGD.step
    torch side: TorchRNN -> F.cross_entropy(reduction="sum") -> backward -> clip_grad_*_ -> torch.optim.SGD
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import datasets as ds
from .errors import RNNParityError
from .reference import SGD, Params, RNNConfig, backward, forward, init_params, layer_keys, softmax_cross_entropy
from .reference import clip_norm as clip_by_norm
from .reference import clip_value as clip_by_value
from .reference.validate import first_nonfinite

FRAMEWORKS = ("numpy", "torch")
FRAMEWORK_CHOICES = ("numpy", "torch", "both")
DATA_SEED = 0  # the synthetic data and the names split are fixed; --seed changes init and order only


# --------------------------------------------------------------------------------------------
# Tasks


@dataclass(frozen=True)
class Protocol:
    """A seed document's training recipe (the defaults of `rnn-parity train TASK`)."""

    hidden: int
    lr: float
    clip_value: float | None  # element-wise, like np.clip(d, -c, c); None: no clipping
    epochs: int
    init: str  # init_params scheme
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
    protocol: Protocol
    h0_scale: float | None = None  # a seeded N(0, 1) * scale initial state (seed 002's a0); None: zeros
    notes: str = ""

    def config(self, hidden: int | None = None) -> RNNConfig:
        return RNNConfig(input_size=len(self.vocab), hidden_size=hidden or self.protocol.hidden,
                         output_size=len(self.classes), output=self.output)


# The seeds' recipes: the defaults of `rnn-parity train TASK`.
PROTOCOLS: dict[str, Protocol] = {
    "sentiment": Protocol(hidden=64, lr=2e-2, clip_value=1.0, epochs=1000, init="sentiment", log_every=100,
                          source="seed 000: H=64, randn/1000, SGD lr 2e-2, clip [-1, 1], 1000 epochs"),
    "fibonacci": Protocol(hidden=50, lr=1e-4, clip_value=1.0, epochs=200, init="fibonacci", log_every=20,
                          source="seed 001: 1000 sequences of 5, H=50, randn*0.1, SGD lr 1e-4, clip [-1, 1], "
                                 "200 epochs"),
    "names": Protocol(hidden=50, lr=1e-2, clip_value=1.0, epochs=20, init="dlai", log_every=2,
                      source="seed 003: H=50, SGD lr 0.01, clip 1, about 100,000 single-name steps "
                             "(20 epochs of 4,647 names here); init randn*0.01 (the seed does not show its own)"),
    "recurrent": Protocol(hidden=100, lr=1e-2, clip_value=None, epochs=300, init="dlai", log_every=30,
                          source="seed 002: n_x=27, H=100, random a0, SGD lr 0.01, no clipping; init randn*0.01 "
                                 "(the seed's randn is unscaled), 300 steps"),
}


def _sentiment() -> Task:
    data = ds.load_sentiment()
    encode = data.encode
    return Task(
        name="sentiment", description="sentiment of short phrases (seeds 000/004), many-to-one",
        output="last", vocab=data.vocab, classes=data.labels,
        train=[Example(encode(p.text), np.int64(p.label)) for p in data.train],
        test=[Example(encode(p.text), np.int64(p.label)) for p in data.test],
        protocol=PROTOCOLS["sentiment"])


def _fibonacci() -> Task:
    train, test = ds.fibonacci_split(n_train=1000, n_test=200, length=5, seed=DATA_SEED)
    vocab = ds.letters_vocabulary()

    def examples(seqs):
        return [Example(x, y) for x, y in zip(seqs.inputs, seqs.targets)]

    return Task(
        name="fibonacci", description="next letter of 'Fibonacci mod 26' sequences (seed 001), many-to-many",
        output="all", vocab=vocab, classes=vocab.tokens, train=examples(train), test=examples(test),
        protocol=PROTOCOLS["fibonacci"],
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
        protocol=PROTOCOLS["names"])


def _recurrent() -> Task:
    vocab = ds.recurrent_vocabulary()
    x, y = ds.recurrent_example()
    return Task(
        name="recurrent", description="the one word 'recurrent' (seed 002), many-to-many, nonzero h0",
        output="all", vocab=vocab, classes=vocab.tokens, train=[Example(x, y)], test=[],
        protocol=PROTOCOLS["recurrent"],
        h0_scale=1.0)


TASKS: dict[str, Callable[[], Task]] = {
    "sentiment": _sentiment, "fibonacci": _fibonacci, "names": _names, "recurrent": _recurrent,
}


def load_task(name: str) -> Task:
    try:
        return TASKS[name]()
    except KeyError:
        raise RNNParityError(f"unknown task {name!r}; choose one of {', '.join(TASKS)}") from None


# --------------------------------------------------------------------------------------------
# Scoring, shared by both frameworks


def score(logits: np.ndarray, targets: np.ndarray, mask: np.ndarray | None = None) -> tuple[float, int, int]:
    """(summed cross-entropy, correct argmax count, scored count) of logits (..., O) against targets (...)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    nll = -np.take_along_axis(log_probs, targets[..., None], axis=-1)[..., 0]
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


# --------------------------------------------------------------------------------------------
# Stopping early: divergence and Ctrl-C keep the last good weights


class TrainingDiverged(RNNParityError):
    """The loss or the weights went non-finite. `.params`: the last good weights per framework (the end of
    epoch `.kept_epoch`, 0 meaning the initial weights), all finite."""

    def __init__(self, message: str, params: dict, epoch: int, kept_epoch: int):
        super().__init__(message)
        self.params, self.epoch, self.kept_epoch = params, epoch, kept_epoch


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training. `.params`: the weights per framework at the end of epoch `.kept_epoch`."""

    def __init__(self, params: dict, epoch: int, kept_epoch: int):
        super().__init__(f"interrupted in epoch {epoch}")
        self.params, self.epoch, self.kept_epoch = params, epoch, kept_epoch


class _NonFinite(Exception):
    """Raised by a runner's step before it updates anything; the engine adds where it happened."""


def all_finite(arrays) -> bool:
    """True when no array holds a NaN or Inf, in one cheap pass (~3 us for a sentiment model's gradients).

    The sum of the squares is finite whenever every value is; an overflow of the sum itself reads as
    False here, and first_nonfinite_in then finds nothing: check with both.
    """
    total = 0.0
    for a in arrays:
        total += float(np.vdot(a, a))
    return math.isfinite(total)


def first_nonfinite_in(arrays) -> str | None:
    """"NAME holds VALUE at index I" for the first NaN or Inf in `arrays` ((name, ndarray) pairs), or None."""
    for name, a in arrays:
        where = first_nonfinite(a)
        if where is not None:
            return f"{name} holds {a[where]} at index {where}"
    return None


# --------------------------------------------------------------------------------------------
# The two runners


class NumpyRunner:
    """The reference: forward, summed softmax cross-entropy, BPTT, clip, SGD.step (in place)."""

    name = "numpy"

    def __init__(self, params: Params, lr: float, clip_value: float | None, clip_norm: float | None, h0=None):
        self.params = params
        self.optimizer = SGD(params, lr=lr)
        self.clip_value, self.clip_norm = clip_value, clip_norm
        self.h0 = h0

    def prepare(self, examples: list[Example]):
        return [(e.x[:, None], e.y[None] if e.y.ndim == 0 else e.y[:, None]) for e in examples]

    def step(self, item) -> tuple[float, int, int]:
        x, y = item
        with np.errstate(all="ignore"):  # overflow is detected below and reported once, not warned per op
            try:
                logits, _, cache = forward(self.params, x, self.h0)
            except ValueError as e:
                # The inputs were checked when the task was built, so what the reference refuses here is
                # numerical: non-finite weights, or logits that overflowed.
                what = "the weights went non-finite" if not self.finite() else "the forward pass failed"
                raise _NonFinite(f"{what} ({e})") from None
            loss, dlogits = softmax_cross_entropy(logits, y, None, "sum")
            if not math.isfinite(loss):
                raise _NonFinite(f"the loss is {loss}" + ("" if np.isfinite(logits).all() else
                                                            " (the logits overflowed)"))
            grads, _, _ = backward(self.params, cache, dlogits)
            # Checked before clipping: clip_value would turn an Inf into +-c without a word.
            if not all_finite(grads.values()):
                bad = first_nonfinite_in((f"gradient {k!r}", g) for k, g in grads.items())
                if bad:
                    raise _NonFinite(bad)
            if self.clip_value is not None:
                grads = clip_by_value(grads, self.clip_value)
            if self.clip_norm is not None:
                grads, _ = clip_by_norm(grads, self.clip_norm)
            self.optimizer.step(grads)
        correct = logits.argmax(axis=-1) == y
        return loss, int(correct.sum()), int(y.size)

    def finite(self) -> bool:
        return all(np.isfinite(v).all() for v in self.params.values())

    def snapshot(self) -> Params:
        return self.params.copy()

    def logits(self, batch: Batch) -> np.ndarray:
        h0 = None if self.h0 is None else np.repeat(self.h0, batch.x.shape[1], axis=1)
        with np.errstate(all="ignore"):
            logits, _, _ = forward(self.params, batch.x, h0, batch.lengths)
        return logits

    def numpy_params(self) -> Params:
        return self.params


class TorchRunner:
    """torch: TorchRNN (from to_torch), F.cross_entropy(reduction="sum"), autograd, clip_grad_*_, torch.optim.SGD."""

    name = "torch"

    def __init__(self, params: Params, lr: float, clip_value: float | None, clip_norm: float | None, h0=None):
        import torch

        from .torch_impl import to_torch, torch_key_map

        self.torch = torch
        self.model = to_torch(params)
        self.config = params.config
        self.trainable = [p for p in self.model.parameters() if p.requires_grad]
        # foreach: the same update (p += -lr * g) in one call for all tensors; ~10% faster per step on CPU
        self.optimizer = torch.optim.SGD(self.trainable, lr=lr, foreach=True)
        self.clip_value, self.clip_norm = clip_value, clip_norm
        self.h0 = None if h0 is None else torch.from_numpy(np.array(h0))
        # reference name -> the live torch parameter (SGD updates it in place)
        self._named = [(ref, self.model.get_parameter(key)) for key, ref in torch_key_map(self.config).items() if ref]

    def _one_hot(self, x: np.ndarray):
        # The model one-hots integer ids itself; doing it once per example up front saves the work per step.
        return self.torch.nn.functional.one_hot(self.torch.from_numpy(x), self.config.input_size).to(self.model.dtype)

    def prepare(self, examples: list[Example]):
        return [(self._one_hot(e.x[:, None]), self.torch.from_numpy(np.atleast_1d(e.y))) for e in examples]

    def step(self, item) -> tuple[float, int, int]:
        torch = self.torch
        x, y = item
        self.optimizer.zero_grad(set_to_none=True)
        logits, _ = self.model(x, self.h0)
        flat = logits.reshape(-1, logits.shape[-1])
        loss = torch.nn.functional.cross_entropy(flat, y, reduction="sum")
        value = float(loss.detach())
        if not math.isfinite(value):
            bad = self.first_nonfinite_weight()
            if bad:
                raise _NonFinite(f"the weights went non-finite ({bad})")
            raise _NonFinite(f"the loss is {value}" + ("" if bool(torch.isfinite(flat).all()) else
                                                       " (the logits overflowed)"))
        loss.backward()
        # Checked before clipping: clip_grad_value_ would turn an Inf into +-c without a word.
        grads = [(ref, p.grad.numpy()) for ref, p in self._named if p.grad is not None]
        if not all_finite(g for _, g in grads):
            bad = first_nonfinite_in((f"gradient {ref!r}", g) for ref, g in grads)
            if bad:
                raise _NonFinite(bad)
        if self.clip_value is not None:
            torch.nn.utils.clip_grad_value_(self.trainable, self.clip_value)
        if self.clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(self.trainable, self.clip_norm)
        self.optimizer.step()
        correct = int((flat.detach().argmax(dim=-1) == y).sum())
        return value, correct, int(y.numel())

    def finite(self) -> bool:
        return all(bool(self.torch.isfinite(p).all()) for _, p in self._named)

    def first_nonfinite_weight(self) -> str | None:
        return first_nonfinite_in((f"params[{ref!r}]", p.detach().numpy()) for ref, p in self._named)

    def snapshot(self) -> Params:
        return Params({ref: p.detach().numpy().copy() for ref, p in self._named}, self.config)

    def logits(self, batch: Batch) -> np.ndarray:
        torch = self.torch
        h0 = None if self.h0 is None else self.h0.repeat(1, batch.x.shape[1], 1)
        with torch.no_grad():
            logits, _ = self.model(self._one_hot(batch.x), h0, batch.lengths)
        return logits.numpy()

    def numpy_params(self) -> Params:
        """The torch weights as reference Params (from_torch: copies, bit for bit)."""
        from .torch_impl import from_torch

        return from_torch(self.model)

    def max_abs_diff(self, params: Params) -> float:
        return max(float(np.max(np.abs(params[ref] - p.detach().numpy()))) for ref, p in self._named)


# --------------------------------------------------------------------------------------------
# The engine


@dataclass
class Metrics:
    loss: float  # mean cross-entropy per scored symbol (nats)
    accuracy: float


@dataclass
class History:
    steps_per_epoch: int
    epochs: list[int] = field(default_factory=list)  # 1..E
    train: dict[str, list[Metrics]] = field(default_factory=dict)  # per framework, per epoch (during training)
    eval_epochs: list[int] = field(default_factory=list)
    test: dict[str, list[Metrics]] = field(default_factory=dict)  # per framework, per logged epoch
    param_diff: list[float] = field(default_factory=list)  # per epoch, max |numpy - torch|, with both
    initial_param_diff: float | None = None
    initial: dict[str, tuple[Metrics, Metrics | None]] = field(default_factory=dict)  # (train, test) before step 1
    control_diff: list[float] = field(default_factory=list)  # per epoch, max |numpy - numpy(Whh + 1 ulp)|
    initial_control_diff: float | None = None


@dataclass
class TrainResult:
    task: Task
    config: RNNConfig
    frameworks: tuple[str, ...]
    settings: dict
    history: History
    params: dict[str, Params]  # final weights per framework, reference names
    seconds: float
    seconds_per_framework: dict[str, float]

    @property
    def final_param_diff(self) -> float | None:
        return self.history.param_diff[-1] if self.history.param_diff else None

    def final_test(self, framework: str) -> Metrics | None:
        rows = self.history.test.get(framework) or []
        return rows[-1] if rows else None


def initial_state(task: Task, config: RNNConfig, seed: int):
    """The task's h0 for one sequence, (1, 1, H), or None."""
    if task.h0_scale is None:
        return None
    rng = np.random.default_rng([seed, 2])
    return rng.standard_normal((config.num_layers * config.num_directions, 1, config.hidden_size)) * task.h0_scale


def _params_diff(a: Params, b: Params) -> float:
    return max(float(np.max(np.abs(a[k] - b[k]))) for k in a)


def evaluate(runner, batch: Batch | None) -> Metrics | None:
    if batch is None:
        return None
    loss, correct, count = score(runner.logits(batch), batch.y, batch.mask)
    return Metrics(loss / count, correct / count)


def _check_settings(epochs, hidden, lr, clip_value_, clip_norm, log_every):
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise RNNParityError(f"epochs must be a positive integer, got {epochs}")
    if hidden is not None and (not isinstance(hidden, int) or hidden < 1):
        raise RNNParityError(f"hidden size must be a positive integer, got {hidden}")
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise RNNParityError(f"learning rate must be a positive number, got {lr}")
    for what, value in (("clip value", clip_value_), ("clip norm", clip_norm)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise RNNParityError(f"{what} must be a positive number, got {value}")
    if log_every is not None and log_every < 1:
        raise RNNParityError(f"log interval must be a positive integer, got {log_every}")


def train(task: Task | str, framework: str = "both", epochs: int | None = None, hidden: int | None = None,
          lr: float | None = None, clip: float | None | str = "seed", clip_norm: float | None = None,
          seed: int = 0, log_every: int | None = None, progress: bool | None = None,
          log: Callable[[str], None] | None = None, dtype: str = "float64", control: bool = False) -> TrainResult:
    """Train `task` in one framework or both in lockstep.

    clip: "seed" (the protocol's element-wise clip), a number, or None (no element-wise clipping).
    clip_norm: global L2 norm clipping (clip_grad_norm_), applied after value clipping, None: off.
    progress: tqdm bar on stderr (None: only when stderr is a terminal).
    log: called with each report line (default: print to stdout through tqdm.write).
    control: also train a second NumPy copy whose Whh starts one ulp away, and record how far the two
      drift apart: the run's own sensitivity to float64 rounding, the yardstick for numpy-vs-torch.
    """
    task = load_task(task) if isinstance(task, str) else task
    if framework not in FRAMEWORK_CHOICES:
        raise RNNParityError(f"unknown framework {framework!r}; choose one of {', '.join(FRAMEWORK_CHOICES)}")
    if control and framework == "torch":
        raise RNNParityError("the one-ulp control is a NumPy run: use it with --framework numpy or both")
    kw = dict(epochs=epochs, hidden=hidden, lr=lr, clip=clip, clip_norm=clip_norm, seed=seed,
              log_every=log_every, progress=progress, log=log, dtype=dtype, control=control)
    if framework == "numpy":
        return _train(task, framework, **kw)
    import torch

    threads = torch.get_num_threads()
    # These models are tiny (H <= 100): torch's intra-op threads only add synchronisation. On a 2-core
    # machine one thread runs a sentiment step about 7x faster than two.
    torch.set_num_threads(1)
    try:
        return _train(task, framework, **kw)
    finally:
        torch.set_num_threads(threads)


def _train(task, framework, *, epochs, hidden, lr, clip, clip_norm, seed, log_every, progress, log, dtype,
           control):
    from tqdm import tqdm

    proto = task.protocol
    epochs = proto.epochs if epochs is None else epochs
    lr = proto.lr if lr is None else lr
    clip_v = proto.clip_value if clip == "seed" else clip
    log_every = log_every or max(1, min(proto.log_every, epochs))
    _check_settings(epochs, hidden, lr, clip_v, clip_norm, log_every)
    frameworks = FRAMEWORKS if framework == "both" else (framework,)
    config = task.config(hidden)

    params0 = init_params(config, seed=seed, dtype=dtype, scheme=proto.init)
    h0 = initial_state(task, config, seed)
    if h0 is not None:
        h0 = h0.astype(dtype)
    runners = []
    for fw in frameworks:
        cls = NumpyRunner if fw == "numpy" else TorchRunner
        runners.append(cls(params0.copy(), lr, clip_v, clip_norm, h0))
    both = len(runners) == 2
    twin = None
    if control:
        nudged = params0.copy()
        for keys in layer_keys(config):
            nudged[keys.Whh] = np.nextafter(nudged[keys.Whh], np.inf)  # every element one ulp up
        twin = NumpyRunner(nudged, lr, clip_v, clip_norm, h0)
        reference_runner = runners[frameworks.index("numpy")]
    items = {r.name: r.prepare(task.train) for r in runners}
    test_batch = make_batch(task.test, task.output) if task.test else None
    order_rng = np.random.default_rng([seed, 1])

    hist = History(steps_per_epoch=len(task.train))
    for r in runners:
        hist.train[r.name], hist.test[r.name] = [], []
    if both:
        hist.initial_param_diff = runners[1].max_abs_diff(runners[0].params)
    if twin is not None:
        hist.initial_control_diff = _params_diff(reference_runner.params, twin.params)
        items_twin = twin.prepare(task.train)
    settings = dict(framework=framework, epochs=epochs, hidden=config.hidden_size, lr=lr, clip_value=clip_v,
                    clip_norm=clip_norm, seed=seed, init=proto.init, dtype=dtype, log_every=log_every,
                    examples=len(task.train), test_examples=len(task.test), control=control)
    write = log or (lambda line: tqdm.write(line, file=sys.stdout))
    train_batch = make_batch(task.train, task.output)
    for r in runners:
        hist.initial[r.name] = (evaluate(r, train_batch), evaluate(r, test_batch))
    write(format_initial(hist, epochs))
    spent = {r.name: 0.0 for r in runners}
    start = time.perf_counter()
    bar = tqdm(range(1, epochs + 1), desc=f"{task.name} ({'+'.join(frameworks)})", unit="epoch",
               file=sys.stderr, disable=(None if progress is None else not progress), leave=False,
               dynamic_ncols=True)
    last_good, kept = {r.name: r.snapshot() for r in runners}, 0
    epoch = 0

    def diverged(r, what: str, where: str = ""):
        return TrainingDiverged(f"{task.name}: training diverged in epoch {epoch} ({r.name}{where}): {what}; "
                                f"try a smaller --lr or a --clip", last_good, epoch, kept)

    try:
        for epoch in bar:
            order = order_rng.permutation(len(task.train))
            totals = {r.name: [0.0, 0, 0] for r in runners}
            for k, i in enumerate(order, 1):
                for r in runners:
                    t0 = time.perf_counter()
                    try:
                        loss, correct, count = r.step(items[r.name][i])
                    except _NonFinite as e:
                        raise diverged(r, str(e), f", step {k} of {len(order)}") from None
                    spent[r.name] += time.perf_counter() - t0
                    acc = totals[r.name]
                    acc[0] += loss
                    acc[1] += correct
                    acc[2] += count
                if twin is not None:
                    try:
                        twin.step(items_twin[i])
                    except _NonFinite:
                        pass  # the control only measures drift; its own divergence stops nothing
            hist.epochs.append(epoch)
            for r in runners:
                loss, correct, count = totals[r.name]
                if not math.isfinite(loss):
                    raise diverged(r, f"the epoch's summed loss overflowed to {loss}")
                if not r.finite():
                    raise diverged(r, "the weights went non-finite")
                hist.train[r.name].append(Metrics(loss / count, correct / count))
            last_good, kept = {r.name: r.snapshot() for r in runners}, epoch
            if both:
                hist.param_diff.append(runners[1].max_abs_diff(runners[0].params))
            if twin is not None:
                with np.errstate(all="ignore"):
                    hist.control_diff.append(_params_diff(reference_runner.params, twin.params))
            bar.set_postfix_str("  ".join(f"{r.name} loss {hist.train[r.name][-1].loss:.4f}" for r in runners)
                                + (f"  diff {hist.param_diff[-1]:.1e}" if both else ""))
            if epoch % log_every == 0 or epoch == epochs:
                hist.eval_epochs.append(epoch)
                for r in runners:
                    with np.errstate(all="ignore"):
                        m = evaluate(r, test_batch)
                    if m is not None:
                        hist.test[r.name].append(m)
                for line in format_interval(hist, epochs):
                    write(line)
    except KeyboardInterrupt:
        raise TrainingInterrupted(last_good, epoch, kept) from None
    finally:
        bar.close()
    seconds = time.perf_counter() - start
    final = {r.name: r.numpy_params().copy() for r in runners}
    return TrainResult(task=task, config=config, frameworks=frameworks, settings=settings, history=hist,
                       params=final, seconds=seconds, seconds_per_framework=spent)


def format_initial(hist: History, epochs: int) -> str:
    """One line: the loss and accuracy before any training (the first framework's; both start equal)."""
    fw = next(iter(hist.initial))
    tr, te = hist.initial[fw]
    line = f"epoch {0:>{len(str(epochs))}}/{epochs}  (initial)  train loss {tr.loss:.4f} acc {tr.accuracy:.3f}"
    if te is not None:
        line += f" | test loss {te.loss:.4f} acc {te.accuracy:.3f}"
    return line


def format_interval(hist: History, epochs: int) -> list[str]:
    """The report lines of the latest logged epoch: train/test loss and accuracy per framework, the diff."""
    epoch = hist.eval_epochs[-1]
    width = len(str(epochs))
    lines = []
    for i, fw in enumerate(hist.train):
        head = f"epoch {epoch:>{width}}/{epochs}" if i == 0 else " " * (len(str(epochs)) * 2 + 7)
        tr = hist.train[fw][-1]
        line = f"{head}  {fw:<5}  train loss {tr.loss:.4f} acc {tr.accuracy:.3f}"
        if hist.test[fw]:
            te = hist.test[fw][-1]
            line += f" | test loss {te.loss:.4f} acc {te.accuracy:.3f}"
        lines.append(line)
    if hist.param_diff:
        lines.append(" " * (width * 2 + 7) + f"  max |numpy - torch| over all parameters: {hist.param_diff[-1]:.3e}")
    if hist.control_diff:
        lines.append(" " * (width * 2 + 7) + f"  control, max |numpy - numpy(Whh + 1 ulp)|:  {hist.control_diff[-1]:.3e}")
    return lines


# --------------------------------------------------------------------------------------------
# What a person wants to see from a trained model (NumPy reference forward)


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


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


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
    if h0 is not None:
        h0 = np.repeat(h0, batch.x.shape[1], axis=1)
    logits, _, _ = forward(params, batch.x, h0, batch.lengths)
    correct = logits.argmax(axis=-1) == batch.y
    mask = np.ones_like(correct) if batch.mask is None else batch.mask
    return (correct & mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1)
