"""``python -m benchmarks [SCENARIO ...] [options]`` (what ``nox -s bench`` runs)."""

from __future__ import annotations

import sys

from benchmarks._harness.cli import main

sys.exit(main())
