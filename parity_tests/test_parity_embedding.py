"""The embedding (RNNConfig.vocab_size): reference vs TorchRNN's nn.Embedding + nn.RNN.

Forward (logits, h_n), every gradient including the table's (a scatter-add over repeated ids),
a 50-step SGD / Adam trajectory in lockstep (train_step and the Trainer, which routes embedding
configs to its general path), and scipy's check_grad on the reference. Tolerances: tolerances.py.
"""
import numpy as np
import pytest
import torch

from rnn_parity.compare import assert_parity, compare
from rnn_parity.reference import SGD, Adam, RNNConfig, Trainer, forward, gradcheck, init_params, train_step
from rnn_parity.reference.loss import loss_and_all_grads
from rnn_parity.reference.tolerances import TRAJECTORY_FLOAT64
from rnn_parity.torch_impl import to_torch, torch_key_map

T, B, V = 7, 3, 5  # V small against T * B = 21 positions: ids repeat, so the scatter-add must accumulate

CONFIGS = {
    "1layer-tanh-last": RNNConfig(4, 6, 3, vocab_size=V),
    "2layer-bidir-relu-all-bf": RNNConfig(4, 6, 3, num_layers=2, bidirectional=True, nonlinearity="relu",
                                          bias="torch", output="all", batch_first=True, vocab_size=V),
    "1layer-nobias-all": RNNConfig(3, 5, 4, bias="none", output="all", vocab_size=V),
}


def case(config, dtype, seed=0):
    """params, ids, targets, h0, lengths for `config`, in its layout."""
    rng = np.random.default_rng(seed)
    params = init_params(config, seed=seed, dtype=dtype)
    ids = rng.integers(0, V, size=(B, T) if config.batch_first else (T, B))
    dirs = config.num_directions
    h0 = (0.5 * rng.standard_normal((config.num_layers * dirs, B, config.hidden_size))).astype(dtype)
    lengths = np.array([T, 4, 1])
    scored = (B,) if config.output == "last" else ((B, T) if config.batch_first else (T, B))
    targets = rng.integers(0, config.output_size, size=scored)
    return params, ids, targets, h0, lengths


def torch_loss(model, config, ids, targets, h0, lengths):
    """The reference's loss in torch: summed cross-entropy over the scored positions (padded steps skipped)."""
    logits, h_n = model(torch.from_numpy(ids), h0, lengths=torch.from_numpy(lengths))
    per = torch.nn.functional.cross_entropy(logits.reshape(-1, config.output_size),
                                            torch.from_numpy(targets).reshape(-1), reduction="none")
    if config.output == "all":
        t = np.arange(T)
        mask = (t[None, :] < lengths[:, None]) if config.batch_first else (t[:, None] < lengths[None, :])
        per = per * torch.from_numpy(mask.reshape(-1)).to(per.dtype)
    return per.sum(), logits, h_n


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(CONFIGS))
def test_forward_and_grads(name, dtype):
    config = CONFIGS[name]
    params, ids, targets, h0, lengths = case(config, dtype)
    model = to_torch(params)
    t_h0 = torch.from_numpy(h0).requires_grad_(True)
    t_loss, t_logits, t_h_n = torch_loss(model, config, ids, targets, t_h0, lengths)
    t_loss.backward()
    logits, h_n, _ = forward(params, ids, h0=h0, lengths=lengths)
    loss, grads, dx, dh0, _ = loss_and_all_grads(params, ids, targets, h0, lengths)
    assert dx is None  # token ids have no gradient
    results = [compare("logits", logits, t_logits), compare("h_n", h_n, t_h_n),
               compare("loss", np.array(loss, dtype=dtype), t_loss), compare("grad h0", dh0, t_h0.grad, "grad")]
    sd = dict(model.named_parameters())
    for key, ref in torch_key_map(config).items():
        if ref is not None:
            results.append(compare(f"grad {ref} ({key})", grads[ref], sd[key].grad, "grad"))
    assert "E" in grads and grads["E"].shape == (V, config.input_size)
    assert_parity(results)


def test_table_gradient_accumulates_repeated_ids():
    """Every row of E that was looked up gets the sum of its positions' gradients, others zero."""
    config = CONFIGS["1layer-nobias-all"]
    params, ids, targets, h0, lengths = case(config, "float64")
    ids[:] = 2  # one id everywhere: its row collects all T * B contributions
    _, grads, _, _, _ = loss_and_all_grads(params, ids, targets, h0, None)
    model = to_torch(params)
    t_loss, _, _ = torch_loss(model, config, ids, targets, torch.from_numpy(h0), np.full(B, T))
    t_loss.backward()
    assert np.count_nonzero(grads["E"].any(axis=1)) == 1
    assert_parity(compare("grad E", grads["E"], model.embedding.weight.grad, "grad"))


OPTIMIZERS = {
    "sgd-momentum": (lambda p: SGD(p, lr=0.05, momentum=0.9),
                     lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, foreach=False)),
    "adam": (lambda p: Adam(p, lr=0.01),
             lambda ps: torch.optim.Adam(ps, lr=0.01, foreach=False)),
}


@pytest.mark.parametrize("numpy_side", ["train_step", "Trainer"])
@pytest.mark.parametrize("opt", list(OPTIMIZERS))
@pytest.mark.parametrize("name", ["1layer-tanh-last", "2layer-bidir-relu-all-bf"])
def test_trajectory_50_steps(name, opt, numpy_side):
    config = CONFIGS[name]
    params, ids, targets, h0, lengths = case(config, "float64")
    lengths = np.full(B, T) if numpy_side == "Trainer" and config.num_layers == 1 else lengths
    model = to_torch(params)
    make_ref, make_torch = OPTIMIZERS[opt]
    ref_opt = make_ref(params)
    trainer = Trainer(params, ref_opt, clip_value=1.0) if numpy_side == "Trainer" else None
    t_opt = make_torch([p for p in model.parameters() if p.requires_grad])
    keymap = {k: r for k, r in torch_key_map(config).items() if r is not None}
    rng = np.random.default_rng(1)
    worst = 0.0
    for step in range(50):
        ids = rng.integers(0, V, size=ids.shape)
        if trainer is not None:
            trainer.step(ids, targets, h0=h0, lengths=None if config.num_layers == 1 else lengths)
        else:
            train_step(params, ref_opt, ids, targets, h0=h0, lengths=lengths, clip_value=1.0)
        t_opt.zero_grad()
        t_loss, _, _ = torch_loss(model, config, ids, targets, torch.from_numpy(h0), lengths)
        t_loss.backward()
        torch.nn.utils.clip_grad_value_(model.parameters(), 1.0)
        t_opt.step()
        sd = model.state_dict()
        worst = max(worst, max(float(np.abs(params[r] - sd[k].numpy()).max()) for k, r in keymap.items()))
        assert worst < TRAJECTORY_FLOAT64, f"step {step}: max |param difference| {worst:.3g}"
    assert np.abs(params["E"] - case(config, "float64")[0]["E"]).max() > 1e-3  # the table did train


@pytest.mark.parametrize("name", list(CONFIGS))
def test_gradcheck_covers_the_table(name):
    config = CONFIGS[name]
    params, ids, targets, h0, lengths = case(config, "float64")
    rows = gradcheck(params, ids, targets, h0=h0, lengths=lengths)
    assert {r.name for r in rows} == set(params) | {"h0"}
    assert all(r.passed for r in rows), [r for r in rows if not r.passed]
