"""What one grade is asked to do, as one typed value: the command line builds it, core.grade takes it, and
its `job()` is the child's job.json.

Standard library only: the child process may import it next to the student's code, and nothing the
child imports may pull in the reference (the answer key) or torch.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from typing import Literal

DEFAULT_TIMEOUT = 30.0
DEFAULT_OUTPUT_CAP = 64 * 1024  # bytes kept from each of stdout and stderr
MEMORY_LIMIT = 4 * 1024 ** 3  # address space of the child

SandboxMode = Literal["auto", "require", "off"]
SANDBOX_MODES = ("auto", "require", "off")

# Why a grade could not finish (GradeReport.error["kind"]); one list for the child, the harness and core.
ErrorKind = Literal[
    "not_found",  # no such file, or nothing gradable in it
    "signature",  # the functions or methods do not take the protocol's arguments
    "shapes",  # a result of the wrong shape or type
    "exception",  # the implementation raised
    "exit",  # it called sys.exit / os._exit, or the child exited early
    "crash",  # killed by a signal, or the child reported nothing usable
    "timeout",  # the time limit struck
    "forbidden_import",  # it imports the answer key (rnn_parity) or an autodiff library
    "notebook",  # the notebook cannot be read or converted
    "missing_global",  # a notebook's definitions use a global only a skipped cell builds
    "error",  # could not grade, with no more said (course outputs' fallback)
]


@dataclass(frozen=True)
class GradeOptions:
    """Everything a grade depends on besides the file. `tol=None` is the grader's default tolerance."""

    seed: int = 0
    class_name: str | None = None
    protocol: str = "auto"  # auto | class | functions
    timeout: float = DEFAULT_TIMEOUT  # seconds, for importing and running the file
    diagnose_mistakes: bool = True
    tol: float | None = None
    output_cap: int = DEFAULT_OUTPUT_CAP
    memory_limit: int = MEMORY_LIMIT
    zero_h0: bool = False
    run_all_cells: bool = False  # notebooks: every code cell, not only the definitions
    cwd: str | None = None  # the folder the file's relative paths and sibling modules resolve in
    sandbox: str = "auto"  # auto: bubblewrap when it works here; require: refuse without it; off
    # Paths the child must never see even when they sit beside the file (the other files of a folder
    # run, the grader's outputs). Only the bubblewrap sandbox can enforce this.
    private_paths: tuple = field(default_factory=tuple)
    # Autodiff libraries the file imports only for code the grade never runs (guard.inert_imports): the
    # child gives them stand-ins instead of refusing. Set by core from the file's AST.
    inert: tuple = field(default_factory=tuple)

    def with_(self, **changes) -> GradeOptions:
        """A copy with these fields changed (core.grade's keyword arguments); an unknown one is a one-line
        error."""
        from ..errors import RNNParityError

        unknown = sorted(set(changes) - {f.name for f in fields(self)})
        if unknown:
            raise RNNParityError(f"unknown grade option(s): {', '.join(unknown)}")
        return replace(self, **changes) if changes else self

    def validate(self) -> GradeOptions:
        from ..errors import RNNParityError

        from .protocols.registry import names  # parent side only: the child never validates

        if self.protocol not in names():
            raise RNNParityError(f"protocol must be one of {names()}, got {self.protocol!r}")
        if not self.timeout > 0:
            raise RNNParityError(f"timeout must be positive, got {self.timeout}")
        if self.tol is not None and not self.tol > 0:
            raise RNNParityError(f"tolerance must be positive, got {self.tol}")
        if self.sandbox not in SANDBOX_MODES:
            raise RNNParityError(f"sandbox must be one of {SANDBOX_MODES}, got {self.sandbox!r}")
        if not self.output_cap > 0 or not self.memory_limit > 0:
            raise RNNParityError("output_cap and memory_limit must be positive")
        return self

    def job(self, impl: str, cwd: str) -> dict:
        """The child's job.json: what the child needs to run the probes, nothing it could learn answers from."""
        return {"impl": impl, "seed": self.seed, "class": self.class_name,
                "protocol": "class" if self.class_name else self.protocol, "output_cap": self.output_cap,
                "zero_h0": self.zero_h0, "cwd": cwd, "inert": list(self.inert)}


def abspaths(paths) -> tuple:
    return tuple(sorted({os.path.realpath(p) for p in paths}))
