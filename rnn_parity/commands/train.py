"""rnn-parity train TASK: train one seed task with the seed's recipe, in NumPy, torch or both in lockstep."""
from __future__ import annotations

import argparse
import math
import sys

import numpy as np

from ..errors import RNNParityError

TASK_NAMES = ("sentiment", "fibonacci", "names", "recurrent")
WEIGHT_SUFFIXES = (".npz", ".pt", ".safetensors")


def _clip_arg(text: str):
    if text == "seed":  # the default: the seed document's clip
        return "seed"
    if text.lower() in ("none", "off", "0"):
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'none', got {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from ..training import TASK_DEFAULTS

    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = "the seeds' recipes (the defaults):\n" + "\n".join(
        f"  {name:<10} {d.source}" for name, d in TASK_DEFAULTS.items())
    parser.add_argument("task", metavar="TASK", help=f"one of: {', '.join(TASK_NAMES)}")
    parser.add_argument("--framework", default="both", metavar="{numpy,torch,both}",
                        help="which implementation trains; 'both' runs them in lockstep from the same "
                             "converted weights and reports their largest parameter difference (default: both)")
    parser.add_argument("--cell", default="rnn", metavar="{rnn,lstm,gru}",
                        help="the recurrent cell: the seeds' Elman RNN (default), or an LSTM or GRU (nn.LSTM/nn.GRU), "
                             "which start from torch's default init with a learning rate of their own per task")
    parser.add_argument("--epochs", type=int, default=None, help="passes over the training set (default: the seed's)")
    parser.add_argument("--hidden", type=int, default=None, help="hidden size H (default: the seed's)")
    parser.add_argument("--lr", type=float, default=None, help="SGD learning rate (default: the seed's)")
    parser.add_argument("--clip", type=_clip_arg, default="seed", metavar="C",
                        help="element-wise gradient clip to [-C, C] (clip_grad_value_), or 'none' "
                             "(default: the seed's)")
    parser.add_argument("--clip-norm", type=float, default=None, metavar="N",
                        help="also clip the global L2 norm to N (clip_grad_norm_); off by default")
    parser.add_argument("--seed", type=int, default=0, help="seeds the init and the example order (default: 0)")
    parser.add_argument("--log-every", type=int, default=None, metavar="N",
                        help="epochs between report lines (default: the task's)")
    parser.add_argument("--plot", metavar="FILE", help="write a PNG of the loss curves and the parameter difference")
    parser.add_argument("--save", metavar="FILE",
                        help="write the trained weights (.npz, .pt or .safetensors); with both frameworks, "
                             "the NumPy reference's")
    parser.add_argument("--control", action="store_true",
                        help="also train a NumPy copy started one ulp away (every Whh element) and report how far "
                             "it drifts: the yardstick for the numpy-vs-torch difference")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def check_common(args) -> None:
    """Argument checks that must fail before any training starts (one line each)."""
    from .. import training

    if args.task not in training.TASKS:
        raise RNNParityError(f"unknown task {args.task!r}; choose one of {', '.join(training.TASKS)}")
    training.check_cell(getattr(args, "cell", "rnn"))
    if args.framework not in training.FRAMEWORK_CHOICES:
        raise RNNParityError(f"unknown framework {args.framework!r}; "
                             f"choose one of {', '.join(training.FRAMEWORK_CHOICES)}")
    if getattr(args, "control", False) and args.framework == "torch":
        raise RNNParityError("--control trains a NumPy copy: use it with --framework numpy or both")
    if args.epochs is not None and args.epochs < 1:
        raise RNNParityError(f"--epochs must be a positive integer, got {args.epochs}")
    if args.hidden is not None and args.hidden < 1:
        raise RNNParityError(f"--hidden must be a positive integer, got {args.hidden}")
    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        raise RNNParityError(f"--lr must be a positive number, got {args.lr}")
    if args.clip not in ("seed", None) and not (math.isfinite(args.clip) and args.clip > 0):
        raise RNNParityError(f"--clip must be a positive number or 'none', got {args.clip}")
    if args.clip_norm is not None and not (math.isfinite(args.clip_norm) and args.clip_norm > 0):
        raise RNNParityError(f"--clip-norm must be a positive number, got {args.clip_norm}")
    if args.log_every is not None and args.log_every < 1:
        raise RNNParityError(f"--log-every must be a positive integer, got {args.log_every}")
    if args.seed < 0:
        raise RNNParityError(f"--seed must be >= 0, got {args.seed}")
    if getattr(args, "plot", None) or getattr(args, "save", None):
        from ..reference.fsutil import check_writable  # (tempfile, secrets) only when a file will be written

        if getattr(args, "plot", None):
            check_writable(args.plot, "--plot", (".png",))
        if getattr(args, "save", None):
            check_writable(args.save, "--save", WEIGHT_SUFFIXES)


def summary_lines(result) -> list[str]:
    """The end-of-run summary: each framework's final numbers, the parameter difference, the time."""
    cell = result.settings.get("cell", "rnn")
    lines = [f"{result.task.name}{'' if cell == 'rnn' else ' (' + cell.upper() + ')'}: {result.settings['epochs']} epochs x {result.settings['examples']} examples, "
             f"H={result.settings['hidden']}, lr {result.settings['lr']:g}, "
             f"clip {result.settings['clip_value'] if result.settings['clip_value'] is not None else 'none'}, "
             f"init {result.settings['init']}, seed {result.settings['seed']}, {result.settings['dtype']}"]
    first = next(iter(result.history.initial.values()))
    lines.append(f"  before training: train loss {first[0].loss:.4f} acc {first[0].accuracy:.3f}"
                 + (f" | test loss {first[1].loss:.4f} acc {first[1].accuracy:.3f}" if first[1] else ""))
    for fw in result.frameworks:
        tr = result.history.train[fw][-1]
        line = f"  {fw:<5}  final train loss {tr.loss:.4f} acc {tr.accuracy:.3f}"
        te = result.final_test(fw)
        if te is not None:
            line += f" | test loss {te.loss:.4f} acc {te.accuracy:.3f}"
        line += f"   ({result.seconds_per_framework[fw]:.1f} s in training steps)"
        lines.append(line)
    if result.final_param_diff is not None:
        d = np.asarray(result.history.param_diff)
        lines.append(f"  largest parameter difference numpy vs torch: {result.final_param_diff:.3e} at the end "
                     f"(peak {d.max():.3e}, epoch {int(d.argmax()) + 1})")
    if result.history.control_diff:
        d = np.asarray(result.history.control_diff)
        lines.append(f"  control, numpy vs numpy started 1 ulp away: {d[-1]:.3e} at the end (peak {d.max():.3e})")
    lines.append(f"  wall time {result.seconds:.1f} s")
    return lines


def keep_last_good(stopped, save: str | None) -> str:
    """Write the last good weights of a stopped run; the clause that says where they are.

    They go to --save FILE, unless FILE already exists: an early stop (divergence, Ctrl-C) never replaces
    what an earlier run left there, so they go next to it as STEM.last-good.SUFFIX instead. Written
    atomically, like every weight file.
    """
    from pathlib import Path

    fw = next(iter(stopped.params))
    when = "the initial weights" if stopped.kept_epoch == 0 else f"the weights after epoch {stopped.kept_epoch}"
    if not save:
        return f"{when} were not kept (pass --save FILE to keep them)"
    from ..torch_impl import save_weights

    target, note = Path(save), ""
    if target.exists():
        target = target.with_name(f"{target.stem}.last-good{target.suffix}")
        note = f"; {save} was left as it was"
    try:
        save_weights(stopped.params[fw], target)
    except RNNParityError as e:  # e.g. the disk filled up: say so, and still say why training stopped
        return f"{when} could not be saved ({e})"
    return f"{when} ({fw}) are in {target}{note}"


def gated_recipe_line(task_name: str, cell: str, lr: float | None) -> str:
    """What a gated cell's run starts from, said before it trains: the seeds only ever train the RNN."""
    from .. import training

    recipe = training.load_task(task_name).recipe(cell)
    chosen = "given with --lr" if lr is not None else f"this task's {cell.upper()} default"
    article = "an" if cell == "lstm" else "a"
    return (f"{task_name} with {article} {cell.upper()} (nn.{cell.upper()}): init "
            f"{training.INIT_LABELS[recipe.init]}, lr {lr if lr is not None else recipe.lr:g} ({chosen}); "
            f"size, clip and epochs are the seed's")


def run(args) -> int:
    from .. import training

    check_common(args)
    if args.cell != "rnn":
        print(gated_recipe_line(args.task, args.cell, args.lr))
    try:
        result = training.train(args.task, framework=args.framework, epochs=args.epochs, hidden=args.hidden,
                                lr=args.lr, clip=args.clip, clip_norm=args.clip_norm, seed=args.seed,
                                log_every=args.log_every, progress=False if args.no_progress else None,
                                control=args.control, cell=args.cell)
    except training.TrainingDiverged as e:
        raise RNNParityError(f"{e}; {keep_last_good(e, args.save)}") from None
    except training.TrainingInterrupted as e:
        print(f"rnn-parity train: interrupted in epoch {e.epoch}; {keep_last_good(e, args.save)}", file=sys.stderr)
        return 130
    print()
    for line in summary_lines(result):
        print(line)
    for line in training.showcase_lines(result, seed=args.seed):
        print(line)
    if args.plot:
        from ..training.plots import plot_training  # (and matplotlib) only when a plot is asked for

        print(f"  plot: {plot_training(result, args.plot)}")
    if args.save:
        from ..torch_impl import save_weights
        save_weights(result.params[result.frameworks[0]], args.save)
        print(f"  weights ({result.frameworks[0]}): {args.save}")
    return 0
