"""Names NumPy 2 removed are given back, with their old meaning, only to a file that uses them."""
import textwrap

from rnn_parity.grader import grade


def test_np_asfarray_of_numpy_1_homework_is_given_back(tmp_path):
    path = tmp_path / "old_numpy.py"
    path.write_text(textwrap.dedent('''
        import numpy as np

        def rnn_step_forward(x, prev_h, Wx, Wh, b):
            next_h = np.asfarray(np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b))
            return next_h, (x, prev_h, Wx, Wh, next_h)
    '''))
    report = grade(str(path))
    assert report.verdict == "pass", report.to_table()
    assert any("given back with their old meaning: np.asfarray (as np.asarray(..., dtype=float))" in n
               for n in report.notes), report.notes


def test_nothing_is_given_back_to_a_file_that_does_not_use_them():
    from rnn_parity.grader.intake.numpy_compat import restore

    assert restore("import numpy as np\nx = np.asarray([1.0])\n") is None
