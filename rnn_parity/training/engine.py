"""The lockstep engine: trains a task in NumPy, torch or both, one example at a time, and records it.

With both frameworks the two start from the same weights (the reference's init converted by
torch_impl.to_torch), see the same example at every step, and the engine records the largest parameter
difference between them after every epoch. The optional control run trains a second NumPy copy whose
Whh starts one ulp away: the run's own sensitivity to float64 rounding, the yardstick for numpy-vs-torch.
Divergence and Ctrl-C keep the last good weights (the end of the last completed epoch).
"""
from __future__ import annotations

import contextlib
import math
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import RNNParityError
from ..reference import Params, RNNConfig, layer_keys
from .runners import NumpyRunner, StepRefused, TorchRunner
from .tasks import (FRAMEWORK_CHOICES, FRAMEWORKS, Batch, Task, check_cell, init_task_params, load_task, make_batch,
                    tally, task_h0)


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
    seconds_per_framework: dict[str, float]  # wall time in each framework's training steps
    # CPU time of the training thread in those steps: on a shared machine, less moved by other jobs than wall
    cpu_seconds_per_framework: dict[str, float] = field(default_factory=dict)

    @property
    def final_param_diff(self) -> float | None:
        return self.history.param_diff[-1] if self.history.param_diff else None

    def final_test(self, framework: str) -> Metrics | None:
        rows = self.history.test.get(framework) or []
        return rows[-1] if rows else None


def _params_diff(a: Params, b: Params) -> float:
    return max(float(np.max(np.abs(a[k] - b[k]))) for k in a)


def evaluate(runner, batch: Batch | None) -> Metrics | None:
    if batch is None:
        return None
    loss, correct, count = tally(runner.logits(batch), batch.y, batch.mask)
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
          log: Callable[[str], None] | None = None, dtype: str = "float64", control: bool = False,
          cell: str = "rnn") -> TrainResult:
    """Train `task` in one framework or both in lockstep.

    clip: "seed" (the task's element-wise clip), a number, or None (no element-wise clipping).
    clip_norm: global L2 norm clipping (clip_grad_norm_), applied after value clipping, None: off.
    progress: tqdm bar on stderr (None: only when stderr is a terminal).
    log: called with each report line (default: print to stdout, through tqdm.write while a bar shows).
    control: also train a second NumPy copy whose Whh starts one ulp away, and record how far the two
      drift apart: the run's own sensitivity to float64 rounding, the yardstick for numpy-vs-torch.
    cell: "rnn" (the seeds' model), "lstm" or "gru"; a gated cell takes task.recipe(cell)'s init and lr.
    """
    task = load_task(task) if isinstance(task, str) else task
    if framework not in FRAMEWORK_CHOICES:
        raise RNNParityError(f"unknown framework {framework!r}; choose one of {', '.join(FRAMEWORK_CHOICES)}")
    if control and framework == "torch":
        raise RNNParityError("the one-ulp control is a NumPy run: use it with --framework numpy or both")
    defaults = task.recipe(check_cell(cell))
    epochs = defaults.epochs if epochs is None else epochs
    lr = defaults.lr if lr is None else lr
    clip_value = defaults.clip_value if clip == "seed" else clip
    log_every = log_every or max(1, min(defaults.log_every, epochs))
    _check_settings(epochs, hidden, lr, clip_value, clip_norm, log_every)
    settings = dict(framework=framework, cell=cell, epochs=epochs, hidden=task.config(hidden).hidden_size, lr=lr,
                    clip_value=clip_value, clip_norm=clip_norm, seed=seed, init=defaults.init, dtype=dtype,
                    log_every=log_every, examples=len(task.train), test_examples=len(task.test), control=control)
    with _blas_threads(cell):
        if framework == "numpy":
            return _Run(task, settings, hidden).go(progress, log)
        from ..torch_impl.threads import torch_threads

        with torch_threads(1):  # tiny models: one intra-op thread is fastest (see torch_threads)
            return _Run(task, settings, hidden).go(progress, log)


def _blas_threads(cell: str):
    """One BLAS thread for a gated cell's run. Its flat gradient (4x the RNN's) crosses OpenBLAS's threading
    threshold for dot products, and on a busy 2-core machine the threaded dot of the per-step finite screen
    took 2 ms instead of 3 us. The RNN's stays below it, so its runs skip threadpoolctl (and its import)."""
    if cell == "rnn":
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="blas")


