"""The Enterprise EDR investigate jobs, as :class:`~cbasync._jobs.JobBackend` s.

Every investigate search runs the same way (wire §4.1-4.2, seed 004): ``POST .../<kind>_jobs``
answers ``{"job_id": ...}``; ``GET .../<kind>_jobs/{job_id}/results`` answers the progress
(``contacted``, ``completed``, ``message``) with whatever is ready. Only the family (processes,
auth events), the kind (search, detail, facet, summary) and the shape of a finished answer
differ, so one backend class per *shape* serves them all:

- :class:`RowsJob`: search and detail jobs, whose results are rows paged with ``start``/``rows``
  against ``num_available``; polled with ``rows=0`` so a poll carries no rows;
- :class:`AnswerJob`: facet and summary jobs, whose poll *is* the result (terms and ranges; a
  summary or a tree): the last poll is kept, nothing is fetched again.

None of these jobs can be deleted or stopped through the API (no route exists), so ``stop`` only
stops polling; the job expires on the server.

A search with a query string is validated first (``search_validation``): a query that does not
parse raises :class:`~cbasync.errors.QuerySyntaxError` with the server's advice, before any job
is created.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

import pydantic
from typing_extensions import Self

from cbasync import errors
from cbasync._jobs import JobProgress, SearchJob
from cbasync._pagination import Page
from cbasync.cloud._model import CloudModel
from cbasync.cloud.query import JobQuery
from cbasync.model import ItemAccess, adapter_for
from cbasync.models._generated import cloud

if TYPE_CHECKING:
    from cbasync.cloud.api import CBCloudAPI

__all__ = [
    "AUTH_EVENTS",
    "JOB_ROWS",
    "PROCESSES",
    "AnswerJob",
    "DetailQuery",
    "FacetResults",
    "InvestigateQuery",
    "JobEnvelope",
    "RowsJob",
    "Validation",
    "job_progress",
]

M = TypeVar("M", bound=CloudModel)
A = TypeVar("A", bound=pydantic.BaseModel)

#: The two families of this module's jobs.
PROCESSES = "/api/investigate/v2/orgs/{org_key}/processes"
AUTH_EVENTS = "/api/investigate/v2/orgs/{org_key}/auth_events"

#: Rows a search job makes retrievable. The server keeps 500 unless told otherwise (a silent
#: cap that hides the rest); 10,000 is its hard limit, and what is asked for here.
JOB_ROWS = 10_000


class JobEnvelope(pydantic.BaseModel, Generic[M]):
    """A page of a search or detail job: rows validated straight into the behaviour class,
    with the progress and counts beside them; other keys kept."""

    model_config = pydantic.ConfigDict(extra="allow")

    results: list[M] | None = None
    num_found: int | None = None
    num_available: int | None = None
    contacted: int | None = None
    completed: int | None = None
    message: str | None = None


def job_progress(
    answer: cloud.SearchJobResults | cloud.FacetJobResults | Any, keep: bool = False
) -> JobProgress:
    """A poll's counts as :class:`JobProgress` (``keep``: with the whole answer)."""
    return JobProgress(
        contacted=getattr(answer, "contacted", None) or 0,
        completed=getattr(answer, "completed", None) or 0,
        num_found=getattr(answer, "num_found", None),
        num_available=getattr(answer, "num_available", None),
        message=getattr(answer, "message", None),
        answer=answer if keep else None,
    )


class Validation:
    """``search_validation`` of one family: v2 ``POST {"query"}`` for processes (wire §4.1),
    ``GET ?q=`` for auth events (seed 004)."""

    def __init__(self, api: CBCloudAPI, family: str) -> None:
        self.api = api
        self.family = family

    async def check(self, query: str) -> cloud.SearchValidationResponse:
        """What the server says of ``query`` (valid or not: no error).

        The answer depends on the query's text alone, so the client keeps it (five minutes,
        its object cache): a hunt that runs one query over many time windows or criteria, or
        twenty tasks that submit it at once, ask once.
        """
        route = f"{self.family}/search_validation"

        async def ask() -> cloud.SearchValidationResponse:
            if self.family == PROCESSES:
                response = await self.api.transport.request(
                    "POST", route, json={"query": query}, idempotent=True
                )
            else:
                response = await self.api.transport.request("GET", route, params={"q": query})
            return response.parse(adapter_for(cloud.SearchValidationResponse))

        answer: cloud.SearchValidationResponse = await self.api.object_cache.get(
            ("search_validation", self.family, query), ask
        )
        return answer

    async def require(self, query: str) -> None:
        """Raise :class:`~cbasync.errors.QuerySyntaxError` when ``query`` does not parse."""
        answer = await self.check(query)
        if answer.valid is False:
            where = answer.invalid_trigger_offset
            raise errors.QuerySyntaxError(
                f"the query does not parse: {answer.invalid_message or 'invalid'}"
                + (f" (at offset {where})" if where is not None else ""),
                status=400,
                route=f"{self.family}/search_validation",
            )


