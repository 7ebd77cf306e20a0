"""The EDR (CB Response) server's state and rules: processes, binaries, sensors, alerts, streams,
and (through :class:`~cbasync.testing.dataset.edr_admin.EdrAdmin`) watchlists, feeds, threat
reports, bans, users, teams, partitions, ingress filters, approved IPs, license and settings.

Nothing here knows HTTP: methods take plain values and return plain dicts/lists (or raise the
domain errors of :mod:`cbasync.testing.dataset.errors`); ``routes/edr.py`` translates.
"""

from __future__ import annotations

import bisect
import io
import tarfile
import uuid
import zipfile
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from cbasync.testing.dataset._catalog import TEMPLATES
from cbasync.testing.dataset._fmt import iso_ms, mix, rfc822, server_local, unit
from cbasync.testing.dataset.edr_binary import shared_binaries
from cbasync.testing.dataset.edr_process import (
    PROCESS_FACETS,
    PROCESS_SCHEMA,
    BlockInfo,
    Event,
    ProcessSet,
)
from cbasync.testing.dataset.endpoints import SENSOR_GROUPS, Endpoint
from cbasync.testing.dataset.errors import Conflict, Invalid, NotFound
from cbasync.testing.query import (
    And,
    FieldType,
    Not,
    Or,
    QueryError,
    Term,
    iso_to_epoch,
    parse,
    terms_of,
)
from cbasync.testing.search import Keys, SearchEngine, facet_entries, getter_of
from cbasync.testing.state import EmulatorState

if TYPE_CHECKING:
    from cbasync.testing.dataset.edr_admin import EdrAdmin

__all__ = ["EdrBackend", "SearchPage", "SolrParams"]

_DAY = 86_400.0
ALERT_STATUSES = ("Unresolved", "In Progress", "Resolved", "False Positive")


@dataclass(frozen=True)
class SolrParams:
    """The parameters of an EDR Solr search, parsed from a query string."""

    q: str = ""
    start: int = 0
    rows: int = 10
    sort: tuple[tuple[str, bool], ...] = ()
    facet: bool = False
    facet_fields: tuple[str, ...] = ()
    group: str | None = None
    min_last_update: float | None = None
    max_last_update: float | None = None
    min_last_server_update: float | None = None
    max_last_server_update: float | None = None
    comprehensive: bool = False
    filters: tuple[tuple[str, str], ...] = ()  # cb.fq.<field>=<value>


@dataclass
class SearchPage:
    """One page of a search: the keys to render and everything around them."""

    keys: Sequence[int]
    total: int
    start: int
    terms: list[str]
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    elapsed: float = 0.0


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


def _to_epoch(text: str, name: str) -> float:
    value = iso_to_epoch(text)
    if value is None:
        raise Invalid(f"{name} must be an ISO-8601 timestamp, not {text!r}")
    return value


def parse_solr(
    params: Iterable[tuple[str, str]], *, default_sort: str, default_rows: int = 10
) -> SolrParams:
    """:class:`SolrParams` from query-string pairs (repeatable ``facet.field``)."""
    single: dict[str, str] = {}
    facet_fields: list[str] = []
    filters: list[tuple[str, str]] = []
    for k, v in params:
        if k == "facet.field":
            facet_fields.extend(f for f in v.split(",") if f)
        elif k.startswith("cb.fq."):
            filters.append((k[len("cb.fq.") :], v))
        elif k not in single:
            single[k] = v

    def integer(name: str, default: int) -> int:
        raw = single.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise Invalid(f"{name} must be an integer, not {raw!r}") from None
        if value < 0:
            raise Invalid(f"{name} must be >= 0")
        return value

    sort: list[tuple[str, bool]] = []
    for part in (single.get("sort") or default_sort).split(","):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise Invalid(f"cannot parse sort {part.strip()!r}")
        sort.append((words[0], len(words) == 2 and words[1].lower() == "desc"))

    def when(name: str) -> float | None:
        raw = single.get(name)
        return None if not raw else _to_epoch(raw, name)

    truthy = ("true", "1", "yes")
    return SolrParams(
        q=single.get("q", ""),
        start=integer("start", 0),
        rows=integer("rows", default_rows),
        sort=tuple(sort),
        facet=single.get("facet", single.get("facets", "false")).lower() in truthy,
        facet_fields=tuple(facet_fields),
        group=single.get("cb.group") or None,
        min_last_update=when("cb.min_last_update"),
        max_last_update=when("cb.max_last_update"),
        min_last_server_update=when("cb.min_last_server_update"),
        max_last_server_update=when("cb.max_last_server_update"),
        comprehensive=single.get(
            "cb.comprehensive_search", single.get("comprehensive_search", "")
        ).lower()
        in truthy,
        filters=tuple(filters),
    )


