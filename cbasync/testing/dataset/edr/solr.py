"""EDR's Solr query types: the parameters of a search, parsed from a query string, and a page.

Every EDR search route (processes, binaries, alerts, threat reports) reads the same parameters:
``q``, ``start``/``rows``, ``sort``, facets, ``cb.group``, the ``cb.*_last_update`` windows and
``cb.fq.<field>`` filters; :func:`parse_solr` turns query-string pairs into a :class:`SolrParams`
and :func:`filtered_query` folds the filters into the query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cbasync.testing.dataset.errors import Invalid
from cbasync.testing.query import iso_to_epoch

__all__ = ["SearchPage", "SolrParams", "filtered_query", "parse_solr"]


@dataclass(frozen=True)
class SolrParams:
    """The parameters of an EDR Solr search, parsed from a query string."""

    q: str = ""
    start: int = 0
    rows: int = 10
    sort: tuple[tuple[str, bool], ...] = ()
    facet: bool = False
    facet_fields: tuple[str, ...] = ()
    group: str | None = None
    min_last_update: float | None = None
    max_last_update: float | None = None
    min_last_server_update: float | None = None
    max_last_server_update: float | None = None
    comprehensive: bool = False
    filters: tuple[tuple[str, str], ...] = ()  # cb.fq.<field>=<value>


@dataclass
class SearchPage:
    """One page of a search: the keys to render and everything around them."""

    keys: Sequence[int]
    total: int
    start: int
    terms: list[str]
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    elapsed: float = 0.0


def _to_epoch(text: str, name: str) -> float:
    value = iso_to_epoch(text)
    if value is None:
        raise Invalid(f"{name} must be an ISO-8601 timestamp, not {text!r}")
    return value


def parse_solr(
    params: Iterable[tuple[str, str]], *, default_sort: str, default_rows: int = 10
) -> SolrParams:
    """:class:`SolrParams` from query-string pairs (repeatable ``facet.field``)."""
    single: dict[str, str] = {}
    facet_fields: list[str] = []
    filters: list[tuple[str, str]] = []
    for k, v in params:
        if k == "facet.field":
            facet_fields.extend(f for f in v.split(",") if f)
        elif k.startswith("cb.fq."):
            filters.append((k[len("cb.fq.") :], v))
        elif k not in single:
            single[k] = v

    def integer(name: str, default: int) -> int:
        raw = single.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise Invalid(f"{name} must be an integer, not {raw!r}") from None
        if value < 0:
            raise Invalid(f"{name} must be >= 0")
        return value

    sort: list[tuple[str, bool]] = []
    for part in (single.get("sort") or default_sort).split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise Invalid(f"cannot parse sort {part.strip()!r}")
        sort.append((words[0], len(words) == 2 and words[1].lower() == "desc"))

    def when(name: str) -> float | None:
        raw = single.get(name)
        return None if not raw else _to_epoch(raw, name)

    truthy = ("true", "1", "yes")
    return SolrParams(
        q=single.get("q", ""),
        start=integer("start", 0),
        rows=integer("rows", default_rows),
        sort=tuple(sort),
        facet=single.get("facet", single.get("facets", "false")).lower() in truthy,
        facet_fields=tuple(facet_fields),
        group=single.get("cb.group") or None,
        min_last_update=when("cb.min_last_update"),
        max_last_update=when("cb.max_last_update"),
        min_last_server_update=when("cb.min_last_server_update"),
        max_last_server_update=when("cb.max_last_server_update"),
        comprehensive=single.get(
            "cb.comprehensive_search", single.get("comprehensive_search", "")
        ).lower()
        in truthy,
        filters=tuple(filters),
    )


def filtered_query(q: str, filters: Sequence[tuple[str, str]]) -> str:
    """``q`` with the ``cb.fq.<field>=<value>`` filters ANDed to it as exact phrases."""
    parts = [f"({q})"] if q.strip() else []
    for name, value in filters:
        escaped = value.replace('"', '\\"')
        parts.append(f'{name}:"{escaped}"')
    return " AND ".join(parts)
