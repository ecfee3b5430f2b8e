"""Stand-in for the book's common/np.py (`from common.np import *` gives `np`): NumPy, never cupy."""
import numpy as np

__all__ = ["np", "GPU"]
GPU = False
