"""Benchmark 1: the sentiment seed's protocol, three ways, from the same init and in the same order.

Seed 000: H = 64, weights randn / 1000, biases zero, per-example SGD (lr 2e-2) on the summed
cross-entropy, every gradient clipped to [-1, 1], 1000 epochs over the 58 training phrases.

- classic: the tutorial's own loop (benchmarks/classic_loop.py): one-hot (D, 1) columns rebuilt per
  example, a dict of hidden states, per-step matmuls, np.clip, in-place SGD;
- reference: rnn_parity.reference.Trainer on token ids: train_step's math bit for bit, with params and
  gradients in flat buffers, the examples checked once (Trainer.prepare) and the one-layer forward/BPTT in
  one function (reference/fused.py);
- reference train_step: rnn_parity.reference.train_step (loss_and_all_grads, clip_value, SGD.step), the
  general path, for comparison;
- torch: TorchRNN from to_torch, F.cross_entropy(reduction="sum"), backward, clip_grad_value_,
  torch.optim.SGD.

All of them visit the examples in the same seeded order per epoch. Each timed run trains from the
initial weights for the full number of epochs; the final weights are compared afterwards.
"""
from __future__ import annotations

import numpy as np

from . import _timing, classic_loop

HIDDEN, LR, CLIP = 64, 2e-2, 1.0
PERTURB = 1e-15  # relative, on Whh: a few ulps, the size of the rounding differences between two float64 codes


def _setup(seed: int):
    from rnn_parity import datasets
    from rnn_parity.reference import RNNConfig
    from rnn_parity.training import init_task_params

    data = datasets.load_sentiment()
    word_to_idx = {w: i for i, w in enumerate(data.vocab.tokens)}
    items = [(p.text, p.label) for p in data.train]
    config = RNNConfig(input_size=len(data.vocab), hidden_size=HIDDEN, output_size=len(data.labels))
    params0 = init_task_params(config, "sentiment", seed=seed, dtype="float64")
    return data, word_to_idx, items, config, params0


def _orders(n_items: int, epochs: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng([seed, 1])
    return [rng.permutation(n_items) for _ in range(epochs)]


def make_contenders(epochs: int, seed: int = 0, snapshots: dict | None = None, snapshot_every: int = 0,
                    perturb_whh: float = 0.0):
    """The three training runs as zero-argument callables, each returning its final weights (reference names).

    snapshots: when given, each run also stores a copy of its weights every `snapshot_every` epochs in
    snapshots[name][epoch] (20 small copies per run: nothing next to the training itself).
    perturb_whh: multiply the initial Whh by (1 + perturb_whh * N(0, 1)) elementwise, for the sensitivity control.
    """
    import torch

    from rnn_parity.reference import SGD, Trainer
    from rnn_parity.reference.train import train_step
    from rnn_parity.torch_impl import from_torch, to_torch

    data, word_to_idx, items, config, params0 = _setup(seed)
    if perturb_whh:
        noise = np.random.default_rng([seed, 2]).standard_normal(params0["Whh"].shape)
        params0["Whh"] = params0["Whh"] * (1 + perturb_whh * noise)
    orders = _orders(len(items), epochs, seed)
    encoded = [(data.encode(text)[:, None], np.array([label], dtype=np.int64)) for text, label in items]
    torch_examples = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in encoded]

    def snap(name: str, epoch: int, arrays) -> None:
        if snapshots is not None and snapshot_every and epoch % snapshot_every == 0:
            snapshots.setdefault(name, {})[epoch] = {k: np.array(v, copy=True) for k, v in arrays().items()}

    def classic():
        rnn = classic_loop.ClassicRNN.from_params(params0)
        for epoch, order in enumerate(orders, 1):
            classic_loop.process_data(rnn, items, word_to_idx, True, order, LR, CLIP)
            snap("classic", epoch, rnn.arrays)
        return rnn.arrays()

    def reference():
        params = params0.copy()
        trainer = Trainer(params, SGD(params, lr=LR), clip_value=CLIP)
        examples = [trainer.prepare(x, y) for x, y in encoded]  # checked once, not once per epoch
        for epoch, order in enumerate(orders, 1):
            total = 0.0
            for i in order:
                loss, _, _ = trainer.step(examples[i])
                total += loss
            snap("reference", epoch, lambda: params)
        return {k: v.copy() for k, v in params.items()}

    def reference_train_step():
        params = params0.copy()
        optimizer = SGD(params, lr=LR)
        for epoch, order in enumerate(orders, 1):
            total = 0.0
            for i in order:
                x, y = encoded[i]
                loss, _, _ = train_step(params, optimizer, x, y, clip_value=CLIP)
                total += loss
            snap("reference train_step", epoch, lambda: params)
        return dict(params)

    def torch_run():
        model = to_torch(params0)
        trainable = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.SGD(trainable, lr=LR)
        cross_entropy = torch.nn.functional.cross_entropy
        for epoch, order in enumerate(orders, 1):
            total = 0.0
            for i in order:
                x, y = torch_examples[i]
                optimizer.zero_grad(set_to_none=True)
                logits, _ = model(x)
                loss = cross_entropy(logits, y, reduction="sum")
                loss.backward()
                torch.nn.utils.clip_grad_value_(trainable, CLIP)
                optimizer.step()
                total += loss.item()
            snap("torch", epoch, lambda: from_torch(model, config))
        return dict(from_torch(model, config))

    return {"classic": classic, "reference": reference, "reference train_step": reference_train_step,
            "torch": torch_run}, config


def max_abs_diff(a: dict, b: dict) -> float:
    return max(float(np.max(np.abs(np.asarray(a[k]) - np.asarray(b[k])))) for k in a)


