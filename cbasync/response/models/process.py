"""EDR processes: search rows, summaries, events of every version, segments, the v6 analysis
routes, and the process tree (parent, children, walks)."""

from __future__ import annotations

import dataclasses
import datetime
from contextlib import aclosing
from typing import Any, ClassVar

import pydantic
from typing_extensions import Self

from cbasync import errors
from cbasync._iterators import StepIterator
from cbasync._pagination import OffsetPaginator, Page
from cbasync.model import adapter_for, join
from cbasync.models._generated import edr
from cbasync.response._model import EdrModel
from cbasync.response.events import ProcessEvents
from cbasync.response.models.binary import Binary
from cbasync.response.models.sensor import Sensor
from cbasync.response.models.stream import EventStream
from cbasync.response.query import ProcessQuery

__all__ = ["EventStream", "Process", "ProcessPreview"]

_NO_PARENT = {"", "0", "00000000-0000-0000-0000-000000000000"}
#: EDR returns the first 15 children in a summary unless asked for more.
DEFAULT_CHILDREN = 15
#: Events per request when paging with cb.event_start/cb.event_count (the server's default
#: cap per process is 10,000).
EVENT_PAGE = 10_000


def split_process_key(key: Any) -> tuple[str, int]:
    """``guid``, ``(guid, segment)`` or a unique id ``guid-<segment hex>`` → (guid, segment).

    Segment 0 means "all segments" (EDR 6.0+), which is what a bare GUID selects.
    """
    if isinstance(key, tuple):
        guid, segment = key
        return str(guid), int(segment)
    text = str(key)
    if len(text) in (45, 49) and text[36] == "-":  # 8 hex digits before 6.0, 12 since
        try:
            return text[:36], int(text[37:], 16)
        except ValueError:
            pass
    return text, 0


