"""rnn-parity predict TASK --weights FILE ...: what a trained seed-task model says (NumPy reference forward).

    sentiment  PHRASE [PHRASE ...]          the class and P(positive) of each phrase
    fibonacci  PREFIX [--top K]             the K most likely next letters after PREFIX, and the rule's answer
    recurrent  PREFIX [--top K] [--seed S]  the same for the one-word task (S rebuilds its training h0)
    names      [--count N] [--temperature T] [--seed S]   sampled names
"""
from __future__ import annotations

import argparse

from ..errors import RNNParityError

TASK_NAMES = ("sentiment", "fibonacci", "names", "recurrent")


def _allow_intermixed(parser: argparse.ArgumentParser) -> None:
    """Let the inputs come after options: `predict sentiment --weights F "i am not sad"`.

    Plain parse_known_args binds every positional at the first run of positionals, so inputs after
    --weights would be left over. This subparser parses intermixed instead (argparse's own
    parse_known_intermixed_args, which calls parse_known_args back: hence the re-entry flag).
    """
    inside = False

    def parse_known_args(args=None, namespace=None):
        nonlocal inside
        if inside:
            return argparse.ArgumentParser.parse_known_args(parser, args, namespace)
        inside = True
        try:
            return argparse.ArgumentParser.parse_known_intermixed_args(parser, args, namespace)
        finally:
            inside = False

    parser.parse_known_args = parse_known_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = __doc__
    _allow_intermixed(parser)
    parser.add_argument("task", metavar="TASK", help=f"one of: {', '.join(TASK_NAMES)}")
    parser.add_argument("inputs", nargs="*", metavar="INPUT",
                        help="phrases (sentiment) or letter prefixes (fibonacci, recurrent)")
    parser.add_argument("--weights", required=True, metavar="FILE",
                        help="trained weights (.npz, .pt or .safetensors), e.g. from rnn-parity train --save")
    parser.add_argument("--top", type=int, default=5, metavar="K", help="how many next letters to list (default 5)")
    parser.add_argument("--count", type=int, default=10, help="names to sample (default 10)")
    parser.add_argument("--temperature", type=float, default=1.0,
                        help="sampling temperature: < 1 sharper, > 1 more random (default 1.0)")
    parser.add_argument("--seed", type=int, default=0,
                        help="names: the sampling seed; recurrent: the training seed (its h0) (default 0)")
    parser.add_argument("--max-length", type=int, default=20, help="longest sampled name (default 20)")


def run(args) -> int:
    from .. import training
    from ..datasets import fibonacci_sequence, load_names

    task = training.load_task(args.task)
    if task.name in ("sentiment", "fibonacci", "recurrent") and not args.inputs:
        what = "a phrase" if task.name == "sentiment" else "a letter prefix"
        raise RNNParityError(f"predict {task.name} needs {what} as input")
    if task.name == "names" and args.inputs:
        raise RNNParityError("predict names takes no inputs; use --count, --temperature and --seed")
    from ..torch_impl import load_weights

    # The file's stored config is used; only the output mode is the task's (a bare state_dict cannot say it).
    params = load_weights(args.weights, config={"output": task.output})
    training.check_params_fit(params, task)

    if task.name == "sentiment":
        for text in args.inputs:
            p = training.sentiment_probabilities(params, task, text)
            print(f"{task.classes[int(p.argmax())]:<8}  P(positive) = {p[1]:.4f}  {text!r}")
    elif task.name in ("fibonacci", "recurrent"):
        h0 = None
        if task.name == "recurrent":
            h0 = training.task_h0(task, params.config, args.seed)
            h0 = None if h0 is None else h0.astype(params.dtype)
        for prefix in args.inputs:
            top = training.next_symbol_topk(params, task, prefix, k=args.top, h0=h0)
            shown = ", ".join(f"{s!r} {p:.3f}" if s == "\n" else f"{s} {p:.3f}" for s, p in top)
            line = f"{prefix!r} -> {shown}"
            if task.name == "fibonacci" and len(prefix) >= 2:
                ids = task.vocab.encode(list(prefix.lower()))
                seq = fibonacci_sequence(int(ids[-2]), int(ids[-1]), 3)
                line += f"   (rule: {task.classes[int(seq[2])]})"
            print(line)
    else:
        names = training.sample_names(params, task, count=args.count, temperature=args.temperature,
                                      seed=args.seed, max_length=args.max_length)
        known = set(load_names())
        for name in names:
            print(name + ("   (a real name: in the census list)" if name in known else ""))
    return 0
