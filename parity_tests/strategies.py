"""Hypothesis strategies for random parity cases: small sizes, every cell, every RNNConfig option, both dtypes."""
from hypothesis import strategies as st

from rnn_parity.parity import Case


@st.composite
def cases(draw, dtypes=("float64", "float32"), cells=("rnn", "lstm", "gru")) -> Case:
    """A random Case: D, H, O <= 5, T <= 6, B <= 3, V <= 6, any cell (an LSTM with or without a projection
    P < H), any options, any seed (the seed draws the numbers)."""
    T = draw(st.integers(1, 6))
    H = draw(st.integers(1, 5))
    cell = draw(st.sampled_from(cells))
    inputs = draw(st.sampled_from(["dense", "ids", "emb"]))  # dense x, one-hot token ids, embedded token ids
    return Case(
        num_layers=draw(st.integers(1, 3)),
        bidirectional=draw(st.booleans()),
        nonlinearity=draw(st.sampled_from(["tanh", "relu"])) if cell == "rnn" else "tanh",  # the RNN's only
        output=draw(st.sampled_from(["last", "all"])),
        bias=draw(st.sampled_from(["single", "torch", "none"])),
        tokens=inputs == "ids",
        vocab_size=draw(st.integers(1, 6)) if inputs == "emb" else None,
        h0=draw(st.booleans()),
        lengths=draw(st.sampled_from(["", "lengths", "short"] if T > 1 else ["", "lengths"])),
        batch_first=draw(st.booleans()),
        dtype=draw(st.sampled_from(dtypes)),
        D=draw(st.integers(1, 5)),
        H=H,
        O=draw(st.integers(1, 5)),
        T=T,
        B=draw(st.integers(1, 3)),
        seed=draw(st.integers(1, 2**20)),
        cell=cell,
        proj_size=draw(st.integers(0, H - 1)) if cell == "lstm" else 0,
    )
