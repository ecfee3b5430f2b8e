"""Training plots (matplotlib, Agg: no display needed)."""
from __future__ import annotations

from pathlib import Path

import numpy as np


STYLE = {  # framework -> line style; torch is drawn thin and dashed over numpy so both stay visible
    "numpy": dict(color="#1f77b4", lw=3.0, alpha=0.55, ls="-"),
    "torch": dict(color="#d62728", lw=1.2, alpha=1.0, ls="--"),
}
FLOOR = 1e-18  # exact zeros are drawn here on the log axis


def _minor_label(value: float, _pos=None) -> str:
    """Label the 2x and 5x minor ticks of a log axis in plain numbers, leave the others blank."""
    if value <= 0:
        return ""
    mantissa = value / 10 ** np.floor(np.log10(value))
    return f"{value:g}" if round(mantissa) in (2, 5) and abs(mantissa - round(mantissa)) < 1e-6 else ""


def plot_training(result, path) -> Path:
    """A PNG of one training run: loss per epoch (both frameworks overlaid, train solid/dashed, test
    markers), accuracy, and, when both frameworks ran, max |numpy - torch| over the steps on a log scale."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    path = Path(path)
    hist = result.history
    show_diff = bool(hist.param_diff or hist.control_diff)
    steps_per_epoch = hist.steps_per_epoch
    steps = np.asarray(hist.epochs) * steps_per_epoch
    eval_steps = np.asarray(hist.eval_epochs) * steps_per_epoch
    n_panels = 3 if show_diff else 2
    fig = Figure(figsize=(9, 3.1 * n_panels + (1.2 if show_diff else 0.6)), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(n_panels, 1, sharex=True)
    s = result.settings
    clip = f"clip {s['clip_value']:g}" if s.get("clip_value") else "no clip"
    cell = "" if s.get("cell", "rnn") == "rnn" else f" ({s['cell'].upper()})"
    fig.suptitle(f"{result.task.name}{cell}: {' vs '.join(result.frameworks)}, {s['dtype']}, "
                 f"H={s['hidden']}, SGD lr {s['lr']:g}, {clip}, seed {s['seed']}", fontsize=11)

    # Step 0 is the evaluation before training (the same init for every framework).
    x_train = np.concatenate([[0], steps])
    x_test = np.concatenate([[0], eval_steps])

    def series(fw, what):
        start_train, start_test = hist.initial[fw]
        train = [getattr(start_train, what)] + [getattr(m, what) for m in hist.train[fw]]
        test = [getattr(start_test, what)] + [getattr(m, what) for m in hist.test[fw]] if hist.test[fw] else None
        return train, test

    for ax, what in ((axes[0], "loss"), (axes[1], "accuracy")):
        values = []
        for fw in result.frameworks:
            st = STYLE[fw]
            train, test = series(fw, what)
            ax.plot(x_train, train, label=f"{fw} train", **st)
            values += train
            if test is not None:
                ax.plot(x_test, test, marker="o" if fw == "numpy" else "x", ms=7 if fw == "numpy" else 6,
                        ls="none", color=st["color"], label=f"{fw} test")
                values += test
        ax.grid(True, which="both", alpha=0.3)
        if what == "accuracy":
            ax.set_ylabel("accuracy")
            ax.set_ylim(-0.02, 1.02)
            ax.set_title("accuracy (argmax of the logits; step 0: before training)", fontsize=10)
            ax.legend(ncols=2, fontsize=9, loc="lower right")
            continue
        low, high = min(values), max(values)
        scale = "log" if low > 0 and high / low > 10 else "linear"  # log only when it spans a decade
        ax.set_yscale(scale)
        if scale == "log":
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(FuncFormatter(_minor_label))
        ax.set_ylabel("cross-entropy per symbol\n" + ("(nats, log scale)" if scale == "log" else "(nats)"))
        ax.set_title("loss (train: mean over each epoch while training; test: after the epoch; "
                     "step 0: before training)", fontsize=10)
        ax.legend(ncols=2, fontsize=9)

    if show_diff:
        ax = axes[2]
        lows = []
        if hist.param_diff:
            y = np.concatenate([[hist.initial_param_diff or 0.0], hist.param_diff])
            ax.plot(np.concatenate([[0], steps]), np.maximum(y, FLOOR), color="black", lw=1.4,
                    label="max |numpy - torch|, after each epoch")
            lows.append(y)
        if hist.control_diff:
            y = np.concatenate([[hist.initial_control_diff or 0.0], hist.control_diff])
            ax.plot(np.concatenate([[0], steps]), np.maximum(y, FLOOR), color="#9467bd", lw=1.2, ls="-.",
                    label="control: max |numpy - numpy started 1 ulp away (Whh)|")
            lows.append(y)
        y = np.concatenate(lows)
        ax.axhline(np.finfo(np.float64).eps, color="gray", ls=":", lw=1,
                   label="float64 machine epsilon 2.2e-16")
        ax.axhline(1e-8, color="#2ca02c", ls="--", lw=1, label="agreement bound 1e-8")
        ax.set_yscale("log")
        ax.set_ylim(bottom=FLOOR * 0.3, top=max(1e-6, float(y.max()) * 100))
        ax.set_ylabel("largest parameter\ndifference (log scale)")
        title = ("NumPy reference vs torch, same init and same example order" if hist.param_diff
                 else "sensitivity of this run to one ulp of its initial weights")
        ax.set_title(title + (" (exact zeros drawn at 1e-18)" if (y == 0).any() else ""), fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
        # below the axes: the curves may end anywhere from 1e-16 to 1e-2, so no corner inside is safe
        ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=2, frameon=False)
    per = f"{steps_per_epoch} steps" if steps_per_epoch != 1 else "1 step"
    axes[-1].set_xlabel(f"optimizer steps (per-example SGD; 1 epoch = {per})")
    fig.savefig(path, dpi=110)
    return path