def run(opts: dict, log=print) -> dict:
    """Time the three runs (median of `repeats`), check the final weights, return the section's record."""
    from ._env import runtime_info

    epochs, repeats, warmup_epochs, seed = opts["epochs"], opts["sentiment_repeats"], opts["warmup_epochs"], opts["seed"]
    every = max(1, epochs // 20)
    snapshots: dict = {}
    contenders, config = make_contenders(epochs, seed, snapshots, every)
    n_items = len(_setup(seed)[2])
    if warmup_epochs:
        warm, _ = make_contenders(warmup_epochs, seed)
        for fn in warm.values():
            fn()
    finals: dict[str, dict] = {}

    def keep(name):
        fn = contenders[name]

        def wrapped():
            finals[name] = fn()
        return wrapped

    log(f"  sentiment: {epochs} epochs x {n_items} examples, {repeats} repeat(s) of each of {', '.join(contenders)}")
    timing = _timing.measure({name: keep(name) for name in contenders}, repeats=repeats, warmup=0, number=1)
    for name, t in timing.items():
        log(f"  sentiment {name}: median {t['median_s']:.3f} s")
    steps = epochs * n_items
    rows = []
    for name, t in timing.items():
        rows.append({"contender": name, "median_s": t["median_s"], "min_s": t["min_s"], "max_s": t["max_s"],
                     "repeats_s": t["repeats_s"], "us_per_example": t["median_s"] / steps * 1e6,
                     "ratio_to_classic": t["median_s"] / timing["classic"]["median_s"]})
    # Sensitivity control (untimed): the reference against itself from an init that differs by a few ulps.
    log(f"  sentiment: control run, reference from Whh x (1 + {PERTURB:g} N(0,1))")
    control: dict = {}
    perturbed, _ = make_contenders(epochs, seed, control, every, perturb_whh=PERTURB)
    perturbed["reference"]()
    epochs_seen = sorted(snapshots.get("reference", {}))
    trajectory = [{"epoch": e,
                   "reference_vs_torch": max_abs_diff(snapshots["reference"][e], snapshots["torch"][e]),
                   "reference_vs_classic": max_abs_diff(snapshots["reference"][e], snapshots["classic"][e]),
                   "reference_vs_perturbed_reference": max_abs_diff(snapshots["reference"][e],
                                                                    control["reference"][e])}
                  for e in epochs_seen]
    last_within = None  # the last checkpoint up to which reference and torch agree within 1e-8 throughout
    for row in trajectory:
        if row["reference_vs_torch"] > 1e-8:
            break
        last_within = row["epoch"]
    control_final = trajectory[-1]["reference_vs_perturbed_reference"] if trajectory else float("nan")
    ref_vs_torch = max_abs_diff(finals["reference"], finals["torch"])
    ref_vs_classic = max_abs_diff(finals["reference"], finals["classic"])
    trainer_vs_train_step = max_abs_diff(finals["reference"], finals["reference train_step"])
    # The same protocol from other seeds' inits (untimed): how often 1e-8 holds, and the control beside it.
    by_seed = [{"seed": seed, "reference_vs_torch": ref_vs_torch, "reference_vs_perturbed_reference": control_final}]
    for other in opts.get("parity_seeds", ()):
        log(f"  sentiment: parity run from seed {other}'s init (reference, torch, perturbed reference)")
        runs, _ = make_contenders(epochs, other)
        control_runs, _ = make_contenders(epochs, other, perturb_whh=PERTURB)
        ref = runs["reference"]()
        by_seed.append({"seed": other, "reference_vs_torch": max_abs_diff(ref, runs["torch"]()),
                        "reference_vs_perturbed_reference": max_abs_diff(ref, control_runs["reference"]())})
    seeds_within = [r["seed"] for r in by_seed if r["reference_vs_torch"] <= 1e-8]
    ratio = timing["reference"]["median_s"] / timing["classic"]["median_s"]
    checks = [
        {"target": "sentiment: reference time <= 0.5 x classic loop", "figure": f"{ratio:.3f} x",
         "met": ratio <= 0.5},
        {"target": "sentiment: final params, reference vs torch, max |diff| <= 1e-8",
         "figure": f"{ref_vs_torch:.2e} at seed {seed} (within 1e-8 up to epoch {last_within}; control, the reference "
                   f"against itself from a {PERTURB:g}-perturbed init: {control_final:.2e}); within 1e-8 at "
                   f"{len(seeds_within)} of {len(by_seed)} seeds ({', '.join(map(str, seeds_within)) or 'none'})",
         "met": ref_vs_torch <= 1e-8},
    ]
    return {
        "title": "Benchmark 1: the sentiment seed's protocol (per-example SGD with clipping)",
        "settings": {"epochs": epochs, "examples_per_epoch": n_items, "hidden": HIDDEN, "lr": LR, "clip": CLIP,
                     "init": "randn / 1000 (scheme 'sentiment')", "seed": seed, "dtype": "float64",
                     "repeats": repeats, "warmup_epochs": warmup_epochs, "threads": 1,
                     "order": "one seeded permutation per epoch, shared by all contenders"},
        "rows": rows,
        "parity": {"max_abs_diff_reference_vs_torch": ref_vs_torch,
                   "max_abs_diff_reference_vs_classic": ref_vs_classic,
                   "max_abs_diff_trainer_vs_train_step": trainer_vs_train_step,
                   "last_epoch_within_1e-8": last_within,
                   "by_seed": by_seed,
                   "control_perturbation": PERTURB,
                   "trajectory": trajectory},
        "checks": checks,
        "runtime": runtime_info(),
    }
