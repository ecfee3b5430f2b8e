"""RNNConfig: the one description of a model that both implementations share."""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

CELLS = ("rnn", "lstm", "gru")
GATES = {"rnn": 1, "lstm": 4, "gru": 3}  # rows of Wxh/Whh per hidden unit: torch's gate stacking
NONLINEARITIES = ("tanh", "relu")
BIAS_MODES = ("single", "torch", "none")
OUTPUTS = ("last", "all")


@dataclass(frozen=True)
class RNNConfig:
    """A recurrent stack (Elman RNN, LSTM or GRU) with a linear head, described once for NumPy and torch alike.

    D = input_size, H = hidden_size, O = output_size; L = num_layers.
    cell: "rnn" (nn.RNN), "lstm" (nn.LSTM, gates i, f, g, o) or "gru" (nn.GRU, gates r, z, n).
    nonlinearity belongs to "rnn" (the gated cells use sigmoid and tanh, fixed); proj_size P > 0 to "lstm"
    only (torch's weight_hr: h is projected to P before it is output and fed back).
    bias: "single" (textbook bh only), "torch" (bh and bhh, like nn.RNN), "none".
    output: "last" (many-to-one, logits (B, O)) or "all" (many-to-many, logits (T, B, O)).
    vocab_size: V, or None. When set, the input is token ids in [0, V) looked up in a trained embedding
    table E (V, D) in front of the first layer, like nn.Embedding before nn.RNN.
    """

    input_size: int
    hidden_size: int
    output_size: int
    num_layers: int = 1
    nonlinearity: str = "tanh"
    bidirectional: bool = False
    bias: str = "single"
    output: str = "last"
    batch_first: bool = False
    vocab_size: int | None = None
    cell: str = "rnn"
    proj_size: int = 0

    def __post_init__(self):
        for name in ("input_size", "hidden_size", "output_size", "num_layers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"RNNConfig.{name} must be a positive int, got {value!r}")
        v = self.vocab_size
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise ValueError(f"RNNConfig.vocab_size must be None or a positive int, got {v!r}")
        for name, allowed in (("nonlinearity", NONLINEARITIES), ("bias", BIAS_MODES), ("output", OUTPUTS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"RNNConfig.{name} must be one of {allowed}, got {getattr(self, name)!r}")
        for name in ("bidirectional", "batch_first"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"RNNConfig.{name} must be a bool, got {getattr(self, name)!r}")
        if self.cell not in CELLS:
            raise ValueError(f"RNNConfig.cell must be one of {CELLS}, got {self.cell!r}")
        if self.cell != "rnn" and self.nonlinearity != "tanh":
            raise ValueError(f"RNNConfig.nonlinearity={self.nonlinearity!r} applies to cell='rnn' only; "
                             f"a {self.cell} uses sigmoid gates and tanh")
        p = self.proj_size
        if isinstance(p, bool) or not isinstance(p, int) or p < 0:
            raise ValueError(f"RNNConfig.proj_size must be a non-negative int, got {p!r}")
        if p and self.cell != "lstm":
            raise ValueError(f"RNNConfig.proj_size applies to cell='lstm' only, got proj_size={p} with cell={self.cell!r}")
        if p >= self.hidden_size:
            raise ValueError(f"RNNConfig.proj_size must be smaller than hidden_size={self.hidden_size}, got {p} "
                             f"(torch's rule for nn.LSTM)")

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def gates(self) -> int:
        """G: 1 for the RNN, 4 for the LSTM, 3 for the GRU; Wxh is (G*H, D_k)."""
        return GATES[self.cell]

    @property
    def state_size(self) -> int:
        """Width of h, what a layer outputs and feeds back: P with an LSTM projection, H otherwise."""
        return self.proj_size or self.hidden_size

    @property
    def has_cell_state(self) -> bool:
        """Whether the state is the pair (h, c): the LSTM's."""
        return self.cell == "lstm"

    def layer_input_size(self, layer: int) -> int:
        """Width of layer k's input: D for k = 0, both directions of layer k-1 otherwise."""
        return self.input_size if layer == 0 else self.state_size * self.num_directions

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "RNNConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"RNNConfig: unknown field(s) {unknown}")
        return cls(**data)
