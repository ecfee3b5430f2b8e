"""Where a torch training step's time goes: the plain loop's step, and that step plus one candidate cost.

Each contender trains one epoch of the sentiment seed (58 per-example steps) from the same weights;
contenders run interleaved (benchmarks/_timing.measure), so a drifting machine load hits all alike.
The plain step is benchmarks/torch_loop.py's; every other row adds ONE piece of per-step work that a
lockstep engine may be tempted to do, so its extra microseconds per step are that piece's price:

- numpy grads: each gradient as a NumPy array (`.detach().cpu().numpy()`), as a per-step screen needs;
- screen: those arrays through reference.validate.all_finite (the non-finite screen, every step);
- TorchRNN: the project's model (input checks, the head through torch.cat) instead of rnn + fc;
- numpy hits: the correct count from `logits.numpy().argmax` instead of `.item()`;
- inputs per step: the one-hot input built inside the step instead of once up front;
- foreach SGD: torch.optim.SGD(foreach=True) instead of the CPU default (one tensor at a time);
- set_to_none by hand: `p.grad = None` over the parameters instead of optimizer.zero_grad();
- zero_grad(set_to_none=False): gradients zeroed in place and accumulated into, not freed.

Rows below 0 are savings. The figures are per step, in microseconds of this thread's CPU time, medians of
interleaved repeats.
"""
from __future__ import annotations

import time

import numpy as np

from . import _timing, torch_loop

CANDIDATES = ("plain", "numpy grads", "numpy grads + screen", "TorchRNN", "numpy hits", "inputs per step",
              "foreach SGD", "set_to_none by hand", "zero_grad(set_to_none=False)")


def make_contenders(seed: int = 0) -> tuple[dict, int]:
    """One epoch per call for each candidate, every candidate from the same initial weights."""
    import torch
    import torch.nn.functional as F

    from rnn_parity import datasets
    from rnn_parity.reference import RNNConfig
    from rnn_parity.reference.validate import all_finite
    from rnn_parity.torch_impl import TorchRNN

    data = datasets.load_sentiment()
    D, O = len(data.vocab), len(data.labels)
    examples = torch_loop.one_hot_inputs(data, D)
    ids = [torch.from_numpy(data.encode(p.text)) for p in data.train]
    order = np.random.default_rng([seed, 1]).permutation(len(examples)).tolist()

    def contender(name: str):
        rnn, fc = torch_loop.build(D, O, "rnn", seed)
        model = None
        if name == "TorchRNN":
            model = TorchRNN(RNNConfig(input_size=D, hidden_size=torch_loop.HIDDEN, output_size=O, bias="torch"))
            model.load_state_dict({**{f"rnn.{k}": v for k, v in rnn.state_dict().items()},
                                   **{f"fc.{k}": v for k, v in fc.state_dict().items()}})
            rnn, fc = model.rnn, model.fc
        params = [*rnn.parameters(), *fc.parameters()]
        optimizer = torch.optim.SGD(params, lr=torch_loop.LR, foreach=True if name == "foreach SGD" else None)

        def epoch():
            total, correct = 0.0, 0
            for i in order:
                x, y = examples[i]
                if name == "inputs per step":
                    x = F.one_hot(ids[i], D).to(torch.float64)[:, None]
                if name == "set_to_none by hand":
                    for p in params:
                        p.grad = None
                else:
                    optimizer.zero_grad(set_to_none=name != "zero_grad(set_to_none=False)")
                if model is not None:
                    logits, _ = model(x)
                else:
                    logits = fc(rnn(x)[1][-1])
                loss = F.cross_entropy(logits, y)
                loss.backward()
                if name.startswith("numpy grads"):
                    grads = [p.grad.detach().cpu().numpy() for p in params]
                    if name.endswith("screen") and not all_finite(grads):
                        raise ArithmeticError("a non-finite gradient")
                torch.nn.utils.clip_grad_value_(params, torch_loop.CLIP)
                optimizer.step()
                total += loss.item()
                if name == "numpy hits":
                    correct += int(np.count_nonzero(logits.detach().numpy().argmax(-1) == y.numpy()))
                else:
                    correct += int(logits.argmax(1).item() == y.item())
            return total, correct
        return epoch

    return {name: contender(name) for name in CANDIDATES}, len(order)


def run(opts: dict, log=print) -> dict:
    """Per-step cost of each candidate against the plain step, one thread."""
    from ._env import runtime_info

    contenders, steps = make_contenders(opts["seed"])
    repeats = opts.get("step_repeats", 15)
    log(f"  torch step: {len(contenders)} contenders x {repeats} interleaved repeats of one epoch ({steps} steps)")
    # CPU time of this (single) thread: on shared cores, wall time mostly measures the other jobs
    timing = _timing.measure(contenders, repeats=repeats, warmup=opts.get("warmup", 1), min_time=0.0, number=1,
                             clock=time.thread_time)
    plain = timing["plain"]["median_s"] / steps
    rows = []
    for name, t in timing.items():
        per_step = t["median_s"] / steps
        rows.append({"candidate": name, "us_per_step": per_step * 1e6, "extra_us_per_step": (per_step - plain) * 1e6,
                     "ratio_to_plain": per_step / plain, "repeats_s": t["repeats_s"]})
        log(f"  torch step {name}: {per_step * 1e6:.1f} us/step ({(per_step - plain) * 1e6:+.1f})")
    return {"title": "Where a torch step's time goes (per-step candidates against the plain loop's step)",
            "settings": {"seed": opts["seed"], "repeats": repeats, "threads": 1, "steps_per_epoch": steps,
                         "how": "one epoch per call, contenders interleaved, median of repeats, thread CPU time"},
            "rows": rows, "checks": [], "runtime": runtime_info()}
