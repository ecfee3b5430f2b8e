"""The error type of every user mistake (defined in reference/errors.py, the bottom layer)."""
from .reference.errors import RNNParityError

__all__ = ["RNNParityError"]
