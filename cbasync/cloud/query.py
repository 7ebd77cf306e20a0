"""The cloud's query types: one search state, two ways of running it.

Every Carbon Black Cloud search says the same things in its body — a Lucene ``query``, exact
``criteria`` and ``exclusions`` (field → values), a ``time_range``, a ``sort`` and sometimes the
``fields`` to return — so :class:`CloudQuery` holds them once, immutably, and renders the body.
How the search runs is the subclass's business:

- :class:`SearchQuery`: a synchronous ``POST .../_search`` answered with a page and
  ``num_found`` (devices, alerts v6/v7, LiveQuery results and run history); offset paging with
  the shared paginator, the route's ``start`` base (0 or 1, wire §6.4) and its 10,000-row cap.
- :class:`JobQuery`: a server-side job (Enterprise EDR processes, Auth Events, detail, facet and
  group jobs): the query's *search state* identifies one :class:`~cbasync._jobs.SearchJob`, run
  once and shared by every slice, page size and concurrent reader of that search; changing the
  search (a clause, a criterion, the sort, the time range) makes a new job.
"""

from __future__ import annotations

import abc
import datetime
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import pydantic
from typing_extensions import Self

from cbasync._jobs import JobBackend, JobProgress, SearchJob
from cbasync._pagination import Page
from cbasync.cloud._model import CloudModel
from cbasync.model import adapter_for
from cbasync.query import Query

if TYPE_CHECKING:
    from cbasync.cloud.api import CBCloudAPI

__all__ = ["CloudQuery", "JobQuery", "SearchEnvelope", "SearchQuery", "format_time"]

logger = logging.getLogger("cbasync.cloud")

M = TypeVar("M", bound=CloudModel)

#: The query state that says *what* is searched (it identifies a job); the rest (slices, page
#: size, concurrency) says how the results are read.
SEARCH_STATE = frozenset(
    {"clauses", "sort", "criteria", "exclusions", "time_range", "sort_fields", "fields"}
)


