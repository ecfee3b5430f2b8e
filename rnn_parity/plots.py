"""Deprecated home of the training plot: it lives in rnn_parity.training.plots (kept one release)."""
from .training.plots import plot_training

__all__ = ["plot_training"]
