"""Keras models in and out, read with h5py and the file's JSON config only: nothing in a Keras file is ever run.

    read.py     the files: .keras (a zip of config.json + model.weights.h5), Keras 2's .h5, .weights.h5; bounds
    config.py   the JSON config -> the layers rnn-parity ports (Embedding, SimpleRNN/LSTM/GRU, Bidirectional, Dense)
    weights.py  each layer's arrays found by structure, in Keras 3's layout (layers/lstm/cell/vars/0) or Keras 2's
                (model_weights/lstm/lstm/lstm_cell/kernel:0); cells from the shapes when there is no config
    mapping.py  Keras arrays <-> the reference's Params: transposes, GRU gates z, r, h <-> r, z, n, biases
    write.py    a weights file in the layout of their file (--like), written atomically
    verify.py   Keras itself (optional, the torch backend) runs the saved config or the user's own model
"""
from __future__ import annotations

from .mapping import KerasReading, read_keras  # noqa: F401
