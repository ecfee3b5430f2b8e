"""Isolation: the student's code runs here, in a child process, under bubblewrap or Landlock, with a time
limit, a reaper for what it starts, and import guards. The child side imports NumPy and nothing of the
reference."""
