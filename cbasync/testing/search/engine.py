"""EDR's search: a small Solr over the keys of a generated collection, with caching.

A collection is anything that can give a column for a field name over *row keys* (document
numbers of a generated dataset, or indices of an in-memory list). The engine compiles the query
once, evaluates it over every key once, and keeps the matching keys in a bounded LRU (bounded by
the total number of keys held, not by entries), so paging through a large result set costs one
scan and then a slice per page. A query matching everything is a ``range`` and costs nothing.

EDR's process, binary, alert and threat-report searches use it; ordering and facet counts are the
shared ones of :mod:`cbasync.testing.search.collation` under Solr's rules.
"""

from __future__ import annotations

from array import array
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from cbasync.testing.query import FieldType, Node, QueryError
from cbasync.testing.search.collation import SOLR, count_values, ordered
from cbasync.testing.search.columns import Accessor, compile_search, getter_of

__all__ = ["Keys", "SearchEngine"]

Keys = Sequence[int]


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

    def cached(self, key: Hashable, compute: Callable[[], Keys]) -> Keys:
        """``compute()``, remembered under ``key`` in the engine's key cache (which
        :meth:`invalidate` clears): for key sequences derived from a search, e.g. grouping."""
        hit = self._cache.get(key)
        if hit is None:
            hit = compute()
            self._cache.put(key, hit)
        return hit

    # --- matching -----------------------------------------------------------------------------
    def predicate(self, q: str | Node) -> Callable[[Any], bool] | None:
        """The compiled query, or None when it matches everything."""
        return compile_search(
            q,
            schema=self.schema,
            default_fields=self.default_fields,
            accessor=self.accessor,
            now=self._now() if self._now else None,
            strict=self.strict,
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
        result = array("I", ordered(keys, getters, SOLR))
        if cache_key is not None:
            self._cache.put(("sorted", cache_key, tuple(sort)), result)
        return result

    # --- facets -------------------------------------------------------------------------------
    def counts(self, keys: Keys, field: str) -> Counter[Any]:
        """Value → number of keys, for one field (list values count each element)."""
        col = self.accessor(field)
        if col is None:
            raise QueryError(f"cannot facet on unknown field {field!r}")
        return count_values(keys, col, SOLR)
