"""One process at a time: summaries, segments, events of every API version, preview, metadata."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cbasync.testing.dataset._fmt import DAY, iso_ms, mix
from cbasync.testing.dataset.edr.core import EdrCore
from cbasync.testing.dataset.edr_process import (
    BlockInfo,
)
from cbasync.testing.dataset.errors import NotFound

__all__ = ["ProcessViews"]


class ProcessViews(EdrCore):
    """What the routes of one process answer."""

    def process_summary(
        self, guid: str, segment_id: int, *, children: int = 15, siblings: bool = True
    ) -> dict[str, Any]:
        info, o = self.find_process(guid)
        seg = self.segment_index(info, o, segment_id)
        procs = self.processes
        out: dict[str, Any] = {"process": procs.summary_fields(info, o, seg)}
        spec = info.template.entries[o]
        parent = spec.parent
        out["parent"] = procs.summary_fields(info, parent, None) if parent is not None else {}
        kids = list(info.children[o])
        out["children"] = [self._child_summary(info, c) for c in kids[:children]]
        if siblings:
            sibs = [] if parent is None else [c for c in info.children[parent] if c != o]
            out["siblings"] = [procs.summary_fields(info, c, None) for c in sibs[:15]]
        return out

    def _child_summary(self, info: BlockInfo, c: int) -> dict[str, Any]:
        row = self.processes.summary_fields(info, c, None)
        row["is_suppressed"] = False
        return row

    def process_segments(self, guid: str) -> list[dict[str, Any]]:
        info, o = self.find_process(guid)
        out = []
        for r in reversed(info.seg_docs[o]):  # oldest first, as EDR lists them
            counts = {k: v for k, v in info.doc_counts[r].items() if v}
            lu = info.lu(r)
            out.append(
                {
                    "unique_id": info.uids[r],
                    "segment_id": info.segment_id(r),
                    "last_update": iso_ms(lu),
                    "last_server_update": iso_ms(lu + 9.5),
                    "event_counts": counts,
                }
            )
        return out

    def segment_summary_batches(
        self, guid: str, segment_id: int, batch: int = 2
    ) -> list[dict[str, Any]]:
        """The NDJSON batches of ``/api/v6/process/{id}/{segment}/segment``."""
        segments = self.process_segments(guid)
        start = 0
        if segment_id:
            start = next((i for i, s in enumerate(segments) if s["segment_id"] == segment_id), 0)
        rest = segments[start:]
        return [
            {"elapsed": 2.1e-06, "process": {"segments": rest[i : i + batch]}}
            for i in range(0, max(len(rest), 1), batch)
        ]

    def process_events(
        self, guid: str, segment_id: int, version: int, *, start: int = 0, count: int | None = None
    ) -> dict[str, Any]:
        info, o = self.find_process(guid)
        seg = self.segment_index(info, o, segment_id)
        cap = self.config.max_events_per_process
        count = cap if count is None else min(count, cap)
        events = self.processes.events(info, o, seg)[start : start + count]
        row = self.processes.summary_fields(info, o, seg)
        lists: dict[str, list[Any]] = {
            f"{t}_complete": []
            for t in (
                "regmod",
                "filemod",
                "modload",
                "netconn",
                "childproc",
                "crossproc",
                "processblock",
            )
        }
        render = self.processes.render_event
        for event in events:
            lists[f"{event.type}_complete"].append(render(event, version))
        row.update(lists)
        return {"process": row}

    def process_preview(self, guid: str, segment_id: int, q: str | None) -> dict[str, Any]:
        info, o = self.find_process(guid)
        seg = self.segment_index(info, o, segment_id)
        row = self.processes.summary_fields(info, o, seg)
        events = self.processes.events(info, o, seg)
        by_type: dict[str, list[Any]] = {}
        for event in events:
            items = by_type.setdefault(f"{event.type}_complete", [])
            if len(items) < 10:  # a preview holds tens of events, not all of them
                items.append(self.processes.render_event(event, 1))
        for t in ("regmod", "filemod", "modload", "netconn", "childproc", "crossproc"):
            row.setdefault(f"{t}_complete", by_type.get(f"{t}_complete", []))
        if q:
            words = [w.split(":", 1)[-1].strip('"').lower() for w in q.split() if w]
            for key, values in list(row.items()):
                if key.endswith("_complete"):
                    row[key] = [_highlight(v, words) for v in values]
        row["unique_id"] = info.uids[info.seg_docs[o][0 if seg is None else seg]]
        return row

    def process_metadata(self, guid: str) -> dict[str, Any]:
        info, o = self.find_process(guid)
        row = self.processes.summary_fields(info, o, None)
        start = info.start_ms(o)
        meta = dict(row)
        meta.update(
            {
                "day_of_week": (int(start // DAY) + 3) % 7,
                "hour_of_day": int(start // 3600) % 24,
                "process_pid": [row["process_pid"]],
                "cmdline": [row["cmdline"]],
                "username": [row["username"]],
                "creation_observed": True,
                "facet_id": mix(self.config.seed, info.process_index[o]) % 1_000_000,
                "server_added_timestamp": row["last_server_update"],
                "tampered": False,
                "has_emet_event": False,
                "has_emet_config": False,
            }
        )
        for key in [k for k in meta if k.endswith("_count")]:
            del meta[key]
        return meta

    def verify_segment(self, guid: str, segment_id: int) -> int:
        info, o = self.find_process(guid)
        if self.processes.find_segment(info, o, segment_id) is not None:
            return segment_id
        return info.segment_id(info.seg_docs[o][-1])

    def suppression_status(self, parent_guid: str, child_guid: str) -> dict[str, bool]:
        found = self.processes.find(parent_guid)
        if found is None:
            raise NotFound(f"process {parent_guid} not found")
        info, o = found
        child_prefix = "-".join(child_guid.lower().split("-")[:5])
        for event in self.processes.events(info, o, None):
            if event.type == "childproc" and str(event.data[0]).startswith(child_prefix):
                return {"is_suppressed": bool(event.data[5]), "timeout": False}
        return {"is_suppressed": False, "timeout": False}


def _highlight(value: Any, words: Sequence[str]) -> Any:
    if not isinstance(value, str):
        return value
    low = value.lower()
    for w in words:
        if not w or w == "*":
            continue
        pos = low.find(w)
        if pos >= 0:
            return f"{value[:pos]}PREPREPRE{value[pos : pos + len(w)]}POSTPOSTPOST{value[pos + len(w) :]}"
    return value
