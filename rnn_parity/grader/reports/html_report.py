"""A self-contained HTML grade report: verdict, checks, heatmaps of failing gradients, per-step errors,
and the diagnosis. Images are base64 PNGs drawn with matplotlib's Agg canvas (no display, no pyplot
state, no files beside the page).

    from rnn_parity.grader.reports.html_report import write_html
    write_html(report, "report.html")

The arrays come from report.evidence (rnn_parity.grader.judging.checks.evidence): for each failing gradient
the student's and the reference's result on the full-length probe where it departs most, and the
relative error of every check over the localization prefixes (step t: the sequence that ends at t).
"""
from __future__ import annotations

import base64
import html
import io
import os
import time

import numpy as np

from ...reference.fsutil import atomic_write
from ..judging import plan as P

FLOOR = 1e-17  # exact zeros are drawn here on the log axis
CEILING = 1e3  # wrong shapes and non-finite results are drawn here
COLORS = {"pass": "#1a7f37", "fail": "#cf222e", "error": "#9a6700"}
CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1120px;
       color: #1f2328; line-height: 1.45; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid #d0d7de; }
.verdict { display: inline-block; padding: 4px 14px; border-radius: 6px; color: #fff; font-weight: 700;
           font-size: 18px; letter-spacing: 0.05em; }
