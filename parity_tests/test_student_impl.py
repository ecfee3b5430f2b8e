"""The teaching oracle as pytest tests, so a course can put it in its own CI:

    pytest parity_tests/test_student_impl.py --impl student_rnn.py [--impl-class RNN]

Runs the same checks as `rnn-parity grade` (one grading, shared by the tests below) and fails each
check the implementation fails, with the relative error, where it departs, and the diagnosed
mistake. Without --impl every test here is skipped. The installed plugin does the same with no clone,
one test per check the file's protocol has: `pytest --rnn-impl FILE` (rnn_parity/grader/pytest_plugin.py).
"""
import pytest

from rnn_parity.grader.core import grade
from rnn_parity.grader.judging.plan import CHECK_ORDER
from rnn_parity.grader.pytest_plugin import check_failure

# Canonical names; the failure messages use the implementation's own (grad:Waa, grad:U, ...).
CHECKS = list(CHECK_ORDER)


@pytest.fixture(scope="module")
def report(request):
    impl = request.config.getoption("--impl", default=None)
    if not impl:
        pytest.skip("no --impl FILE: these tests grade a student's implementation")
    class_name = request.config.getoption("--impl-class", default=None)
    return grade(impl, class_name=class_name or None,
                 run_all_cells=request.config.getoption("--impl-run-all-cells", default=False),
                 zero_h0=request.config.getoption("--impl-zero-h0", default=False))


def test_gradeable(report):
    if report.error:
        pytest.fail(f"could not grade ({report.error['kind']}): {report.error['message']}", pytrace=False)


@pytest.mark.parametrize("check", CHECKS)
def test_check(report, check):
    if report.error and not report.checks:
        pytest.skip("could not grade: see test_gradeable")
    result = next((c for c in report.checks if c.group == check), None)
    if result is None:
        why = next((n for n in report.notes if check.split(":")[0] in n), "not part of this protocol")
        pytest.skip(f"{check} not checked: {why}")
    if result.status == "fail":
        pytest.fail(check_failure(report, result), pytrace=False)