class Process(EdrModel, edr.Process):
    """A process (one segment of it, or all segments with ``segment_id`` 0).

    From a search, a process is partial; ``await proc.refresh()`` loads its summary (with
    parent, siblings and children). Events are fetched on request: ``await proc.events()``.
    """

    search_route: ClassVar[str] = "/api/v1/process"
    webui_page: ClassVar[str] = "search"
    watchlist_index_type: ClassVar[str] = "events"

    @classmethod
    def _new_query(cls, api: Any) -> ProcessQuery[Self]:
        return ProcessQuery(api, cls)

    @property
    def _summary(self) -> edr.ProcessSummaryResponse | None:
        summary: edr.ProcessSummaryResponse | None = self._state.extra.get("summary")
        return summary

    # -- identity -------------------------------------------------------------------------

    @property
    def key(self) -> tuple[str, int]:
        return (self.__dict__.get("id", ""), self.__dict__.get("segment_id") or 0)

    @property
    def segment(self) -> int:
        return self.__dict__.get("segment_id") or 0

    @property
    def depth(self) -> int:
        """Distance from the process a tree walk started at (0 outside walks)."""
        depth: int = self._state.extra.get("depth", 0)
        return depth

    @property
    def webui_link(self) -> str:
        return f"{self.api.url}/#analyze/{self.id}/{self.segment}"

    @classmethod
    def _unfetched(cls, api: Any, key: Any) -> Process:
        guid, segment = split_process_key(key)
        obj = super()._unfetched(api, guid)
        obj.__dict__["segment_id"] = segment
        return obj

    # -- fetching -------------------------------------------------------------------------

    @classmethod
    async def _fetch(cls, api: Any, key: Any, *, children: int = DEFAULT_CHILDREN) -> Process:
        guid, segment = split_process_key(key)
        response = await api.transport.request(
            "GET",
            "/api/v1/process/{id}/{segment}",
            path_params={"id": guid, "segment": segment},
            params={"children": children},
        )
        envelope = response.parse(adapter_for(_SummaryEnvelope))
        if envelope.process is None:
            raise errors.ObjectNotFoundError(
                f"process {guid} segment {segment} has no summary",
                status=response.status,
                route="/api/v1/process/{id}/{segment}",
            )
        process = cls._from_server(api, envelope.process, full=True)
        if process.__dict__.get("segment_id") is None:
            process.__dict__["segment_id"] = segment
        process._state.extra["summary"] = envelope
        return process

    async def refresh(self, *, children: int | None = None) -> Process:
        """Load the summary: every field, the parent, siblings and (first ``children``) children."""
        wanted = (
            children
            if children is not None
            else max(DEFAULT_CHILDREN, self.get("childproc_count") or 0)
        )
        fresh = await type(self)._fetch(self.api, (self.id, self.segment), children=wanted)
        self._adopt(fresh)
        self._state.extra["summary"] = fresh._summary
        return self

    async def aggregate(self) -> Process:
        """The process over all its segments (``/api/v2/process/{id}/0``: counts summed, no
        siblings or children; faster than ``refresh``)."""
        response = await self.api.transport.request(
            "GET", "/api/v2/process/{id}/{segment}", path_params={"id": self.id, "segment": 0}
        )
        body = response.json()
        data = body.get("process", body) if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise errors.ServerError(
                "the v2 process route returned no process", route=response.route
            )
        process = Process._from_server(self.api, Process.model_validate(data), full=True)
        process.__dict__["segment_id"] = 0
        return process

    @property
    def end(self) -> datetime.datetime | None:
        """When the process ended (its last event), or ``None`` while it runs."""
        return self.get("last_update") if self.get("terminated") else None

    async def _ensure_summary(self) -> edr.ProcessSummaryResponse:
        if self._summary is None:
            await self.refresh()
        assert self._summary is not None
        return self._summary

    # -- joins ----------------------------------------------------------------------------

    @join
    async def sensor(self) -> Sensor:
        if self.sensor_id is None:
            raise errors.InvalidObjectError(f"process {self.id} has no sensor_id")
        return await self.api.get(Sensor, self.sensor_id, cached=True)

    @join
    async def binary(self) -> Binary:
        if not self.process_md5:
            raise errors.InvalidObjectError(f"process {self.id} has no process_md5")
        return await self.api.get(Binary, self.process_md5.upper(), cached=True)

    @join
    async def parent(self) -> Process | None:
        """The parent process, or ``None`` when the server has no record of one."""
        parent_key: Any = self.get("parent_unique_id") or None
        if parent_key is None:
            parent_id = self.get("parent_id")
            if parent_id in _NO_PARENT or parent_id is None:
                if self._state.full or self.get("parent_id") in _NO_PARENT:
                    return None
                await self.refresh()
                return await self.parent()
            parent_key = (parent_id, 0)
        guid, _ = split_process_key(parent_key)
        if guid in _NO_PARENT:
            return None
        try:
            return await self.api.get(Process, parent_key, cached=True)
        except errors.ObjectNotFoundError:
            return None

    def children(self) -> StepIterator[Process]:
        """The child processes the summary lists (all of them: the cap is raised to the
        process's ``childproc_count``)."""

        done = False

        async def step() -> list[Process] | None:
            nonlocal done
            if done:
                return None
            done = True
            summary = await self._ensure_summary()
            return [
                Process._from_server(
                    self.api, Process.model_validate(child.model_dump(by_alias=True)), full=False
                )
                for child in summary.children or []
            ]

        return StepIterator(step)

    async def siblings(self) -> list[Process]:
        summary = await self._ensure_summary()
        return [
            Process._from_server(
                self.api, Process.model_validate(s.model_dump(by_alias=True)), full=False
            )
            for s in summary.siblings or []
        ]

    def walk_parents(self, *, max_depth: int | None = None) -> StepIterator[Process]:
        """Ancestors, nearest first (``depth`` 1, 2, ...); stops at the root or a loop."""
        seen = {self.id}
        current: Process = self
        depth = 0

        async def step() -> list[Process] | None:
            nonlocal current, depth
            if max_depth is not None and depth >= max_depth:
                return None
            parent = await current.parent()
            if parent is None or parent.id in seen:
                return None
            seen.add(parent.id)
            depth += 1
            parent._state.extra["depth"] = depth
            current = parent
            return [parent]

        return StepIterator(step)

    def walk_children(self, *, max_depth: int | None = None) -> StepIterator[Process]:
        """Descendants depth first (a parent before its children), each with its ``depth``;
        stops at ``max_depth`` and on loops."""
        seen = {self.id}
        stack: list[tuple[Process, int]] = [(self, 0)]

        async def step() -> list[Process] | None:
            while stack:
                process, depth = stack.pop()
                if max_depth is None or depth < max_depth:
                    kids = [child async for child in process.children()]
                    for child in reversed(kids):
                        if child.id not in seen:
                            seen.add(child.id)
                            stack.append((child, depth + 1))
                if process is not self:
                    process._state.extra["depth"] = depth
                    return [process]
            return None

        return StepIterator(step)

    # -- events ---------------------------------------------------------------------------

    async def _event_version(self) -> int:
        version = await self.api.server_version()
        if version >= (6, 1):
            return 4
        if version >= (5, 2):
            return 3
        if version >= (5, 1):
            return 2
        return 1

    async def _event_page(
        self, segment: int, version: int, start: int, count: int
    ) -> Page[tuple[str, Any]]:
        """One page of events (``cb.event_start``/``cb.event_count``): its items are
        ``(kind, raw event)`` pairs, so that the paginator counts rows and sees whether the
        server advanced; ``extra`` is the process object they came in."""
        response = await self.api.transport.request(
            "GET",
            f"/api/v{version}/process/{{id}}/{{segment}}/event",
            path_params={"id": self.id, "segment": segment},
            params={"cb.event_start": start, "cb.event_count": count},
        )
        body = response.json()
        process = body.get("process") if isinstance(body, dict) else None
        if not isinstance(process, dict):
            raise errors.ServerError(
                "the event route returned no process object",
                status=response.status,
                route=response.route,
                request_id=response.request_id,
            )
        items: list[tuple[str, Any]] = []
        for kind in _KINDS:
            events = process.get(f"{kind}_complete")
            if events is None:
                continue
            if not isinstance(events, list):
                raise errors.ServerError(
                    f"the event route sent {kind}_complete as {type(events).__name__}, "
                    "not a list of events",
                    status=response.status,
                    route=response.route,
                    request_id=response.request_id,
                )
            items.extend((kind, event) for event in events)
        return Page(items, None, start, extra=process, route=response.route)

    async def events(
        self, *, all_segments: bool = False, version: int | None = None
    ) -> ProcessEvents:
        """Every event of this segment (or of all segments), parsed and typed, paging through
        processes with more events than the server returns at once."""
        segment = 0 if all_segments else self.segment
        api_version = version or await self._event_version()

        async def fetch(start: int, count: int) -> Page[tuple[str, Any]]:
            return await self._event_page(segment, api_version, start, count)

        # Sequential pages (the server gives no total) until a short one; a server that
        # ignores cb.event_start is an error, not an endless loop.
        paginator = OffsetPaginator(
            fetch, page_size=EVENT_PAGE, concurrency=1, what=f"events of process {self.id}"
        )
        merged: ProcessEvents | None = None
        async for page in paginator.pages():
            events = ProcessEvents.from_lists(page.extra, None if all_segments else segment)
            merged = events if merged is None else merged.merged(events)
        assert merged is not None  # the first page is always fetched
        return merged

    async def filemods(self, *, all_segments: bool = False) -> list[Any]:
        return (await self.events(all_segments=all_segments)).filemods

    async def modloads(self, *, all_segments: bool = False) -> list[Any]:
        return (await self.events(all_segments=all_segments)).modloads

    async def regmods(self, *, all_segments: bool = False) -> list[Any]:
        return (await self.events(all_segments=all_segments)).regmods

    async def netconns(self, *, all_segments: bool = False) -> list[Any]:
        return (await self.events(all_segments=all_segments)).netconns

    async def childprocs(self, *, all_segments: bool = False) -> list[Any]:
        return (await self.events(all_segments=all_segments)).childprocs

    async def crossprocs(self, *, all_segments: bool = False) -> list[Any]:
        return (await self.events(all_segments=all_segments)).crossprocs

    async def segments(self) -> list[edr.ProcessSegment]:
        """The segments of this process (``/api/v1/process/{id}/segment``)."""
        response = await self.api.transport.request(
            "GET", "/api/v1/process/{id}/segment", path_params={"id": self.id}
        )
        envelope = response.parse(adapter_for(edr.ProcessSegmentsResponse))
        return list(envelope.process.segments or []) if envelope.process else []

    async def preview(self, query: str | None = None) -> ProcessPreview:
        """A quick look (tens of events), with matches of ``query`` highlighted by the server."""
        response = await self.api.transport.request(
            "GET",
            "/api/v1/process/{id}/{segment}/preview",
            path_params={"id": self.id, "segment": self.segment},
            params={"q": query} if query else None,
        )
        preview = response.parse(adapter_for(edr.ProcessPreview))
        events = ProcessEvents.from_lists(preview.model_dump(), self.segment)
        process = Process._from_server(
            self.api, Process.model_validate(preview.model_dump(by_alias=True)), full=False
        )
        return ProcessPreview(process=process, events=events)

    async def threat_intel_hits(self) -> list[dict[str, Any]]:
        response = await self.api.transport.request(
            "GET",
            "/api/v1/process/{id}/{segment}/threat_intel_hits",
            path_params={"id": self.id, "segment": self.segment},
        )
        return response.parse(adapter_for(edr.ThreatIntelHits)).root

    # -- v6 analysis routes ---------------------------------------------------------------

    async def metadata(self) -> edr.ProcessMetadata:
        """Every non-event field of the process (``/api/v6/process/{id}/metadata``)."""
        response = await self.api.transport.request(
            "GET", "/api/v6/process/{id}/metadata", path_params={"id": self.id}
        )
        envelope = response.parse(adapter_for(edr.ProcessMetadataResponse))
        if envelope.process_metadata is None:
            raise errors.ServerError(
                "the metadata route returned no process_metadata", route=response.route
            )
        return envelope.process_metadata

    async def verify_segment(self, segment: int | None = None) -> int:
        """The segment id itself when it exists, else the earliest available one."""
        response = await self.api.transport.request(
            "GET",
            "/api/v6/process/{id}/{segment}/verify",
            path_params={"id": self.id, "segment": self.segment if segment is None else segment},
        )
        verified = response.parse(adapter_for(edr.SegmentVerifyResponse)).segment_id
        if verified is None:
            raise errors.ServerError(
                "the verify route returned no segment_id", route=response.route
            )
        return verified

    async def segments_v6(self) -> list[edr.ProcessSegment]:
        """The segments from the v6 NDJSON route, read line by line as they stream in."""
        segments: list[edr.ProcessSegment] = []
        adapter = adapter_for(edr.ProcessSegmentsResponse)
        buffer = b""
        async with (
            self.api.transport.stream(
                "GET",
                "/api/v6/process/{id}/{segment}/segment",
                path_params={"id": self.id, "segment": self.segment},
                headers={"Accept": "application/x-ndjson"},
            ) as response,
            aclosing(response.aiter_bytes()) as chunks,
        ):
            async for chunk in chunks:
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    segments.extend(_ndjson_segments(adapter, line, response.route))
        segments.extend(_ndjson_segments(adapter, buffer, "/api/v6/process/{id}/{segment}/segment"))
        return segments

    async def bulk(
        self, *, end_time: datetime.datetime | str | None = None
    ) -> edr.ProcessBulkResponse:
        """Feed hits and facets over every segment from this one (``partial_results`` when the
        server stopped at its time limit)."""
        response = await self.api.transport.request(
            "GET",
            "/api/v6/process/{id}/{segment}/bulk",
            path_params={"id": self.id, "segment": self.segment},
            params={"end_time": _stream_time(end_time)} if end_time is not None else None,
        )
        return response.parse(adapter_for(edr.ProcessBulkResponse))

    def stream(
        self, *, persistent: bool = False, rows: int = 100, event_types: list[str] | None = None
    ) -> EventStream:
        """The v6 event stream of this process, as an async context manager::

        async with proc.stream(event_types=["filemod"]) as stream:
            async for event in stream: ...
        """
        return EventStream(self, persistent=persistent, rows=rows, event_types=event_types)


_KINDS = ("filemod", "modload", "regmod", "netconn", "childproc", "crossproc")


def _ndjson_segments(adapter: Any, line: bytes, route: str) -> list[edr.ProcessSegment]:
    line = line.strip()
    if not line:
        return []
    try:
        envelope = adapter.validate_json(line)
    except Exception as exc:
        raise errors.ServerError(
            f"a segment line is not valid: {type(exc).__name__}", route=route
        ) from exc
    return list(envelope.process.segments or []) if envelope.process else []


def _stream_time(value: datetime.datetime | str) -> str:
    if isinstance(value, str):
        return value
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class _SummaryEnvelope(edr.ProcessSummaryResponse):
    """The v1 summary with its process validated straight into :class:`Process`."""

    process: Process | None = None  # type: ignore[assignment]

    @pydantic.field_validator("parent", mode="before")
    @classmethod
    def _no_parent(cls, value: Any) -> Any:
        # A process without a recorded parent comes with ``"parent": {}``.
        return None if value == {} else value


@dataclasses.dataclass(frozen=True)
class ProcessPreview:
    process: Process
    events: ProcessEvents