class _NoBar:
    """What the loop needs of a tqdm bar, when none is drawn: tqdm (and the multiprocessing it imports,
    ~20-50 ms of start-up) is imported only for a bar that shows."""

    def __init__(self, epochs):
        self.epochs = epochs

    def __iter__(self):
        return iter(self.epochs)

    def set_postfix_str(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass

    @staticmethod
    def write_line(line: str) -> None:
        print(line, file=sys.stdout)


def _progress_bar(epochs, progress: bool | None, desc: str):
    """A tqdm bar on stderr over `epochs` (progress None: only when stderr is a terminal, as tqdm's
    disable=None), else a _NoBar; both have write_line, which prints a report line without tearing a bar."""
    if not (sys.stderr.isatty() if progress is None else progress):
        return _NoBar(epochs)
    from tqdm import tqdm

    bar = tqdm(epochs, desc=desc, unit="epoch", file=sys.stderr, leave=False, dynamic_ncols=True)
    bar.write_line = lambda line: tqdm.write(line, file=sys.stdout)
    return bar


class _Run:
    """One training run: its runners, data, order and history, and the loop over epochs."""

    def __init__(self, task: Task, settings: dict, hidden: int | None):
        opts = settings
        self.task, self.settings, self.epochs = task, settings, opts["epochs"]
        framework = opts["framework"]
        self.frameworks = FRAMEWORKS if framework == "both" else (framework,)
        self.config = config = task.config(hidden, opts["cell"])
        params0 = init_task_params(config, opts["init"], seed=opts["seed"], dtype=opts["dtype"])
        h0 = task_h0(task, config, opts["seed"], opts["dtype"])
        runner_args = (opts["lr"], opts["clip_value"], opts["clip_norm"], h0)
        # Beside the NumPy runner, whose screen covers the same step, torch screens its gradients only in a
        # replay (see _locate); alone, it screens every step.
        self.runners = [NumpyRunner(params0.copy(), *runner_args) if fw == "numpy" else
                        TorchRunner(params0.copy(), *runner_args, screens_every_step="numpy" not in self.frameworks)
                        for fw in self.frameworks]
        self.twin = None
        if opts["control"]:
            nudged = params0.copy()
            for keys in layer_keys(config):
                nudged[keys.Whh] = np.nextafter(nudged[keys.Whh], np.inf)  # every element one ulp up
            self.twin = NumpyRunner(nudged, *runner_args)
            self.reference_runner = self.runners[self.frameworks.index("numpy")]
        self.items = {r.name: r.prepare(task.train) for r in self.runners}
        self.items_twin = self.twin.prepare(task.train) if self.twin else None
        self.test_batch = make_batch(task.test, task.output) if task.test else None
        self.order_rng = np.random.default_rng([opts["seed"], 1])
        self.hist = History(steps_per_epoch=len(task.train))
        self.spent = {r.name: 0.0 for r in self.runners}
        self.spent_cpu = dict(self.spent)
        self.last_good, self.kept, self.epoch = {r.name: r.snapshot() for r in self.runners}, 0, 0

    def go(self, progress, log) -> TrainResult:
        hist, runners, epochs = self.hist, self.runners, self.epochs
        for r in runners:
            hist.train[r.name], hist.test[r.name] = [], []
        if len(runners) == 2:
            hist.initial_param_diff = runners[1].max_abs_diff(runners[0].params)
        if self.twin is not None:
            hist.initial_control_diff = _params_diff(self.reference_runner.params, self.twin.params)
        bar = _progress_bar(range(1, epochs + 1), progress, f"{self.task.name} ({'+'.join(self.frameworks)})")
        write = log or bar.write_line
        train_batch = make_batch(self.task.train, self.task.output)
        for r in runners:
            hist.initial[r.name] = (evaluate(r, train_batch), evaluate(r, self.test_batch))
        write(format_initial(hist, epochs))
        start = time.perf_counter()
        try:
            for self.epoch in bar:
                self._one_epoch()
                bar.set_postfix_str("  ".join(f"{r.name} loss {hist.train[r.name][-1].loss:.4f}" for r in runners)
                                    + (f"  diff {hist.param_diff[-1]:.1e}" if hist.param_diff else ""))
                if self.epoch % self.settings["log_every"] == 0 or self.epoch == epochs:
                    self._evaluate_on_test()
                    for line in format_interval(hist, epochs):
                        write(line)
        except KeyboardInterrupt:
            raise TrainingInterrupted(self.last_good, self.epoch, self.kept) from None
        finally:
            bar.close()
        seconds = time.perf_counter() - start
        final = {r.name: r.numpy_params().copy() for r in runners}
        return TrainResult(task=self.task, config=self.config, frameworks=self.frameworks, settings=self.settings,
                           history=hist, params=final, seconds=seconds, seconds_per_framework=self.spent,
                           cpu_seconds_per_framework=self.spent_cpu)

    def _diverged(self, runner, what: str, where: str = "") -> TrainingDiverged:
        return TrainingDiverged(f"{self.task.name}: training diverged in epoch {self.epoch} ({runner.name}{where}): "
                                f"{what}; try a smaller --lr or a --clip", self.last_good, self.epoch, self.kept)

    def _one_epoch(self) -> None:
        """Every example once, in this epoch's order, through every runner; then the records.

        Each runner takes the whole epoch in one loop (runner.epoch), then the next. The runners share no
        state, so this is the lockstep of the same examples in the same order, without switching between
        NumPy and torch at every example (which leaves each a cold cache). A refusal is reported as the
        interleaved loop would have met it first: the earliest step, NumPy before torch within a step.
        """
        hist, runners, twin = self.hist, self.runners, self.twin
        order = self.order_rng.permutation(len(self.task.train))
        outcome = {}
        clock, cpu = time.perf_counter, time.thread_time
        for r in runners:
            t0, c0 = clock(), cpu()
            try:
                outcome[r.name] = r.epoch(self.items[r.name], order)
            except StepRefused as e:
                outcome[r.name] = e
            self.spent[r.name] += clock() - t0
            self.spent_cpu[r.name] += cpu() - c0
        refused = []
        for rank, r in enumerate(runners):
            got = outcome[r.name]
            if not r.screens_every_step and (isinstance(got, StepRefused) or not r.finite()):
                got = self._replay_screened(r, order)
            if isinstance(got, StepRefused):
                refused.append((got.step, rank, r, got))
        if refused:
            _, _, r, e = min(refused, key=lambda row: row[:2])
            raise self._diverged(r, str(e), f", step {e.step} of {len(order)}")
        if twin is not None:
            twin.epoch(self.items_twin, order, keep_going=True)  # the control's own divergence stops nothing
        hist.epochs.append(self.epoch)
        for r in runners:
            loss, correct, count = outcome[r.name]
            if not math.isfinite(loss):
                raise self._diverged(r, f"the epoch's summed loss overflowed to {loss}")
            if not r.finite():
                raise self._diverged(r, "the weights went non-finite")
            hist.train[r.name].append(Metrics(loss / count, correct / count))
        self.last_good, self.kept = {r.name: r.snapshot() for r in runners}, self.epoch
        if len(runners) == 2:
            hist.param_diff.append(runners[1].max_abs_diff(runners[0].params))
        if twin is not None:
            with np.errstate(all="ignore"):
                hist.control_diff.append(_params_diff(self.reference_runner.params, twin.params))

    def _replay_screened(self, runner, order) -> StepRefused | tuple:
        """The epoch again from its start with the runner's per-step screen on: its first refused step
        (a StepRefused), or its totals when no step is refused (the weights then went non-finite in an
        update, which the end-of-epoch check reports). Steps are deterministic, so the replay retraces
        the unscreened run up to that step."""
        runner.restore(self.last_good[runner.name])
        runner.screens_every_step = True
        try:
            return runner.epoch(self.items[runner.name], order)
        except StepRefused as e:
            return e
        finally:
            runner.screens_every_step = False

    def _evaluate_on_test(self) -> None:
        self.hist.eval_epochs.append(self.epoch)
        for r in self.runners:
            with np.errstate(all="ignore"):
                m = evaluate(r, self.test_batch)
            if m is not None:
                self.hist.test[r.name].append(m)


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
