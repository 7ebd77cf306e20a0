"""The chaos scenario at a few percent of its size (``nox -s chaos`` runs it whole): every
invariant holds, and the run really met every kind of fault and checked rows."""

from __future__ import annotations

import pytest

from tests.reliability.chaos import SMALL, run_sync


@pytest.mark.parametrize("seed", [1, 2])
def test_chaos_keeps_every_invariant(seed: int) -> None:
    report = run_sync(SMALL, seed)
    assert report.violations() == [], "\n".join(report.lines())
    # The faults were there to survive (a run without them would prove nothing).
    assert all(report.faults[kind] > 0 for kind in ("5xx", "429", "reset")), report.faults
    assert report.rows_checked >= SMALL.searches * SMALL.search_rows // 2
    assert sum(n for k, n in report.outcomes.items() if k.endswith(": ok")) > 0