def format_time(value: datetime.datetime | str) -> str:
    """ISO 8601 in UTC with a ``Z``, as the cloud's ``time_range`` and criteria want it; naive
    datetimes are taken as UTC."""
    if isinstance(value, str):
        return value
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class CloudQuery(Query[M]):
    """The search state every cloud search shares, and its request body."""

    #: The key of a relative time range in this API's ``time_range`` (``{"range": "-2w"}`` on
    #: the Platform, ``{"window": "-2w"}`` on Enterprise EDR jobs).
    time_window_key: ClassVar[str] = "range"
    #: The state that identifies a search (and so a job); a subclass with more (a collapse
    #: field, a run id) adds its names.
    search_state: ClassVar[frozenset[str]] = SEARCH_STATE
    _api: CBCloudAPI

    def __init__(self, api: CBCloudAPI, model: type[M]) -> None:
        super().__init__(api, model)
        self._criteria: tuple[tuple[str, Any], ...] = ()
        self._exclusions: tuple[tuple[str, Any], ...] = ()
        self._time_range: tuple[tuple[str, str], ...] = ()
        self._sort_fields: tuple[tuple[str, str], ...] = ()
        self._fields: tuple[str, ...] = ()
        self._job = _JobCell()

    def _replace(self, **changes: Any) -> Self:
        clone = super()._replace(**changes)
        if self.search_state & changes.keys():
            clone._job = _JobCell()  # another search: another job
        return clone

    # -- building -------------------------------------------------------------------------

    def add_criteria(self, field: str, values: Any) -> Self:
        """Match ``field`` exactly: a list of values (any of them), or an object such as a
        time range ``{"start": ..., "end": ...}``. Values for a field already given are added."""
        return self._replace(criteria=_merged(self._criteria, field, values))

    def criteria(self, **fields: Any) -> Self:
        """``criteria(os=["WINDOWS"], status=["ACTIVE"])``; a single value counts as a list."""
        query = self
        for field, values in fields.items():
            query = query.add_criteria(field, values)
        return query

    def add_exclusions(self, field: str, values: Any) -> Self:
        """Leave out what matches ``field`` (the body's ``exclusions``)."""
        return self._replace(exclusions=_merged(self._exclusions, field, values))

    def exclusions(self, **fields: Any) -> Self:
        query = self
        for field, values in fields.items():
            query = query.add_exclusions(field, values)
        return query

    def time_range(
        self,
        *,
        start: datetime.datetime | str | None = None,
        end: datetime.datetime | str | None = None,
        window: str | None = None,
    ) -> Self:
        """Between ``start`` and ``end``, or within a relative ``window`` such as ``"-2w"``,
        ``"-3d"``, ``"-1h"`` (one or the other)."""
        if window is not None and (start is not None or end is not None):
            raise ValueError("give a window, or start and end, not both")
        if window is not None:
            return self._replace(time_range=((self.time_window_key, window),))
        bounds = tuple(
            (key, format_time(value))
            for key, value in (("start", start), ("end", end))
            if value is not None
        )
        if not bounds:
            raise ValueError("give a window, or a start and/or an end")
        return self._replace(time_range=bounds)

    def sort_by(self, field: str, direction: str = "ASC") -> Self:
        """Add a sort key (``"ASC"`` or ``"DESC"``); the first added sorts first."""
        order = direction.strip().upper()
        if order not in ("ASC", "DESC"):
            raise ValueError(f"direction must be ASC or DESC, not {direction!r}")
        return self._replace(sort_fields=(*self._sort_fields, (field, order)))

    def set_fields(self, *fields: str) -> Self:
        """The fields the server returns (``"*"`` for its defaults, plus any others)."""
        return self._replace(fields=tuple(fields))

    # -- displays ---------------------------------------------------------------------------

    def _describe(self) -> dict[str, Any]:
        """What the search will ask, as its displays show it: the body's criteria, exclusions,
        time range, sort and fields beside the query string (nothing is sent to show it)."""
        description = super()._describe()
        body = self.search_body()
        for key in ("criteria", "exclusions", "time_range", "sort", "fields"):
            if key in body:
                description[key] = body[key]
        return description

    def __repr__(self) -> str:
        body = self.search_body()
        parts = [f"q={self.query_string!r}"]
        parts += [f"{key}={body[key]!r}" for key in ("criteria", "exclusions", "time_range")
                  if key in body]  # fmt: skip
        return f"<{type(self).__name__} {self.model.__name__} {' '.join(parts)}>"

    # -- the body -------------------------------------------------------------------------

    def _sort_list(self) -> list[dict[str, str]]:
        keys = list(self._sort_fields)
        if self._sort:
            field, _, direction = self._sort.partition(" ")
            keys.insert(0, (field, (direction.strip() or "asc").upper()))
        return [{"field": field, "order": order} for field, order in keys]

    def search_body(self) -> dict[str, Any]:
        """The search as this API's body says it (no paging)."""
        body: dict[str, Any] = {}
        if self.query_string:
            body["query"] = self.query_string
        if self._criteria:
            body["criteria"] = dict(self._criteria)
        if self._exclusions:
            body["exclusions"] = dict(self._exclusions)
        if self._time_range:
            body["time_range"] = dict(self._time_range)
        if sort := self._sort_list():
            body["sort"] = sort
        if self._fields:
            body["fields"] = list(self._fields)
        return body


def _merged(
    current: tuple[tuple[str, Any], ...], field: str, values: Any
) -> tuple[tuple[str, Any], ...]:
    if isinstance(values, (str, bytes, int, float, bool)):
        values = [values]
    elif isinstance(values, Mapping):
        values = dict(values)
    elif isinstance(values, Iterable):
        values = list(values)
    else:
        raise TypeError(f"criteria values are a list, a value or an object, not {values!r}")
    existing = dict(current)
    old = existing.get(field)
    if isinstance(old, list) and isinstance(values, list):
        values = old + [value for value in values if value not in old]
    existing[field] = values
    return tuple(existing.items())


# -- synchronous searches --------------------------------------------------------------------


