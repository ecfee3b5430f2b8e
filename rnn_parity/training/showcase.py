"""The lines a person wants to see after training a task, one function per task, from the trained weights."""
from __future__ import annotations

from typing import Callable

from ..reference import forward
from .predict import next_symbol_topk, position_accuracy, sample_names, sentiment_probabilities
from .tasks import make_batch, task_h0


def _sentiment(result, params, fw, seed) -> list[str]:
    task = result.task
    lines = []
    for text in ("i am not sad", "this is not good", "i was happy earlier"):
        p = sentiment_probabilities(params, task, text)
        lines.append(f"  {text!r}: {task.classes[int(p.argmax())]} (P(positive) = {p[1]:.3f})")
    return lines


def _fibonacci(result, params, fw, seed) -> list[str]:
    task = result.task
    acc = position_accuracy(params, task)
    te = result.final_test(fw)
    ex = task.test[0]
    prefix = "".join(task.vocab.decode(ex.x))
    top = next_symbol_topk(params, task, prefix, k=5)
    truth = task.classes[int(ex.y[-1])]
    return [f"  held-out next-letter accuracy ({fw}): {te.accuracy:.3f} over all steps "
            f"(chance 1/26 = {1 / 26:.3f})",
            "  per step: " + ", ".join(f"t{t + 1} {a:.3f}" for t, a in enumerate(acc))
            + "   (t1 cannot be known: the second letter is random; the ceiling overall is "
              f"{(1 / 26 + len(acc) - 1) / len(acc):.3f})",
            f"  {prefix!r} -> top 5: " + ", ".join(f"{s} {p:.2f}" for s, p in top) + f"   (rule: {truth})"]


def _names(result, params, fw, seed) -> list[str]:
    from ..datasets import load_names

    names = sample_names(params, result.task, count=10, temperature=1.0, seed=seed)
    known = set(load_names())
    return ["  10 sampled names (temperature 1.0, * = a real name of the census list): "
            + ", ".join(n + ("*" if n in known else "") for n in names)]


def _recurrent(result, params, fw, seed) -> list[str]:
    task = result.task
    h0 = task_h0(task, result.config, result.settings["seed"], result.settings["dtype"])
    acc = position_accuracy(params, task, task.train, h0=h0)
    ex = task.train[0]
    batch = make_batch(task.train, task.output)
    logits, _, _ = forward(params, batch.x, h0)
    guess = "".join(task.classes[i] for i in logits[:, 0].argmax(-1))
    return [f"  input {''.join(task.vocab.decode(ex.x))!r} -> predicted {guess!r} "
            f"(target {''.join(task.vocab.decode(ex.y))!r}, accuracy {acc.mean():.3f})"]


SHOWCASES: dict[str, Callable] = {"sentiment": _sentiment, "fibonacci": _fibonacci, "names": _names,
                                  "recurrent": _recurrent}


def showcase_lines(result, seed: int = 0) -> list[str]:
    """A task's output a person wants to see, from the trained weights of the first framework."""
    show = SHOWCASES.get(result.task.name)
    if show is None:
        return []
    fw = result.frameworks[0]
    return show(result, result.params[fw], fw, seed)
