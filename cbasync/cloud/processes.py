"""Enterprise EDR (formerly ThreatHunter) processes: search, detail, summary and facet jobs, the
process tree, and each process's events (wire-protocol §4.1-4.3).

::

    query = api.select(Process).where("process_name:powershell.exe").time_range(window="-1d")
    async for proc in query: ...                  # a search job, submitted once, paged as read
    facets = await query.facets("device_name", rows=5)
    parent = await proc.parent()                  # joins are explicit awaitables
    children = await proc.children()
    tree = await proc.tree()                      # a summary job, format=tree
    async for event in proc.events().where("event_type:netconn"): ...

A process's full document (``await proc.refresh()``) comes from a detail job; its parent,
siblings and children from a summary job. None of these jobs can be deleted through the API.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeVar

import pydantic
from typing_extensions import Self

from cbasync import errors
from cbasync._jobs import SearchJob
from cbasync._pagination import Page
from cbasync._polling import Backoff, wait_until
from cbasync.cloud._investigate import (
    PROCESSES,
    AnswerJob,
    DetailQuery,
    FacetResults,
    InvestigateQuery,
)
from cbasync.cloud._model import CloudModel
from cbasync.cloud.query import SearchQuery
from cbasync.model import adapter_for, join
from cbasync.models._generated import cloud

if TYPE_CHECKING:
    from cbasync.cloud.api import CBCloudAPI

__all__ = [
    "Process",
    "ProcessEvent",
    "ProcessEventQuery",
    "ProcessQuery",
    "ProcessSummary",
    "ProcessTree",
]

M = TypeVar("M", bound=CloudModel)

EVENTS = "/api/investigate/v2/orgs/{org_key}/events/{process_guid}"
#: Re-asking for events whose segments are still being read: quickly at first (most answers
#: are complete at once), never more than every 2 s.
SEGMENT_BACKOFF = Backoff(initial=0.1, maximum=2.0, factor=2.0, jitter=0.1)


class Process(CloudModel, cloud.Process):
    """An Enterprise EDR process (one row per process, all its segments aggregated).

    From a search, a process has the fields the search returned; ``await proc.refresh()``
    loads every field (a detail job). ``parent()``, ``children()``, ``siblings()`` are joins
    (awaited, never fetched behind your back); ``events()`` is a query over its events.
    """

    primary_key: ClassVar[str] = "process_guid"
    #: What a repr and a result table show: which program, where, as whom.
    display_fields: ClassVar[tuple[str, ...]] = (
        "process_name",
        "device_name",
        "process_username",
    )

    @classmethod
    def _new_query(cls, api: Any) -> ProcessQuery[Self]:
        return ProcessQuery(api, cls)

    @classmethod
    async def _fetch(cls, api: Any, key: Any) -> Self:
        found = await Process.details_of(api, [str(key)], model=cls).first()
        if found is None:
            raise errors.ObjectNotFoundError(
                f"no process {key!r}", route=f"{PROCESSES}/detail_jobs"
            )
        return cls._from_server(api, found, full=True)

    async def refresh(self) -> Self:
        """Load every field of this process (a detail job)."""
        self._adopt(await type(self)._fetch(self.api, self.process_guid))
        return self

    @staticmethod
    def details_of(
        api: CBCloudAPI, process_guids: Sequence[str], *, model: type[M] | None = None
    ) -> DetailQuery[Any]:
        """The full documents of the given processes, as a query over one detail job."""
        if isinstance(process_guids, str):
            raise TypeError("process_guids is a list of GUIDs, not one string")
        guids = [str(g) for g in process_guids]
        if not guids:
            raise ValueError("process_guids is empty")
        return DetailQuery(
            api,
            model or Process,
            family=PROCESSES,
            body={"process_guids": guids},
            what="process details",
        )

    # -- the tree -----------------------------------------------------------------------------

    async def summary(self, *, max_wait: float | None = None) -> ProcessSummary:
        """This process with its parent, siblings and children (a summary job)."""
        answer = await self._summary_job("summary", max_wait)
        body = answer.summary
        api = self.api
        if body is None or body.process is None:
            raise errors.ObjectNotFoundError(
                f"the summary of process {self.process_guid} is empty",
                route=f"{PROCESSES}/summary_jobs",
            )
        return ProcessSummary(
            process=_bound(api, body.process),
            parent=None if body.parent is None else _bound(api, body.parent),
            siblings=[_bound(api, p) for p in body.siblings or ()],
            children=[_bound(api, p) for p in body.children or ()],
        )

    async def tree(self, *, max_wait: float | None = None) -> ProcessTree:
        """This process and its descendants as the server's tree (a summary job,
        ``format=tree``)."""
        answer = await self._summary_job("tree", max_wait)
        if not answer.tree:
            raise errors.ObjectNotFoundError(
                f"the tree of process {self.process_guid} is empty",
                route=f"{PROCESSES}/summary_jobs",
            )
        return ProcessTree.from_node(self.api, answer.tree)

    async def _summary_job(self, fmt: str, max_wait: float | None) -> _SummaryAnswer:
        api = self.api
        backend = AnswerJob(
            api,
            PROCESSES,
            "summary_jobs",
            {"process_guid": self.process_guid},
            _SummaryAnswer,
            what=f"process {fmt} job",
            params={"format": fmt},
            validate=False,
        )
        job = SearchJob(backend, pool=api.job_slots.limiter, max_wait=api.job_max_wait)
        answer = (await job.wait(max_wait=max_wait)).answer
        assert isinstance(answer, _SummaryAnswer)
        if answer.exception:
            raise errors.ObjectNotFoundError(
                f"process {self.process_guid}: {answer.exception}",
                route=f"{PROCESSES}/summary_jobs",
            )
        return answer

    @join
    async def parent(self) -> Process | None:
        """The parent process, or ``None`` when the server has no record of one."""
        guid = self.get("parent_guid")
        if not guid:
            return None
        try:
            return await self.api.get(Process, guid, cached=True)
        except errors.ObjectNotFoundError:
            return None

    @join
    async def children(self) -> list[Process]:
        """The child processes (from a summary job)."""
        return (await self.summary()).children

    @join
    async def siblings(self) -> list[Process]:
        """The other children of this process's parent (from a summary job)."""
        return (await self.summary()).siblings

    def events(self) -> ProcessEventQuery:
        """A query over this process's events (``.where("event_type:netconn")``, criteria,
        time range, sort); nothing is fetched until it is read."""
        return ProcessEventQuery(self.api, ProcessEvent, self.process_guid)


