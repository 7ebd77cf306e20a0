"""EDR query types.

- :class:`SolrQuery`: the Solr searches (processes, binaries, alerts, threat reports): query
  string ``q``, ``start``/``rows`` with ``total_results``, ``sort``, facets, ``cb.urlver=1``.
- :class:`ProcessQuery`: adds ``cb.group``, the ``cb.min/max_last_(server_)update`` time bounds
  and comprehensive search.
- :class:`ListQuery`: routes that return a whole list (watchlists, feeds, users, ...); ``where``
  clauses of the form ``field:value`` filter the list here, as cbapi did.
"""

from __future__ import annotations

import datetime
import fnmatch
import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import urlencode

from cbasync import errors
from cbasync._pagination import Page
from cbasync.model import Model, adapter_for
from cbasync.models._generated import edr
from cbasync.query import Query

if TYPE_CHECKING:
    from cbasync._transport import Response
    from cbasync.response.api import CbResponseAPI

__all__ = ["FacetValue", "ListQuery", "ProcessQuery", "SolrPage", "SolrQuery", "format_time"]

M = TypeVar("M", bound=Model)
Q = TypeVar("Q", bound="SolrQuery[Any]")

FacetValue = edr.FacetResult
#: Query strings longer than this go in a POST body where the route takes one. nginx, in front
#: of EDR, refuses request lines over 8 KiB by default (``large_client_header_buffers``).
LONG_QUERY = 8 * 1024


class SolrPage(edr.SolrSearchResponse, Generic[M]):
    """A Solr search page whose rows are validated straight into the behaviour class.

    ``results`` is ``None`` when the envelope has no results list, which
    :meth:`Page.from_envelope` tells apart from an empty one."""

    results: list[M] | None = None


def format_time(value: datetime.datetime | str) -> str:
    """``2017-04-29T04:21:18Z`` for the ``cb.*_update`` bounds; naive datetimes are GMT."""
    if isinstance(value, str):
        return value
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


class SolrQuery(Query[M]):
    """A Solr search on an EDR route (``model.search_route``)."""

    def __init__(self, api: CbResponseAPI, model: type[M]) -> None:
        super().__init__(api, model)
        self._sort = getattr(model, "default_sort", None)
        self._params: tuple[tuple[str, str], ...] = ()

    @property
    def _route(self) -> str:
        route: str | None = getattr(self._model, "search_route", None)
        if route is None:
            raise errors.ApiError(f"{self._model.__name__} has no search route")
        return route

    def _with_param(self: Q, name: str, value: str) -> Q:
        params = (*((k, v) for k, v in self._params if k != name), (name, value))
        return self._replace(params=params)

    def _query_params(self, start: int, rows: int) -> list[tuple[str, str | int]]:
        params: list[tuple[str, str | int]] = [
            ("cb.urlver", "1"),
            ("facet", "false"),
            ("q", self.query_string),
            ("start", start),
            ("rows", rows),
        ]
        if self._sort:
            params.append(("sort", self._sort))
        params.extend(self._params)
        return params

    async def _fetch_page(self, start: int, rows: int) -> Page[M]:
        api = self._api
        response = await self._search(self._query_params(start, rows))
        page = response.parse(adapter_for(SolrPage[self._model]))  # type: ignore[name-defined]
        items = (
            None
            if page.results is None
            else [self._model._from_server(api, row, full=False) for row in page.results]
        )
        return Page.from_envelope(
            items, page.total_results, start, route=response.route, extra=page
        )

    async def _search(self, params: list[tuple[str, str | int]]) -> Response:
        """One search request. Where the route takes a POST (alerts), a query too long for a
        URL goes in a JSON body with the same parameters; elsewhere the transport refuses a URL
        too long to send before sending it."""
        if getattr(self._model, "search_accepts_post", False) and (
            len(urlencode(params)) > LONG_QUERY
        ):
            body: dict[str, Any] = {}
            for key, value in params:
                body.setdefault(key, []).append(value)
            return await self._api.transport.request(
                "POST",
                self._route,
                json={k: v[0] if len(v) == 1 else v for k, v in body.items()},
                idempotent=True,
            )
        return await self._api.transport.request("GET", self._route, params=params)

    async def facets(self, *fields: str) -> dict[str, list[FacetValue]]:
        """Top values (at most 200, the server's cap) of each field among the matches:
        ``{"process_name": [FacetValue(name="cmd.exe", value=120, percent=100, ratio="35.2")]}``.
        """
        if not fields:
            raise ValueError("name at least one field to facet on")
        params = [(k, v) for k, v in self._query_params(0, 0) if k not in ("facet", "sort")]
        params.append(("facet", "true"))
        params.extend(("facet.field", field) for field in fields)
        response = await self._search(params)
        page = response.parse(adapter_for(edr.SolrSearchResponse))
        found = page.facets or {}
        return {field: found.get(field, []) for field in fields}

    @property
    def webui_link(self) -> str:
        """This search in the EDR console."""
        params = [(k, str(v)) for k, v in self._query_params(0, 10) if k not in ("start", "rows")]
        page = getattr(self._model, "webui_page", "search")
        return f"{self._api.url}/#/{page}?{urlencode(params)}"

    def _search_query_string(self) -> str:
        """The ``search_query`` a watchlist stores: the URL query of this search."""
        params = [("q", self.query_string), ("cb.urlver", "1")]
        if self._sort:
            params.append(("sort", self._sort))
        return urlencode(params)


