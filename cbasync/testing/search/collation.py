"""How a server orders and counts values: one sort and one facet count, two server dialects.

EDR's Solr and the cloud's search service agree on most of it (strings compare without case, a
list sorts by its first value) and differ where their clients can see it:

- **missing values**: Solr sorts a document without the field last in both directions
  (``sortMissingLast``); the cloud ranks a missing value above every other, so it comes last
  ascending and first descending. App Control ranks it the same way.
- **facets**: Solr counts a document once per distinct value of a multi-valued field and never
  counts an empty string; the cloud counts every element and counts ``""`` like any value.

A :class:`Collation` holds those choices; :func:`ordered`, :func:`smallest` and
:func:`count_values` are the one implementation every search uses (EDR's
:class:`~cbasync.testing.search.SearchEngine`, the cloud's :class:`~cbasync.testing.search.Table`,
App Control's listings).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cbasync.testing.query import Categorical
from cbasync.testing.search.columns import Column, Getter, getter_of

__all__ = [
    "APP_CONTROL",
    "CLOUD",
    "SOLR",
    "Collation",
    "count_values",
    "counted_cloud",
    "ordered",
    "smallest",
]


@dataclass(frozen=True)
class Collation:
    """One server's way to order and count values."""

    sort_value: Callable[[Any], Any]
    """What a present value sorts by (values of one column must be comparable this way)."""
    missing_last: bool
    """True: ``None`` sorts last whatever the direction; False: ``sort_value(None)`` places it."""
    counted: Callable[[Any], Iterable[Any]]
    """The values a row contributes to a facet count for its field value."""


def _solr_sort_value(value: Any) -> Any:
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, list | tuple):
        return _solr_sort_value(value[0]) if value else ""
    return value


def _solr_counted(value: Any) -> Iterable[Any]:
    if value is None or value == "":
        return ()
    if isinstance(value, list | tuple):
        return [v for v in set(value) if v is not None and v != ""]
    return (value,)


def _cloud_sort_value(value: Any) -> tuple[int, Any]:
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if value is None:
        return (3, 0)
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int | float):
        return (0, value)
    return (1, str(value).lower())


def counted_cloud(value: Any) -> list[Any]:
    """A cloud field value as the list of its values (``None`` has none; a scalar is one)."""
    if value is None:
        return []
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    return [value]


def _app_control_sort_value(value: Any) -> tuple[int, Any]:
    if value is None:
        return (2, "")
    if isinstance(value, bool | int | float):
        return (0, float(value))
    return (1, str(value).lower())


SOLR = Collation(_solr_sort_value, missing_last=True, counted=_solr_counted)
CLOUD = Collation(_cloud_sort_value, missing_last=False, counted=counted_cloud)
APP_CONTROL = Collation(_app_control_sort_value, missing_last=False, counted=counted_cloud)


def _first(pair: tuple[Any, int]) -> Any:
    return pair[0]


def ordered(
    keys: Iterable[int], spec: Sequence[tuple[Getter, bool]], collation: Collation
) -> list[int]:
    """``keys`` ordered by ``spec`` (``[(getter, descending)]``, most significant first).

    Stable sorts from the last field to the first give the multi-field order, ties keep the
    order of ``keys``; one pass per field keeps the per-key cost to one getter call, which is
    what sorting a whole generated dataset costs.
    """
    out = list(keys)
    sort_value = collation.sort_value
    for get, desc in reversed(spec):
        if collation.missing_last:
            values = [(get(k), k) for k in out]
            present = [(sort_value(v), k) for v, k in values if v is not None]
            missing = [k for v, k in values if v is None]
            present.sort(key=_first, reverse=desc)
            out = [k for _, k in present] + missing
        else:
            pairs = [(sort_value(get(k)), k) for k in out]
            pairs.sort(key=_first, reverse=desc)
            out = [k for _, k in pairs]
    return out


class _Desc:
    """Reverses one component of a composite sort key."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __lt__(self, other: _Desc) -> bool:
        return bool(other.v < self.v)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and bool(self.v == other.v)

    __hash__ = None  # type: ignore[assignment]


def smallest(
    keys: Iterable[int], k: int, spec: Sequence[tuple[Getter, bool]], collation: Collation
) -> list[int]:
    """The first ``k`` keys in the order :func:`ordered` gives (for keys in ascending order),
    without sorting them all: a heap over a composite key that ends with the key itself."""
    sort_value = collation.sort_value
    missing_last = collation.missing_last

    def key(i: int) -> tuple[Any, ...]:
        parts: list[Any] = []
        for get, desc in spec:
            raw = get(i)
            if missing_last:
                parts.append(raw is None)
                value = 0 if raw is None else sort_value(raw)
            else:
                value = sort_value(raw)
            parts.append(_Desc(value) if desc else value)
        return (*parts, i)

    return heapq.nsmallest(k, keys, key=key)


def count_values(keys: Iterable[int], col: Column, collation: Collation) -> Counter[Any]:
    """Value -> number of keys for one column (a Categorical counts codes first)."""
    counted = collation.counted
    out: Counter[Any] = Counter()
    if isinstance(col, Categorical):
        by_code = Counter(map(col.code, keys))
        for code, n in by_code.items():
            for value in counted(col.values[code]):
                out[value] += n
        return out
    get = getter_of(col)
    for k in keys:
        for value in counted(get(k)):
            out[value] += 1
    return out
