import sys

from .cli import main

if __name__ == "__main__":  # a process pool's spawned workers re-import this module
    sys.exit(main())
