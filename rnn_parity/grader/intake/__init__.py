"""Intake: what the student handed in, read without running it: .py files, Python 2 files, notebooks,
and the definitions-only cut of each."""
