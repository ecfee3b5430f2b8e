"""rnn-parity's empty stand-in for a course's public_tests module: the notebook imports it for its own test cells,
which grading does not run."""
