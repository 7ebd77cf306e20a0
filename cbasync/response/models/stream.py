"""The v6 process event stream (``/api/v6/process/stream``): a server-side cursor over a
process's events, created on entry and deleted on exit (also on error and cancellation), read
with the shared cursor paginator."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

from cbasync import errors
from cbasync._iterators import StepIterator
from cbasync._pagination import CursorPage, CursorPaginator
from cbasync._tasks import shielded_cleanup
from cbasync.model import adapter_for
from cbasync.models._generated import edr

if TYPE_CHECKING:
    from cbasync.response.models.process import Process

__all__ = ["EventStream"]


class EventStream:
    """A v6 process event stream: created on entry, deleted on exit (also on error)."""

    def __init__(
        self, process: Process, *, persistent: bool, rows: int, event_types: list[str] | None
    ) -> None:
        if rows < 1:
            raise ValueError("rows must be >= 1")
        self.process = process
        self.persistent = persistent
        self.rows = rows
        self.event_types = event_types
        self.stream_id: str | None = None
        self.state: edr.ProcessStream | None = None

    async def __aenter__(self) -> EventStream:
        api = self.process.api
        response = await api.transport.request(
            "POST",
            "/api/v6/process/stream",
            json={
                "process_id": self.process.id,
                "segment_id": self.process.segment,
                "persistent": self.persistent,
            },
        )
        self.state = response.parse(adapter_for(edr.ProcessStream))
        self.stream_id = self.state.stream_id
        if not self.stream_id:
            raise errors.ServerError(
                "the server created a stream without an id", route=response.route
            )
        if self.event_types:
            await self.filter({"event_type": self.event_types})
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.stream_id is None or self.persistent:
            return

        async with shielded_cleanup(f"deleting the event stream {self.stream_id}"):
            # Seed 003 deletes a stream with POST (R13); see spec/edr.yaml.
            await self.process.api.transport.request(
                "POST", "/api/v6/process/stream/{id}", path_params={"id": self.stream_id}
            )

    async def filter(self, criteria: dict[str, list[str]]) -> edr.ProcessStream:
        """Narrow the stream to event types or facet values (PATCH)."""
        response = await self.process.api.transport.request(
            "PATCH",
            "/api/v6/process/stream/{id}",
            path_params={"id": self._id()},
            params={"rows": 0},
            json={"criteria": criteria},
        )
        self.state = response.parse(adapter_for(edr.ProcessStream))
        return self.state

    async def page(
        self, *, seek: int | None = None, jump: int | None = None, to: int | None = None
    ) -> edr.ProcessStream:
        """The next ``rows`` events, or move first: ``seek`` rows, ``jump`` segments, ``to`` a segment."""
        params: list[tuple[str, str | int]] = [("rows", self.rows)]
        if seek is not None:
            params += [("seek", ""), ("by", seek)]
        elif jump is not None:
            params += [("jump", ""), ("by", jump)]
        elif to is not None:
            params += [("jump", ""), ("to", to)]
        response = await self.process.api.transport.request(
            "GET", "/api/v6/process/stream/{id}", path_params={"id": self._id()}, params=params
        )
        self.state = response.parse(adapter_for(edr.ProcessStream))
        return self.state

    def __aiter__(self) -> StepIterator[edr.ProcessStreamEvent]:
        """Every event from the current position to the end of the stream."""
        return CursorPaginator(self._read_from, what=f"event stream {self.stream_id}").__aiter__()

    async def _read_from(self, cursor: Hashable | None) -> CursorPage[edr.ProcessStreamEvent]:
        # A read returns rows from the current position without moving it; the next read seeks
        # past what was returned. "current", "complete" and "void" mean the end is reached. The
        # position (segment, offset) is the progress the paginator checks: a seek that leaves it
        # where it was did not advance.
        if cursor is None:
            state = await self.page()
        else:
            assert isinstance(cursor, tuple)
            state = await self.page(seek=cursor[0])
        events = list(state.events or [])
        position = (state.cur_segment_id, state.head_as_cur_segment_offset)
        ended = not events or (state.status_fw or "").lower() in {"current", "complete", "void"}
        return CursorPage(
            events,
            None if ended else (len(events), *position),
            progress=position,
            route="/api/v6/process/stream/{id}",
        )

    def _id(self) -> str:
        if self.stream_id is None:
            raise errors.ClientStateError("use the stream inside `async with`")
        return self.stream_id