.meta { color: #59636e; font-size: 14px; }
table.checks { border-collapse: collapse; margin-top: 8px; font-size: 14px; }
table.checks th, table.checks td { border: 1px solid #d0d7de; padding: 4px 10px; text-align: left;
                                   vertical-align: top; }
table.checks th { background: #f6f8fa; }
td.pass { color: #1a7f37; font-weight: 700; } td.fail { color: #cf222e; font-weight: 700; }
td.num { font-family: ui-monospace, Menlo, Consolas, monospace; text-align: right; }
.finding { border-left: 4px solid #cf222e; background: #fff8f8; padding: 8px 14px; margin: 10px 0; }
.finding.partial { border-left-color: #9a6700; background: #fffbeb; }
.math { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 15px; }
.wrong { color: #cf222e; } .correct { color: #1a7f37; }
.error { border-left: 4px solid #9a6700; background: #fffbeb; padding: 8px 14px; white-space: pre-wrap; }
figure { margin: 12px 0 22px 0; } figcaption { font-size: 14px; color: #59636e; }
img { max-width: 100%; height: auto; border: 1px solid #eaeef2; }
ul.notes { font-size: 14px; color: #59636e; }
code { background: #f6f8fa; padding: 1px 4px; border-radius: 4px; }
"""


def _png(fig) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _as_matrix(a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(-1, 1)  # a bias as the column it is in the math
    return a.reshape(a.shape[0], -1)


def _axis_names(canon: str) -> tuple[str, str]:
    return {"Wxh": ("hidden unit", "input (token id)"), "Whh": ("hidden unit", "previous hidden unit"),
            "bh": ("hidden unit", ""), "Why": ("output", "hidden unit"),
            "by": ("output", "")}.get(canon, ("row", "column"))


def gradient_figure(name: str, canon: str, item: dict) -> str:
    """Student | reference | difference, side by side; a base64 PNG."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FixedLocator, MaxNLocator

    s, e = _as_matrix(item["student"]), _as_matrix(item["reference"])
    same = s.shape == e.shape
    panels = [("yours", s), ("reference", e)] + ([("yours - reference", s - e)] if same else [])
    wide = max(s.shape[1], e.shape[1]) > 1
    fig = Figure(figsize=(4.0 * len(panels) if wide else 2.4 * len(panels), 3.2))
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    finite = [np.abs(a[np.isfinite(a)]).max(initial=0.0) for _, a in panels[:2]]
    vmax = max(finite + [1e-300])
    rows, cols = (item["rows"], item["cols"]) if "rows" in item else _axis_names(canon)
    for ax, (title, a) in zip(axes, panels):
        lim = vmax if title != "yours - reference" else max(float(np.abs(a[np.isfinite(a)]).max(initial=0.0)), 1e-300)
        im = ax.imshow(np.where(np.isfinite(a), a, np.nan), cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto",
                       interpolation="nearest")
        ax.set_title(f"{title}  {a.shape[0]}x{a.shape[1]}" if a.shape[1] > 1 else f"{title}  ({a.shape[0]},)",
                     fontsize=10)
        r_name, c_name = (rows, cols) if same or title != "yours" else ("row", "column" if a.shape[1] > 1 else "")
        ax.set_ylabel(r_name, fontsize=8)
        if c_name:
            ax.set_xlabel(c_name, fontsize=8)
        else:
            ax.set_xticks([])
        ax.tick_params(labelsize=7)
        for axis, n in ((ax.xaxis, a.shape[1]), (ax.yaxis, a.shape[0])):  # indices: no tick between two
            axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1) if n > 1 else FixedLocator([0]))
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04).ax.tick_params(labelsize=7)
    err = item.get("rel_error")
    err_s = ("wrong shape" if not same else "not finite" if err is None or not np.isfinite(err)
             else f"relative error {err:.2e}")
    if "title" in item:  # a registered protocol's check: the student's own names and layout
        fig.suptitle(f"{item['title']}: {err_s}", fontsize=11)
    else:
        fig.suptitle(f"d{name[5:] if name.startswith('grad:') else name} on a sequence of length "
                     f"{item.get('sequence_length', '?')}: {err_s}", fontsize=11)
    fig.tight_layout()
    return _png(fig)


def per_step_figure(evidence: dict, statuses: dict) -> str | None:
    """Relative error per time step: each check over the localization prefixes, and the backpropagated signal."""
    from matplotlib.figure import Figure

    per_step = evidence.get("per_step") or {}
    signal = evidence.get("signal")
    if not per_step and not signal:
        return None
    tol = evidence.get("tolerance", 1e-6)
    n_panels = 2 if signal else 1
    fig = Figure(figsize=(6.2 * n_panels, 3.8))
    axes = fig.subplots(1, n_panels, squeeze=False)[0]

    def clamp(vals):
        v = np.asarray([x if x is not None else np.inf for x in vals], dtype=np.float64)
        v = np.where(np.isfinite(v), v, CEILING)
        return np.clip(v, FLOOR, CEILING)

    ax = axes[0]
    palette = ["#cf222e", "#0969da", "#8250df", "#bf3989", "#9a6700", "#1a7f37", "#57606a", "#fb8500"]
    k = 0
    for name, vals in per_step.items():
        failing = statuses.get(name) == "fail"
        style = dict(lw=2.2, marker="o", ms=4, color=palette[k % len(palette)]) if failing else \
            dict(lw=1.0, ls="--", marker=".", ms=3, color="#8c959f", alpha=0.8)
        k += failing
        ax.plot(range(len(vals)), clamp(vals), label=name + ("" if failing else " (pass)"), **style)
    ax.axhline(tol, color="black", lw=1, ls=":", label=f"tolerance {tol:g}")
    ax.set_yscale("log")
    ax.set_ylim(FLOOR / 3, CEILING * 3)
    ax.set_xlabel(evidence.get("per_step_label") or "time step t (the probe sequence ends at t)")
    ax.set_ylabel("relative error")
    ax.set_title("each check, at each time step" if evidence.get("per_step_label") else
                 "each check, on sequences of length t+1", fontsize=10)
    ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False)
    ax.grid(alpha=0.3)
    if signal:
        ax = axes[1]
        v = clamp(signal)
        colors = ["#cf222e" if x > tol else "#1a7f37" for x in v]
        ax.bar(range(len(v)), v, color=colors)
        ax.axhline(tol, color="black", lw=1, ls=":", label=f"tolerance {tol:g}")
        ax.set_yscale("log")
        ax.set_ylim(FLOOR / 3, CEILING * 3)
        ax.set_xlabel(f"time step t of one sequence of length {len(v)}")
        ax.set_ylabel("relative error of da_t")
        ax.set_title("backpropagated signal da_t (read off the input-weight gradient)", fontsize=10)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False)
        ax.grid(alpha=0.3, axis="y")
    fig.tight_layout()
    return _png(fig)


def _e(x) -> str:
    return html.escape(str(x), quote=True)


def _err(x) -> str:
    if x is None or x != x:
        return "n/a"
    return "inf" if x == float("inf") else f"{x:.2e}"


def render_html(report) -> str:
    """The report as one self-contained HTML page."""
    ev = report.evidence or {}
    statuses = {c.name: c.status for c in report.checks}
    color = COLORS.get(report.verdict, "#57606a")
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>rnn-parity grade: {_e(os.path.basename(report.impl))} ({report.verdict})</title>",
           f"<style>{CSS}</style></head><body>",
           f"<h1>rnn-parity grade: {_e(report.impl)}</h1>",
           f'<p><span class="verdict" style="background:{color}">{_e(report.verdict.upper())}</span>'
           + (f'<span class="meta">&nbsp; {sum(c.status == "pass" for c in report.checks)} of '
              f"{len(report.checks)} checks pass</span>" if report.checks else "") + "</p>"]
    desc = report.describe_impl()
    meta = []
    if desc:
        meta.append(_e(desc))
    if report.info.get("step") and not report.info.get("title"):  # the class and function protocols' probes
        meta.append(f"probes: sequences of lengths {', '.join(map(str, P.MAIN_LENGTHS))} and prefixes "
                    f"1-{P.LOCALIZE_LENGTH} of one more; D={P.D} H={P.H} O={P.O}; seed {report.seed}")
    meta.append(f"graded {time.strftime('%Y-%m-%d %H:%M:%S')}; the implementation ran for {report.seconds:.1f} s")
    out.append('<p class="meta">' + "<br>".join(meta) + "</p>")

    if report.error:
        out.append("<h2>Could not grade</h2>")
        out.append(f'<div class="error"><b>{_e(report.error["kind"])}</b>: {_e(report.error["message"])}</div>')

    if report.checks:
        out.append("<h2>Checks</h2>")
        out.append('<table class="checks"><tr><th>check</th><th>result</th><th>relative error</th>'
                   "<th>departs at step</th><th>detail</th></tr>")
        for c in report.checks:
            dep = "" if c.departs_at is None else f"t={c.departs_at}"
            out.append(f'<tr><td><code>{_e(c.name)}</code></td><td class="{c.status}">{c.status.upper()}</td>'
                       f'<td class="num">{_err(c.rel_error)}</td><td>{dep}</td><td>{_e(c.detail)}</td></tr>')
        out.append("</table>")
        tol = ev.get("tolerance")
        if tol is not None:
            out.append(f'<p class="meta">A check passes when its relative error (norm of the difference over the '
                       f"norm of the reference) is at most {tol:g}.</p>")
    if report.parts:
        out.append("<p><b>Parts:</b> " + ", ".join(
            f'{_e(p.upper())} <span class="{v if v in COLORS else "meta"}" style="color:{COLORS.get(v, "#59636e")}">'
            f"{_e(v.upper() if v in COLORS else v)}</span>" for p, v in report.parts.items()) + "</p>")
    if report.own_gradient:
        out.append("<h2>Your backward against your own forward</h2><ul>" + "".join(
            f"<li>{_e(v['sentence'])}</li>" for v in report.own_gradient.values()) + "</ul>")
        out.append('<p class="meta">Central finite differences of your forward, along random directions, against '
                   "what your backward returns: they agree for an exact gradient, whatever the forward computes.</p>")
    if report.signal:
        s = report.signal
        T = s["sequence_length"]
        where = (f"already wrong at the last step (t={T - 1})" if s["steps_back"] == 0 else
                 f"right at the last step (t={T - 1}) and departs at t={s['departs_at_step']}, "
                 f"{s['steps_back']} step{'s' if s['steps_back'] != 1 else ''} back")
        out.append(f"<p>Backpropagated signal over a sequence of length {T}: {where}.</p>")

    if report.diagnosis or report.verdict == "fail":
        out.append("<h2>Diagnosis</h2>")
        if not report.diagnosis:
            out.append("<p>No catalogued mistake reproduces these results (see <code>rnn-parity mutants "
                       "--list</code>).</p>")
        for n, f in enumerate(report.diagnosis, 1):
            m = f.mutant
            cls = "finding" if f.full else "finding partial"
            out.append(f'<div class="{cls}"><p><b>{n}. {_e(m.mistake)}</b></p>'
                       f'<p class="math"><span class="wrong">wrong:&nbsp;&nbsp;&nbsp;{_e(f.wrong)}</span><br>'
                       f'<span class="correct">correct: {_e(f.correct)}</span></p>'
                       f"<p>{_e(m.explanation)}</p>"
                       f'<p class="meta">In the reference\'s own NumPy (batch-major: one row per sequence) the '
                       f"mistake is <code>{_e(m.wrong_line())}</code> in place of "
                       f"<code>{_e(m.correct_line())}</code> ({_e(m.module)}; catalog id "
                       f"<code>{_e(m.id)}</code>). It reproduces {_e(', '.join(f.explains) or 'nothing new')}"
                       f"{'' if f.full else '; other failures remain unexplained'}.</p></div>")

    grads = ev.get("gradients") or {}
    failing_grads = [c for c in report.checks if c.status == "fail" and c.name in grads and
                     (c.group.startswith("grad:") or "title" in grads[c.name])]
    if failing_grads:
        every_grad = all(":grad:" in ":" + c.name for c in failing_grads)
        out.append("<h2>Failing gradients</h2>" if every_grad else "<h2>Failing results</h2>")
        out.append('<p class="meta">Your result, the reference\'s, and their difference '
                   + ("(a value with a time axis drawn one row per time step; " if "title" in
                      grads[failing_grads[0].name] else "on the full-length probe where they differ most (")
                   + "same colour scale for the first two; red positive, blue negative).</p>")
        for c in failing_grads:
            item = grads[c.name]
            png = gradient_figure(c.name, c.group[5:], item)
            out.append(f'<figure><img class="grad-heatmap" alt="{_e(c.name)}: yours, reference, difference" '
                       f'src="data:image/png;base64,{png}"><figcaption><code>{_e(c.name)}</code>: '
                       f"{_e(c.detail)}</figcaption></figure>")
    png = per_step_figure(ev, statuses) if report.checks else None
    if png:
        out.append("<h2>Relative error per time step</h2>")
        if ev.get("per_step_label"):
            out.append('<p class="meta">Every check whose values have a time axis, at each step t of the probe '
                       "sequence: a forward result departs at its first wrong step, a gradient at its last wrong "
                       "one (where the error starts, walking back). Exact agreement is drawn at 1e-17.</p>")
        else:
            out.append('<p class="meta">Left: every check on the prefixes of one probe sequence, so the point at '
                       "step t is the result for the sequence that ends at t. Right: the gradient on each step's "
                       "pre-activation, walking back from the last step. Exact agreement is drawn at 1e-17; "
                       "a wrong shape or a non-finite result at 1e3.</p>")
        out.append(f'<figure><img class="per-step" alt="relative error per time step" '
                   f'src="data:image/png;base64,{png}"></figure>')
    if report.notes:
        out.append("<h2>Notes</h2><ul class=\"notes\">" + "".join(f"<li>{_e(n)}</li>" for n in report.notes)
                   + "</ul>")
    out.append('<p class="meta">rnn-parity grade: each result is compared with a NumPy reference replaying the '
               "same calls; the diagnosis names the catalogued mistake whose replay reproduces the results.</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_html(report, path) -> str:
    text = render_html(report)
    path = os.fspath(path)
    atomic_write(path, text)
    return path