class SearchEnvelope(pydantic.BaseModel, Generic[M]):
    """``{"results": [...], "num_found": N, "num_available": M}`` with rows validated straight
    into the behaviour class; other envelope keys are kept."""

    model_config = pydantic.ConfigDict(extra="allow")

    results: list[M] | None = None
    num_found: int | None = None
    num_available: int | None = None


class SearchQuery(CloudQuery[M]):
    """A synchronous ``POST`` search answered with one page (``results`` and ``num_found``)."""

    #: Where the first row is: 0 on most routes, 1 on alerts (wire §6.4).
    start_base: ClassVar[int] = 0
    #: Rows past this cannot be paged (most cloud searches stop at 10,000).
    max_offset: ClassVar[int | None] = 10_000

    @abc.abstractmethod
    def _search_route(self) -> str:
        """The route of the ``_search`` this query posts to."""

    def _path_params(self) -> Mapping[str, object] | None:
        """Values for the search route's placeholders other than ``{org_key}`` (a run id)."""
        return None

    def _page_body(self, start: int, rows: int) -> dict[str, Any]:
        return {**self.search_body(), "start": start + self.start_base, "rows": rows}

    async def _fetch_page(self, start: int, rows: int) -> Page[M]:
        api = self._api
        response = await api.transport.request(
            "POST",
            self._search_route(),
            path_params=self._path_params(),
            json=self._page_body(start, rows),
            idempotent=True,
        )
        envelope = response.parse(adapter_for(SearchEnvelope[self._model]))  # type: ignore[name-defined]
        total = envelope.num_available if envelope.num_available is not None else envelope.num_found
        items = self._model._from_rows(api, envelope.results or [], full=False)
        return Page.from_envelope(
            None if envelope.results is None else items,
            total,
            start,
            route=response.route,
            extra=envelope,
        )


# -- server-side jobs ------------------------------------------------------------------------


class _JobCell:
    """The job of one search state, shared by the query's copies that read it differently."""

    __slots__ = ("job", "warned")

    def __init__(self) -> None:
        self.job: SearchJob[Any] | None = None
        #: Whether "more match than can be read" has been said for this job.
        self.warned = False


class JobQuery(CloudQuery[M]):
    """A search that runs as a server-side job. ``await q.wait()`` runs it (once) and gives its
    final progress; iteration, ``count()``, ``first()`` and slices read its results.

    ``count()`` is what can be read (``num_available``: at most the job's ``rows``, at most
    10,000); ``(await q.wait()).num_found`` is how many matched. When more matched than can be
    read, a warning says so once per job.
    """

    #: Rows per results page (the server hands out up to 10,000 per request).
    default_page_size: ClassVar[int] = 1_000
    time_window_key: ClassVar[str] = "window"

    @abc.abstractmethod
    def _job_backend(self) -> JobBackend[M]:
        """How this kind of job is submitted, polled, paged and stopped."""

    @property
    def job(self) -> SearchJob[M]:
        """This search's job (made on first use; submitted on first read)."""
        cell = self._job
        if cell.job is None:
            api = self._api
            cell.job = SearchJob(
                self._job_backend(), pool=api.job_slots.limiter, max_wait=api.job_max_wait
            )
        job: SearchJob[M] = cell.job
        return job

    async def wait(self, *, max_wait: float | None = None) -> JobProgress:
        """Run the search on the server (once) and wait until it is finished."""
        return await self.job.wait(max_wait=max_wait)

    async def _fetch_page(self, start: int, rows: int) -> Page[M]:
        job = self.job
        progress = await job.wait()
        available = progress.num_available or 0
        if (progress.num_found or 0) > available and not self._job.warned:
            self._job.warned = True  # once per job, however it is read
            logger.warning(
                "%s: %d match but the server hands out only %d; narrow the search (a time "
                "range, for instance) to read the rest",
                job.backend.what,
                progress.num_found,
                available,
            )
        if rows == 0 or progress.no_data:
            return Page([], 0 if progress.no_data else available, start, extra=progress)
        job_id = job.job_id
        assert job_id is not None
        async with self._api.result_page_slots.limiter:
            return await job.backend.page(job_id, start, rows)
