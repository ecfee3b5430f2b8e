"""rnn-parity's stand-in for CS231n's `cs231n` package, for an rnn_layers.py graded away from its assignment
folder: only cs231n.layers (the layers an rnn_layers.py may import). NumPy only."""
