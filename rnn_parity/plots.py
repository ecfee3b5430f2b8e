"""Training plots (matplotlib, Agg: no display needed) and the output-path checks the commands run first."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from .errors import RNNParityError

STYLE = {  # framework -> line style; torch is drawn thin and dashed over numpy so both stay visible
    "numpy": dict(color="#1f77b4", lw=3.0, alpha=0.55, ls="-"),
    "torch": dict(color="#d62728", lw=1.2, alpha=1.0, ls="--"),
}
FLOOR = 1e-18  # exact zeros are drawn here on the log axis


def check_writable(path, what: str, suffixes: tuple[str, ...] | None = None) -> Path:
    """Fail early, with one line, if `path` cannot be written (checked before any training starts)."""
    path = Path(path)
    if suffixes and path.suffix.lower() not in suffixes:
        raise RNNParityError(f"{what} {str(path)!r}: expected a file ending in {' or '.join(suffixes)}")
    if path.is_dir():
        raise RNNParityError(f"{what} {str(path)!r} is a directory")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise RNNParityError(f"{what} {str(path)!r}: directory {str(parent)!r} does not exist")
    if path.exists() and not os.access(path, os.W_OK):
        raise RNNParityError(f"{what} {str(path)!r} is not writable")
    try:  # os.access is not enough (root, read-only mounts, /proc): try to create a file there
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".rnn-parity-probe-"):
            pass
    except OSError as e:
        raise RNNParityError(f"{what} {str(path)!r} is not writable: {e.strerror or e}") from None
    return path


def plot_training(result, path) -> Path:
    """A PNG of one training run: loss per epoch (both frameworks overlaid, train solid/dashed, test
    markers), accuracy, and, when both frameworks ran, max |numpy - torch| over the steps on a log scale."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    hist = result.history
    both = bool(hist.param_diff)
    steps_per_epoch = hist.steps_per_epoch
    steps = np.asarray(hist.epochs) * steps_per_epoch
    eval_steps = np.asarray(hist.eval_epochs) * steps_per_epoch
    n_panels = 3 if both else 2
    fig = Figure(figsize=(9, 3.1 * n_panels + 0.6), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(n_panels, 1, sharex=True)
    s = result.settings
    clip = f"clip {s['clip_value']:g}" if s.get("clip_value") else "no clip"
    fig.suptitle(f"rnn-parity train {result.task.name}: {' vs '.join(result.frameworks)}, {s['dtype']}, "
                 f"H={s['hidden']}, SGD lr {s['lr']:g}, {clip}, seed {s['seed']}", fontsize=11)

    ax = axes[0]
    for fw in result.frameworks:
        st = STYLE[fw]
        ax.plot(steps, [m.loss for m in hist.train[fw]], label=f"{fw} train", **st)
        if hist.test[fw]:
            ax.plot(eval_steps, [m.loss for m in hist.test[fw]], marker="o" if fw == "numpy" else "x",
                    ms=7 if fw == "numpy" else 6, ls="none", color=st["color"], label=f"{fw} test")
    ax.set_yscale("log")
    ax.set_ylabel("cross-entropy per symbol\n(nats, log scale)")
    ax.set_title("loss (train: mean over the epoch while training; test: after the epoch)", fontsize=10)
    ax.legend(ncols=2, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)

    ax = axes[1]
    for fw in result.frameworks:
        st = STYLE[fw]
        ax.plot(steps, [m.accuracy for m in hist.train[fw]], label=f"{fw} train", **st)
        if hist.test[fw]:
            ax.plot(eval_steps, [m.accuracy for m in hist.test[fw]], marker="o" if fw == "numpy" else "x",
                    ms=7 if fw == "numpy" else 6, ls="none", color=st["color"], label=f"{fw} test")
    ax.set_ylabel("accuracy")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title("accuracy (argmax of the logits)", fontsize=10)
    ax.legend(ncols=2, fontsize=9, loc="lower right")
    ax.grid(True, alpha=0.3)

    if both:
        ax = axes[2]
        diff = np.asarray(hist.param_diff, dtype=float)
        x = np.concatenate([[0], steps])
        y = np.concatenate([[hist.initial_param_diff or 0.0], diff])
        ax.plot(x, np.maximum(y, FLOOR), color="black", lw=1.2, label="max |numpy - torch| (after each epoch)")
        ax.axhline(np.finfo(np.float64).eps, color="gray", ls=":", lw=1,
                   label="float64 machine epsilon 2.2e-16")
        ax.axhline(1e-8, color="#2ca02c", ls="--", lw=1, label="agreement bound 1e-8")
        ax.set_yscale("log")
        ax.set_ylim(bottom=min(FLOOR * 0.5, float(np.maximum(y, FLOOR).min()) * 0.5), top=1e-6)
        ax.set_ylabel("largest parameter\ndifference (log scale)")
        ax.set_title("NumPy reference vs torch, same init and same example order"
                     + (" (exact zeros drawn at 1e-18)" if (y == 0).any() else ""), fontsize=10)
        ax.legend(fontsize=9, loc="upper left")
        ax.grid(True, which="major", alpha=0.3)
    axes[-1].set_xlabel(f"optimizer steps (per-example SGD; 1 epoch = {steps_per_epoch} steps)")
    fig.savefig(path, dpi=110)
    return path
