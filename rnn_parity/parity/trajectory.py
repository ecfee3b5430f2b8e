"""Trajectories: both sides train in lockstep from the same weights, N optimizer steps; the loss and every
parameter are compared after every step.

The NumPy side is reference.train_step (or its fast twin reference.Trainer), the torch side
torch_impl.train.train_step with torch.optim.SGD / Adam built with ``foreach=False``: the single-tensor
implementations (``_single_tensor_sgd``, ``_single_tensor_adam``), not the foreach or fused kernels.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import reference as ref
from ..reference import tolerances
from ..reference.params import Params
from ..reference.tolerances import Tolerance
from .cases import Setup, draw_inputs, stable_hash
from .compare import Comparison, flag
from .halves import parity

@dataclass(frozen=True)
class Recipe:
    """An optimizer, its clipping and its schedule; the same on both sides."""

    id: str
    optimizer: str  # "SGD" | "Adam"
    options: tuple = ()  # (name, value) pairs for both optimizers' constructors
    clip_value: float | None = None
    clip_norm: float | None = None
    steps: int = 50
    reduction: str = "sum"
    batches: int = 3  # distinct batches, cycled
    tbptt: bool = False  # carry h_n into the next chunk's h0 (detached on the torch side)
    per_example: bool = False  # the seeds' protocol: B=1, one shuffled example per step, its own length
    clipping_must_act: bool = True  # fail the run if clipping never changes a gradient (else it proves nothing)

    @property
    def kwargs(self) -> dict:
        return dict(self.options)


RECIPES = {r.id: r for r in [
    Recipe("sgd-clipvalue", "SGD", (("lr", 0.05),), clip_value=0.5),
    Recipe("sgd-momentum-clipnorm", "SGD", (("lr", 0.05), ("momentum", 0.9)), clip_norm=1.0),
    Recipe("sgd-nesterov-wd-clipvalue", "SGD", (("lr", 0.05), ("momentum", 0.9), ("nesterov", True),
                                                ("weight_decay", 1e-2)), clip_value=0.05, reduction="mean"),
    Recipe("sgd-dampening-wd-clipnorm", "SGD", (("lr", 0.05), ("momentum", 0.5), ("dampening", 0.3),
                                                ("weight_decay", 1e-2)), clip_norm=1.0),
    Recipe("adam-clipnorm", "Adam", (("lr", 1e-2),), clip_norm=1.0),
    Recipe("adam-amsgrad-wd-clipvalue", "Adam", (("lr", 1e-2), ("betas", (0.8, 0.99)), ("amsgrad", True),
                                                 ("weight_decay", 1e-2)), clip_value=0.05, reduction="mean"),
    # The seeds' protocol (000/004): per-example SGD, lr 2e-2, element-wise clip to [-1, 1].
    # Its clip of 1 is a safety net that one-example gradients of these small models never reach, as in
    # the seeds; the recipes above prove clipping (value and norm, active) on both sides.
    Recipe("seeds-sgd", "SGD", (("lr", 2e-2),), clip_value=1.0, steps=60, batches=20, per_example=True,
           clipping_must_act=False),
    # Truncated BPTT: h0 of chunk k+1 is h_n of chunk k (min-char-rnn's hprev), reset every `batches` chunks.
    Recipe("tbptt-adam-clipvalue", "Adam", (("lr", 1e-2),), clip_value=0.5, steps=50, batches=10, tbptt=True),
]}

# Which cases each recipe runs on (trajectories are the expensive protocol).
TRAJECTORY_GRID = [
    ("sgd-clipvalue", "L1-uni-tanh-last"),
    ("sgd-momentum-clipnorm", "L2-bi-relu-last-lengths"),
    ("sgd-nesterov-wd-clipvalue", "L1-uni-tanh-all-ids-h0"),
    ("sgd-dampening-wd-clipnorm", "L2-uni-tanh-all-short-bf-torchbias"),
    ("adam-clipnorm", "L1-bi-tanh-all-lengths-nobias"),
    ("adam-amsgrad-wd-clipvalue", "L2-bi-tanh-last-h0-torchbias"),
    ("seeds-sgd", "L1-uni-tanh-last-ids-D8-H6-O2-B1"),
    ("tbptt-adam-clipvalue", "L1-uni-tanh-all-ids-D6-T4-B2"),
    ("sgd-momentum-clipnorm", "L1-uni-tanh-last-f32"),
    ("adam-clipnorm", "L2-bi-relu-all-lengths-h0-f32"),
    # The embedding table trains on both sides; one layer without lengths also proves that the Trainer
    # keeps embedding configs off its fused path (which has no table).
    ("sgd-momentum-clipnorm", "L1-uni-tanh-last-emb"),
    ("adam-amsgrad-wd-clipvalue", "L2-bi-relu-all-emb-lengths-h0-bf-torchbias"),
    ("tbptt-adam-clipvalue", "L1-uni-tanh-all-emb-T4-B2"),
    # The LSTM: every recipe; truncated BPTT carries the pair (h_n, c_n) into the next chunk.
    ("sgd-clipvalue", "L1-uni-lstm-last"),
    ("sgd-momentum-clipnorm", "L2-bi-lstm-last-lengths-P2"),
    ("sgd-nesterov-wd-clipvalue", "L1-uni-lstm-all-ids-h0"),
    ("sgd-dampening-wd-clipnorm", "L2-uni-lstm-all-short-bf-torchbias"),
    ("adam-clipnorm", "L1-bi-lstm-all-lengths-nobias"),
    ("adam-amsgrad-wd-clipvalue", "L2-bi-lstm-last-h0-torchbias-P1"),
    ("seeds-sgd", "L1-uni-lstm-last-ids-D8-H6-O2-B1"),
    ("tbptt-adam-clipvalue", "L1-uni-lstm-all-ids-D6-T4-B2-P3"),
    ("adam-clipnorm", "L2-bi-lstm-all-lengths-h0-f32-P2"),
    ("sgd-momentum-clipnorm", "L1-uni-lstm-last-emb-f32"),
    # The GRU: every recipe, b_hh trained (torchbias) in most, so b_hn moves inside the reset product.
    ("sgd-clipvalue", "L1-uni-gru-last-torchbias"),
    ("sgd-momentum-clipnorm", "L2-bi-gru-last-lengths"),
    ("sgd-nesterov-wd-clipvalue", "L1-uni-gru-all-ids-h0-torchbias"),
    ("sgd-dampening-wd-clipnorm", "L2-uni-gru-all-short-bf-torchbias"),
    ("adam-clipnorm", "L1-bi-gru-all-lengths-nobias"),
    ("adam-amsgrad-wd-clipvalue", "L2-bi-gru-last-h0-torchbias"),
    ("seeds-sgd", "L1-uni-gru-last-ids-D8-H6-O2-B1"),
    ("tbptt-adam-clipvalue", "L1-uni-gru-all-ids-torchbias-D6-T4-B2"),
    ("adam-clipnorm", "L2-bi-gru-all-lengths-h0-torchbias-f32"),
    ("sgd-momentum-clipnorm", "L1-uni-gru-last-emb-f32"),
]


def trajectory_tolerance(dtype, steps: int) -> Tolerance:
    """Max |param_mine - param_theirs| allowed after `steps` optimizer steps (DESIGN.md's policy)."""
    name = np.dtype(dtype).name
    if name == "float64":
        return Tolerance(rtol=0.0, atol=tolerances.TRAJECTORY_FLOAT64)
    per_n = getattr(tolerances, "TRAJECTORY_FLOAT32", None)
    if per_n is None:
        raise ValueError("reference/tolerances.py defines no float32 trajectory tolerance (TRAJECTORY_FLOAT32)")
    if isinstance(per_n, Tolerance):
        return per_n
    fitting = [n for n in sorted(per_n) if n >= steps]
    if not fitting:
        raise ValueError(f"TRAJECTORY_FLOAT32 documents no bound for {steps} steps (has {sorted(per_n)})")
    bound = per_n[fitting[0]]
    return bound if isinstance(bound, Tolerance) else Tolerance(rtol=0.0, atol=float(bound))


@dataclass
class StepInput:
    """What one lockstep step trains on (a batch, a chunk of a long sequence, or one example)."""

    x: np.ndarray
    targets: np.ndarray
    lengths: np.ndarray | None


def trajectory_batches(s: Setup, recipe: Recipe) -> list[StepInput]:
    """The schedule: `recipe.batches` distinct batches drawn for the case, cycled for `recipe.steps` steps.

    Per-example (the seeds' protocol): B=1 examples of lengths 1..T visited in a shuffled order each epoch.
    Truncated BPTT: one sequence of batches * T steps cut into consecutive chunks of T steps.
    """
    rng = np.random.default_rng([stable_hash(recipe.id), stable_hash(s.case.id)])
    pool = []
    if recipe.tbptt:
        if s.config.output != "all" or s.case.lengths:
            raise ValueError(f"truncated BPTT needs output='all' and full-length sequences, not case {s.case.id}")
        x, _, targets = draw_inputs(s.case, rng, s.case.T * recipe.batches)
        if not s.case.ids_input:
            x = x.astype(s.ref_dtype)
        axis = 1 if s.config.batch_first else 0
        pool = [StepInput(xc, tc, None) for xc, tc in zip(np.split(x, recipe.batches, axis=axis),
                                                     np.split(targets, recipe.batches, axis=axis))]
    for i in range(0 if recipe.tbptt else recipe.batches):
        T = int(rng.integers(1, s.case.T + 1)) if recipe.per_example else s.case.T
        x, lengths, targets = draw_inputs(s.case, rng, T)
        if not s.case.ids_input:
            x = x.astype(s.ref_dtype)
        pool.append(StepInput(x, targets, lengths))
    order = []
    while len(order) < recipe.steps:
        epoch = list(range(recipe.batches))
        if recipe.per_example:
            rng.shuffle(epoch)
        order += epoch
    return [pool[i] for i in order[:recipe.steps]]


def numpy_optimizer(params: Params, recipe: Recipe):
    return getattr(ref, recipe.optimizer)(params, **recipe.kwargs)


def torch_optimizer(model, recipe: Recipe):
    import torch  # imported lazily: the reference-only paths stay torch-free

    trainable = [p for p in model.parameters() if p.requires_grad]  # bias="single": bias_hh stays frozen
    return getattr(torch.optim, recipe.optimizer)(trainable, **recipe.kwargs, foreach=False)


def check_trajectory(s: Setup, recipe: Recipe | str, numpy_side: str = "train_step") -> list[Comparison]:
    """Both sides train in lockstep from the same weights; loss and every parameter compared after every step.

    numpy_side: "train_step" (reference.train_step) or "Trainer" (reference.Trainer, flat buffers).
    """
    from ..torch_impl.train import train_step as torch_train_step

    recipe = RECIPES[recipe] if isinstance(recipe, str) else recipe
    tol = trajectory_tolerance(s.case.dtype, recipe.steps)
    params, model = s.params.copy(), s.model()
    opt_numpy, opt_torch = numpy_optimizer(params, recipe), torch_optimizer(model, recipe)
    if numpy_side == "Trainer":
        trainer = ref.Trainer(params, opt_numpy, recipe.clip_value, recipe.clip_norm, recipe.reduction)

        def numpy_step(x, targets, h0, lengths):
            return trainer.step(x, targets, h0, lengths)
    elif numpy_side == "train_step":
        def numpy_step(x, targets, h0, lengths):
            return ref.train_step(params, opt_numpy, x, targets, h0, lengths, recipe.reduction, recipe.clip_value,
                                  recipe.clip_norm)
    else:
        raise ValueError(f"numpy_side must be 'train_step' or 'Trainer', got {numpy_side!r}")
    h0_numpy, h0_torch = s.h0, s.tensor(s.h0)
    results, active_steps = [], 0
    for step, batch in enumerate(trajectory_batches(s, recipe), start=1):
        if recipe.tbptt and (step - 1) % recipe.batches == 0:
            h0_numpy, h0_torch = None, None  # a new pass over the sequence starts from zeros
        loss_numpy, _, hn_numpy = numpy_step(batch.x, batch.targets, h0_numpy, batch.lengths)
        loss_torch, _, hn_torch, clipped = torch_train_step(
            model, opt_torch, s.tensor(batch.x), batch.targets, h0_torch, batch.lengths, recipe.reduction,
            recipe.clip_value, recipe.clip_norm, measure_clipping=True)
        active_steps += clipped
        mine = {"loss": np.asarray(loss_numpy, s.ref_dtype), **params}
        theirs = {"loss": loss_torch, **_params_named(model)}
        results += parity(recipe.id, mine, theirs, {"loss": "forward", None: tol}, s.dtypes, step=step)
        if recipe.tbptt:  # an LSTM carries the pair (h_n, c_n)
            h0_numpy = hn_numpy
            h0_torch = tuple(h.detach() for h in hn_torch) if isinstance(hn_torch, tuple) else hn_torch.detach()
    if recipe.clipping_must_act and (recipe.clip_value is not None or recipe.clip_norm is not None):
        results.append(flag(f"{recipe.id} clipping active", active_steps > 0,
                            f"clipping never changed a gradient in {recipe.steps} steps",
                            group=recipe.id, quantity="params"))
    return results


def _params_named(model) -> dict:
    from ..torch_impl import from_torch

    return dict(from_torch(model, model.config))


__all__ = ["RECIPES", "TRAJECTORY_GRID", "Recipe", "StepInput", "check_trajectory", "numpy_optimizer",
           "torch_optimizer", "trajectory_batches", "trajectory_tolerance"]
