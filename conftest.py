"""Every test in bounded time: a test still running after TEST_SECONDS dumps every thread's stack and ends its
worker, so a hang fails CI at once, naming the test, instead of running into CI's limit. faulthandler's watchdog
is a C thread: it fires even while a C library (libhdf5, BLAS) loops holding the GIL, where SIGALRM-based
timeouts never run."""
import faulthandler
import os

import pytest

TEST_SECONDS = float(os.environ.get("RNN_PARITY_TEST_SECONDS", "300"))


@pytest.fixture(autouse=True)
def _bounded_test(request):
    faulthandler.dump_traceback_later(TEST_SECONDS, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()