class EdrBackend:
    """One EDR server."""

    def __init__(self, state: EmulatorState) -> None:
        config = state.config
        self.state = state
        self.config = config
        self.clock = state.clock
        self.endpoints = state.endpoints
        self.epoch = state.data_epoch
        self.binaries = shared_binaries(state)
        self.processes = ProcessSet(
            config.seed,
            config.processes,
            self.endpoints,
            self.binaries,
            epoch=self.epoch,
            history_days=config.history_days,
            max_events=config.max_events_per_process,
        )
        self.process_search = SearchEngine(
            size=lambda: self.processes.total_docs,
            accessor=self.processes.accessor,
            schema=PROCESS_SCHEMA,
            default_fields=self.processes.default_fields,
            natural=("last_update", True),
            now=self.clock.time,
            cache_entries=config.query_cache_size,
        )
        self._binary_docs: dict[int, dict[str, Any]] = {}
        self.binary_search = SearchEngine(
            size=lambda: self.binaries.count,
            accessor=self._binary_accessor,
            schema=BINARY_SCHEMA,
            default_fields=(
                "observed_filename",
                "md5",
                "product_name",
                "company_name",
                "original_filename",
                "file_desc",
            ),
            natural=None,
            now=self.clock.time,
            strict=False,
            cache_entries=config.query_cache_size,
        )
        # Sensor groups: id -> record (the five base groups plus created ones).
        self.groups: dict[int, dict[str, Any]] = {}
        for gid, name in SENSOR_GROUPS:
            self.groups[gid] = self._new_group(gid, name, site_id=1)
        self._next_group_id = max(self.groups) + 1
        self.streams: dict[str, Stream] = {}
        self._alerts: list[dict[str, Any]] | None = None
        self._alert_index: dict[str, int] = {}
        self.alert_search = SearchEngine(
            size=lambda: len(self.alerts),
            accessor=lambda f: lambda i: _dotted(self.alerts[i], f),
            schema=ALERT_SCHEMA,
            default_fields=(
                "process_name",
                "hostname",
                "description",
                "watchlist_name",
                "feed_name",
                "ioc_value",
            ),
            natural=("created_time", True),
            now=self.clock.time,
            strict=False,
        )
        self._admin: EdrAdmin | None = None

    @property
    def admin(self) -> EdrAdmin:
        if self._admin is None:
            from cbasync.testing.dataset.edr_admin import EdrAdmin

            self._admin = EdrAdmin(self)
        return self._admin

    # --- server info ------------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        c = self.config
        version = c.server_version
        parts = version.split(".")
        return {
            "version": version,
            "version_release": f"{'.'.join(parts[:3])}-1",
            "cblrEnabled": c.cblr_enabled,
            "liveResponseAutoAttach": True,
            "banningEnabled": True,
            "vdiGloballyEnabled": False,
            "cloud_install": False,
            "linuxInstallerExists": True,
            "osxInstallerExists": True,
            "maxSearchResultRows": 1000,
            "maxRowsSolrReportQuery": c.max_rows_per_page,
            "searchExportCount": 1000,
            "binaryPageSize": 10,
            "processPageSize": 10,
            "binaryOrder": "server_added_timestamp desc",
            "processOrder": "last_update desc",
            "timestampDeltaThreshold": 5,
            "features": {
                "immutable_documents": True,
                "event_exclusions": True,
                "thirdparty_sharing": False,
                "ipv6_support": True,
            },
            "user_preferences": {},
        }

    # --- process search -------------------------------------------------------------------------
    def _time_window(self, p: SolrParams) -> range | None:
        """Documents allowed by the ``cb.*_last_update`` filters: a contiguous key range, since
        ``last_update`` falls with the document number. Compared at the millisecond precision
        clients see."""
        n = self.processes.total_docs
        step = self.processes.step
        epoch = self.epoch
        lo, hi = 0, n
        any_bound = False
        docs = range(n)
        for minimum, maximum, lag in (
            (p.min_last_update, p.max_last_update, 0.0),
            (p.min_last_server_update, p.max_last_server_update, 9.5),
        ):
            if minimum is None and maximum is None:
                continue
            any_bound = True

            def neg_ms(d: int, lag: float = lag) -> int:
                # -last_update in ms: increasing with d, as bisect needs.
                return -int((epoch - (d + 1) * step + lag) * 1000)

            if minimum is not None:
                hi = min(hi, bisect.bisect_right(docs, -round(minimum * 1000), key=neg_ms))
            if maximum is not None:
                lo = max(lo, bisect.bisect_left(docs, -round(maximum * 1000), key=neg_ms))
        if not any_bound:
            return None
        return range(lo, max(lo, hi))

    def _filtered_query(self, q: str, filters: Sequence[tuple[str, str]]) -> str:
        parts = [f"({q})"] if q.strip() else []
        for name, value in filters:
            escaped = value.replace('"', '\\"')
            parts.append(f'{name}:"{escaped}"')
        return " AND ".join(parts)

    def process_keys(self, p: SolrParams) -> Keys:
        """The ordered document keys of a process search (raises ``QueryError``)."""
        q = self._filtered_query(p.q, p.filters)
        within = self._time_window(p)
        keys = self.process_search.match(q, within=within)
        sort = p.sort or (("last_update", True),)
        keys = self.process_search.sorted(keys, sort, cache_key=(q, within))
        if p.group:
            keys = self._grouped(keys, p.group, cache_key=(q, within, sort))
        return keys

    def _grouped(self, keys: Keys, group: str, cache_key: Any) -> Keys:
        """``cb.group``: the first document in sort order of each group value."""
        return self.process_search.cached(
            ("group", group, cache_key), lambda: self._first_of_each(keys, group)
        )

    def _first_of_each(self, keys: Keys, group: str) -> Keys:
        out = array("I")
        if group in ("id", "process_id"):
            process_of = self.processes.process_of_doc()
            seen: set[int] = set()
            for d in keys:
                p = process_of(d)
                if p not in seen:
                    seen.add(p)
                    out.append(d)
            return out
        col = self.process_search.accessor(group)
        if col is None:
            raise QueryError(f"cannot group by unknown field {group!r}")
        get = getter_of(col)
        seen_values: set[Any] = set()
        for d in keys:
            value = get(d)
            marker = tuple(value) if isinstance(value, list) else value
            if marker not in seen_values:
                seen_values.add(marker)
                out.append(d)
        return out

    def process_page(self, p: SolrParams) -> SearchPage:
        keys = self.process_keys(p)
        total = len(keys)
        page = keys[p.start : p.start + p.rows] if p.rows else ()
        facets: dict[str, list[dict[str, Any]]] = {}
        if p.facet:
            for name in p.facet_fields:
                facets[name] = self.process_facet(keys, name)
        return SearchPage(page, total, p.start, terms_of(parse(p.q)) if p.q.strip() else [], facets)

    def process_facet(self, keys: Keys, name: str) -> list[dict[str, Any]]:
        if name not in PROCESS_FACETS and name not in PROCESS_SCHEMA:
            raise Invalid(f"{name!r} is not a facet field")
        limit = self.config.facet_limit
        engine = self.process_search
        if name in ("hour_of_day", "day_of_week", "start"):
            getter = self.processes.accessor("start")
            assert getter is not None
            assert callable(getter)
            counts: dict[str, int] = {}
            now = self.clock.time()
            for d in keys:
                ts = getter(d)
                if name == "hour_of_day":
                    label = str(int(ts // 3600) % 24)
                elif name == "day_of_week":
                    label = str((int(ts // _DAY) + 3) % 7)  # Monday = 0
                else:
                    if ts < now - 30 * _DAY:
                        continue
                    label = iso_ms(ts - ts % _DAY)[:10] + "T00:00:00Z"
                counts[label] = counts.get(label, 0) + 1
            return facet_entries(counts.items(), limit)
        field_name = {"path_full": "path", "username_full": "username"}.get(name, name)
        return facet_entries(engine.counts(keys, field_name).items(), limit)

    def highlights(self, q: str, keys: Sequence[int]) -> list[dict[str, Any]]:
        """EDR ``highlights``: for name/path terms of the query, the matching values of the page
        wrapped in ``PREPREPRE``/``POSTPOSTPOST`` with the ids that carry them."""
        if not q.strip() or not keys:
            return []
        try:
            node = parse(q)
        except QueryError:
            return []
        words: list[tuple[str | None, str]] = []

        def walk(n: Any) -> None:
            if isinstance(n, Term) and not n.wildcard and n.field in (None, "process_name", "path"):
                words.append((n.field, n.text.lower()))
            elif isinstance(n, And | Or):
                for i in n.items:
                    walk(i)
            elif isinstance(n, Not):
                return

        walk(node)
        if not words:
            return []
        out: dict[str, list[str]] = {}
        for d in keys:
            info, r = self.processes.row(d)
            kind = info.kinds[info.layout[r][0]]
            uid = info.uids[r]
            for fieldname, word in words:
                for value, name in ((kind.path, "path"), (kind.name, "process_name")):
                    if fieldname not in (None, name):
                        continue
                    pos = value.lower().find(word)
                    if pos >= 0:
                        marked = (
                            f"{value[:pos]}PREPREPRE{value[pos : pos + len(word)]}"
                            f"POSTPOSTPOST{value[pos + len(word) :]}"
                        )
                        out.setdefault(marked, []).append(uid)
        return [{"name": name, "ids": ids} for name, ids in out.items()]

    # --- single processes ------------------------------------------------------------------------
    def find_process(self, guid: str) -> tuple[BlockInfo, int]:
        found = self.processes.find(guid)
        if found is None:
            raise NotFound(f"process {guid} not found")
        return found

    def segment_index(self, info: BlockInfo, o: int, segment_id: int) -> int | None:
        """Segment index for a segment id; None for ``0`` (all segments). EDR 5.x-style segment
        ``1`` is accepted for the oldest segment."""
        if segment_id == 0:
            return None
        found = self.processes.find_segment(info, o, segment_id)
        if found is not None:
            return found
        if segment_id == 1:
            return len(info.seg_docs[o]) - 1
        raise NotFound(f"segment {segment_id} of process {info.guids[o]} not found")

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
                "day_of_week": (int(start // _DAY) + 3) % 7,
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

    def host_count(self, md5: str) -> dict[str, int]:
        i = self.binaries.by_md5(md5)
        if i is None:
            return {"hostCount": 0, "globalCount": 0, "numDocs": self.processes.total_docs}
        keys = self.process_search.match(f"process_md5:{self.binaries.md5(i)}")
        return {
            "hostCount": len(self.binaries.endpoints_of(i)),
            "globalCount": len(keys),
            "numDocs": self.processes.total_docs,
        }

    # --- v6 streams -----------------------------------------------------------------------------
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

    # --- binaries --------------------------------------------------------------------------------
    def binary_doc(self, i: int) -> dict[str, Any]:
        doc = self._binary_docs.get(i)
        if doc is None:
            names = {gid: g["name"] for gid, g in self.groups.items()}
            doc = self._binary_docs[i] = self.binaries.document(i, names)
        return doc

    def _binary_accessor(self, name: str) -> Any:
        """Binary columns, cheap ones straight from the catalog (no hashing, no rendering)."""
        bins = self.binaries
        entry = bins.entry
        direct: dict[str, Any] = {
            "observed_filename": lambda i: entry(i).path,
            "observed_filename_facet": lambda i: entry(i).path,
            "md5": lambda i: bins.md5(i),
            "original_filename": lambda i: entry(i).original_filename,
            "internal_name": lambda i: entry(i).internal_name,
            "product_name": lambda i: entry(i).product,
            "product_name_facet": lambda i: entry(i).product,
            "company_name": lambda i: entry(i).company,
            "company_name_facet": lambda i: entry(i).company,
            "file_desc": lambda i: entry(i).description,
            "product_version": lambda i: entry(i).version,
            "is_executable_image": lambda i: entry(i).is_executable,
            "is_64bit": lambda i: entry(i).is_64bit,
            "os_type": lambda i: entry(i).os,
            "orig_mod_len": lambda i: entry(i).size,
            "copied_mod_len": lambda i: entry(i).size,
            "host_count": lambda i: len(bins.endpoints_of(i)),
            "hostname": lambda i: [self.endpoints[e].hostname for e in bins.endpoints_of(i)],
            "group": lambda i: sorted(
                {
                    self.groups.get(self.endpoints[e].group_id, {}).get("name", "")
                    for e in bins.endpoints_of(i)
                }
            ),
            "server_added_timestamp": lambda i: bins.added_time(i),
            "timestamp": lambda i: bins.added_time(i),
        }
        if name in direct:
            return direct[name]
        if name.startswith("digsig_") or name == "signed":
            key = "digsig_publisher" if name == "digsig_publisher_facet" else name
            return lambda i: bins.signature(i).get(key)
        if name.startswith("alliance_"):
            return lambda i: bins.alliance(i).get(name)
        return lambda i: self.binary_doc(i).get(name)

    def find_binary(self, md5: str) -> int:
        if len(md5) != 32:
            raise NotFound(f"binary {md5} not found")
        i = self.binaries.by_md5(md5)
        if i is None:
            raise NotFound(f"binary {md5} not found")
        return i

    def binary_page(self, p: SolrParams) -> SearchPage:
        q = self._filtered_query(p.q, p.filters)
        keys = self.binary_search.match(q)
        sort = p.sort or (("server_added_timestamp", True),)
        keys = self.binary_search.sorted(keys, sort, cache_key=q)
        page = keys[p.start : p.start + p.rows] if p.rows else ()
        facets = {}
        if p.facet:
            for name in p.facet_fields:
                facets[name] = facet_entries(
                    self._binary_facet(keys, name).items(), self.config.facet_limit
                )
        return SearchPage(
            page, len(keys), p.start, terms_of(parse(p.q)) if p.q.strip() else [], facets
        )

    def _binary_facet(self, keys: Keys, name: str) -> dict[Any, int]:
        """Binary facets; the two date facets are distributions: signing time per month over
        the last 48 months, server_added_timestamp per day over the last 30 days."""
        if name not in ("digsig_sign_time", "server_added_timestamp"):
            return dict(self.binary_search.counts(keys, name))
        now = self.clock.time()
        out: dict[Any, int] = {}
        for k in keys:
            if name == "server_added_timestamp":
                ts = self.binaries.added_time(k)
                if ts < now - 30 * _DAY:
                    continue
                label = iso_ms(ts - ts % _DAY)[:10] + "T00:00:00Z"
            else:
                signed = self.binaries.signature(k).get("digsig_sign_time")
                when = iso_to_epoch(signed) if signed else None
                if when is None or when < now - 48 * 31 * _DAY:
                    continue
                label = iso_ms(when)[:7] + "-01T00:00:00Z"
            out[label] = out.get(label, 0) + 1
        return out

    # --- sensors ---------------------------------------------------------------------------------
    def _endpoint(self, sensor_id: int) -> Endpoint:
        ep = self.endpoints.by_sensor_id(sensor_id)
        if ep is None or ep.deregistered:
            raise NotFound(f"sensor {sensor_id} not found")
        return ep

    def _converge(self, ep: Endpoint) -> None:
        """Apply what an online sensor has done since its last request (flush, restart)."""
        if not ep.online or (ep.isolation_changed_at is None and not ep.restart_queued):
            return
        now = self.clock.monotonic()
        changed = ep.isolation_changed_at if ep.isolation_changed_at is not None else now
        if now - changed >= self.config.isolation_delay:
            ep.restart_queued = False

    def sensor(self, sensor_id: int) -> dict[str, Any]:
        return self.sensor_doc(self._endpoint(sensor_id))

    def sensor_doc(self, ep: Endpoint) -> dict[str, Any]:
        now = self.clock.time()
        seed = self.config.seed
        if ep.online:
            last = now - unit(seed, ep.index, int(now // 30)) * 30
        else:
            last = now - ep.offline_days * _DAY
        isolating = ep.is_isolating(self.clock.monotonic(), self.config.isolation_delay)
        group = self.groups.get(ep.group_id)
        flush = ep.event_log_flush_time
        if flush is not None and ep.online and ep.isolation_changed_at is None:
            pass
        uptime = ep.uptime + int(max(now - self.epoch, 0)) if ep.online else ep.uptime
        return {
            "id": ep.sensor_id,
            "systemvolume_total_size": str(ep.systemvolume_total_size),
            "systemvolume_free_size": str(ep.systemvolume_free_size),
            "os_environment_display_string": ep.os_name,
            "os_environment_id": ep.os_environment_id,
            "os_type": 1 if ep.os_type == "windows" else 2 if ep.os_type == "osx" else 3,
            "physical_memory_size": str(ep.physical_memory_size),
            "build_id": ep.edr_build_id,
            "build_version_string": ep.edr_sensor_version,
            "uptime": str(uptime),
            "sensor_uptime": str(max(uptime - 30, 0)),
            "computer_dns_name": ep.dns_name,
            "computer_name": ep.hostname,
            "computer_sid": ep.computer_sid,
            "sensor_health_message": "Healthy" if ep.online else "Sensor is offline",
            "sensor_health_status": 100 if ep.online else 60,
            "event_log_flush_time": flush,
            "last_checkin_time": server_local(last),
            "next_checkin_time": server_local(last + 30),
            "registration_time": server_local(ep.registered_time),
            "license_expiration": "1990-01-01 00:00:00+00:00",
            "network_adapters": f"{ep.internal_ip},{ep.mac_compact}|",
            "notes": ep.notes,
            "boot_id": str(ep.boot_id),
            "cookie": mix(seed, ep.index, 0xC0) % 2_000_000_000,
            "group_id": ep.group_id,
            "display": True,
            "uninstall": ep.uninstall,
            "uninstalled": None,
            "network_isolation_enabled": ep.isolation_requested,
            "is_isolating": isolating,
            "restart_queued": ep.restart_queued,
            "liveresponse_init": ep.liveresponse_init,
            "status": "Online" if ep.online else "Offline",
            "num_eventlog_bytes": str(mix(seed, ep.index, 0xE7) % 400_000 if ep.online else 0),
            "num_storefiles_bytes": str(mix(seed, ep.index, 0x5F) % 900_000 if ep.online else 0),
            "power_state": 0 if ep.online else 1,
            "node_id": 0,
            "parity_host_id": "0",
            "clock_delta": "0",
            "supports_cblr": True,
            "supports_isolation": True,
            "supports_2nd_gen_modloads": True,
            "is_isolating_enabled": True,
            "shard_id": 0,
            "group_name": group["name"] if group else ep.group_name,
        }

    def list_sensors(
        self,
        *,
        hostname: str | None = None,
        ip: str | None = None,
        group_id: int | None = None,
        inactive_filter_days: int | None = None,
    ) -> list[Endpoint]:
        """Sensors matching the v1/v2 filters (case-sensitive substrings; ``ip`` wins)."""
        now = self.clock.time()
        out = []
        for ep in self.endpoints:
            if ep.deregistered:
                continue
            if ip is not None:
                if ip not in ep.internal_ip:
                    continue
            elif (
                hostname is not None and hostname not in ep.hostname and hostname not in ep.dns_name
            ):
                continue
            if group_id is not None and ep.group_id != group_id:
                continue
            if inactive_filter_days is not None and not ep.online:
                last = now - ep.offline_days * _DAY
                if now - last > inactive_filter_days * _DAY:
                    continue
            out.append(ep)
        return out

    def update_sensor(self, sensor_id: int, body: Mapping[str, Any]) -> None:
        """EDR 7.1+ PUT: only the seven updatable fields change; others are ignored."""
        ep = self._endpoint(sensor_id)
        now = self.clock.monotonic()
        if "group_id" in body and body["group_id"] is not None:
            try:
                gid = int(body["group_id"])
            except (TypeError, ValueError):
                raise Invalid("group_id must be an integer") from None
            if gid not in self.groups:
                raise Invalid(f"sensor group {gid} does not exist")
            ep.group_id = gid
        if "network_isolation_enabled" in body:
            ep.request_isolation(
                bool(body["network_isolation_enabled"]), now, self.config.isolation_delay
            )
            self.state.counters.event(
                "sensor.isolate" if body["network_isolation_enabled"] else "sensor.unisolate"
            )
        if body.get("restart_queued"):
            ep.restart_queued = True
            self.state.counters.event("sensor.restart")
        if "uninstall" in body and body["uninstall"] is not None:
            ep.uninstall = bool(body["uninstall"])
        if "notes" in body:
            ep.notes = body["notes"]
        if "liveresponse_init" in body:
            ep.liveresponse_init = body["liveresponse_init"]
        if body.get("event_log_flush_time"):
            raw = str(body["event_log_flush_time"])
            ep.event_log_flush_time = (
                raw if "," in raw else rfc822(iso_to_epoch(raw) or self.clock.time())
            )
            self.state.counters.event("sensor.flush")

    def sensor_statistics(self) -> dict[str, int]:
        eps = [ep for ep in self.endpoints if not ep.deregistered]
        active = [ep for ep in eps if ep.online or ep.offline_days < 1]
        seed = self.config.seed
        return {
            "sensor_count": len(eps),
            "active_sensor_count": len(active),
            "num_eventlog_bytes": sum(mix(seed, ep.index, 0xE7) % 400_000 for ep in active),
            "num_storefile_bytes": sum(mix(seed, ep.index, 0x5F) % 900_000 for ep in active),
        }

    def sensor_queued(self, sensor_id: int) -> list[dict[str, Any]]:
        ep = self._endpoint(sensor_id)
        doc = self.sensor_doc(ep)
        return [
            {
                "id": str(mix(self.config.seed, ep.index, 0x51) % 1_000_000),
                "sensor_id": ep.sensor_id,
                "timestamp": doc["last_checkin_time"],
                "num_eventlogs": "1" if doc["num_eventlog_bytes"] != "0" else "0",
                "num_eventlog_bytes": doc["num_eventlog_bytes"],
                "num_storefiles": 0,
                "num_storefile_bytes": doc["num_storefiles_bytes"],
            }
        ]

    def sensor_activity(self, sensor_id: int) -> list[dict[str, Any]]:
        ep = self._endpoint(sensor_id)
        now = self.clock.time()
        return [
            {
                "sensor_id": ep.sensor_id,
                "timestamp": server_local(now - k * 3600),
                "event_count": 100 + mix(ep.index, k) % 900,
                "bytes": 20_000 + mix(ep.index, k, 1) % 80_000,
            }
            for k in range(3)
        ]

    def sensor_resource_status(self, sensor_id: int) -> list[dict[str, Any]]:
        ep = self._endpoint(sensor_id)
        return [
            {
                "sensor_id": ep.sensor_id,
                "timestamp": server_local(self.clock.time()),
                "page_faults": mix(ep.index, 3) % 5000,
                "commit_charge": 48_000_000,
                "working_set": 31_000_000,
                "peak_working_set": 52_000_000,
            }
        ]

    # --- sensor groups ---------------------------------------------------------------------------
    def _new_group(self, gid: int, name: str, site_id: int = 1) -> dict[str, Any]:
        return {
            "id": gid,
            "name": name,
            "site_id": site_id,
            "alert_criticality": 1,
            "banning_enabled": True,
            "collect_cross_procs": True,
            "collect_emet_events": True,
            "collect_filemods": True,
            "collect_filewritemd5s": True,
            "collect_moduleinfo": True,
            "collect_moduleloads": True,
            "collect_netconns": True,
            "collect_nonbinary_filewrites": True,
            "collect_processes": True,
            "collect_regmods": True,
            "collect_storefiles": True,
            "collect_usercontext": True,
            "datastore_server": None,
            "max_licenses": -1,
            "quota_eventlog_bytes": "1073741824",
            "quota_eventlog_percent": 1,
            "quota_storefile_bytes": "1073741824",
            "quota_storefile_percent": 1,
            "sensor_exe_name": "",
            "sensor_version": "Manual",
            "sensorbackend_server": "https://cbserver:443",
            "tamper_level": 0,
            "team_access": [],
            "vdi_enabled": False,
            "process_filter_level": 0,
            "filter_known_dlls": False,
        }

    def group(self, gid: int) -> dict[str, Any]:
        group = self.groups.get(gid)
        if group is None:
            raise NotFound(f"sensor group {gid} not found")
        return group

    def create_group(self, body: Mapping[str, Any]) -> int:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise Invalid("a sensor group needs a name")
        if any(g["name"].lower() == name.lower() for g in self.groups.values()):
            raise Conflict(f"a sensor group named {name!r} already exists")
        requested = body.get("id")
        if requested is not None:
            try:
                gid = int(requested)
            except (TypeError, ValueError):
                raise Invalid("id must be an integer") from None
            if gid in self.groups:
                raise Conflict(f"sensor group {gid} already exists")
        else:
            gid = self._next_group_id
        self._next_group_id = max(self._next_group_id, gid + 1)
        group = self._new_group(gid, name, int(body.get("site_id") or 1))
        for key, value in body.items():
            if key in group and key not in ("id",):
                group[key] = value
        self.groups[gid] = group
        return gid

    def update_group(self, gid: int, body: Mapping[str, Any]) -> None:
        group = self.group(gid)
        name = body.get("name", group["name"])
        if any(
            g["name"].lower() == str(name).lower() and g["id"] != gid for g in self.groups.values()
        ):
            raise Conflict(f"a sensor group named {name!r} already exists")
        for key, value in body.items():
            if key != "id":
                group[key] = value
        self._binary_docs.clear()

    def delete_group(self, gid: int) -> None:
        self.group(gid)
        if gid == 1:
            raise Conflict("the default sensor group cannot be deleted")
        if any(ep.group_id == gid and not ep.deregistered for ep in self.endpoints):
            raise Conflict(f"sensor group {gid} still has sensors; move them first")
        del self.groups[gid]

    def installer(self, gid: int, kind: str) -> tuple[bytes, str, str]:
        """(bytes, media type, file name) of a sensor installer package."""
        group = self.group(gid)
        settings = (
            f"[CB]\nSensorGroupId={gid}\nSensorGroupName={group['name']}\n"
            f"SensorBackendServer={group['sensorbackend_server']}\n"
        )
        body = bytes(
            (mix(self.config.seed, gid, k) & 0xFF) for k in range(4096)
        )  # a placeholder payload
        if kind == "linux":
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w:gz") as tar:
                for name, data in (
                    ("cb-linux-sensor-installer.sh", b"#!/bin/sh\n" + body),
                    ("sensorsettings.ini", settings.encode()),
                ):
                    info = tarfile.TarInfo(name)
                    info.size = len(data)
                    info.mtime = int(self.epoch)
                    tar.addfile(info, io.BytesIO(data))
            return buf.getvalue(), "application/x-gzip", f"cb-linux-sensor-group-{gid}.tar.gz"
        names = {
            "windows/exe": ("CarbonBlackClientSetup.exe", b"MZ" + body),
            "windows/msi": ("CarbonBlackClientSetup.msi", b"\xd0\xcf\x11\xe0" + body),
            "osx": ("CarbonBlackClientSetup.pkg", b"xar!" + body),
        }
        if kind not in names:
            raise NotFound(f"no installer for {kind!r}")
        filename, data = names[kind]
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(zipfile.ZipInfo(filename, date_time=(2024, 1, 1, 0, 0, 0)), data)
            zf.writestr(
                zipfile.ZipInfo("sensorsettings.ini", date_time=(2024, 1, 1, 0, 0, 0)), settings
            )
        return buf.getvalue(), "application/zip", f"sensor-group-{gid}-{kind.replace('/', '-')}.zip"

    def builds(self) -> dict[str, list[dict[str, Any]]]:
        def build(version: str, build_id: int) -> dict[str, Any]:
            return {
                "version_string": version,
                "id": build_id,
                "installed": True,
                "db_name": f"CbSensor_{version.replace('.', '_')}",
            }

        return {
            "Windows": [build("7.3.0.18311", 7), build("7.2.1.17922", 5)],
            "OSX": [build("7.4.1.17610", 8)],
            "Linux": [build("7.2.0.40209", 6)],
        }

    # --- alerts ----------------------------------------------------------------------------------
    @property
    def alerts(self) -> list[dict[str, Any]]:
        if self._alerts is None:
            self._alerts = [self._make_alert(i) for i in range(self.config.alerts)]
            self._alert_index = {a["unique_id"]: i for i, a in enumerate(self._alerts)}
        return self._alerts

    def _make_alert(self, i: int) -> dict[str, Any]:
        seed = self.config.seed
        procs = self.processes
        n = procs.nblocks
        if n == 0:
            raise RuntimeError("alerts need processes")
        # Alerts point at processes of the intrusion template when one exists nearby.
        b = mix(seed, i, 0xA1) % n
        for probe in range(64):
            cand = (b + probe) % n
            t, _ = procs.block_template_endpoint(cand)
            if TEMPLATES[t].name == "windows-intrusion":
                b = cand
                break
        info = procs.block(b)
        suspicious = (
            [o for o in (6, 7, 8, 14, 15) if o < info.limit]
            if (info.template.name == "windows-intrusion")
            else []
        )
        o = (
            suspicious[mix(seed, i, 0xA2) % len(suspicious)]
            if suspicious
            else mix(seed, i) % info.limit
        )
        kind = info.kinds[o]
        r = info.seg_docs[o][0]
        row = procs.doc_fields(info, r)
        feeds = self.admin.feeds
        feed = feeds[[1, 3, 6][mix(seed, i, 0xA3) % 3]] if feeds else None
        watch_kind = mix(seed, i, 0xA4) % 3
        md5 = row["process_md5"]
        created = info.lu(r) + 60 + unit(seed, i, 0xA5) * 600
        roll = unit(seed, i, 0xA6)
        status = ALERT_STATUSES[0 if roll < 0.6 else 1 if roll < 0.75 else 2 if roll < 0.95 else 3]
        uid = str(uuid.UUID(int=(mix(seed, i, 0xA7) << 64) | mix(seed, i, 0xA8), version=4))
        if watch_kind == 0:
            alert_type = "watchlist.hit.query.process"
            wl = self.admin.watchlists.get("3") or next(iter(self.admin.watchlists.values()))
            watchlist_id, watchlist_name, feed_name, feed_id = (
                wl["id"],
                wl["name"],
                "My Watchlists",
                -1,
            )
            ioc_type, ioc_value, description = "query", wl["search_query"], wl["name"]
        else:
            alert_type = (
                "watchlist.hit.ingress.process"
                if watch_kind == 1
                else "watchlist.hit.ingress.binary"
            )
            assert feed is not None
            watchlist_id = f"Binary_{md5.upper()}"
            watchlist_name = watchlist_id
            feed_name, feed_id = feed["name"], feed["id"]
            ioc_type, ioc_value = "md5", md5
            description = (
                f"[{1 + mix(seed, i) % 40} / 66] {feed['display_name']} report for {md5.upper()}"
            )
        severity = round(0.25 + unit(seed, i, 0xA9) * 0.75, 3)
        ep = info.ep
        return {
            "username": row["username"],
            "alert_type": alert_type,
            "sensor_criticality": 3,
            "modload_count": row["modload_count"],
            "report_score": 50 + mix(seed, i, 0xAA) % 51,
            "watchlist_id": watchlist_id,
            "sensor_id": ep.sensor_id,
            "feed_name": feed_name,
            "created_time": iso_ms(created),
            "report_ignored": False,
            "ioc_type": ioc_type,
            "watchlist_name": watchlist_name,
            "ioc_confidence": 0.5,
            "alert_severity": severity,
            "crossproc_count": row["crossproc_count"],
            "group": row["group"],
            "hostname": ep.hostname.lower(),
            "filemod_count": row["filemod_count"],
            "comms_ip": ep.external_ip,
            "netconn_count": row["netconn_count"],
            "interface_ip": ep.internal_ip,
            "status": status,
            "process_path": kind.path,
            "description": description,
            "process_name": kind.name,
            "process_unique_id": info.uids[r],
            "process_id": info.guids[o],
            "link": f"https://www.virustotal.com/file/{self.binaries.sha256(kind.binary)}/analysis/",
            "_version_": mix(seed, i, 0xAB) >> 4,
            "regmod_count": row["regmod_count"],
            "md5": md5,
            "segment_id": info.segment_id(r),
            "total_hosts": str(len(self.binaries.endpoints_of(kind.binary))),
            "feed_id": feed_id,
            "ioc_value": ioc_value,
            "os_type": ep.os_type,
            "childproc_count": row["childproc_count"],
            "unique_id": uid,
            "feed_rating": 3,
            "assigned_to": None,
            "resolved_time": iso_ms(created + 3600) if status == "Resolved" else None,
        }

    def alert_page(self, p: SolrParams) -> SearchPage:
        self.alerts  # noqa: B018 - materialise
        q = self._filtered_query(p.q, p.filters)
        keys = self.alert_search.match(q)
        sort = p.sort or (("created_time", True),)
        keys = self.alert_search.sorted(keys, sort, cache_key=(q, self.alert_search.generation))
        page = keys[p.start : p.start + p.rows] if p.rows else ()
        facets = {}
        if p.facet:
            for name in p.facet_fields or ("status", "alert_type", "hostname"):
                facets[name] = facet_entries(
                    self.alert_search.counts(keys, name).items(), self.config.facet_limit
                )
        return SearchPage(
            page, len(keys), p.start, terms_of(parse(p.q)) if p.q.strip() else [], facets
        )

    def alert(self, unique_id: str) -> dict[str, Any]:
        self.alerts  # noqa: B018
        i = self._alert_index.get(unique_id)
        if i is None:
            raise NotFound(f"alert {unique_id} not found")
        return self.alerts[i]

    def update_alert(self, unique_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        alert = self.alert(unique_id)
        status = body.get("status")
        if status is not None:
            alert["status"] = self._status(status)
            if alert["status"] == "Resolved":
                alert["resolved_time"] = iso_ms(self.clock.time())
        if "assigned_to" in body:
            alert["assigned_to"] = body["assigned_to"]
        if body.get("set_ignored") is not None:
            self._ignore(alert, bool(body["set_ignored"]))
        self.alert_search.invalidate()
        return alert

    @staticmethod
    def _status(value: Any) -> str:
        for s in ALERT_STATUSES:
            if str(value).lower() == s.lower():
                return s
        raise Invalid(f"alert status must be one of {', '.join(ALERT_STATUSES)}, not {value!r}")

    def _ignore(self, alert: dict[str, Any], ignored: bool) -> None:
        alert["report_ignored"] = ignored
        if alert.get("feed_id", -1) != -1:
            self.admin.ignore_reports_for_md5(alert["feed_id"], alert["md5"], ignored)

    def bulk_update_alerts(self, body: Mapping[str, Any]) -> int:
        """``POST /api/v1/alerts``: by ``alert_ids`` (or ``ids``) or by a URL-encoded ``query``."""
        ids = body.get("alert_ids", body.get("ids"))
        query = body.get("query")
        if not ids and not query:
            raise Invalid("either alert_ids or query is required")
        status = body.get("requested_status")
        if "assigned_to" in body and status is None:
            raise Invalid("assigned_to requires requested_status")
        if status is None and body.get("set_ignored") is None and "assigned_to" not in body:
            raise Invalid("nothing to update: give requested_status, set_ignored or assigned_to")
        status = self._status(status) if status is not None else None
        targets: list[dict[str, Any]] = []
        if ids:
            if not isinstance(ids, list):
                raise Invalid("alert_ids must be a list")
            targets = [self.alert(str(i)) for i in ids]
        else:
            pairs = parse_qsl(str(query), keep_blank_values=True)
            p = parse_solr(pairs, default_sort="created_time desc", default_rows=10_000_000)
            qq = self._filtered_query(p.q, p.filters)
            targets = [self.alerts[k] for k in self.alert_search.match(qq)]
        for alert in targets:
            if status is not None:
                alert["status"] = status
            if "assigned_to" in body:
                alert["assigned_to"] = body["assigned_to"]
            if body.get("set_ignored") is not None:
                self._ignore(alert, bool(body["set_ignored"]))
        self.alert_search.invalidate()
        return len(targets)

    # --- dashboard -------------------------------------------------------------------------------
    def dashboard_statistics(self) -> dict[str, Any]:
        stats = self.sensor_statistics()
        return {
            "sensor_count": stats["sensor_count"],
            "active_sensor_count": stats["active_sensor_count"],
            "process_count": self.config.processes,
            "binary_count": self.binaries.count,
            "alert_count": len(self.alerts),
            "unresolved_alert_count": sum(1 for a in self.alerts if a["status"] == "Unresolved"),
        }


def _dotted(row: Mapping[str, Any], name: str) -> Any:
    return row.get(name)


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


BINARY_SCHEMA: dict[str, FieldType] = {
    "md5": "keyword",
    "observed_filename": "text",
    "original_filename": "keyword",
    "internal_name": "keyword",
    "product_name": "text",
    "company_name": "text",
    "file_desc": "text",
    "file_version": "keyword",
    "product_version": "keyword",
    "digsig_result": "keyword",
    "digsig_publisher": "text",
    "digsig_issuer": "text",
    "digsig_subject": "text",
    "digsig_prog_name": "text",
    "digsig_sign_time": "date",
    "server_added_timestamp": "date",
    "timestamp": "date",
    "last_seen": "date",
    "orig_mod_len": "number",
    "copied_mod_len": "number",
    "is_executable_image": "bool",
    "is_64bit": "bool",
    "os_type": "keyword",
    "host_count": "number",
    "hostname": "keyword",
    "group": "keyword",
    "alliance_score_virustotal": "number",
    "alliance_score_srsthreat": "number",
    "signed": "keyword",
}

ALERT_SCHEMA: dict[str, FieldType] = {
    "unique_id": "keyword",
    "status": "keyword",
    "alert_type": "keyword",
    "hostname": "keyword",
    "process_name": "keyword",
    "process_path": "text",
    "md5": "keyword",
    "feed_name": "keyword",
    "feed_id": "number",
    "watchlist_name": "text",
    "watchlist_id": "keyword",
    "sensor_id": "number",
    "username": "text",
    "report_score": "number",
    "alert_severity": "number",
    "created_time": "date",
    "ioc_type": "keyword",
    "ioc_value": "keyword",
    "assigned_to": "keyword",
    "group": "keyword",
    "os_type": "keyword",
    "report_ignored": "bool",
    "process_id": "keyword",
    "process_unique_id": "keyword",
    "description": "text",
}
