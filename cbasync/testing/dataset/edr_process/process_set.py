"""The EDR processes of one dataset: every part of the process set combined."""

from __future__ import annotations

from cbasync.testing.dataset._catalog import BLOCK, TEMPLATES
from cbasync.testing.dataset.edr_process.columns import SearchColumns
from cbasync.testing.dataset.edr_process.events import ProcessEvents

__all__ = ["ProcessSet"]


class ProcessSet(SearchColumns, ProcessEvents):
    """The EDR processes of one dataset: every part combined (see the module docstring)."""

    def _prepare(self) -> None:
        self._eligible = self._eligible_templates()
        self._build_kinds()
        full = [len(self.layout(t, BLOCK)) for t in range(len(TEMPLATES))]
        # Average documents per block, for the time step (exact totals come from doc_start).
        self._avg_docs = sum(full) / len(full)
