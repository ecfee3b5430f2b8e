"""Trainer.prepared_steps: run_step's numbers bit for bit, its checks made once for the block."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from rnn_parity.reference import SGD, Adam, RNNConfig, Trainer, init_params

CASES = {
    "one layer (fused path), clip value": (RNNConfig(5, 7, 3), lambda p: SGD(p, lr=0.1), 0.2, None),
    "many-to-many batch-first, clip norm, adam": (RNNConfig(5, 7, 3, output="all", batch_first=True),
                                                  lambda p: Adam(p, lr=0.01), None, 0.5),
    "two layers bidirectional (general path)": (RNNConfig(5, 7, 3, num_layers=2, bidirectional=True),
                                                lambda p: SGD(p, lr=0.1, momentum=0.9), 1.0, 1.0),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("with_h0", [False, True], ids=["no h0", "h0"])
def test_prepared_steps_equal_run_step_bit_for_bit(name, with_h0):
    config, optimizer, clip_value, clip_norm = CASES[name]
    rng = np.random.default_rng(0)
    T, B = 4, 2
    shape = (B, T) if config.batch_first else (T, B)
    data = [(rng.integers(0, 5, shape), rng.integers(0, 3, (B,) if config.output == "last" else shape))
            for _ in range(4)]
    h0 = rng.standard_normal((config.num_layers * config.num_directions, B, 7)) if with_h0 else None
    a, b = init_params(config, seed=1), init_params(config, seed=1)
    ta = Trainer(a, optimizer(a), clip_value, clip_norm)
    tb = Trainer(b, optimizer(b), clip_value, clip_norm)
    prepared_a, prepared_b = [ta.prepare(x, y) for x, y in data], [tb.prepare(x, y) for x, y in data]
    with tb.prepared_steps(h0) as step:
        for ex_a, ex_b in zip(prepared_a * 2, prepared_b * 2):
            loss_a, logits_a, grads_a, hn_a = ta.run_step(ex_a, None, h0)
            loss_b, logits_b, grads_b, hn_b = step(ex_b)
            assert loss_a == loss_b
            assert logits_a.tobytes() == logits_b.tobytes() and hn_a.tobytes() == hn_b.tobytes()
            assert all(grads_a[k].tobytes() == grads_b[k].tobytes() for k in grads_a)
    assert all(a[k].tobytes() == b[k].tobytes() for k in a)


def test_prepared_steps_refuse_replaced_params_and_restore_numpy_error_state():
    params = init_params(RNNConfig(5, 7, 3))
    trainer = Trainer(params, SGD(params, lr=0.1))
    params["Whh"] = params["Whh"].copy()
    with pytest.raises(ValueError, match=r"params\['Whh'\] was replaced"):
        with trainer.prepared_steps():
            pass
    before = np.geterr()
    params2 = init_params(RNNConfig(5, 7, 3))
    trainer2 = Trainer(params2, SGD(params2, lr=0.1))
    with trainer2.prepared_steps() as step:
        assert np.geterr()["over"] == "ignore"
        step(trainer2.prepare(np.zeros((3, 1), dtype=np.int64), np.array([1])))
    assert np.geterr() == before


def test_a_nonfinite_gradient_inside_the_block_is_refused_before_the_update():
    params = init_params(RNNConfig(5, 7, 3))
    params["bh"][:] = 50.0  # every h_t = tanh(~50) = 1 ...
    params["Why"][0, :] = 1e308  # ... so logit 0 = 7e308 overflows: refused, nothing updated
    trainer = Trainer(params, SGD(params, lr=0.1))
    kept = {k: v.copy() for k, v in params.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with trainer.prepared_steps() as step:
            with pytest.raises(ValueError, match="logit|overflow|non-finite"):
                step(trainer.prepare(np.zeros((3, 1), dtype=np.int64), np.array([1])))
    assert all(params[k].tobytes() == kept[k].tobytes() for k in kept)