def _bound(api: Any, process: Process) -> Process:
    return Process._from_server(api, process, full=True)


def _empty_is_none(value: Any) -> Any:
    # The server sends {} for a parent it has no record of.
    return None if value == {} else value


_MaybeProcess = Annotated[Process | None, pydantic.BeforeValidator(_empty_is_none)]


class _SummaryBody(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")

    process: _MaybeProcess = None
    parent: _MaybeProcess = None
    siblings: list[Process] | None = None
    children: list[Process] | None = None


class _SummaryAnswer(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")

    exception: str | None = None
    summary: _SummaryBody | None = None
    tree: dict[str, Any] | None = None
    contacted: int | None = None
    completed: int | None = None


@dataclasses.dataclass(frozen=True)
class ProcessSummary:
    """A process with its parent (``None`` when unknown), siblings and children."""

    process: Process
    parent: Process | None
    siblings: list[Process]
    children: list[Process]


@dataclasses.dataclass(frozen=True)
class ProcessTree:
    """A node of a process tree: the process, and the nodes of its children."""

    process: Process
    children: list[ProcessTree]

    @classmethod
    def from_node(cls, api: Any, node: Mapping[str, Any]) -> ProcessTree:
        fields = dict(node)
        kids = fields.pop("children", None) or []
        process = _bound(api, adapter_for(Process).validate_python(fields))
        return cls(process, [cls.from_node(api, kid) for kid in kids])

    def walk(self) -> list[ProcessTree]:
        """Every node, this one first, depth first."""
        nodes = [self]
        for child in self.children:
            nodes.extend(child.walk())
        return nodes


class ProcessQuery(InvestigateQuery[M]):
    """An Enterprise EDR process search job (wire §4.1)."""

    family: ClassVar[str] = PROCESSES
    noun: ClassVar[str] = "process"


# -- events ----------------------------------------------------------------------------------


class ProcessEvent(CloudModel, cloud.ProcessEvent):
    """One event of a process (its fields depend on ``event_type``: childproc, crossproc,
    filemod, modload, netconn, regmod, scriptload)."""

    primary_key: ClassVar[str] = "event_guid"


class ProcessEventQuery(SearchQuery[ProcessEvent]):
    """The events of one process (``POST .../events/{process_guid}/_search``, 0-based
    ``start``). The server may answer before it has read every segment of the process; an
    answer with ``processed_segments < total_segments`` is asked again (wire §4.3), within the
    client's ``job_max_wait``."""

    time_window_key: ClassVar[str] = "window"

    def __init__(self, api: CBCloudAPI, model: type[ProcessEvent], process_guid: str) -> None:
        super().__init__(api, model)
        self._process_guid = process_guid

    def _search_route(self) -> str:
        return f"{EVENTS}/_search"

    def _path_params(self) -> Mapping[str, object]:
        return {"process_guid": self._process_guid}

    async def _fetch_page(self, start: int, rows: int) -> Page[ProcessEvent]:
        return await wait_until(
            lambda: super(ProcessEventQuery, self)._fetch_page(start, rows),
            success=lambda page: _segments_read(page.extra),
            max_wait=self._api.job_max_wait,
            backoff=SEGMENT_BACKOFF,
            what=f"the events of process {self._process_guid}",
        )

    async def facets(
        self, *fields: str, rows: int | None = None, ranges: Sequence[Mapping[str, Any]] = ()
    ) -> FacetResults:
        """Facet this process's events (``POST .../_facet``): terms of ``fields`` and
        ``ranges``."""
        if not fields and not ranges:
            raise ValueError("name at least one field to facet on, or a range")
        search = self.search_body()
        body: dict[str, Any] = {
            key: search[key] for key in ("query", "criteria", "time_range") if key in search
        }
        if fields:
            body["terms"] = {"fields": list(fields)}
            if rows is not None:
                body["terms"]["rows"] = rows
        if ranges:
            body["ranges"] = [dict(spec) for spec in ranges]
        api = self._api

        async def ask() -> FacetResults:
            response = await api.transport.request(
                "POST",
                f"{EVENTS}/_facet",
                path_params=self._path_params(),
                json=body,
                idempotent=True,
            )
            return response.parse(adapter_for(FacetResults))

        return await wait_until(
            ask,
            success=_segments_read,
            max_wait=api.job_max_wait,
            backoff=SEGMENT_BACKOFF,
            what=f"the event facets of process {self._process_guid}",
        )


def _segments_read(answer: Any) -> bool:
    extra = getattr(answer, "model_extra", None) or {}
    total, processed = extra.get("total_segments"), extra.get("processed_segments")
    if not isinstance(total, int) or not isinstance(processed, int):
        return True  # the server does not say: take the answer as it is
    return processed >= total
