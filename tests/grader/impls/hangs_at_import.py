"""A training run at import time that never ends (no __main__ guard), started through a function call.

(A bare top-level `while True:` is not run at all: such files are loaded for their definitions only.)
"""
import time


def train_forever():
    while True:
        time.sleep(0.01)


train_forever()