class _Job:
    """What every investigate job backend shares: where it lives and how it is submitted."""

    def __init__(
        self,
        api: CBCloudAPI,
        family: str,
        kind: str,
        body: Mapping[str, Any],
        *,
        what: str,
        validate: bool = True,
    ) -> None:
        self.api = api
        self.family = family
        self.kind = kind
        self.body = dict(body)
        self.what = what
        self.validate = validate
        self.results_route = f"{family}/{kind}/{{job_id}}/results"

    async def submit(self) -> str:
        query = self.body.get("query")
        if self.validate and isinstance(query, str) and query.strip():
            await Validation(self.api, self.family).require(query)
        # Creates a job: never re-sent once it may have reached the server (not idempotent).
        response = await self.api.transport.request(
            "POST", f"{self.family}/{self.kind}", json=self.body
        )
        return response.parse(adapter_for(cloud.JobCreatedResponse)).job_id

    async def stop(self, job_id: str) -> None:
        """The investigate API has no route that deletes or stops a job: it expires."""


class RowsJob(_Job, Generic[M]):
    """A search or detail job: rows paged against ``num_available``."""

    def __init__(
        self,
        api: CBCloudAPI,
        family: str,
        kind: str,
        body: Mapping[str, Any],
        model: type[M],
        *,
        what: str,
        validate: bool = True,
    ) -> None:
        super().__init__(api, family, kind, body, what=what, validate=validate)
        self.model = model

    async def progress(self, job_id: str) -> JobProgress:
        response = await self.api.transport.request(
            "GET",
            self.results_route,
            path_params={"job_id": job_id},
            params={"start": 0, "rows": 0},
        )
        return job_progress(response.parse(adapter_for(cloud.SearchJobResults)))

    async def page(self, job_id: str, start: int, rows: int) -> Page[M]:
        response = await self.api.transport.request(
            "GET",
            self.results_route,
            path_params={"job_id": job_id},
            params={"start": start, "rows": rows},
        )
        envelope = response.parse(adapter_for(JobEnvelope[self.model]))  # type: ignore[name-defined]
        api = self.api
        items = self.model._from_rows(api, envelope.results or [], full=False)
        return Page.from_envelope(
            None if envelope.results is None else items,
            envelope.num_available,
            start,
            route=response.route,
            extra=envelope,
        )


class AnswerJob(_Job, Generic[A]):
    """A facet or summary job: the finished poll is the answer (kept on the progress)."""

    def __init__(
        self,
        api: CBCloudAPI,
        family: str,
        kind: str,
        body: Mapping[str, Any],
        answer: type[A],
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        validate: bool = True,
    ) -> None:
        super().__init__(api, family, kind, body, what=what, validate=validate)
        self.answer = answer
        self.params = dict(params or {})

    async def progress(self, job_id: str) -> JobProgress:
        response = await self.api.transport.request(
            "GET",
            self.results_route,
            path_params={"job_id": job_id},
            params=self.params or None,
        )
        return job_progress(response.parse(adapter_for(self.answer)), keep=True)

    async def page(self, job_id: str, start: int, rows: int) -> Page[Any]:
        """An answer job has no rows to page."""
        return Page([], 0, start)


# -- queries ---------------------------------------------------------------------------------


class FacetValue(ItemAccess, cloud.FacetValue):
    """One value of a terms facet: ``total``, ``id``, ``name`` (also ``entry["name"]``)."""


