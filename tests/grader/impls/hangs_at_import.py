"""A training loop at import time that never ends (no __main__ guard)."""
import time

while True:
    time.sleep(0.01)
