"""One App Control object type: generated rows plus what clients changed, created or deleted.

Generated rows are a pure function of ``(seed, index)``; the big collections (file instances,
events) are never materialised whole, only the rows asked for (a bounded cache keeps them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Collection"]


@dataclass
class Collection:
    """One App Control object type."""

    name: str
    fields: tuple[str, ...]
    make: Callable[[int], dict[str, Any]] = field(repr=False)
    size: Callable[[], int] = field(repr=False)
    creatable: bool = False
    updatable: bool = False
    deletable: bool = False
    soft_delete: bool = False  # DELETE marks "deleted": true instead of removing
    overrides: dict[int, dict[str, Any]] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    next_id: int = 0
    _cache: dict[int, dict[str, Any]] = field(default_factory=dict)

    def ids(self) -> Iterator[int]:
        for i in range(1, self.size() + 1):
            if i not in self.deleted:
                yield i
        for i in sorted(k for k in self.overrides if k > self.size()):
            if i not in self.deleted:
                yield i

    def get(self, oid: int) -> dict[str, Any] | None:
        if oid in self.deleted:
            return None
        row = self.overrides.get(oid)
        if row is not None:
            return row
        if not 1 <= oid <= self.size():
            return None
        row = self._cache.get(oid)
        if row is None:
            if len(self._cache) > 50_000:
                self._cache.clear()
            row = self._cache[oid] = self.make(oid - 1)
        return row

    def rows(self) -> Iterator[dict[str, Any]]:
        for oid in self.ids():
            row = self.get(oid)
            if row is not None:
                yield row

    def forget(self) -> None:
        """Drop the generated rows built so far (they embed state that has changed)."""
        self._cache.clear()

    def put(self, row: dict[str, Any]) -> None:
        self.overrides[int(row["id"])] = row
        self.deleted.discard(int(row["id"]))

    def new_id(self) -> int:
        self.next_id = max(self.next_id, self.size(), max(self.overrides, default=0)) + 1
        return self.next_id
