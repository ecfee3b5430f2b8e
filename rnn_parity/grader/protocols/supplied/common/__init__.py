"""rnn-parity's stand-in for the `common` package of "Deep Learning from Scratch 2" (common/np.py, config.py,
functions.py, layers.py), for a time_layers.py graded away from the book's folder: written from the math for
the grader, NumPy only, CPU only (GPU = False)."""
