"""TorchRNN: a stock torch.nn.RNN, nn.LSTM or nn.GRU plus a linear head, driven by the same RNNConfig as the
reference.

Shapes: T steps, B batch, D = input_size, H = hidden_size, O = output_size, L = num_layers,
dirs = 1 or 2, S = the width of h (proj_size P for a projected LSTM, else H).
Time-major (T, B, ...) unless config.batch_first, then (B, T, ...). An LSTM's state is the pair (h, c).
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..reference.errors import RNNParityError
from ..reference.config import RNNConfig
from .keymap import torch_name

MODULES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class TorchRNN(nn.Module):
    """`.rnn` (nn.RNN, nn.LSTM or nn.GRU, by config.cell) then `.fc` (nn.Linear(dirs*S, O)); state_dict keys
    rnn.weight_ih_l0, ..., fc.weight, fc.bias.
    With config.vocab_size, `.embedding` (nn.Embedding(V, D), key embedding.weight) comes first.

    bias="single" keeps torch's bias_hh_l* at zero with requires_grad=False, so only bias_ih_l* (the
    reference's bh) trains; bias="torch" is a stock nn.RNN; bias="none" is nn.RNN(bias=False) and the
    head keeps its bias.
    """

    def __init__(self, config: RNNConfig, dtype: torch.dtype = torch.float64, device=None):
        super().__init__()
        if not isinstance(config, RNNConfig):
            raise RNNParityError(f"TorchRNN needs an RNNConfig, got {type(config).__name__}")
        if dtype not in (torch.float32, torch.float64):
            raise RNNParityError(f"TorchRNN: dtype must be torch.float32 or torch.float64, got {dtype}")
        self.config = config
        c = config
        # Registered first, so embedding.weight leads the state_dict as E leads the reference's params.
        self.embedding = None if c.vocab_size is None else nn.Embedding(c.vocab_size, c.input_size, dtype=dtype,
                                                                        device=device)
        extra = {"nonlinearity": c.nonlinearity} if c.cell == "rnn" else {"proj_size": c.proj_size} if c.proj_size else {}
        self.rnn = MODULES[c.cell](c.input_size, c.hidden_size, num_layers=c.num_layers, bias=c.bias != "none",
                                   batch_first=c.batch_first, bidirectional=c.bidirectional, dtype=dtype,
                                   device=device, **extra)
        self.fc = nn.Linear(c.num_directions * c.state_size, c.output_size, dtype=dtype, device=device)
        if c.bias == "single":
            with torch.no_grad():
                for p in self._frozen_biases():
                    p.zero_()
                    p.requires_grad_(False)
            # A nonzero bias_hh would silently turn a "single" model into a "torch" one: refuse it on load.
            self.register_load_state_dict_pre_hook(_refuse_nonzero_bias_hh)

    def _frozen_bias_names(self) -> list[str]:
        """rnn.bias_hh_l{k}{_reverse} for every layer and direction (bias="single" holds them at zero)."""
        c = self.config
        return [torch_name("bhh", k, d) for k in range(c.num_layers) for d in range(c.num_directions)]

    def _frozen_biases(self) -> list[nn.Parameter]:
        return [self.get_parameter(name) for name in self._frozen_bias_names()]

    @property
    def dtype(self) -> torch.dtype:
        return self.fc.weight.dtype

    def hidden_states(self, x, h0=None, lengths=None):
        """The recurrent module's top-layer output and final state.

        x: float (T, B, D) or integer token ids (T, B), one-hot of size D inside the model; with an
        embedding, token ids in [0, V) only, looked up in it.
        h0: (L*dirs, B, S) or None for zeros; an LSTM's is the pair (h0, c0), c0 (L*dirs, B, H).
        lengths: (B,) ints in [1, T] or None for full length.
        Returns output (T, B, dirs*S), zero at padded steps as pad_packed_sequence gives them, and
        h_n (L*dirs, B, S) (an LSTM's: the pair (h_n, c_n)): forward direction at each sequence's last valid
        step, reverse at step 0.
        """
        c = self.config
        x = self._as_input(x)
        t_dim = 1 if c.batch_first else 0
        T, B = x.shape[t_dim], x.shape[1 - t_dim]
        h0 = self._as_h0(h0, B)
        if lengths is None:
            return self.rnn(x, h0)
        lengths = self._as_lengths(lengths, T, B)
        packed = pack_padded_sequence(x, lengths, batch_first=c.batch_first, enforce_sorted=False)
        out, h_n = self.rnn(packed, h0)  # h_n comes back in the caller's batch order
        out, _ = pad_packed_sequence(out, batch_first=c.batch_first, total_length=T)
        return out, h_n

    def forward(self, x, h0=None, lengths=None):
        """(logits, h_n). logits (B, O) for output="last", (T, B, O) for "all" ((B, T, O) if batch_first).

        "last" reads the top layer of h_n, [fwd, bwd] concatenated: the forward state at the last
        valid step, the backward state at step 0. "all" applies the head at every step, so at padded
        steps (zero hidden output) the logits equal fc.bias.
        """
        out, h_n = self.hidden_states(x, h0, lengths)
        if self.config.output == "all":
            return self.fc(out), h_n
        h = h_n[0] if self.config.has_cell_state else h_n
        # One direction reads h[-1] as is: torch.cat of a single tensor adds three autograd nodes (slice,
        # unbind, cat), ~30 us of a ~400 us per-example training step, for the same numbers.
        top = h[-1] if self.config.num_directions == 1 else torch.cat((h[-2], h[-1]), dim=-1)
        return self.fc(top), h_n

    def _as_input(self, x) -> torch.Tensor:
        c = self.config
        layout = "(B, T" if c.batch_first else "(T, B"
        try:
            x = torch.as_tensor(x, device=self.fc.weight.device)
        except (TypeError, ValueError, RuntimeError) as e:
            raise RNNParityError(f"TorchRNN: input must be float {layout}, D) or integer token ids {layout}), "
                                 f"got {type(x).__name__} ({_first_line(e)})") from None
        if x.dim() >= 2 and (x.shape[0] == 0 or x.shape[1] == 0):
            T, B = (x.shape[1], x.shape[0]) if c.batch_first else (x.shape[0], x.shape[1])
            raise RNNParityError(f"TorchRNN: input is empty: T={T}, B={B} (both must be >= 1)")
        if x.dtype in (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8):
            if x.dim() != 2:
                raise RNNParityError(f"TorchRNN: token ids must be {layout}), got shape {tuple(x.shape)}")
            n = c.input_size if self.embedding is None else c.vocab_size
            if x.numel() and (int(x.min()) < 0 or int(x.max()) >= n):
                raise RNNParityError(f"TorchRNN: token ids must lie in [0, {n}), "
                                     f"got min {int(x.min())}, max {int(x.max())}")
            if self.embedding is not None:
                return self.embedding(x.long())
            # One-hot of size D: the same vectors the reference gathers as Wxh[:, ids].
            return nn.functional.one_hot(x.long(), c.input_size).to(self.dtype)
        if self.embedding is not None:
            raise RNNParityError(f"TorchRNN: the model embeds token ids (vocab_size={c.vocab_size}): input must be "
                                 f"integer ids {layout}), got {x.dtype}")
        if not x.is_floating_point():
            raise RNNParityError(f"TorchRNN: input must be float {layout}, D) or integer token ids, got {x.dtype}")
        if x.dim() != 3 or x.shape[2] != c.input_size:
            raise RNNParityError(f"TorchRNN: input must have shape {layout}, {c.input_size}), got {tuple(x.shape)}")
        if x.dtype != self.dtype:
            raise RNNParityError(f"TorchRNN: input dtype {x.dtype} differs from the model's {self.dtype}")
        return x

    def _as_h0(self, h0, B: int):
        if h0 is None:
            return None
        c = self.config
        n = c.num_layers * c.num_directions
        if c.has_cell_state:
            if not (isinstance(h0, (tuple, list)) and len(h0) == 2):
                raise RNNParityError(f"TorchRNN: an LSTM's h0 must be the pair (h0, c0), got {type(h0).__name__}")
            return (self._as_state(h0[0], "h0", (n, B, c.state_size), "P" if c.proj_size else "H"),
                    self._as_state(h0[1], "c0", (n, B, c.hidden_size)))
        return self._as_state(h0, "h0", (n, B, c.hidden_size))

    def _as_state(self, value, label: str, want: tuple, width: str = "H") -> torch.Tensor:
        try:
            value = torch.as_tensor(value, device=self.fc.weight.device)
        except (TypeError, ValueError, RuntimeError) as e:
            raise RNNParityError(f"TorchRNN: {label} must be a float tensor {want}, got {type(value).__name__} "
                                 f"({_first_line(e)})") from None
        if tuple(value.shape) != want:
            raise RNNParityError(f"TorchRNN: {label} must have shape (L*dirs, B, {width}) = {want}, got {tuple(value.shape)}")
        if value.dtype != self.dtype:
            raise RNNParityError(f"TorchRNN: {label} dtype {value.dtype} differs from the model's {self.dtype}")
        return value

    @staticmethod
    def _as_lengths(lengths, T: int, B: int) -> torch.Tensor:
        try:
            lengths = torch.as_tensor(lengths).cpu()  # pack_padded_sequence wants them on the CPU
        except (TypeError, ValueError, RuntimeError) as e:
            raise RNNParityError(f"TorchRNN: lengths must be {B} integers (one per batch element), got "
                                 f"{type(lengths).__name__} ({_first_line(e)})") from None
        if lengths.is_floating_point() or lengths.is_complex() or lengths.dtype == torch.bool or tuple(lengths.shape) != (B,):
            raise RNNParityError(f"TorchRNN: lengths must be {B} integers (one per batch element), "
                                 f"got {lengths.dtype} of shape {tuple(lengths.shape)}")
        if B and (int(lengths.min()) < 1 or int(lengths.max()) > T):
            raise RNNParityError(f"TorchRNN: lengths must lie in [1, T={T}], "
                                 f"got min {int(lengths.min())}, max {int(lengths.max())}")
        return lengths.long()


def _refuse_nonzero_bias_hh(module: TorchRNN, state_dict, prefix, *args) -> None:
    for name in module._frozen_bias_names():
        value = state_dict.get(prefix + name)
        if value is not None and bool(torch.as_tensor(value).ne(0).any()):
            raise RNNParityError(
                f"TorchRNN(bias='single'): {prefix + name} must be zero, got a nonzero tensor; "
                "fold it with from_state_dict(sd, config, fold_bias=True) or use bias='torch'")


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
