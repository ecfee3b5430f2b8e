"""The parity suite's machinery: the NumPy reference against torch on the same numbers.

    cases       Case ids (the grammar), the grids per cell, Setup: one case's parameters and inputs for both sides
    compare     compare(): shape, then dtype, then values; Comparison records; flags and missing quantities
    halves      the NumPy and torch halves of forward, vjp, loss, clip, and the finite-difference gradcheck
    trajectory  lockstep training runs: recipes, their schedules, the loss and params after every step
    report      `rnn-parity check`: every check over the grid, one row per config and quantity
"""
from .cases import (CELL_CHOICES, DEFAULT_SIZES, GRID, GRIDS, QUICK_GRID, QUICK_GRIDS, VOCAB, Case, Setup, case,
                    cells_of, draw_inputs, setup)
from .compare import Comparison, ParityError, all_passed, as_array, assert_parity, compare, flag, missing
from .halves import (CLIP_METHODS, GRADCHECK_EPSILON, LOSS_QUANTITIES, check_clip, check_forward, check_gradcheck,
                     check_loss, check_vjp, clip_numpy, clip_torch, clipping_active, forward_numpy, forward_torch,
                     loss_numpy, loss_torch, parity, torch_grads, vjp_numpy, vjp_torch)
from .report import CheckGrid, Row, check_grid, format_report, main, run_check, rows_of
from .trajectory import RECIPES, TRAJECTORY_GRID, Recipe, StepInput, check_trajectory, trajectory_tolerance

__all__ = ["CELL_CHOICES", "CLIP_METHODS", "Case", "CheckGrid", "Comparison", "DEFAULT_SIZES", "GRADCHECK_EPSILON",
           "GRID", "GRIDS", "LOSS_QUANTITIES", "ParityError", "QUICK_GRID", "QUICK_GRIDS", "RECIPES", "Recipe",
           "Row", "Setup", "StepInput", "TRAJECTORY_GRID", "VOCAB", "all_passed", "as_array", "assert_parity",
           "case", "cells_of", "check_clip", "check_forward", "check_grid", "check_gradcheck", "check_loss",
           "check_trajectory", "check_vjp", "clip_numpy", "clip_torch", "clipping_active", "compare", "draw_inputs",
           "flag", "format_report", "forward_numpy", "forward_torch", "loss_numpy", "loss_torch", "main", "missing",
           "parity", "rows_of", "run_check", "setup", "torch_grads", "trajectory_tolerance", "vjp_numpy",
           "vjp_torch"]
