"""TorchTrainer: train_step's numbers bit for bit, over examples prepared once; its refusals in one line."""
import numpy as np
import pytest
import torch

from rnn_parity.errors import RNNParityError
from rnn_parity.reference import RNNConfig, init_params
from rnn_parity.torch_impl import to_torch
from rnn_parity.torch_impl.train import TorchTrainer, train_step

T, B, D, H, O = 5, 2, 4, 6, 3


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """Tiny models: one intra-op thread is fastest (see torch_impl.threads)."""
    from rnn_parity.torch_impl.threads import torch_threads

    with torch_threads(1):
        yield


CONFIGS = {
    "last": RNNConfig(D, H, O),
    "all": RNNConfig(D, H, O, output="all"),
    "all, batch_first": RNNConfig(D, H, O, output="all", batch_first=True),
    "relu, bias torch": RNNConfig(D, H, O, nonlinearity="relu", bias="torch"),
    "no bias, 2 layers": RNNConfig(D, H, O, bias="none", num_layers=2),
    "bidirectional": RNNConfig(D, H, O, bidirectional=True),  # through TorchRNN.forward
    "embedding": RNNConfig(D, H, O, vocab_size=7),  # through TorchRNN.forward
    "lstm": RNNConfig(D, H, O, cell="lstm"),
    "lstm, projection, all": RNNConfig(D, H, O, cell="lstm", proj_size=4, output="all"),
    "gru, bias torch, 2 layers": RNNConfig(D, H, O, cell="gru", bias="torch", num_layers=2),
}


def initial_state(config, rng):
    n = config.num_layers * config.num_directions
    h0 = rng.standard_normal((n, B, config.proj_size or H))
    return (h0, rng.standard_normal((n, B, H))) if config.cell == "lstm" else h0


def example(config, rng, token_ids):
    shape = (B, T) if config.batch_first else (T, B)
    if config.vocab_size or token_ids:
        x = rng.integers(0, config.vocab_size or D, size=shape)
    else:
        x = rng.standard_normal(shape + (D,))
    y = rng.integers(0, O, size=(B,) if config.output == "last" else shape)
    return x, y


@pytest.mark.parametrize("name", CONFIGS)
@pytest.mark.parametrize("token_ids", [True, False], ids=["ids", "dense"])
def test_steps_equal_train_step_bit_for_bit(name, token_ids):
    config = CONFIGS[name]
    params = init_params(config, seed=3)
    rng = np.random.default_rng(1)
    for clip in [(1e-3, None), (None, 0.05), (None, None)]:  # by value, by norm, none
        for h0 in (None, initial_state(config, rng)):
            data = [example(config, rng, token_ids) for _ in range(3)]
            a, b = to_torch(params), to_torch(params)
            opt_a = torch.optim.SGD([p for p in a.parameters() if p.requires_grad], lr=0.3, foreach=True)
            opt_b = torch.optim.SGD([p for p in b.parameters() if p.requires_grad], lr=0.3, foreach=True)
            trainer = TorchTrainer(b, opt_b, *clip, reduction="sum", h0=h0)
            prepared = [trainer.prepare(x, y) for x, y in data]
            h0_a = None if h0 is None else tuple(map(torch.as_tensor, h0)) if isinstance(h0, tuple) else torch.as_tensor(h0)
            for (x, y), p in zip(data * 2, prepared * 2):
                loss_a, logits_a, _, _ = train_step(a, opt_a, torch.as_tensor(x), y, h0_a, None, "sum", *clip)
                loss_b, logits_b = trainer.step(p)
                assert loss_b == loss_a.item()
                assert logits_b.detach().numpy().tobytes() == logits_a.detach().numpy().tobytes()
            for (key, pa), pb in zip(a.state_dict().items(), b.state_dict().values()):
                assert pa.numpy().tobytes() == pb.numpy().tobytes(), (key, clip, h0 is None)


def test_the_direct_path_is_taken_for_one_direction_without_an_embedding():
    for name, config in CONFIGS.items():
        model = to_torch(init_params(config))
        trainer = TorchTrainer(model, torch.optim.SGD(model.parameters(), lr=0.1))
        assert trainer.direct == (name not in ("bidirectional", "embedding")), name


def test_screen_off_lets_a_nan_gradient_through_and_on_refuses_it():
    config = CONFIGS["last"]
    rng = np.random.default_rng(0)
    x, y = example(config, rng, True)
    for screen in (True, False):
        model = to_torch(init_params(config))
        model.rnn.weight_hh_l0.register_hook(lambda g: torch.full_like(g, float("nan")))
        trainer = TorchTrainer(model, torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1),
                               clip_value=1.0)
        if screen:
            with pytest.raises(ValueError, match=r"gradient 'Whh' holds nan at index \(0, 0\)"):
                trainer.step(trainer.prepare(x, y), screen=True)
            assert torch.isfinite(model.rnn.weight_hh_l0).all()  # refused before the update
        else:
            trainer.step(trainer.prepare(x, y), screen=False)
            assert torch.isnan(model.rnn.weight_hh_l0).all()  # clamp keeps NaN: the engine's epoch check sees it


@pytest.mark.parametrize("targets, message", [
    (np.array([0]), r"targets must be 2 class ids in \[0, 3\), got 1"),
    (np.array([0, 3]), r"targets must be 2 class ids in \[0, 3\), got 2 in \[0, 3\]"),
    (np.array([-1, 0]), r"in \[-1, 0\]"),
])
def test_bad_targets_are_one_line_errors(targets, message):
    config = CONFIGS["last"]
    model = to_torch(init_params(config))
    trainer = TorchTrainer(model, torch.optim.SGD(model.parameters(), lr=0.1))
    x, _ = example(config, np.random.default_rng(0), True)
    with pytest.raises(ValueError, match=message) as e:
        trainer.prepare(x, targets)
    assert "\n" not in str(e.value)


def test_bad_inputs_and_h0_are_refused_by_the_models_own_checks():
    config = CONFIGS["last"]
    model = to_torch(init_params(config))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = example(config, np.random.default_rng(0), True)
    with pytest.raises(RNNParityError, match=r"token ids must lie in \[0, 4\)"):
        TorchTrainer(model, opt).prepare(x + 10, y)
    with pytest.raises(RNNParityError, match=r"h0 must have shape"):
        TorchTrainer(model, opt, h0=np.zeros((1, H)))
    trainer = TorchTrainer(model, opt, h0=np.zeros((1, 1, H)))  # one initial state for batches of one
    with pytest.raises(RNNParityError, match=r"h0 must have shape \(L\*dirs, B, H\) = \(1, 2, 6\)"):
        trainer.prepare(x, y)  # a batch of two
    with pytest.raises(ValueError, match="reduction must be 'sum' or 'mean'"):
        TorchTrainer(model, opt, reduction="none")
