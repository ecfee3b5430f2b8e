"""What the reference (or one of its mutants) gives for every call of the plan.

The replay makes the same calls, in the same order, with the same weights, and records the same
quantities the child records from the implementation. Reference functions are looked up through
their modules at call time, so a mutant applied with rnn_parity.mutants.applied takes effect here.

The training-step part (clip, update, gradient buffers) goes through reference.train.apply_update,
the one place those mistakes can be expressed, fed with the gradients of the plan's own upstream
gradients.
"""
from __future__ import annotations

import numpy as np

from ...reference import clip as ref_clip
from ...reference import config as ref_config
from ...reference import loss as ref_loss
from ...reference import model as ref_model
from ...reference import optim as ref_optim
from ...reference import params as ref_params
from ...reference import train as ref_train
from . import plan as P


class Replay:
    """Replays a plan on the reference. clip: ("value", c) | ("norm", c) | None, as the implementation clips."""

    def __init__(self, plan: P.Plan, probs: bool, clip=None, skip_update: bool = False):
        self.plan, self.probs, self.clip, self.skip_update = plan, probs, clip, skip_update
        output = "last" if plan.many_to_one else "all"
        self.config = ref_config.RNNConfig(P.D, P.H, P.O, output=output)
        self.id_config = ref_config.RNNConfig(P.D, P.H, P.O_IDENTITY, output=output)

    def _params(self, arrays: dict, config) -> ref_params.Params:
        return ref_params.Params({k: np.array(arrays[k], dtype=np.float64) for k in P.CANONICAL}, config)

    def _h0(self):
        if self.plan.protocol == "functions":
            return self.plan.h0.reshape(1, 1, P.H)
        return None

    def _outputs(self, logits: np.ndarray) -> np.ndarray:
        """Logits (T, 1, O) or (1, O) as the implementation reports them: (T, O) or (O,)."""
        out = logits[:, 0, :] if logits.ndim == 3 else logits[0]
        if self.probs:
            out = ref_loss.softmax(out)
        return out

    def _clip_kwargs(self, clip=None):
        clip = self.clip if clip is None else clip
        if clip is None:
            return {}
        return {"clip_value": clip[1]} if clip[0] == "value" else {"clip_norm": clip[1]}

    def run(self) -> dict:
        plan = self.plan
        obs: dict = {}
        params = self._params(plan.params, self.config)
        optimizer = ref_optim.SGD(params, lr=0.0)  # one per implementation instance: it also holds buffers
        for call in plan.calls:
            if call.tag == "update" and self.skip_update:
                continue
            x = call.tokens.reshape(-1, 1)
            if call.tag == "hidden":
                p = self._params(dict(plan.params, **plan.identity_head), self.id_config)
                logits, _, _ = ref_model.forward(p, x, h0=self._h0())
                obs[call.key("out")] = self._outputs(logits)
                continue
            if call.reset:
                for k in P.CANONICAL:
                    params[k][...] = plan.params[k]
            before = {k: params[k].copy() for k in P.CANONICAL}
            logits, h_n, cache = ref_model.forward(params, x, h0=self._h0())
            obs[call.key("out")] = self._outputs(logits)
            if plan.many_to_one:
                obs[call.key("h")] = h_n[0, 0].copy()
            if plan.step == "loss":
                targets = np.asarray(call.targets).reshape(1) if plan.many_to_one else call.targets.reshape(-1, 1)
                _, dlogits = ref_loss.softmax_cross_entropy(logits, targets)
            else:
                dlogits = call.dy.reshape(1, -1) if plan.many_to_one else call.dy.reshape(-1, 1, P.O)
            grads, _, _ = ref_model.backward(params, cache, dlogits)

            if plan.step == "backprop":
                optimizer.lr = call.lr
                ref_train.apply_update(params, grads, optimizer, **self._clip_kwargs())
                for k in P.CANONICAL:
                    obs[call.key("grad:" + k)] = (before[k] - params[k]) / call.lr
                if call.tag == "update":
                    for k in P.CANONICAL:
                        obs[call.key("param:" + k)] = params[k].copy()
                continue

            if plan.step == "loss" and call.tag == "update":
                optimizer.lr = call.lr
                clip = {}
                if call.clip is not None:
                    clip = self._clip_kwargs(((self.clip or ("value",))[0], call.clip))
                ref_train.apply_update(params, grads, optimizer, **clip)
                for k in P.CANONICAL:
                    obs[call.key("param:" + k)] = params[k].copy()
                continue

            optimizer.lr = 0.0  # the gradients as a training step would use them, weights unchanged
            used = ref_train.apply_update(params, grads, optimizer)
            for k in P.CANONICAL:
                obs[call.key("grad:" + k)] = np.array(used[k])
            if call.tag == "clip" and call.clip is not None:
                mode = self.clip[0] if self.clip else "value"
                if mode == "value":
                    clipped = ref_clip.clip_value(used, call.clip)
                else:
                    clipped, _ = ref_clip.clip_norm(used, call.clip)
                for k in P.CANONICAL:
                    obs[call.key("clipped:" + k)] = np.array(clipped[k])
        return obs
