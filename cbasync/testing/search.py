"""A small Solr-like search engine over generated rows: match, sort, page, facet, with caching.

A collection is anything that can give a column getter for a field name over *row keys* (document
numbers of a generated dataset, or plain dicts of an in-memory list). The engine parses the query
with :mod:`cbasync.testing.query`, evaluates it over every key once, and keeps the matching keys
in a bounded LRU (bounded by the total number of keys held, not by entries), so paging through a
large result set costs one scan and then a slice per page. A query matching everything is a
``range`` and costs nothing.

Route modules use :class:`SearchEngine` for EDR process/binary/alert/threat-report searches; the
cloud routes can use it for their criteria searches with :func:`criteria_predicate`.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

from cbasync.testing.query import (
    Categorical,
    FieldType,
    Keyed,
    MatchAll,
    Node,
    QueryError,
    compile_query,
    parse,
)

__all__ = [
    "Keys",
    "SearchEngine",
    "criteria_predicate",
    "facet_entries",
    "getter_of",
    "select_keys",
]

Keys = Sequence[int]
Accessor = Callable[[str], "Callable[[Any], Any] | Categorical[Any] | Keyed[Any] | None"]


def getter_of(col: Callable[[Any], Any] | Categorical[Any] | Keyed[Any]) -> Callable[[Any], Any]:
    """A plain ``key -> value`` getter for any kind of column."""
    if isinstance(col, Categorical):
        values, code = col.values, col.code
        return lambda k: values[code(k)]
    if isinstance(col, Keyed):
        key, value = col.key, col.value
        return lambda k: value(key(k))
    return col


class _KeyCache:
    """LRU of key sequences, bounded by the total number of keys stored."""

    def __init__(self, budget: int, max_entries: int) -> None:
        self.budget = budget
        self.max_entries = max_entries
        self.used = 0
        self.data: OrderedDict[Hashable, Keys] = OrderedDict()

    def get(self, key: Hashable) -> Keys | None:
        value = self.data.get(key)
        if value is not None:
            self.data.move_to_end(key)
        return value

    def put(self, key: Hashable, value: Keys) -> None:
        size = 0 if isinstance(value, range) else len(value)
        if size > self.budget:
            return
        old = self.data.pop(key, None)
        if old is not None and not isinstance(old, range):
            self.used -= len(old)
        self.data[key] = value
        self.used += size
        while self.data and (self.used > self.budget or len(self.data) > self.max_entries):
            _, evicted = self.data.popitem(last=False)
            if not isinstance(evicted, range):
                self.used -= len(evicted)

    def clear(self) -> None:
        self.data.clear()
        self.used = 0


class SearchEngine:
    """Queries over the keys ``0..size-1`` of one collection.

    ``accessor(field)`` gives a column (a getter or a :class:`Categorical`) or None for an unknown
    field; ``natural`` names the sort the key order already satisfies (e.g. ``("last_update",
    True)``: keys ascending = last_update descending), so that sort costs nothing.
    """

    def __init__(
        self,
        *,
        size: Callable[[], int],
        accessor: Accessor,
        schema: Mapping[str, FieldType],
        default_fields: Sequence[str] = (),
        natural: tuple[str, bool] | None = None,
        strict: bool = True,
        now: Callable[[], float] | None = None,
        cache_entries: int = 256,
        cache_keys: int = 20_000_000,
    ) -> None:
        self._size = size
        self.accessor = accessor
        self.schema = schema
        self.default_fields = default_fields
        self.natural = natural
        self.strict = strict
        self._now = now
        self._cache = _KeyCache(cache_keys, cache_entries)
        self.generation = 0

    @property
    def size(self) -> int:
        return self._size()

    def invalidate(self) -> None:
        """Forget cached results (call after a mutation that can change what matches)."""
        self._cache.clear()
        self.generation += 1

    # --- matching -----------------------------------------------------------------------------
    def parse(self, q: str) -> Node:
        return parse(q)

    def predicate(self, q: str | Node) -> Callable[[Any], bool] | None:
        """The compiled query, or None when it matches everything."""
        node = parse(q) if isinstance(q, str) else q
        if isinstance(node, MatchAll):
            return None
        return compile_query(
            node,
            schema=self.schema,
            default_fields=self.default_fields,
            accessor=self.accessor,
            now=self._now() if self._now else None,
            strict=self.strict,
            query=q if isinstance(q, str) else str(q),
        )

    def match(self, q: str, *, within: range | None = None) -> Keys:
        """Keys matching ``q`` in key order (cached). ``within`` restricts to a key range."""
        key = ("match", q.strip(), within)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        pred = self.predicate(q)
        keys_range = within if within is not None else range(self.size)
        result: Keys
        result = keys_range if pred is None else array("I", filter(pred, keys_range))
        self._cache.put(key, result)
        return result

    def sorted(
        self,
        keys: Keys,
        sort: Sequence[tuple[str, bool]],
        cache_key: Hashable | None = None,
    ) -> Keys:
        """``keys`` ordered by ``sort`` (``[(field, descending)]``); ties keep key order."""
        if not sort or (
            len(sort) == 1 and self.natural is not None and tuple(sort[0]) == self.natural
        ):
            return keys
        if (
            len(sort) == 1
            and self.natural is not None
            and sort[0][0] == self.natural[0]
            and sort[0][1] != self.natural[1]
        ):
            return keys[::-1]
        if cache_key is not None:
            hit = self._cache.get(("sorted", cache_key, tuple(sort)))
            if hit is not None:
                return hit
        getters = []
        for field, desc in sort:
            col = self.accessor(field)
            if col is None:
                raise QueryError(f"cannot sort by unknown field {field!r}")
            getters.append((getter_of(col), desc))
        ordered: list[int] = list(keys)
        # Stable sorts from the last key to the first give a multi-key order; None sorts last.
        for get, desc in reversed(getters):
            values = [(get(k), k) for k in ordered]
            present = [(_sortable(v), k) for v, k in values if v is not None]
            missing = [k for v, k in values if v is None]
            present.sort(key=_first, reverse=desc)
            ordered = [k for _, k in present] + missing
        result = array("I", ordered)
        if cache_key is not None:
            self._cache.put(("sorted", cache_key, tuple(sort)), result)
        return result

    # --- facets -------------------------------------------------------------------------------
    def counts(self, keys: Keys, field: str) -> Counter[Any]:
        """Value → number of keys, for one field (list values count each element)."""
        col = self.accessor(field)
        if col is None:
            raise QueryError(f"cannot facet on unknown field {field!r}")
        if isinstance(col, Categorical):
            by_code = Counter(map(col.code, keys))
            out: Counter[Any] = Counter()
            for code, n in by_code.items():
                value = col.values[code]
                _add(out, value, n)
            return out
        get = getter_of(col)
        out = Counter()
        for k in keys:
            _add(out, get(k), 1)
        return out


def _add(counter: Counter[Any], value: Any, n: int) -> None:
    if value is None or value == "":
        return
    if isinstance(value, list | tuple):
        for v in set(value):
            if v is not None and v != "":
                counter[v] += n
    else:
        counter[value] += n


def _first(pair: tuple[Any, int]) -> Any:
    return pair[0]


def _sortable(value: Any) -> Any:
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, list | tuple):
        return _sortable(value[0]) if value else ""
    return value


def select_keys(
    rows: Sequence[Mapping[str, Any]], pred: Callable[[Mapping[str, Any]], bool]
) -> list[int]:
    """Indices of ``rows`` for which ``pred`` holds."""
    return [i for i, row in enumerate(rows) if pred(row)]


def criteria_predicate(
    criteria: Mapping[str, Any] | None,
    exclusions: Mapping[str, Any] | None = None,
    *,
    getter: Callable[[Mapping[str, Any], str], Any] | None = None,
) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate for cloud ``criteria``/``exclusions`` objects over dict rows.

    Each criteria key maps to a list of accepted values (any may match; strings compare
    case-insensitively) or, for time fields, ``{"start", "end"}`` / ``{"range": "-2w"}`` handled by
    the caller; a scalar is treated as a one-element list. Exclusions reject rows matching any of
    their values.
    """
    get = getter or _dotted

    def norm(v: Any) -> Any:
        return v.lower() if isinstance(v, str) else v

    def accepts(row: Mapping[str, Any], field: str, wanted: Any) -> bool:
        value = get(row, field)
        allowed = wanted if isinstance(wanted, list | tuple) else [wanted]
        allowed_n = {norm(a) for a in allowed if not isinstance(a, dict | list)}
        values = value if isinstance(value, list | tuple) else [value]
        return any(norm(v) in allowed_n for v in values)

    crit = {k: v for k, v in (criteria or {}).items() if not isinstance(v, dict)}
    excl = {k: v for k, v in (exclusions or {}).items() if not isinstance(v, dict)}

    def pred(row: Mapping[str, Any]) -> bool:
        for field, wanted in crit.items():
            if not accepts(row, field, wanted):
                return False
        return all(not accepts(row, field, unwanted) for field, unwanted in excl.items())

    return pred


def _dotted(row: Mapping[str, Any], field: str) -> Any:
    if field in row:
        return row[field]
    cur: Any = row
    for part in field.split("."):
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(part)
    return cur


def iter_page(keys: Keys, start: int, rows: int) -> Iterable[int]:
    """The keys of one page."""
    return keys[start : start + rows]


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
