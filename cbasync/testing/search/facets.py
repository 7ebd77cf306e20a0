"""Facet results in each server's shape, from ``(value, count)`` pairs."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["facet_entries", "facet_id", "facet_values"]


def facet_entries(counts: Iterable[tuple[Any, int]], limit: int = 200) -> list[dict[str, Any]]:
    """EDR facet results for one field from ``(value, count)`` pairs, top ``limit`` by count.

    Each entry is ``{"name", "value", "percent", "ratio"}``: ``value`` the count, ``percent`` the
    integer share of the largest count (count / max * 100), ``ratio`` the share of the sum as a
    string with one decimal (count / sum * 100), as the EDR examples show.
    """
    pairs = [(name, n) for name, n in counts if n > 0]
    total = sum(n for _, n in pairs)
    pairs.sort(key=lambda p: (-p[1], str(p[0])))
    pairs = pairs[:limit]
    if not pairs:
        return []
    top = pairs[0][1]
    return [
        {
            "name": str(name),
            "value": n,
            "percent": math.floor(n * 100 / top + 0.5),
            "ratio": f"{n * 100 / total:.1f}",
        }
        for name, n in pairs
    ]


def facet_values(pairs: Sequence[tuple[Any, int]], rows: int | None) -> list[dict[str, Any]]:
    """Cloud facet values: ``[{"total", "id", "name"}]``, top ``rows`` (0/None: all)."""
    if rows:
        pairs = pairs[:rows]
    return [{"total": n, "id": facet_id(v), "name": facet_id(v)} for v, n in pairs]


def facet_id(value: Any) -> str:
    """A cloud facet value as the string it is shown as (booleans in lower case)."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
