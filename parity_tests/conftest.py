"""Fixtures and options of the parity suite.

`device`: every parity test runs its torch side on the CPU and, where CUDA is available, on CUDA
(cuDNN kernels, TF32 off) against the float64 reference; without CUDA the CUDA half shows as skipped.
"""
import sys

import pytest

# cuda is skipped in the fixture, not here: the grader's `--impl` runs of this folder never load torch.
DEVICES = [
    pytest.param("cpu", id="cpu"),
    pytest.param("cuda", id="cuda", marks=[pytest.mark.cuda]),
]


def pytest_addoption(parser):
    # The grader's options (parity_tests/test_student_impl.py belongs to the grader).
    parser.addoption("--impl", default=None, help="grade a student's RNN file")
    parser.addoption("--impl-class", default=None, help="the class to grade, when the file has several")
    parser.addoption("--impl-run-all-cells", action="store_true", default=False,
                     help="for a notebook: run every code cell, not just its definitions")
    parser.addoption("--impl-zero-h0", action="store_true", default=False,
                     help="the implementation always starts from a zero hidden state")


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """Tiny models: one intra-op thread is fastest (see torch_threads). The parity tests import torch while
    being collected; the grader's `--impl` tests do not, and are not made to load it (~1.5 s)."""
    if "torch" not in sys.modules:
        yield
        return
    from rnn_parity.torch_impl.threads import torch_threads

    with torch_threads(1):
        yield


@pytest.fixture(params=DEVICES)
def device(request):
    """Where the torch side runs: "cpu", or "cuda" (skipped without a CUDA device)."""
    if request.param == "cuda":
        import torch

        if not torch.cuda.is_available():
            pytest.skip("no CUDA device on this machine")
    return request.param
