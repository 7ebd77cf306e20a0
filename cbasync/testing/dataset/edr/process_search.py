"""Process search: ``/api/v1/process`` with its time windows, grouping, facets and highlights.

Search documents are process segments numbered so that key order *is* the default sort
(``last_update desc``) and the ``cb.*_last_update`` windows are a key range (see
:mod:`cbasync.testing.dataset.edr_process`); everything else goes through the
:class:`~cbasync.testing.search.SearchEngine` and its key cache.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Sequence
from typing import Any

from cbasync.testing.dataset._fmt import DAY, iso_ms
from cbasync.testing.dataset.edr.core import EdrCore
from cbasync.testing.dataset.edr.solr import SearchPage, SolrParams, filtered_query
from cbasync.testing.dataset.edr_process import (
    PROCESS_FACETS,
    PROCESS_SCHEMA,
)
from cbasync.testing.dataset.errors import Invalid
from cbasync.testing.query import (
    And,
    Not,
    Or,
    QueryError,
    Term,
    parse,
    terms_of,
)
from cbasync.testing.search import Keys, SearchEngine, facet_entries, getter_of
from cbasync.testing.state import EmulatorState

__all__ = ["ProcessSearch"]


class ProcessSearch(EdrCore):
    """Searching the process segments."""

    def __init__(self, state: EmulatorState) -> None:
        super().__init__(state)
        self.process_search = SearchEngine(
            size=lambda: self.processes.total_docs,
            accessor=self.processes.accessor,
            schema=PROCESS_SCHEMA,
            default_fields=self.processes.default_fields,
            natural=("last_update", True),
            now=self.clock.time,
            cache_entries=self.config.query_cache_size,
        )

    def _time_window(self, p: SolrParams) -> range | None:
        """Documents allowed by the ``cb.*_last_update`` filters: a contiguous key range, since
        ``last_update`` falls with the document number. Compared at the millisecond precision
        clients see."""
        n = self.processes.total_docs
        step = self.processes.step
        epoch = self.epoch
        lo, hi = 0, n
        any_bound = False
        docs = range(n)
        for minimum, maximum, lag in (
            (p.min_last_update, p.max_last_update, 0.0),
            (p.min_last_server_update, p.max_last_server_update, 9.5),
        ):
            if minimum is None and maximum is None:
                continue
            any_bound = True

            def neg_ms(d: int, lag: float = lag) -> int:
                # -last_update in ms: increasing with d, as bisect needs.
                return -int((epoch - (d + 1) * step + lag) * 1000)

            if minimum is not None:
                hi = min(hi, bisect.bisect_right(docs, -round(minimum * 1000), key=neg_ms))
            if maximum is not None:
                lo = max(lo, bisect.bisect_left(docs, -round(maximum * 1000), key=neg_ms))
        if not any_bound:
            return None
        return range(lo, max(lo, hi))

    def process_keys(self, p: SolrParams) -> Keys:
        """The ordered document keys of a process search (raises ``QueryError``)."""
        q = filtered_query(p.q, p.filters)
        within = self._time_window(p)
        keys = self.process_search.match(q, within=within)
        sort = p.sort or (("last_update", True),)
        keys = self.process_search.sorted(keys, sort, cache_key=(q, within))
        if p.group:
            keys = self._grouped(keys, p.group, cache_key=(q, within, sort))
        return keys

    def _grouped(self, keys: Keys, group: str, cache_key: Any) -> Keys:
        """``cb.group``: the first document in sort order of each group value."""
        return self.process_search.cached(
            ("group", group, cache_key), lambda: self._first_of_each(keys, group)
        )

    def _first_of_each(self, keys: Keys, group: str) -> Keys:
        out = array("I")
        if group in ("id", "process_id"):
            process_of = self.processes.process_of_doc()
            seen: set[int] = set()
            for d in keys:
                p = process_of(d)
                if p not in seen:
                    seen.add(p)
                    out.append(d)
            return out
        col = self.process_search.accessor(group)
        if col is None:
            raise QueryError(f"cannot group by unknown field {group!r}")
        get = getter_of(col)
        seen_values: set[Any] = set()
        for d in keys:
            value = get(d)
            marker = tuple(value) if isinstance(value, list) else value
            if marker not in seen_values:
                seen_values.add(marker)
                out.append(d)
        return out

    def process_page(self, p: SolrParams) -> SearchPage:
        keys = self.process_keys(p)
        total = len(keys)
        page = keys[p.start : p.start + p.rows] if p.rows else ()
        facets: dict[str, list[dict[str, Any]]] = {}
        if p.facet:
            for name in p.facet_fields:
                facets[name] = self.process_facet(keys, name)
        return SearchPage(page, total, p.start, terms_of(parse(p.q)) if p.q.strip() else [], facets)

    def process_facet(self, keys: Keys, name: str) -> list[dict[str, Any]]:
        if name not in PROCESS_FACETS and name not in PROCESS_SCHEMA:
            raise Invalid(f"{name!r} is not a facet field")
        limit = self.config.facet_limit
        engine = self.process_search
        if name in ("hour_of_day", "day_of_week", "start"):
            getter = self.processes.accessor("start")
            assert getter is not None
            assert callable(getter)
            counts: dict[str, int] = {}
            now = self.clock.time()
            for d in keys:
                ts = getter(d)
                if name == "hour_of_day":
                    label = str(int(ts // 3600) % 24)
                elif name == "day_of_week":
                    label = str((int(ts // DAY) + 3) % 7)  # Monday = 0
                else:
                    if ts < now - 30 * DAY:
                        continue
                    label = iso_ms(ts - ts % DAY)[:10] + "T00:00:00Z"
                counts[label] = counts.get(label, 0) + 1
            return facet_entries(counts.items(), limit)
        field_name = {"path_full": "path", "username_full": "username"}.get(name, name)
        return facet_entries(engine.counts(keys, field_name).items(), limit)

    def highlights(self, q: str, keys: Sequence[int]) -> list[dict[str, Any]]:
        """EDR ``highlights``: for name/path terms of the query, the matching values of the page
        wrapped in ``PREPREPRE``/``POSTPOSTPOST`` with the ids that carry them."""
        if not q.strip() or not keys:
            return []
        try:
            node = parse(q)
        except QueryError:
            return []
        words: list[tuple[str | None, str]] = []

        def walk(n: Any) -> None:
            if isinstance(n, Term) and not n.wildcard and n.field in (None, "process_name", "path"):
                words.append((n.field, n.text.lower()))
            elif isinstance(n, And | Or):
                for i in n.items:
                    walk(i)
            elif isinstance(n, Not):
                return

        walk(node)
        if not words:
            return []
        out: dict[str, list[str]] = {}
        for d in keys:
            info, r = self.processes.row(d)
            kind = info.kinds[info.layout[r][0]]
            uid = info.uids[r]
            for fieldname, word in words:
                for value, name in ((kind.path, "path"), (kind.name, "process_name")):
                    if fieldname not in (None, name):
                        continue
                    pos = value.lower().find(word)
                    if pos >= 0:
                        marked = (
                            f"{value[:pos]}PREPREPRE{value[pos : pos + len(word)]}"
                            f"POSTPOSTPOST{value[pos + len(word) :]}"
                        )
                        out.setdefault(marked, []).append(uid)
        return [{"name": name, "ids": ids} for name, ids in out.items()]

    def host_count(self, md5: str) -> dict[str, int]:
        i = self.binaries.by_md5(md5)
        if i is None:
            return {"hostCount": 0, "globalCount": 0, "numDocs": self.processes.total_docs}
        keys = self.process_search.match(f"process_md5:{self.binaries.md5(i)}")
        return {
            "hostCount": len(self.binaries.endpoints_of(i)),
            "globalCount": len(keys),
            "numDocs": self.processes.total_docs,
        }