class FacetTerm(ItemAccess, cloud.FacetTerm):
    values: list[FacetValue] | None = None  # type: ignore[assignment]


class FacetResults(ItemAccess, cloud.FacetJobResults):
    """A facet job's answer: ``terms`` (one per field, its top values) and ``ranges``."""

    terms: list[FacetTerm] | None = None  # type: ignore[assignment]

    def values(self, field: str) -> list[FacetValue]:
        """The values of the terms facet of ``field`` (empty when the field was not asked for)."""
        for term in self.terms or ():
            if term.field == field:
                return list(term.values or ())
        return []


class InvestigateQuery(JobQuery[M]):
    """A search of one investigate family that runs as a search job (processes, auth events).

    The job is submitted with ``rows`` set to 10,000 so everything the server can hand out is
    retrievable (left unset, the server keeps 500 and says nothing); a search whose
    ``num_found`` is larger logs a warning and reports both numbers on ``await q.wait()``.
    """

    #: Where the family's routes start (``.../processes``, ``.../auth_events``).
    family: ClassVar[str]
    #: How logs and errors name one result ("process", "auth event").
    noun: ClassVar[str]

    def job_body(self) -> dict[str, Any]:
        """The search job's body: the search, and the rows it makes retrievable."""
        return {**self.search_body(), "rows": JOB_ROWS}

    def _job_backend(self) -> RowsJob[M]:
        return RowsJob(
            self._api,
            self.family,
            "search_jobs",
            self.job_body(),
            self._model,
            what=f"{self.noun} search",
        )

    async def validate(self) -> cloud.SearchValidationResponse:
        """What the server says of this query's query string (``valid``, and when it is not,
        ``invalid_message`` and ``invalid_trigger_offset``); no job is created."""
        return await Validation(self._api, self.family).check(self.query_string)

    async def facets(
        self,
        *fields: str,
        rows: int | None = None,
        ranges: Sequence[Mapping[str, Any]] = (),
        limit: int | None = None,
        max_wait: float | None = None,
    ) -> FacetResults:
        """Facet this search: the top ``rows`` values (server default 100) of each field, and
        bucketed ``ranges`` (``{"field", "start", "end", "bucket_size"}``, where a date's
        bucket size is Solr DateMath such as ``"+1DAY"``). Runs a facet job (once per call)."""
        if not fields and not ranges:
            raise ValueError("name at least one field to facet on, or a range")
        search = self.search_body()
        body: dict[str, Any] = {
            key: search[key]
            for key in ("query", "criteria", "exclusions", "time_range")
            if key in search
        }
        if fields:
            body["terms"] = {"fields": list(fields)}
            if rows is not None:
                body["terms"]["rows"] = rows
        if ranges:
            body["ranges"] = [dict(spec) for spec in ranges]
        api = self._api
        backend: AnswerJob[FacetResults] = AnswerJob(
            api,
            self.family,
            "facet_jobs",
            body,
            FacetResults,
            what=f"{self.noun} facet job",
            params=None if limit is None else {"limit": limit},
        )
        job = SearchJob(backend, pool=api.job_slots.limiter, max_wait=api.job_max_wait)
        answer = (await job.wait(max_wait=max_wait)).answer
        assert isinstance(answer, FacetResults)
        return answer


class DetailQuery(JobQuery[M]):
    """A detail job: every field of the given results (by id, or an alert's), read like a
    search (``async for``, ``count()``, ``first()``, slices) from one job."""

    default_page_size = 500

    def __init__(
        self,
        api: CBCloudAPI,
        model: type[M],
        *,
        family: str,
        body: Mapping[str, Any],
        what: str,
    ) -> None:
        super().__init__(api, model)
        self._detail_body = dict(body)
        self._family = family
        self._what = what

    def _replace(self, **changes: Any) -> Self:
        if self.search_state & changes.keys():
            raise TypeError(
                "a detail job reads the results it was given; it takes no query, criteria, "
                "sort or time range (search first, then ask for the details of what was found)"
            )
        return super()._replace(**changes)

    def _job_backend(self) -> RowsJob[M]:
        return RowsJob(
            self._api,
            self._family,
            "detail_jobs",
            self._detail_body,
            self._model,
            what=self._what,
            validate=False,
        )
