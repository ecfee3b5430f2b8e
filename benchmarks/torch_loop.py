"""The sentiment seed's task as a plain PyTorch loop: what a user would write instead of our torch side.

The idiomatic few lines, nothing of rnn-parity's in the loop:

- `nn.RNN` (stock: both biases trained) and `nn.Linear`, float64; `nn.LSTM` / `nn.GRU` for the gated cells;
- every phrase one-hot encoded once, up front, as a (T, 1, D) tensor (a user's tensor data set);
- per example: zero_grad, forward, `F.cross_entropy`, backward, `clip_grad_value_(params, 1.0)`,
  `torch.optim.SGD(lr=2e-2).step()`, and the epoch's loss and accuracy tallied with `.item()`, as the
  seed's loop reports them;
- one intra-op thread (`torch.set_num_threads(1)`), as the demo trains.

`python -m rnn_parity.benchmarks.torch_loop --epochs 1000` runs it as a whole process (the anchor of
benchmarks/processes.py); `train` is the in-process form that benchmarks/anchors.py times beside the
demo's own torch side.
"""
from __future__ import annotations

import numpy as np

HIDDEN, LR, CLIP = 64, 2e-2, 1.0
CELLS = ("rnn", "lstm", "gru")


def build(vocab_size: int, classes: int, cell: str = "rnn", seed: int = 0, hidden: int = HIDDEN):
    """(recurrent module, head), float64, weights randn / 1000 and biases zero like the seed's init."""
    import torch
    from torch import nn

    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}; choose one of {', '.join(CELLS)}")
    module = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell]
    rnn = module(vocab_size, hidden, dtype=torch.float64)
    fc = nn.Linear(hidden, classes, dtype=torch.float64)
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for name, p in [*rnn.named_parameters(), *fc.named_parameters()]:
            p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape)) / 1000) if "weight" in name
                    else torch.zeros_like(p))
    return rnn, fc


def one_hot_inputs(data, vocab_size: int):
    """[(x (T, 1, D) float64 one-hot, y (1,) int64)] per phrase: built once, reused every epoch."""
    import torch

    return [(torch.nn.functional.one_hot(torch.from_numpy(data.encode(p.text)), vocab_size)
             .to(torch.float64)[:, None], torch.tensor([p.label])) for p in data.train]


def train(rnn, fc, examples, orders, lr: float = LR, clip: float = CLIP) -> list[tuple[float, float]]:
    """Per-example SGD over `examples` in each epoch's order. Returns (mean loss, accuracy) per epoch."""
    import torch
    import torch.nn.functional as F

    params = [*rnn.parameters(), *fc.parameters()]
    optimizer = torch.optim.SGD(params, lr=lr)
    lstm = isinstance(rnn, torch.nn.LSTM)
    history = []
    for order in orders:
        total, correct = 0.0, 0
        for i in order:
            x, y = examples[i]
            optimizer.zero_grad()
            _, h_n = rnn(x)
            logits = fc((h_n[0] if lstm else h_n)[-1])  # the last step's hidden state, (1, H)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            torch.nn.utils.clip_grad_value_(params, clip)
            optimizer.step()
            total += loss.item()
            correct += int(logits.argmax(1).item() == y.item())
        history.append((total / len(order), correct / len(order)))
    return history


def run(epochs: int, seed: int = 0, cell: str = "rnn", data=None) -> list[tuple[float, float]]:
    """The whole user's script minus the imports: data, model, one thread, `epochs` shuffled epochs."""
    import torch

    from rnn_parity import datasets

    data = data or datasets.load_sentiment()
    vocab_size = len(data.vocab)
    torch.set_num_threads(1)
    rnn, fc = build(vocab_size, len(data.labels), cell, seed)
    examples = one_hot_inputs(data, vocab_size)
    generator = torch.Generator().manual_seed(seed)
    orders = (torch.randperm(len(examples), generator=generator).tolist() for _ in range(epochs))
    return train(rnn, fc, examples, orders)


def main(argv=None) -> int:
    """The plain PyTorch loop as a whole process: train, print the last epoch's loss and accuracy."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cell", choices=CELLS, default="rnn")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs must be a positive integer, got {args.epochs}")
    loss, accuracy = run(args.epochs, args.seed, args.cell)[-1]
    print(f"train loss {loss:.4f} accuracy {accuracy:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
