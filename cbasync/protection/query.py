"""App Control searches: ``GET /api/bit9platform/v1/<object>?q=...&sort=...&offset=...&limit=...``.

App Control's search language is its own (wire §9.2). Each ``where()`` is one condition,
``<field><operator><value>``, sent as its own ``q`` parameter; the server ANDs them::

    api.select(Computer).where("ipAddress:10.201.*|10.202.*").where("deleted:false")
    # GET /api/bit9platform/v1/computer?q=ipAddress:10.201.*|10.202.*&q=deleted:false

The operator is one character: ``:`` equals (a LIKE when the value has ``*``), ``!`` not equal
(with no value: "not empty"), ``<`` and ``>`` compare (dates take relative values such as
``-10h``), ``+`` all of these bits set, ``-`` none of them; ``|`` separates alternatives.

An answer is a plain array with no total, so a query counts first (``limit=-1`` answers
``{"count": N}``) alongside its first page, and then fetches the rest in concurrent windows of
1,000-row pages through the shared offset paginator, as EDR pages are fetched. A query that a
single page covers (``first()``, ``one()``, a short slice) sends no count.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from typing_extensions import Self

from cbasync import errors
from cbasync._limits import RequestWindow, request_window
from cbasync._pagination import OffsetPaginator, Page
from cbasync._tasks import gather
from cbasync.model import Model, adapter_for
from cbasync.models._generated import protection
from cbasync.query import Query

if TYPE_CHECKING:
    from cbasync.protection.api import CbProtectionAPI

__all__ = ["GroupedCount", "ProtectionQuery"]

M = TypeVar("M", bound=Model)
T = TypeVar("T")

#: The server's largest sensible page (wire §9.2: "page in chunks of 1,000 or fewer"), which is
#: also cbapi's batch size for App Control (seed 000).
MAX_PAGE_SIZE = 1000

_FIELD = r"[A-Za-z_][A-Za-z0-9_]*"
_CONDITION = re.compile(rf"(?P<field>{_FIELD})(?P<op>[:!<>+\-])(?P<value>.*)", re.S)
_SORT = re.compile(rf"(?P<field>{_FIELD})(?:\s+(?P<direction>asc|desc))?", re.I)
# A Lucene habit inside one condition's value: "1 AND policyId:3".
_BOOLEAN = re.compile(rf"\s(?:AND|OR|and|or|&&|\|\|)\s+\(?{_FIELD}[:!<>]")

#: One group of a ``group=<field>`` search: the field's ``value`` and how many rows have it.
GroupedCount = protection.GroupedCount


class ProtectionQuery(Query[M]):
    """A search of one App Control object type (``model.search_route``)."""

    default_page_size: ClassVar[int] = MAX_PAGE_SIZE

    if TYPE_CHECKING:
        _api: CbProtectionAPI

    @property
    def _route(self) -> str:
        route: str | None = getattr(self._model, "search_route", None)
        if route is None:
            raise errors.ApiError(f"{self._model.__name__} objects cannot be searched")
        return route

    # -- building -------------------------------------------------------------------------

    def where(self, query: str) -> Self:
        """Add one condition, ``<field><operator><value>`` (``"policyId:3"``,
        ``"fileName:*.exe"``, ``"dateCreated>-10h"``, ``"computerTag!"``); conditions AND.

        Raises ``QuerySyntaxError`` at once for a clause that is not a condition: App Control
        does not read Lucene (``a:1 AND b:2``) or EDR's ``field:value field:value``.
        """
        narrowed = super().where(query)
        if narrowed is not self:
            _check_condition(narrowed._clauses[-1])
        return narrowed

    def sort(self, order: str) -> Self:
        """One field, ascending unless ``DESC`` follows: ``sort("dateCreated desc")``."""
        order = order.strip()
        if not order:
            return self._replace(sort=None)
        match = _SORT.fullmatch(order)
        if match is None:
            raise errors.QuerySyntaxError(
                f"App Control sorts by one field, optionally followed by ASC or DESC, not {order!r}"
            )
        direction = (match["direction"] or "ASC").upper()
        return self._replace(sort=f"{match['field']} {direction}")

    def batch_size(self, rows: int) -> Self:
        """Rows per request, at most 1,000 (the server's guidance, wire §9.2)."""
        if isinstance(rows, int) and rows > MAX_PAGE_SIZE:
            raise ValueError(f"App Control pages hold at most {MAX_PAGE_SIZE} rows, not {rows}")
        return super().batch_size(rows)

    @property
    def conditions(self) -> tuple[str, ...]:
        """The conditions, one ``q`` parameter each."""
        return self._clauses

    @property
    def query_string(self) -> str:
        """The conditions as the server receives them: ``q=policyId:3&q=deleted:false``."""
        return "&".join(f"q={condition}" for condition in self._clauses)

    # -- running --------------------------------------------------------------------------

    def _params(self) -> list[tuple[str, str | int]]:
        return [("q", condition) for condition in self._clauses]

    async def _fetch_page(self, start: int, rows: int) -> Page[M]:
        """``rows=0`` counts (``limit=-1``); otherwise one page from ``start``."""
        if rows == 0:
            return Page((), await self._count_matches(), start, route=self._route)
        params = self._params()
        if self._sort:
            params.append(("sort", self._sort))
        params += [("offset", start), ("limit", rows)]
        response = await self._api.transport.request("GET", self._route, params=params)
        model = self._model
        rows_read = response.parse(adapter_for(list[model]))  # type: ignore[valid-type]
        items = model._from_rows(self._api, rows_read, full=True)
        return Page(items, None, start, route=response.route)

    async def _count_matches(self) -> int:
        params = [*self._params(), ("limit", -1)]
        response = await self._api.transport.request("GET", self._route, params=params)
        return response.parse(adapter_for(protection.CountResponse)).count

    async def _paginator(self) -> OffsetPaginator[M]:
        """The shared offset paginator, told the total by a count sent with the first page
        (so that the pages after it are fetched concurrently), unless one page covers the
        query."""
        plain = await super()._paginator()
        if plain.stop is not None and plain.stop - plain.start <= plain.page_size:
            return plain
        return OffsetPaginator(
            _CountedFirstPage(self._fetch_page, self._count_matches),
            page_size=plain.page_size,
            start=plain.start,
            stop=plain.stop,
            concurrency=plain.concurrency,
            max_offset=plain.max_offset,
            what=plain.what,
            identity=plain.identity,
        )

    async def group_counts(self, field: str) -> list[GroupedCount]:
        """How many matches have each value of ``field`` (``group=<field>``, which ignores
        the sort): ``[GroupedCount(value=1, count=412), ...]``."""
        if not isinstance(field, str) or re.fullmatch(_FIELD, field) is None:
            raise errors.QuerySyntaxError(f"group by one field name, not {field!r}")
        params = [*self._params(), ("group", field)]
        response = await self._api.transport.request("GET", self._route, params=params)
        return response.parse(adapter_for(list[GroupedCount]))


class _CountedFirstPage(Generic[T]):
    """A page fetch whose first call also counts the matches, concurrently, and puts the
    count on the page as its total."""

    def __init__(
        self,
        fetch: Callable[[int, int], Awaitable[Page[T]]],
        count: Callable[[], Awaitable[int]],
    ) -> None:
        self._fetch = fetch
        self._count = count
        self._counted = False

    async def __call__(self, start: int, rows: int) -> Page[T]:
        if self._counted:
            return await self._fetch(start, rows)
        self._counted = True
        # Two requests in one window: a failure of one lets the other finish rather than
        # cancelling it on the wire (see cbasync._tasks.gather).
        window = RequestWindow(2)
        token = request_window.set(window)
        calls: list[Callable[[], Awaitable[object]]] = [
            functools.partial(self._fetch, start, rows),
            self._count,
        ]
        try:
            first, total = await gather(calls, window=window)
        finally:
            request_window.reset(token)
        assert isinstance(first, Page)
        assert isinstance(total, int)
        return dataclasses.replace(first, total=total)


def _check_condition(clause: str) -> None:
    match = _CONDITION.fullmatch(clause)
    if match is None:
        raise errors.QuerySyntaxError(
            "an App Control condition is <field><operator><value> with the operator one of "
            ": ! < > + - (for example 'policyId:3', 'fileName:*.exe', 'dateCreated>-10h'), "
            f"not {clause!r}"
        )
    if _BOOLEAN.search(match["value"]):
        raise errors.QuerySyntaxError(
            f"App Control has no AND or OR: {clause!r} would search {match['field']!r} for the "
            "whole text after the operator. Give each condition its own where() (they AND), "
            "and separate alternatives of one field with | ('fileName:a.exe|b.exe')"
        )
