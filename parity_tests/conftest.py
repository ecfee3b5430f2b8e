"""Fixtures and options of the parity suite.

`device`: every parity test runs its torch side on the CPU and, where CUDA is available, on CUDA
(cuDNN kernels, TF32 off) against the float64 reference; without CUDA the CUDA half shows as skipped.
"""
import pytest
import torch

from rnn_parity.torch_impl.threads import torch_threads

HAS_CUDA = torch.cuda.is_available()
DEVICES = [
    pytest.param("cpu", id="cpu"),
    pytest.param("cuda", id="cuda", marks=[pytest.mark.cuda,
                                           pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device on this machine")]),
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
    """Tiny models: one intra-op thread is fastest (see torch_threads)."""
    with torch_threads(1):
        yield


@pytest.fixture(params=DEVICES)
def device(request):
    """Where the torch side runs: "cpu", or "cuda" (skipped without a CUDA device)."""
    return request.param
