"""SGD and Adam with torch.optim's update formulas (from the algorithm boxes in torch's documentation).

`.step(grads)` updates the params' arrays in place, like torch; state is kept per parameter name.
"""
from __future__ import annotations

import numpy as np


class Optimizer:
    def __init__(self, params, lr: float):
        if not lr >= 0:
            raise ValueError(f"lr must be >= 0, got {lr}")
        self.params = params
        self.lr = lr
        self.state: dict[str, dict] = {}
        self.driver: str | None = None  # "Trainer" once a Trainer drives it (with its own flat state)

    def step(self, grads):
        if self.driver is not None:
            raise ValueError(f"{type(self).__name__}.step: this optimizer is driven by a {self.driver}; "
                             "call trainer.step, or build a new optimizer")
        if len(grads) < len(self.params) or any(name not in grads for name in self.params):
            missing = sorted(set(self.params) - set(grads))
            raise ValueError(f"{type(self).__name__}.step: no gradient for {missing}")
        state = self.state
        for name, p in self.params.items():
            g = grads[name]
            if getattr(g, "shape", None) != p.shape:
                raise ValueError(f"{type(self).__name__}.step: gradient {name!r} has shape "
                                 f"{getattr(g, 'shape', None)}, param {p.shape}")
            if name not in state:
                state[name] = {}
            self.update(p, g, state[name])

    def update(self, p: np.ndarray, g: np.ndarray, state: dict):
        raise NotImplementedError


class SGD(Optimizer):
    """torch.optim.SGD: weight decay, momentum with dampening, Nesterov."""

    def __init__(self, params, lr: float, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        super().__init__(params, lr)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        self.momentum, self.dampening, self.weight_decay, self.nesterov = momentum, dampening, weight_decay, nesterov

    def update(self, p, g, state):
        if self.weight_decay != 0:
            g = g + self.weight_decay * p
        if self.momentum != 0:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = g.copy()  # the first step takes the gradient as is
            else:
                buf = state["momentum_buffer"]
                buf *= self.momentum
                buf += (1 - self.dampening) * g
            buf = state["momentum_buffer"]
            g = g + self.momentum * buf if self.nesterov else buf
        p -= self.lr * g


class Adam(Optimizer):
    """torch.optim.Adam (L2 weight decay added to the gradient, optional AMSGrad)."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False):
        super().__init__(params, lr)
        if not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"betas must lie in [0, 1), got {betas}")
        self.betas, self.eps, self.weight_decay, self.amsgrad = tuple(betas), eps, weight_decay, amsgrad

    def update(self, p, g, state):
        beta1, beta2 = self.betas
        if self.weight_decay != 0:
            g = g + self.weight_decay * p
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(p), exp_avg_sq=np.zeros_like(p))
            if self.amsgrad:
                state["max_exp_avg_sq"] = np.zeros_like(p)
        state["step"] += 1
        step = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (1 - beta1) * (g - m)  # torch's lerp form of beta1 * m + (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        bias_correction1 = 1 - beta1 ** step
        bias_correction2 = 1 - beta2 ** step
        step_size = self.lr / bias_correction1
        if self.amsgrad:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        denom = np.sqrt(v) / bias_correction2 ** 0.5 + self.eps
        p -= step_size * (m / denom)
