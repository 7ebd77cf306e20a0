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
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from urllib.parse import urlencode

from typing_extensions import Self

from cbasync import errors
from cbasync._pagination import Page
from cbasync.model import ItemAccess, Model, adapter_for
from cbasync.models._generated import edr
from cbasync.query import Query

if TYPE_CHECKING:
    from cbasync._response import Response
    from cbasync.response.api import CbResponseAPI
    from cbasync.response.models.intel import Watchlist

__all__ = ["FacetValue", "ListQuery", "ProcessQuery", "SolrPage", "SolrQuery", "format_time"]

M = TypeVar("M", bound=Model)

#: Query strings longer than this go in a POST body where the route takes one. nginx, in front
#: of EDR, refuses request lines over 8 KiB by default (``large_client_header_buffers``).
LONG_QUERY = 8 * 1024


class FacetValue(ItemAccess, edr.FacetResult):
    """One facet value; ``entry.name`` or, as the cbapi manual writes it, ``entry["name"]``."""


class _FacetPage(edr.SolrSearchResponse):
    facets: dict[str, list[FacetValue]] | None = None  # type: ignore[assignment]


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

    _api: CbResponseAPI

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

    def _with_param(self, name: str, value: str) -> Self:
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
            None if page.results is None else self._model._from_rows(api, page.results, full=False)
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
        page = response.parse(adapter_for(_FacetPage))
        found = page.facets or {}
        return {field: found.get(field, []) for field in fields}

    @property
    def webui_link(self) -> str:
        """This search in the EDR console."""
        params = [(k, str(v)) for k, v in self._query_params(0, 10) if k not in ("start", "rows")]
        page = getattr(self._model, "webui_page", "search")
        return f"{self._api.url}/#/{page}?{urlencode(params)}"

    def search_query_string(self) -> str:
        """The ``search_query`` a watchlist stores: the URL query of this search."""
        params = [("q", self.query_string), ("cb.urlver", "1")]
        if self._sort:
            params.append(("sort", self._sort))
        return urlencode(params)


class ProcessQuery(SolrQuery[M]):
    """Process search with EDR's process-only parameters."""

    def group_by(self, field: str) -> Self:
        """One result per value of ``field`` (``"id"``: one row per process): ``cb.group``."""
        return self._with_param("cb.group", field)

    def min_last_update(self, when: datetime.datetime | str) -> Self:
        """Only processes with events since ``when`` (sensor clock): ``cb.min_last_update``."""
        return self._with_param("cb.min_last_update", format_time(when))

    def max_last_update(self, when: datetime.datetime | str) -> Self:
        return self._with_param("cb.max_last_update", format_time(when))

    def min_last_server_update(self, when: datetime.datetime | str) -> Self:
        """As :meth:`min_last_update` on the server's clock: ``cb.min_last_server_update``."""
        return self._with_param("cb.min_last_server_update", format_time(when))

    def max_last_server_update(self, when: datetime.datetime | str) -> Self:
        return self._with_param("cb.max_last_server_update", format_time(when))

    def use_comprehensive_search(self) -> Self:
        """Let the server join segments so results are exact (slower): ``cb.comprehensive_search``."""
        return self._with_param("cb.comprehensive_search", "true")

    async def create_watchlist(self, name: str, *, description: str | None = None) -> Watchlist:
        """A watchlist that runs this search, saved on the server."""
        return await self._api.create_watchlist(name, self, description=description)


# -- whole-list routes ---------------------------------------------------------------------


class ListQuery(Query[M]):
    """A route that returns every object at once; ``where("field:value")`` filters here.

    As in cbapi, a clause is one ``field:value`` and the value is everything after the first
    colon, compared exactly: ``where("name:[WARN] Attempts to mount internal share")`` finds
    that watchlist. A value may be quoted, and may use ``*`` and ``?`` wildcards (nothing else
    is special: brackets are literal). Several clauses must all match. The list is fetched
    once per iteration (these lists are small: watchlists, feeds, users, ...).
    """

    def __init__(self, api: Any, model: type[M]) -> None:
        super().__init__(api, model)
        # The whole list arrives in one request.
        self._page_size = 1 << 30
        self._concurrency = 1

    def _filters(self) -> list[tuple[str, re.Pattern[str]]]:
        filters = []
        for clause in self._clauses:
            name, sep, value = clause.partition(":")
            name, value = name.strip(), value.strip()
            if not sep or not name or " " in name:
                raise errors.QuerySyntaxError(
                    f"{self._model.__name__} lists filter on one field:value per where(), "
                    f"not {clause!r}"
                )
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            pattern = "".join(
                ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in value
            )
            filters.append((name, re.compile(pattern, re.DOTALL)))
        return filters

    def _matches(self, item: Model, filters: list[tuple[str, re.Pattern[str]]]) -> bool:
        for name, pattern in filters:
            value = item.get(name)
            if value is None or not pattern.fullmatch(_text(value)):
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


def _text(value: Any) -> str:
    """A field as cbapi compared it: booleans as the JSON text (``enabled:true``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