class ProcessQuery(SolrQuery[M]):
    """Process search with EDR's process-only parameters."""

    def group_by(self, field: str) -> ProcessQuery[M]:
        """One result per value of ``field`` (``"id"``: one row per process): ``cb.group``."""
        return self._with_param("cb.group", field)

    def min_last_update(self, when: datetime.datetime | str) -> ProcessQuery[M]:
        """Only processes with events since ``when`` (sensor clock): ``cb.min_last_update``."""
        return self._with_param("cb.min_last_update", format_time(when))

    def max_last_update(self, when: datetime.datetime | str) -> ProcessQuery[M]:
        return self._with_param("cb.max_last_update", format_time(when))

    def min_last_server_update(self, when: datetime.datetime | str) -> ProcessQuery[M]:
        """As :meth:`min_last_update` on the server's clock: ``cb.min_last_server_update``."""
        return self._with_param("cb.min_last_server_update", format_time(when))

    def max_last_server_update(self, when: datetime.datetime | str) -> ProcessQuery[M]:
        return self._with_param("cb.max_last_server_update", format_time(when))

    def use_comprehensive_search(self) -> ProcessQuery[M]:
        """Let the server join segments so results are exact (slower): ``cb.comprehensive_search``."""
        return self._with_param("cb.comprehensive_search", "true")

    async def create_watchlist(self, name: str, *, description: str | None = None) -> Any:
        """A watchlist that runs this search, saved on the server."""
        from cbasync.response.models.intel import Watchlist

        api: Any = self._api
        watchlist = api.create(Watchlist)
        watchlist.name = name
        watchlist.index_type = getattr(self._model, "watchlist_index_type", "events")
        watchlist.search_query = self._search_query_string()
        if description is not None:
            watchlist.description = description
        return await watchlist.save()


# -- whole-list routes ---------------------------------------------------------------------


class ListQuery(Query[M]):
    """A route that returns every object at once; ``where("field:value")`` filters here.

    Values may use ``*`` and ``?`` wildcards; several clauses must all match. The list is
    fetched once per iteration (these lists are small: watchlists, feeds, users, ...).
    """

    def __init__(self, api: Any, model: type[M]) -> None:
        super().__init__(api, model)
        # The whole list arrives in one request.
        self._page_size = 1 << 30
        self._concurrency = 1

    def _filters(self) -> list[tuple[str, str]]:
        filters = []
        for clause in self._clauses:
            for term in shlex.split(clause):
                if term.lower() == "and":
                    continue
                name, sep, value = term.partition(":")
                if not sep or not name:
                    raise errors.QuerySyntaxError(
                        f"{self._model.__name__} lists filter on field:value terms, not {term!r}"
                    )
                filters.append((name, value))
        return filters

    def _matches(self, item: Model, filters: list[tuple[str, str]]) -> bool:
        for name, pattern in filters:
            value = item.get(name)
            if value is None or not fnmatch.fnmatchcase(str(value).lower(), pattern.lower()):
                return False
        return True

    async def _fetch_page(self, start: int, rows: int) -> Page[M]:
        filters = self._filters()
        everything: Sequence[M] = await self._model.fetch_all(self._api)
        matching = [item for item in everything if self._matches(item, filters)]
        if self._sort:
            field, _, direction = self._sort.partition(" ")
            matching.sort(
                key=lambda item: (item.get(field) is None, str(item.get(field) or "")),
                reverse=direction.strip().lower() == "desc",
            )
        return Page(matching[start : start + rows] if rows else [], len(matching), start)
