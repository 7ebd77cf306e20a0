"""The v6 process event streams: a stateful cursor over one process's timeline, and bulk facets.

A stream is positioned on the first event of the segment it was created on; reads move it
(``seek``, ``jump`` by segments or to one), ``criteria`` filter its timeline, and an idle
stream expires after 5 minutes unless it is persistent.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cbasync.testing.dataset._fmt import iso_ms, mix
from cbasync.testing.dataset.edr.core import EdrCore
from cbasync.testing.dataset.edr_process import (
    BlockInfo,
    Event,
)
from cbasync.testing.dataset.errors import NotFound
from cbasync.testing.state import EmulatorState

__all__ = ["Stream", "Streams"]


@dataclass
class Stream:
    """A v6 process event stream (stateful cursor over one process's timeline)."""

    id: str
    process: tuple[int, int]  # (block, offset)
    ref_segment: int  # segment index the stream was created on
    position: int  # index into the filtered timeline
    persistent: bool
    expires_at: float
    criteria: dict[str, list[str]] = field(default_factory=dict)


class Streams(EdrCore):
    """The v6 stream and bulk routes' state and rules."""

    def __init__(self, state: EmulatorState) -> None:
        super().__init__(state)
        self.streams: dict[str, Stream] = {}

    def _timeline(self, stream: Stream) -> list[Event]:
        b, o = stream.process
        info = self.processes.block(b)
        events = self.processes.events(info, o, None)
        crit = stream.criteria
        types = {t.lower() for t in crit.get("event_type", [])}
        if types:
            events = [e for e in events if e.type in types]
        dirs = [d.lower() for d in crit.get("directory", [])]
        if dirs:
            events = [e for e in events if any(_event_path(e).startswith(d) for d in dirs)]
        return events

    def create_stream(self, guid: str, segment_id: int, persistent: bool) -> dict[str, Any]:
        info, o = self.find_process(guid)
        seg = self.processes.find_segment(info, o, segment_id)
        if seg is None:
            seg = len(info.seg_docs[o]) - 1
        now = self.clock.monotonic()
        stream = Stream(
            id=str(
                uuid.UUID(
                    int=mix(self.config.seed, len(self.streams), int(now * 1000)) << 64
                    | mix(len(self.streams), 0x57)
                )
            ),
            process=(info.b, o),
            ref_segment=seg,
            position=0,
            persistent=persistent,
            expires_at=now + 300.0,
        )
        # Position at the first event of the reference segment.
        timeline = self._timeline(stream)
        stream.position = next((i for i, e in enumerate(timeline) if e.segment == seg), 0)
        self.streams[stream.id] = stream
        return self._stream_view(stream, timeline, [])

    def _stream(self, stream_id: str) -> Stream:
        stream = self.streams.get(stream_id)
        now = self.clock.monotonic()
        if stream is None or (not stream.persistent and stream.expires_at < now):
            self.streams.pop(stream_id, None)
            raise NotFound(f"stream {stream_id} not found")
        stream.expires_at = now + 300.0
        return stream

    def read_stream(
        self,
        stream_id: str,
        *,
        rows: int = 10,
        seek: int | None = None,
        jump_by: int | None = None,
        jump_to: int | None = None,
        end_time: float | None = None,
        criteria: Mapping[str, Sequence[str]] | None = None,
    ) -> dict[str, Any]:
        stream = self._stream(stream_id)
        if criteria is not None:
            stream.criteria = {k: [str(v) for v in vals] for k, vals in criteria.items()}
            stream.position = 0
        timeline = self._timeline(stream)
        if end_time is not None:
            timeline = [e for e in timeline if e.time <= end_time]
        n = len(timeline)
        void = False
        pos = stream.position
        if seek is not None:
            pos += seek
        b, o = stream.process
        info = self.processes.block(b)
        nseg = len(info.seg_docs[o])
        if jump_to is not None:
            seg = self.processes.find_segment(info, o, jump_to)
            if seg is None:
                void = True
            else:
                pos = next((i for i, e in enumerate(timeline) if e.segment == seg), n)
        elif jump_by is not None:
            current = timeline[pos].segment if 0 <= pos < n else stream.ref_segment
            # Segment indices count from the newest; "forward" in time is towards index 0.
            target = current - jump_by
            if not 0 <= target < nseg:
                void = True
            else:
                pos = next((i for i, e in enumerate(timeline) if e.segment == target), n)
        if pos < 0 or pos > n:
            void = True
        if void:
            return self._stream_view(stream, timeline, [], status="void")
        stream.position = pos
        page = timeline[pos : pos + rows]
        return self._stream_view(stream, timeline, page)

    def _stream_view(
        self, stream: Stream, timeline: list[Event], page: list[Event], status: str | None = None
    ) -> dict[str, Any]:
        b, o = stream.process
        info = self.processes.block(b)
        n = len(timeline)
        pos = stream.position
        end_fw = pos + len(page) >= n
        terminated = info.terminated[o]
        status_fw = status or (
            "complete" if end_fw and terminated else "current" if end_fw else "ready"
        )
        status_bw = status or ("complete" if pos == 0 else "ready")
        cur_seg = timeline[pos].segment if 0 <= pos < n else stream.ref_segment
        ref_id = info.segment_id(info.seg_docs[o][stream.ref_segment])
        cur_id = info.segment_id(info.seg_docs[o][cur_seg])
        first_of_ref = next(
            (i for i, e in enumerate(timeline) if e.segment == stream.ref_segment), 0
        )
        first_of_cur = next((i for i, e in enumerate(timeline) if e.segment == cur_seg), 0)
        return {
            "stream_id": stream.id,
            "status_fw": status_fw,
            "status_bw": status_bw,
            "ref_segment_id": ref_id,
            "cur_segment_id": cur_id,
            "head_as_ref_segment_offset": pos - first_of_ref,
            "head_as_cur_segment_offset": pos - first_of_cur,
            "events": [self._stream_event(info, o, e) for e in page],
        }

    def _stream_event(self, info: BlockInfo, o: int, event: Event) -> dict[str, Any]:
        data: dict[str, Any]
        d = event.data
        bins = self.binaries
        digsig: dict[str, Any] = {"digsig_result": None, "digsig_publisher": None}
        if event.type == "modload":
            data = {"md5": d[0], "path": d[1]}
            i = bins.by_md5(d[0])
            if i is not None:
                sig = bins.signature(i)
                digsig = {
                    "digsig_result": sig["digsig_result"],
                    "digsig_publisher": sig.get("digsig_publisher"),
                }
        elif event.type == "filemod":
            data = {
                "action": {1: "create", 2: "first_write", 4: "delete", 8: "last_write"}[d[0]],
                "path": d[1],
                "md5": d[2],
                "filetype": d[3],
                "tampered": d[4],
            }
        elif event.type == "regmod":
            data = {
                "action": {1: "createkey", 2: "writeval", 4: "delkey", 8: "delval"}[d[0]],
                "path": d[1],
                "tampered": d[2],
            }
        elif event.type == "netconn":
            rendered = self.processes.render_event(event, 4)
            data = dict(rendered)
        elif event.type == "childproc":
            rendered = dict(self.processes.render_event(event, 4))
            i = bins.by_md5(d[1])
            rendered["sha256"] = bins.sha256(i) if i is not None else ""
            data = rendered
        else:
            parts = str(self.processes.render_event(event, 4)).split("|")
            data = {
                "type": parts[0],
                "target_unique_id": parts[2],
                "target_md5": parts[3],
                "target_path": parts[4],
                "requested_access": int(parts[6]),
            }
        return {
            "type": event.type,
            "time": iso_ms(event.time)[:-1].replace("T", " ") + "000",
            "data": data,
            "segment_id": info.segment_id(info.seg_docs[o][event.segment]),
            "binary_info": digsig,
            "alliance_hits": None,
            "ondemand_feeds": None,
            "ondemand_classification": None,
        }

    def delete_stream(self, stream_id: str) -> None:
        self._stream(stream_id)
        del self.streams[stream_id]

    def bulk(self, guid: str, segment_id: int, end_time: float | None) -> dict[str, Any]:
        info, o = self.find_process(guid)
        seg = self.processes.find_segment(info, o, segment_id)
        if seg is None:
            seg = len(info.seg_docs[o]) - 1
        events = [e for e in self.processes.events(info, o, None) if e.segment <= seg]
        if end_time is not None:
            events = [e for e in events if e.time <= end_time]
        type_counts: dict[str, int] = {}
        dir_counts: dict[str, int] = {}
        for e in events:
            type_counts[e.type] = type_counts.get(e.type, 0) + 1
            path = _event_path(e)
            if path:
                sep = "\\" if "\\" in path else "/"
                directory = path.rsplit(sep, 1)[0]
                dir_counts[directory] = dir_counts.get(directory, 0) + 1

        def values(counts: dict[str, int]) -> list[dict[str, Any]]:
            return [
                {"id": k, "name": k, "total": v}
                for k, v in sorted(counts.items(), key=lambda kv: -kv[1])
            ]

        kind = info.kinds[o]
        hits = self.binaries.alliance(kind.binary)
        return {
            "alliance_hits": {"srsthreat": hits} if hits else {},
            "on_demand_hits": {"threatintel": {}},
            "facets": {
                "terms": [
                    {"field": "event_type", "values": values(type_counts)},
                    {"field": "directory", "values": values(dir_counts)},
                ],
                "num_found": len(events),
                "processed_segments": seg + 1,
            },
            "partial_results": False,
        }


def _event_path(event: Event) -> str:
    d = event.data
    if event.type == "modload":
        return str(d[1])
    if event.type in ("filemod", "regmod"):
        return str(d[1])
    if event.type == "childproc":
        return str(d[2])
    if event.type == "crossproc":
        return str(d[3])
    return ""
