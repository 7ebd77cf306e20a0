"""``python -m cbasync.testing``: the same as ``cbasync emulator``."""

from __future__ import annotations

import sys

from cbasync.testing.cli import emulator_main

if __name__ == "__main__":
    sys.exit(emulator_main(sys.argv[1:]))
