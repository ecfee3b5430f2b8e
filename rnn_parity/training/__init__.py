"""The seed tasks as training jobs, and the lockstep engine that trains them in NumPy and torch.

    tasks     the seed tasks, their defaults (the seeds' recipes and init scales), padded batches
    runners   one training step per example: NumpyRunner (reference.Trainer), TorchRunner (torch_impl.train)
    engine    train(): the lockstep loop, history, divergence and Ctrl-C handling, report lines
    predict   what a trained model says (NumPy reference forward)
    showcase  the lines shown after training each task
    plots     the training plot (matplotlib)
"""
from ..reference import init_params
from .engine import (History, Metrics, TrainingDiverged, TrainingInterrupted, TrainResult, evaluate,
                     format_initial, format_interval, train)
from .predict import check_params_fit, next_symbol_topk, position_accuracy, sample_names, sentiment_probabilities
from .runners import NumpyRunner, StepRefused, TorchRunner
from .showcase import showcase_lines
from .tasks import (DATA_SEED, FRAMEWORK_CHOICES, FRAMEWORKS, GATED_RECIPES, INIT_LABELS, SEED_INIT_SCALES,
                    TASK_DEFAULTS, TASKS, Batch, Example, Task, TaskDefaults, check_cell, init_task_params, load_task,
                    make_batch, repeat_state, tally, task_h0)

__all__ = ["Batch", "DATA_SEED", "Example", "FRAMEWORKS", "FRAMEWORK_CHOICES", "GATED_RECIPES", "INIT_LABELS", "History", "Metrics", "NumpyRunner",
           "SEED_INIT_SCALES", "StepRefused", "TASKS", "TASK_DEFAULTS", "Task", "TaskDefaults", "TorchRunner",
           "TrainResult", "TrainingDiverged", "TrainingInterrupted", "check_cell", "check_params_fit", "evaluate",
           "format_initial", "format_interval", "init_params", "init_task_params", "load_task", "make_batch",
           "next_symbol_topk", "position_accuracy", "repeat_state", "sample_names", "sentiment_probabilities", "showcase_lines",
           "tally", "task_h0", "train"]
