"""``python -m cbasync``: the ``cbasync`` command."""

from __future__ import annotations

import sys

from cbasync.cli import main

if __name__ == "__main__":
    sys.exit(main())
