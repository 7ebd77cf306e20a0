"""EDR processes: search documents (one per process segment), summaries, events of every kind.

Layout. Processes come in blocks of ``BLOCK`` (16): block ``b`` is one instance of a process-tree
template (see ``_catalog``) on one endpoint, so parents, children, siblings and cross-process
targets are all computable from the block alone. A block's search documents are its processes'
newest segments in template order, followed by their older segments; documents are numbered
across blocks, and document ``d`` has ``last_update = epoch - (d + 1) * step``: index order *is*
the default sort (``last_update desc``), and ``cb.min_last_update``-style filters are a binary
search.

Identity. A process id is a real EDR 4.2-style GUID: sensor id, PID and the start time as a
Windows FILETIME whose sub-second digits carry the process number, so any GUID a client sends back
maps to its process without a lookup table. Segment ids are the segment's ``last_update`` in epoch
milliseconds (as EDR 6.x uses); ``unique_id`` is ``<guid>-<segment id as 12 hex digits>``.

Events are generated on demand from the template's pools with a per-(process, segment) RNG; every
pool value occurs in every segment it belongs to, so searching ``filemod:``/``domain:``/...
against a segment document is exact.
"""

from __future__ import annotations

import bisect
import json
import random
from array import array
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from cbasync.testing.dataset._catalog import BLOCK, DLL_POOLS, IMAGES, TEMPLATES, ProcSpec, Template
from cbasync.testing.dataset._fmt import (
    FILETIME_EPOCH_OFFSET,
    cb_time,
    iso_ms,
    mix,
    signed32,
)
from cbasync.testing.dataset.edr_binary import BinaryCatalog
from cbasync.testing.dataset.endpoints import Endpoint, EndpointPopulation
from cbasync.testing.query import Categorical, FieldType, Keyed

__all__ = [
    "EVENT_TYPES",
    "PROCESS_FACETS",
    "PROCESS_SCHEMA",
    "BlockInfo",
    "Event",
    "ProcessSet",
    "parse_guid",
]

MAX_PROCESSES = 10_000_000  # the FILETIME trick carries the process number in 7 decimal digits
_TEN7 = 10_000_000
# The process number rides in the FILETIME's 7 sub-second digits, scrambled by an invertible
# affine map modulo 10**7 so start times do not all end in .000.
_SCRAMBLE_MUL = 7_654_321
_SCRAMBLE_ADD = 1_234_567
_SCRAMBLE_INV = pow(_SCRAMBLE_MUL, -1, _TEN7)
_SERVER_LAG = 9.5  # seconds between an event on the sensor and its arrival on the server
EVENT_TYPES = ("modload", "filemod", "regmod", "netconn", "childproc", "crossproc", "processblock")

_ROOT_PARENTS = {
    "wininit": "smss.exe",
    "services": "wininit.exe",
    "explorer": "userinit.exe",
    "launchd": "",
    "systemd": "",
}
_USERS = {
    "windows": {"system": "SYSTEM", "network": "NETWORK SERVICE", "service": "LOCAL SERVICE"},
    "osx": {"system": "root", "network": "_networkd", "service": "_appserver"},
    "linux": {"system": "root", "network": "nobody", "service": "svc"},
}
_USER_KINDS = ("system", "network", "service", "user")

PROCESS_SCHEMA: dict[str, FieldType] = {
    "process_name": "keyword",
    "path": "text",
    "path_full": "keyword",
    "cmdline": "text",
    "hostname": "keyword",
    "username": "text",
    "username_full": "keyword",
    "group": "keyword",
    "host_type": "keyword",
    "os_type": "keyword",
    "md5": "keyword",
    "process_md5": "keyword",
    "process_sha256": "keyword",
    "parent_name": "keyword",
    "parent_md5": "keyword",
    "childproc_name": "keyword",
    "childproc_md5": "keyword",
    "crossproc_name": "keyword",
    "crossproc_md5": "keyword",
    "filemod": "text",
    "modload": "text",
    "regmod": "text",
    "domain": "keyword",
    "ipaddr": "ip",
    "ipport": "number",
    "sensor_id": "number",
    "process_pid": "number",
    "parent_pid": "number",
    "id": "keyword",
    "process_id": "keyword",
    "unique_id": "keyword",
    "parent_id": "keyword",
    "parent_unique_id": "keyword",
    "segment_id": "number",
    "start": "date",
    "last_update": "date",
    "last_server_update": "date",
    "modload_count": "number",
    "filemod_count": "number",
    "regmod_count": "number",
    "netconn_count": "number",
    "childproc_count": "number",
    "crossproc_count": "number",
    "processblock_count": "number",
    "terminated": "bool",
    "comms_ip": "ip",
    "interface_ip": "ip",
    "digsig_result": "keyword",
    "digsig_publisher": "text",
    "company_name": "text",
    "product_name": "text",
    "file_desc": "text",
    "internal_name": "keyword",
    "original_filename": "keyword",
    "is_64bit": "bool",
    "is_executable_image": "bool",
    "alliance_score_virustotal": "number",
    "alliance_score_srsthreat": "number",
    "tampered": "bool",
    "blocked_status": "keyword",
}
# Field aliases EDR accepts.
_ALIASES = {"process_id": "id", "md5": "process_md5", "parent_guid": "parent_id"}
_DEFAULT_FIELDS = ("process_name", "path", "cmdline", "hostname", "username", "process_md5")
PROCESS_FACETS = (
    "process_md5",
    "hostname",
    "group",
    "path_full",
    "parent_name",
    "process_name",
    "host_type",
    "hour_of_day",
    "day_of_week",
    "start",
    "username_full",
)


@dataclass(frozen=True)
class ProcKind:
    """One (template entry, command line, image) combination: the categorical part of a row."""

    code: int
    template: int
    offset: int
    spec: ProcSpec
    binary: int
    cmdline_index: int
    name: str
    path: str
    parent_name: str

    @property
    def cmdline_uses(self) -> tuple[bool, bool]:
        """Whether the command line depends on the endpoint, and on the per-process number."""
        spec = self.spec
        template = "" if spec.image.startswith("@") else spec.cmdlines[self.cmdline_index]
        return (
            any(p in template for p in ("{user}", "{sid}", "{app}")),
            "{n}" in template,
        )


@dataclass(frozen=True)
class Event:
    """One process event (a generated fact; routes render it per API version)."""

    type: str
    time: float
    segment: int  # index of the segment (0 = newest)
    data: tuple[Any, ...]


def parse_guid(guid: str) -> tuple[int, int, int] | None:
    """(sensor_id, pid, filetime) of an EDR process GUID, or None when it is not one."""
    parts = guid.split("-")
    if len(parts) < 5:
        return None
    try:
        raw = bytes.fromhex("".join(parts[:5]))
    except ValueError:
        return None
    if len(raw) != 16:
        return None
    return (
        int.from_bytes(raw[0:4], "big"),
        int.from_bytes(raw[4:8], "big"),
        int.from_bytes(raw[8:16], "big"),
    )


def _guid(sensor_id: int, pid: int, filetime: int) -> str:
    h = f"{sensor_id:08x}{pid:08x}{filetime:016x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


_FILETYPES = {
    "exe": 1,
    "dll": 1,
    "sys": 1,
    "pdf": 48,
    "doc": 16,
    "xls": 16,
    "docx": 17,
    "docm": 17,
    "xlsx": 17,
    "zip": 64,
    "tgz": 68,
    "rpm": 68,
    "gz": 68,
    "7z": 69,
    "rar": 67,
}


class BlockInfo:
    """Everything about one block, computed lazily (a scan touches only what it needs)."""

    __slots__ = (
        "__dict__",
        "b",
        "doc0",
        "endpoint",
        "ep",
        "layout",
        "limit",
        "ndocs",
        "owner",
        "template",
        "tindex",
    )

    def __init__(self, owner: ProcessSet, b: int) -> None:
        self.owner = owner
        self.b = b
        self.tindex, self.endpoint = owner.block_template_endpoint(b)
        self.template: Template = TEMPLATES[self.tindex]
        self.ep: Endpoint = owner.endpoints[self.endpoint]
        self.limit = min(BLOCK, owner.count - b * BLOCK)
        self.layout = owner.layout(self.tindex, self.limit)
        self.doc0 = owner.doc_start(b)
        self.ndocs = len(self.layout)

    # --- per process (offset) ------------------------------------------------------------------
    @cached_property
    def variants(self) -> list[int]:
        return self.owner.variants(self.b, self.limit)

    @cached_property
    def kinds(self) -> list[ProcKind]:
        kinds = self.owner.kinds
        return [
            kinds[c]
            for c in self.owner.offset_codes(self.b, self.tindex, self.endpoint, self.limit)
        ]

    @cached_property
    def uids(self) -> list[str]:
        guids = self.guids
        lu = self.lu
        return [f"{guids[o]}-{int(lu(r) * 1000):012x}" for r, (o, _) in enumerate(self.layout)]

    @cached_property
    def doc_kind_codes(self) -> list[int]:
        kinds = self.kinds
        return [kinds[o].code for o, _ in self.layout]

    @cached_property
    def process_index(self) -> list[int]:
        return [self.b * BLOCK + o for o in range(self.limit)]

    @cached_property
    def pids(self) -> list[int]:
        # Bits 12-43 of the variant: independent of the bits that pick command lines (8-11).
        if self.ep.os_family == "windows":
            return [4 * (100 + (v >> 12) % 16_000) for v in self.variants]
        return [300 + (v >> 12) % 60_000 for v in self.variants]

    @cached_property
    def seg_docs(self) -> list[list[int]]:
        """For each offset, the block-relative doc positions of its segments, newest first."""
        out: list[list[int]] = [[] for _ in range(self.limit)]
        for r, (o, s) in enumerate(self.layout):
            seg = out[o]
            while len(seg) <= s:
                seg.append(-1)
            seg[s] = r
        return out

    @cached_property
    def doc_offsets(self) -> list[int]:
        return [o for o, _ in self.layout]

    @cached_property
    def doc_segments(self) -> list[int]:
        return [s for _, s in self.layout]

    def lu(self, r: int) -> float:
        owner = self.owner
        return owner.epoch - (self.doc0 + r + 1) * owner.step

    @cached_property
    def start_seconds(self) -> list[int]:
        last = int(self.lu(self.ndocs - 1))
        entries = self.template.entries
        out: list[int] = []
        for o, v in enumerate(self.variants):
            frac = ((v >> 26) & 0xFFFF) / 65_536.0
            parent = entries[o].parent
            if parent is None:
                out.append(last - 3_600 - int(frac * 3 * 86_400))
            else:
                sp = out[parent]
                out.append(sp + 1 + int(frac * max(last - sp - 1, 4) / 4))
        return out

    @cached_property
    def filetimes(self) -> list[int]:
        return [
            (s + FILETIME_EPOCH_OFFSET) * _TEN7 + (p * _SCRAMBLE_MUL + _SCRAMBLE_ADD) % _TEN7
            for s, p in zip(self.start_seconds, self.process_index, strict=True)
        ]

    def start(self, o: int) -> float:
        return self.filetimes[o] / _TEN7 - FILETIME_EPOCH_OFFSET

    def start_ms(self, o: int) -> float:
        return (self.filetimes[o] // 10_000) / 1000.0 - FILETIME_EPOCH_OFFSET

    @cached_property
    def guids(self) -> list[str]:
        sid = self.ep.sensor_id
        return [_guid(sid, pid, ft) for pid, ft in zip(self.pids, self.filetimes, strict=True)]

    def segment_id(self, r: int) -> int:
        return int(self.lu(r) * 1000)

    def unique_id(self, r: int) -> str:
        return self.uids[r]

    def latest_unique_id(self, o: int) -> str:
        return self.uids[self.seg_docs[o][0]]

    # --- parents (a tree root's parent is a process outside the data: a GUID that 404s) -----
    @cached_property
    def _outside_parents(self) -> dict[int, tuple[str, int]]:
        out: dict[int, tuple[str, int]] = {}
        for o in range(self.limit):
            if self.template.entries[o].parent is not None:
                continue
            h = self.variants[o] ^ 0x5DEECE66D
            windows = self.ep.os_family == "windows"
            pid = 4 * (60 + h % 40) if windows else 0
            before = self.start_seconds[o] - 1 - (h >> 16) % 3_600
            filetime = (before + FILETIME_EPOCH_OFFSET) * _TEN7 + (h >> 24) % _TEN7
            out[o] = (_guid(self.ep.sensor_id, pid, filetime), pid)
        return out

    def parent_guid(self, o: int) -> str:
        parent = self.template.entries[o].parent
        return self._outside_parents[o][0] if parent is None else self.guids[parent]

    def parent_uid(self, o: int) -> str:
        parent = self.template.entries[o].parent
        if parent is None:
            return self._outside_parents[o][0] + "-000000000001"
        return self.latest_unique_id(parent)

    def parent_pid(self, o: int) -> int:
        parent = self.template.entries[o].parent
        return self._outside_parents[o][1] if parent is None else self.pids[parent]

    @cached_property
    def process_json(self) -> list[str]:
        """Per process: the JSON members its segment documents share."""
        render = self.owner.process_json
        return [render(self, o) for o in range(self.limit)]

    @cached_property
    def terminated(self) -> list[bool]:
        return [self.owner._terminated_static(self.template, o) for o in range(self.limit)]

    @cached_property
    def children(self) -> list[list[int]]:
        out: list[list[int]] = [[] for _ in range(self.limit)]
        for o in range(self.limit):
            parent = self.template.entries[o].parent
            if parent is not None:
                out[parent].append(o)
        return out

    def n(self, o: int) -> int:
        """A small per-process number used in file names and command lines."""
        return self.variants[o] % 100

    def username(self, o: int) -> str:
        kind = self.template.entries[o].user
        if kind == "user":
            return self.ep.username
        return _USERS[self.ep.os_type][kind]

    def user_short(self) -> str:
        return self.ep.username.rsplit("\\", 1)[-1]

    def resolve(self, o: int, text: str) -> str:
        return self.owner.resolve(self.kinds[o], self.ep, self.n(o), text)

    def cmdline(self, o: int) -> str:
        return self.owner.cmdline(self.kinds[o], self.ep, self.n(o))

    # --- segments and event windows -----------------------------------------------------------
    def seg_window(self, o: int, s: int) -> tuple[float, float]:
        docs = self.seg_docs[o]
        end = self.lu(docs[s])
        begin = self.lu(docs[s + 1]) if s + 1 < len(docs) else self.start(o)
        return begin, end

    @cached_property
    def doc_counts(self) -> list[dict[str, int]]:
        """Event counts per document (segment); static per template layout."""
        return self.owner.layout_counts(self.tindex, self.limit, self.ep.os_type)

    def segment_counts(self, o: int, s: int) -> dict[str, int]:
        return self.doc_counts[self.seg_docs[o][s]]


class ProcessSet:
    """``count`` processes over an endpoint population; rows on demand."""

    def __init__(
        self,
        seed: int,
        count: int,
        endpoints: EndpointPopulation,
        binaries: BinaryCatalog,
        *,
        epoch: float,
        history_days: int,
        max_events: int = 10_000,
        block_cache: int = 4096,
    ) -> None:
        if count > MAX_PROCESSES:
            raise ValueError(f"at most {MAX_PROCESSES} processes")
        self.seed = seed
        self.count = count
        self.endpoints = endpoints
        self.binaries = binaries
        self.epoch = epoch
        self.history = history_days * 86_400.0
        self.max_events = max_events
        self.nblocks = (count + BLOCK - 1) // BLOCK
        self._block_cache: OrderedDict[int, BlockInfo] = OrderedDict()
        self._block_cache_size = block_cache
        self._layouts: dict[tuple[int, int], list[tuple[int, int]]] = {}
        self._counts: dict[tuple[int, int, str], list[dict[str, int]]] = {}
        self._kind_json: dict[int, str] = {}
        self._ep_json: dict[int, str] = {}
        self._candidates: dict[tuple[int, int], list[list[int]]] = {}
        self._cmd_json: dict[tuple[int, int, int], str] = {}
        self._users_json: dict[tuple[int, str], str] = {}
        self._modules: dict[tuple[str, int], list[int]] = {}
        self._doc_starts: array[int] | None = None
        self._block_t = array("B")
        self._block_e = array("I")
        self._doc_codes: array[int] | None = None
        self._doc_blocks: array[int] | None = None
        self._doc_offsets: array[int] | None = None
        self._doc_extras: array[int] | None = None
        self._memo: dict[tuple[Any, ...], Any] = {}
        self._last_block: BlockInfo | None = None
        # Process documents keep the sensor group their host had when they were ingested.
        self.group_of = [ep.group_name.lower() for ep in endpoints]
        self._kinds: list[ProcKind] = []
        self._kind_index: dict[tuple[int, int, int, int], int] = {}
        self._eligible = self._eligible_templates()
        self._build_kinds()
        full = [len(self.layout(t, BLOCK)) for t in range(len(TEMPLATES))]
        # Average documents per block, for the time step (exact totals come from doc_start).
        self._avg_docs = sum(full) / len(full)

    # --- structure ------------------------------------------------------------------------------
    def _eligible_templates(self) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        """Per endpoint: (template indices, cumulative weights)."""
        out = []
        for ep in self.endpoints:
            choices = [
                (i, t.weight)
                for i, t in enumerate(TEMPLATES)
                if t.os == ep.os_type and ep.host_type in t.roles
            ]
            if not choices:  # every endpoint gets something to run
                choices = [(i, t.weight) for i, t in enumerate(TEMPLATES) if t.os == ep.os_type]
            idx = tuple(i for i, _ in choices)
            cum: list[int] = []
            total = 0
            for _, w in choices:
                total += w
                cum.append(total)
            out.append((idx, tuple(cum)))
        return out

    def _choose(self, b: int) -> tuple[int, int]:
        e = mix(self.seed, b, 0xE1) % len(self.endpoints)
        idx, cum = self._eligible[e]
        roll = mix(self.seed, b, 0x7E) % cum[-1]
        return idx[bisect.bisect_right(cum, roll)], e

    def block_template_endpoint(self, b: int) -> tuple[int, int]:
        """(template index, endpoint index) of block ``b``."""
        self._starts()
        return self._block_t[b], self._block_e[b]

    def variants(self, b: int, limit: int) -> list[int]:
        h = mix(self.seed, b, 0x5A)
        return [
            (((h ^ (o * 0x9E3779B97F4A7C15)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF) >> 20
            for o in range(limit)
        ]

    def offset_codes(self, b: int, t: int, e: int, limit: int) -> list[int]:
        """Kind code of each process (offset) of block ``b``."""
        candidates = self.kind_candidates(t, e)
        return [
            cands[(v >> 8) % len(cands)]
            for cands, v in zip(candidates, self.variants(b, limit), strict=False)
        ]

    def _columns(self) -> tuple[array[int], array[int]]:
        """Per document: kind code and block number (built on the first scan)."""
        if self._doc_codes is None:
            self._starts()
            codes = array("H")
            blocks = array("I")
            offsets = array("B")
            extras = array("B")  # bit 7: oldest segment of its process; bits 0-6: n
            for b in range(self.nblocks):
                t, e = self._block_t[b], self._block_e[b]
                limit = min(BLOCK, self.count - b * BLOCK)
                variants = self.variants(b, limit)
                candidates = self.kind_candidates(t, e)
                per_offset = [
                    cands[(v >> 8) % len(cands)]
                    for cands, v in zip(candidates, variants, strict=False)
                ]
                lay = self.layout(t, limit)
                codes.extend([per_offset[o] for o, _ in lay])
                blocks.extend([b] * len(lay))
                offsets.extend([o for o, _ in lay])
                nseg = self._nseg(t, limit)
                extras.extend(
                    [(128 if s == nseg[o] - 1 else 0) | variants[o] % 100 for o, s in lay]
                )
            self._doc_codes, self._doc_blocks, self._doc_offsets = codes, blocks, offsets
            self._doc_extras = extras
        assert self._doc_blocks is not None
        return self._doc_codes, self._doc_blocks

    def resolve(self, kind: ProcKind, ep: Endpoint, n: int, text: str) -> str:
        """A pool or command-line template with its placeholders filled in."""
        if "{" not in text:
            return text
        app = self.binaries.entry(kind.binary).product.lower() or "app"
        return (
            text.replace("{path}", kind.path)
            .replace("{user}", ep.username.rsplit("\\", 1)[-1])
            .replace("{n}", str(n))
            .replace("{app}", app)
            .replace("{sid}", ep.computer_sid.lower() + "-1001")
        )

    def cmdline(self, kind: ProcKind, ep: Endpoint, n: int) -> str:
        key = ("cmd", kind.code, ep.index, n)
        value = self._memo.get(key)
        if value is None:
            spec = kind.spec
            if spec.image.startswith("@"):
                value = f'"{self.binaries.entry(kind.binary).path}"'
            else:
                value = self.resolve(kind, ep, n, spec.cmdlines[kind.cmdline_index])
            self._remember(key, value)
        return str(value)

    def _remember(self, key: tuple[Any, ...], value: Any) -> None:
        if len(self._memo) > 200_000:
            self._memo.clear()
        self._memo[key] = value

    def _nseg(self, t: int, limit: int) -> list[int]:
        nseg = [0] * limit
        for o, s in self.layout(t, limit):
            nseg[o] = max(nseg[o], s + 1)
        return nseg

    def process_of_doc(self) -> Callable[[int], int]:
        """A function from document number to process number."""
        _, blocks = self._columns()
        offsets = self._doc_offsets
        assert offsets is not None
        return lambda d: blocks[d] * BLOCK + offsets[d]

    def layout(self, t: int, limit: int = BLOCK) -> list[tuple[int, int]]:
        key = (t, limit)
        lay = self._layouts.get(key)
        if lay is None:
            entries = TEMPLATES[t].entries[:limit]
            lay = [(o, 0) for o in range(limit)]
            depth = max(e.segments for e in entries)
            for s in range(1, depth):
                lay.extend((o, s) for o, e in enumerate(entries) if e.segments > s)
            self._layouts[key] = lay
        return lay

    def layout_counts(self, t: int, limit: int, os: str) -> list[dict[str, int]]:
        """Event counts of each document of a (template, limit) layout on an OS.

        Start events of children, module loads and cross-process opens are in a process's oldest
        segment; termination events of children in its newest.
        """
        key = (t, limit, os)
        cached = self._counts.get(key)
        if cached is not None:
            return cached
        template = TEMPLATES[t]
        lay = self.layout(t, limit)
        nseg = [0] * limit
        for o, s in lay:
            nseg[o] = max(nseg[o], s + 1)
        children: list[list[int]] = [[] for _ in range(limit)]
        for o in range(limit):
            parent = template.entries[o].parent
            if parent is not None:
                children[parent].append(o)
        out = []
        for o, s in lay:
            spec = template.entries[o]
            oldest = s == nseg[o] - 1
            child = (spec.suppressed_children + len(children[o])) if oldest else 0
            if s == 0:
                child += sum(1 for c in children[o] if self._terminated_static(template, c))
            out.append(
                {
                    "modload": (1 + len(self.modules_of(os, spec))) if oldest else 0,
                    "filemod": len(spec.filemods) * spec.repeat,
                    "regmod": len(spec.regmods) * spec.repeat,
                    "netconn": len(spec.netconns) * spec.repeat,
                    "childproc": child,
                    "crossproc": sum(1 for c in spec.crossproc if c < limit and c != o)
                    if oldest
                    else 0,
                    "processblock": 0,
                }
            )
        self._counts[key] = out
        return out

    @staticmethod
    def _terminated_static(template: Template, o: int) -> bool:
        """Whether entry ``o`` of a template has exited (roots and every fifth entry run on)."""
        return template.entries[o].parent is not None and o % 5 != 4

    def _starts(self) -> array[int]:
        if self._doc_starts is None:
            starts = array("q", [0])
            bt = array("B")
            be = array("I")
            total = 0
            for b in range(self.nblocks):
                t, e = self._choose(b)
                bt.append(t)
                be.append(e)
                limit = min(BLOCK, self.count - b * BLOCK)
                total += len(self.layout(t, limit))
                starts.append(total)
            self._block_t, self._block_e = bt, be
            self._doc_starts = starts
        return self._doc_starts

    def doc_start(self, b: int) -> int:
        return self._starts()[b]

    @property
    def total_docs(self) -> int:
        return self._starts()[-1] if self.nblocks else 0

    @cached_property
    def step(self) -> float:
        docs = self.total_docs
        return self.history / max(docs, 1)

    def block(self, b: int) -> BlockInfo:
        cache = self._block_cache
        info = cache.get(b)
        if info is None:
            info = BlockInfo(self, b)
            cache[b] = info
            if len(cache) > self._block_cache_size:
                cache.popitem(last=False)
        else:
            cache.move_to_end(b)
        return info

    def locate(self, d: int) -> tuple[BlockInfo, int]:
        """The block and block-relative position of document ``d``."""
        starts = self._starts()
        b = bisect.bisect_right(starts, d) - 1
        return self.block(b), d - starts[b]

    def process_block(self, p: int) -> tuple[BlockInfo, int]:
        return self.block(p // BLOCK), p % BLOCK

    def find(self, guid: str) -> tuple[BlockInfo, int] | None:
        """The process with this GUID (any trailing segment suffix ignored)."""
        parsed = parse_guid(guid)
        if parsed is None:
            return None
        _, _, filetime = parsed
        p = ((filetime % _TEN7 - _SCRAMBLE_ADD) * _SCRAMBLE_INV) % _TEN7
        if p >= self.count:
            return None
        info, o = self.process_block(p)
        if info.guids[o] != "-".join(guid.lower().split("-")[:5]):
            return None
        return info, o

    def find_segment(self, info: BlockInfo, o: int, segment_id: int) -> int | None:
        """Segment index (0 = newest) of ``segment_id``; None when the process has no such one."""
        for s, r in enumerate(info.seg_docs[o]):
            if info.segment_id(r) == segment_id:
                return s
        return None

    # --- kinds (categorical columns) ------------------------------------------------------------
    def _build_kinds(self) -> None:
        bins = self.binaries
        for t, template in enumerate(TEMPLATES):
            for o, spec in enumerate(template.entries):
                if spec.image == "@app":
                    pool = [
                        i
                        for i in range(bins.known_count, bins.count)
                        if bins.entry(i).kind == "app" and bins.entry(i).os == template.os
                    ] or [bins.image_index["explorer"]]
                    combos = [(0, i) for i in pool]
                elif spec.image == "@malware":
                    pool = [
                        i
                        for i in range(bins.known_count, bins.count)
                        if bins.entry(i).kind == "malware"
                    ] or [bins.image_index["rundll32"]]
                    combos = [(0, i) for i in pool]
                else:
                    combos = [(c, bins.image_index[spec.image]) for c in range(len(spec.cmdlines))]
                for cmd, binary in combos:
                    self._add_kind(t, o, cmd, binary)

    def _add_kind(self, t: int, o: int, cmd: int, binary: int) -> ProcKind:
        template = TEMPLATES[t]
        spec = template.entries[o]
        info = self.binaries.entry(binary)
        if spec.parent is None:
            parent_name = _ROOT_PARENTS.get(spec.image, "")
        else:
            parent_spec = template.entries[spec.parent]
            parent_name = (
                IMAGES[parent_spec.image].name if parent_spec.image in IMAGES else "explorer.exe"
            )
        kind = ProcKind(
            code=len(self._kinds),
            template=t,
            offset=o,
            spec=spec,
            binary=binary,
            cmdline_index=cmd,
            name=info.name.lower() if info.os == "windows" else info.name,
            path=info.path,
            parent_name=parent_name,
        )
        self._kinds.append(kind)
        self._kind_index[(t, o, cmd, binary)] = kind.code
        return kind

    def kind_candidates(self, t: int, e: int) -> list[list[int]]:
        """For template ``t`` on endpoint ``e``: the kind codes each entry can take (a block
        picks one per entry from its variant)."""
        key = (t, e)
        cached = self._candidates.get(key)
        if cached is not None:
            return cached
        bins = self.binaries
        out: list[list[int]] = []
        for o, spec in enumerate(TEMPLATES[t].entries):
            if spec.image == "@app":
                apps = bins.apps_of(e) or (bins.image_index["explorer"],)
                out.append([self.kind(t, o, 0, a).code for a in apps])
            elif spec.image == "@malware":
                mal = bins.malware_of(e)
                binary = mal if mal is not None else bins.image_index["rundll32"]
                out.append([self.kind(t, o, 0, binary).code])
            else:
                binary = bins.image_index[spec.image]
                out.append([self.kind(t, o, c, binary).code for c in range(len(spec.cmdlines))])
        self._candidates[key] = out
        return out

    def kind(self, t: int, o: int, cmd: int, binary: int) -> ProcKind:
        code = self._kind_index.get((t, o, cmd, binary))
        if code is None:  # a binary outside the precomputed pools (cannot happen in practice)
            return self._add_kind(t, o, cmd, binary)
        return self._kinds[code]

    @property
    def kinds(self) -> Sequence[ProcKind]:
        return self._kinds

    def modules_of(self, os: str, spec: ProcSpec) -> list[int]:
        """Binary indices of the modules a process of ``spec`` loads (not its own image)."""
        key = (os, id(spec))
        cached = self._modules.get(key)
        if cached is None:
            cached = self._modules[key] = self._modules_of(os, spec)
        return cached

    def _modules_of(self, os: str, spec: ProcSpec) -> list[int]:
        out: list[int] = []
        for pool in spec.modules:
            key_os = pool.split("_", 1)[0]
            if key_os == "win" and os != "windows":
                pool = {"osx": "osx_base", "linux": "linux_base"}[os]
            elif key_os in ("osx", "linux") and key_os != os:
                continue
            out.extend(self.binaries.image_index[k] for k in DLL_POOLS[pool])
        return sorted(set(out), key=out.index)

    # --- rows -----------------------------------------------------------------------------------
    def doc_fields(self, info: BlockInfo, r: int) -> dict[str, Any]:
        """The search document of block position ``r`` (a process segment)."""
        o, _s = info.layout[r]
        kind = info.kinds[o]
        ep = info.ep
        bins = self.binaries
        lu = info.lu(r)
        counts = info.doc_counts[r]
        row: dict[str, Any] = {
            "process_md5": bins.md5(kind.binary),
            "sensor_id": ep.sensor_id,
            "filtering_known_dlls": False,
            "modload_count": counts["modload"],
            "parent_unique_id": info.parent_uid(o),
            "cmdline": info.cmdline(o),
            "last_update": iso_ms(lu),
            "id": info.guids[o],
            "parent_name": kind.parent_name,
            "group": self.group_of[ep.index],
            "parent_id": info.parent_guid(o),
            "hostname": ep.hostname.lower(),
            "filemod_count": counts["filemod"],
            "start": iso_ms(info.start_ms(o)),
            "comms_ip": signed32(_ip_int(ep.external_ip)),
            "regmod_count": counts["regmod"],
            "interface_ip": signed32(_ip_int(ep.internal_ip)),
            "process_pid": info.pids[o],
            "username": info.username(o),
            "terminated": info.terminated[o],
            "emet_config": "",
            "process_name": kind.name,
            "emet_count": 0,
            "last_server_update": iso_ms(lu + _SERVER_LAG),
            "path": kind.path,
            "netconn_count": counts["netconn"],
            "parent_pid": info.parent_pid(o),
            "crossproc_count": counts["crossproc"],
            "segment_id": info.segment_id(r),
            "host_type": ep.host_type,
            "processblock_count": 0,
            "os_type": ep.os_type,
            "childproc_count": counts["childproc"],
            "unique_id": info.unique_id(r),
        }
        alliance = bins.alliance(kind.binary)
        if alliance:
            row.update(alliance)
        return row

    def doc_json(self, info: BlockInfo, r: int) -> str:
        """``json.dumps(doc_fields(info, r))`` (same keys and values), built from cached
        fragments: a page of search results is the emulator's hottest path."""
        o = info.layout[r][0]
        counts = info.doc_counts[r]
        lu = info.lu(r)
        return (
            f'{{{info.process_json[o]},"modload_count":{counts["modload"]},'
            f'"filemod_count":{counts["filemod"]},"regmod_count":{counts["regmod"]},'
            f'"netconn_count":{counts["netconn"]},"crossproc_count":{counts["crossproc"]},'
            f'"childproc_count":{counts["childproc"]},"last_update":"{iso_ms(lu)}",'
            f'"last_server_update":"{iso_ms(lu + _SERVER_LAG)}",'
            f'"segment_id":{int(lu * 1000)},"unique_id":"{info.uids[r]}"}}'
        )

    def process_json(self, info: BlockInfo, o: int) -> str:
        """The JSON members of a search document that belong to the process (not the segment)."""
        kind = info.kinds[o]
        kind_part = self._kind_json.get(kind.code)
        if kind_part is None:
            kind_part = self._kind_json[kind.code] = self._kind_fragment(kind)
        ep_part = self._ep_json.get(info.endpoint)
        if ep_part is None:
            ep_part = self._ep_json[info.endpoint] = self._endpoint_fragment(info.ep)
        user_key = (info.endpoint, kind.spec.user)
        user = self._users_json.get(user_key)
        if user is None:
            user = self._users_json[user_key] = _json(info.username(o))
        return (
            f'{kind_part},{ep_part},"parent_unique_id":"{info.parent_uid(o)}",'
            f'"parent_id":"{info.parent_guid(o)}","parent_pid":{info.parent_pid(o)},'
            f'"cmdline":{self._cmdline_json(info, o, kind)},"id":"{info.guids[o]}",'
            f'"start":"{iso_ms(info.start_ms(o))}","process_pid":{info.pids[o]},'
            f'"username":{user},"terminated":{"true" if info.terminated[o] else "false"}'
        )

    def _cmdline_json(self, info: BlockInfo, o: int, kind: ProcKind) -> str:
        # Key only on what the command line depends on, so most rows hit the cache.
        uses_ep, uses_n = kind.cmdline_uses
        key = (kind.code, info.endpoint if uses_ep else -1, info.n(o) if uses_n else -1)
        text = self._cmd_json.get(key)
        if text is None:
            if len(self._cmd_json) > 100_000:
                self._cmd_json.clear()
            text = self._cmd_json[key] = _json(info.cmdline(o))
        return text

    def _kind_fragment(self, kind: ProcKind) -> str:
        bins = self.binaries
        part: dict[str, Any] = {
            "process_md5": bins.md5(kind.binary),
            "filtering_known_dlls": False,
            "parent_name": kind.parent_name,
            "emet_config": "",
            "process_name": kind.name,
            "emet_count": 0,
            "path": kind.path,
            "processblock_count": 0,
        }
        part.update(bins.alliance(kind.binary))
        return _json(part)[1:-1]

    def _endpoint_fragment(self, ep: Endpoint) -> str:
        part = {
            "sensor_id": ep.sensor_id,
            "group": self.group_of[ep.index],
            "hostname": ep.hostname.lower(),
            "comms_ip": signed32(_ip_int(ep.external_ip)),
            "interface_ip": signed32(_ip_int(ep.internal_ip)),
            "host_type": ep.host_type,
            "os_type": ep.os_type,
        }
        return _json(part)[1:-1]

    def summary_fields(self, info: BlockInfo, o: int, segment: int | None) -> dict[str, Any]:
        """A process summary: one segment (index) or, with ``segment=None``, all of them."""
        docs = info.seg_docs[o]
        row = self.doc_fields(info, docs[0 if segment is None else segment])
        if segment is None:
            totals = dict.fromkeys(EVENT_TYPES, 0)
            for r in docs:
                for k, v in info.doc_counts[r].items():
                    totals[k] += v
            for k, v in totals.items():
                row[f"{k}_count"] = v
        kind = info.kinds[o]
        row["process_sha256"] = self.binaries.sha256(kind.binary)
        row["uid"] = (
            info.ep.computer_sid.lower() + "-1001"
            if info.template.entries[o].user == "user"
            else "s-1-5-18"
        )
        row["logon_type"] = 2 if info.template.entries[o].user == "user" else 5
        return row

    # --- columns for the query evaluator ---------------------------------------------------------
    def row(self, d: int) -> tuple[BlockInfo, int]:
        """(block, position) of document ``d``, cached for sequential scans."""
        _, blocks = self._columns()
        b = blocks[d]
        info = self._last_block
        if info is None or info.b != b:
            info = self._last_block = self.block(b)
        return info, d - info.doc0

    def accessor(self, field: str) -> Callable[[int], Any] | Categorical[int] | Keyed[int] | None:
        """Column ``field`` over document numbers (see ``cbasync.testing.query``)."""
        field = _ALIASES.get(field, field)
        bins = self.binaries
        kinds = self._kinds
        codes, blocks = self._columns()
        block_e = self._block_e
        row = self.row

        def kind_col(fn: Callable[[ProcKind], Any]) -> Categorical[int]:
            return Categorical(codes.__getitem__, [fn(k) for k in kinds])

        def ep_col(fn: Callable[[Endpoint], Any]) -> Categorical[int]:
            return Categorical(lambda d: block_e[blocks[d]], [fn(ep) for ep in self.endpoints])

        def per_row(fn: Callable[[BlockInfo, int], Any]) -> Callable[[int], Any]:
            def get(d: int) -> Any:
                info, r = row(d)
                return fn(info, r)

            return get

        simple_kind: dict[str, Callable[[ProcKind], Any]] = {
            "process_name": lambda k: k.name,
            "path": lambda k: k.path,
            "path_full": lambda k: k.path,
            "process_md5": lambda k: bins.md5(k.binary),
            "process_sha256": lambda k: bins.sha256(k.binary),
            "parent_name": lambda k: k.parent_name,
            "digsig_result": lambda k: bins.signature(k.binary)["digsig_result"],
            "digsig_publisher": lambda k: bins.signature(k.binary).get("digsig_publisher"),
            "company_name": lambda k: bins.entry(k.binary).company,
            "product_name": lambda k: bins.entry(k.binary).product,
            "file_desc": lambda k: bins.entry(k.binary).description,
            "internal_name": lambda k: bins.entry(k.binary).internal_name,
            "original_filename": lambda k: bins.entry(k.binary).original_filename,
            "is_64bit": lambda k: bins.entry(k.binary).is_64bit,
            "is_executable_image": lambda k: bins.entry(k.binary).is_executable,
            "alliance_score_virustotal": lambda k: bins.alliance(k.binary).get(
                "alliance_score_virustotal"
            ),
            "alliance_score_srsthreat": lambda k: bins.alliance(k.binary).get(
                "alliance_score_srsthreat"
            ),
            "tampered": lambda k: False,
            "blocked_status": lambda k: None,
        }
        if field in simple_kind:
            return kind_col(simple_kind[field])
        simple_ep: dict[str, Callable[[Endpoint], Any]] = {
            "hostname": lambda ep: ep.hostname.lower(),
            "group": lambda ep: self.group_of[ep.index],
            "host_type": lambda ep: ep.host_type,
            "os_type": lambda ep: ep.os_type,
            "sensor_id": lambda ep: ep.sensor_id,
            "comms_ip": lambda ep: ep.external_ip,
            "interface_ip": lambda ep: ep.internal_ip,
        }
        if field in simple_ep:
            return ep_col(simple_ep[field])
        extras = self._doc_extras
        assert extras is not None
        eps = self.endpoints
        if field in ("username", "username_full"):
            user_kind = [_USER_KINDS.index(k.spec.user) for k in kinds]
            values = []
            for ep in eps:
                for uk in _USER_KINDS:
                    values.append(ep.username if uk == "user" else _USERS[ep.os_type][uk])
            return Categorical(lambda d: block_e[blocks[d]] * 4 + user_kind[codes[d]], values)
        if field == "cmdline":
            cmdline = self.cmdline
            # Key only on what the command line really depends on, so rows share results.
            cmd_n = [("{n}" in _cmd_template(k)) for k in kinds]
            cmd_ep = [any(p in _cmd_template(k) for p in _EP_PLACEHOLDERS) for k in kinds]
            return Keyed(
                lambda d: (
                    (c := codes[d]),
                    block_e[blocks[d]] if cmd_ep[c] else 0,
                    extras[d] & 127 if cmd_n[c] else 0,
                ),
                lambda k: cmdline(kinds[k[0]], eps[k[1]], k[2]),
            )
        if field == "id":
            return per_row(lambda info, r: info.guids[info.doc_offsets[r]])
        if field == "unique_id":
            return per_row(lambda info, r: info.uids[r])

        if field == "parent_id":
            return per_row(lambda info, r: info.parent_guid(info.doc_offsets[r]))
        if field == "parent_unique_id":
            return per_row(lambda info, r: info.parent_uid(info.doc_offsets[r]))
        if field == "process_pid":
            return per_row(lambda info, r: info.pids[info.doc_offsets[r]])
        if field == "parent_pid":
            return per_row(lambda info, r: info.parent_pid(info.doc_offsets[r]))
        if field == "segment_id":
            return lambda d: int((self.epoch - (d + 1) * self.step) * 1000)
        if field == "start":
            return per_row(lambda info, r: info.start_ms(info.doc_offsets[r]))
        if field == "last_update":
            return lambda d: self.epoch - (d + 1) * self.step
        if field == "last_server_update":
            return lambda d: self.epoch - (d + 1) * self.step + _SERVER_LAG
        if field == "terminated":
            return per_row(lambda info, r: info.terminated[info.doc_offsets[r]])
        if field.endswith("_count") and field[: -len("_count")] in EVENT_TYPES:
            key = field[: -len("_count")]
            return per_row(lambda info, r: info.doc_counts[r][key])
        if field in ("childproc_name", "childproc_md5"):

            def child_values(info: BlockInfo, r: int) -> list[str]:
                kids = info.children[info.doc_offsets[r]]
                if field == "childproc_name":
                    return [info.kinds[c].name for c in kids]
                return [bins.md5(info.kinds[c].binary) for c in kids]

            return per_row(child_values)
        if field in ("filemod", "regmod", "modload", "domain", "ipaddr", "ipport"):
            values_of = self.event_values
            if field in ("domain", "ipaddr", "ipport"):  # not endpoint-specific
                return kind_col(lambda k: values_of(field, k, eps[0], 0, True))
            pools = [
                " ".join(k.spec.filemods if field == "filemod" else k.spec.regmods) for k in kinds
            ]
            ev_n = [("{n}" in p) for p in pools]
            ev_ep = [any(x in p for x in _EP_PLACEHOLDERS) for p in pools]
            modload = field == "modload"
            return Keyed(
                lambda d: (
                    (c := codes[d]),
                    block_e[blocks[d]] if ev_ep[c] or modload else 0,
                    (extras[d] & 127 if ev_n[c] else 0) | (extras[d] & 128),
                ),
                lambda k: values_of(field, kinds[k[0]], eps[k[1]], k[2] & 127, k[2] >= 128),
            )
        if field in ("crossproc_name", "crossproc_md5"):
            return per_row(lambda info, r: self._event_values(info, r, field))
        return None

    def event_values(
        self, field: str, kind: ProcKind, ep: Endpoint, n: int, oldest: bool
    ) -> list[Any]:
        """The searchable values of one event field for a process segment (memoised)."""
        key = (field, kind.code, ep.index, n, oldest)
        value = self._memo.get(key)
        if value is None:
            spec = kind.spec
            if field == "filemod":
                value = [self.resolve(kind, ep, n, p) for p in spec.filemods]
            elif field == "regmod":
                value = [self.resolve(kind, ep, n, p) for p in spec.regmods]
            elif field == "modload":
                value = (
                    [kind.path]
                    + [self.binaries.entry(m).path for m in self.modules_of(ep.os_type, spec)]
                    if oldest
                    else []
                )
            elif field == "domain":
                value = [d for d, _, _ in spec.netconns if d]
            elif field == "ipaddr":
                value = [ip for _, ip, _ in spec.netconns]
            else:
                value = [port for _, _, port in spec.netconns]
            self._remember(key, value)
        return list(value)

    def _event_values(self, info: BlockInfo, r: int, field: str) -> list[Any]:
        o, s = info.layout[r]
        spec = info.template.entries[o]
        oldest = s == len(info.seg_docs[o]) - 1
        if field == "filemod":
            return [info.resolve(o, p) for p in spec.filemods]
        if field == "regmod":
            return [info.resolve(o, p) for p in spec.regmods]
        if field == "modload":
            if not oldest:
                return []
            return [info.kinds[o].path] + [
                self.binaries.entry(m).path for m in self.modules_of(info.ep.os_type, spec)
            ]
        if field == "domain":
            return [d for d, _, _ in spec.netconns if d]
        if field == "ipaddr":
            return [ip for _, ip, _ in spec.netconns]
        if field == "ipport":
            return [port for _, _, port in spec.netconns]
        if field in ("crossproc_name", "crossproc_md5"):
            if not oldest:
                return []
            if field == "crossproc_name":
                return [info.kinds[c].name for c in spec.crossproc if c < info.limit]
            return [
                self.binaries.md5(info.kinds[c].binary) for c in spec.crossproc if c < info.limit
            ]
        return []

    @property
    def schema(self) -> dict[str, FieldType]:
        return PROCESS_SCHEMA

    @property
    def default_fields(self) -> tuple[str, ...]:
        return _DEFAULT_FIELDS

    # --- events -----------------------------------------------------------------------------------
    def events(self, info: BlockInfo, o: int, segment: int | None) -> list[Event]:
        """The events of one segment (index) or, with ``segment=None``, of all segments, in time
        order."""
        segs = range(len(info.seg_docs[o])) if segment is None else (segment,)
        out: list[Event] = []
        for s in segs:
            out.extend(self._segment_events(info, o, s))
        out.sort(key=lambda e: e.time)
        return out

    def _segment_events(self, info: BlockInfo, o: int, s: int) -> list[Event]:
        spec = info.template.entries[o]
        kind = info.kinds[o]
        bins = self.binaries
        p = info.process_index[o]
        rng = random.Random(mix(self.seed, p, s, 0xEE))
        begin, end = info.seg_window(o, s)
        span = max(end - begin, 0.001)
        oldest = s == len(info.seg_docs[o]) - 1
        out: list[Event] = []

        def when() -> float:
            return begin + rng.random() * span

        if oldest:
            t0 = info.start(o)
            out.append(Event("modload", t0, s, (bins.md5(kind.binary), kind.path)))
            for k, m in enumerate(self.modules_of(info.ep.os_type, spec)):
                out.append(
                    Event("modload", t0 + 0.001 * (k + 1), s, (bins.md5(m), bins.entry(m).path))
                )
        for rep in range(spec.repeat):
            for k, raw in enumerate(spec.filemods):
                path = info.resolve(o, raw)
                op = (1, 2, 8, 8, 2, 4)[(rep + k) % 6] if spec.repeat > 1 else (1, 2, 8)[k % 3]
                ext = path.rsplit(".", 1)[-1] if "." in path.rsplit("\\", 1)[-1] else ""
                ftype = _FILETYPES.get(ext, 0)
                md5 = f"{mix(self.seed, p, k, rep) & ((1 << 128) - 1):032x}" if op == 8 else ""
                out.append(Event("filemod", when(), s, (op, path, md5, ftype, False)))
            for k, raw in enumerate(spec.regmods):
                op = 1 if rep == 0 and k == 0 and s == len(info.seg_docs[o]) - 1 else 2
                out.append(Event("regmod", when(), s, (op, info.resolve(o, raw), False)))
            for domain, ip, port in spec.netconns:
                proto = 17 if port == 53 else 6
                local_port = 49152 + rng.randrange(16000)
                out.append(
                    Event(
                        "netconn",
                        when(),
                        s,
                        (
                            domain,
                            _ip_int(ip),
                            port,
                            proto,
                            True,
                            _ip_int(info.ep.internal_ip),
                            local_port,
                            0,
                        ),
                    )
                )
        if oldest:
            for c in spec.crossproc:
                if c < info.limit and c != o:
                    out.append(
                        Event(
                            "crossproc",
                            when(),
                            s,
                            (
                                "ProcessOpen",
                                info.latest_unique_id(c),
                                bins.md5(info.kinds[c].binary),
                                info.kinds[c].path,
                                1,
                                0x1FFFFF,
                                False,
                            ),
                        )
                    )
        for c in info.children[o]:
            child_kind = info.kinds[c]
            child_uid = info.latest_unique_id(c)
            md5 = bins.md5(child_kind.binary)
            if oldest:
                out.append(
                    Event(
                        "childproc",
                        info.start(c),
                        s,
                        (child_uid, md5, child_kind.path, info.pids[c], True, False, "", ""),
                    )
                )
            if info.terminated[c] and s == 0:
                # Terminations are reported in the parent's newest segment.
                t_end = max(info.lu(info.seg_docs[c][0]), begin)
                out.append(
                    Event(
                        "childproc",
                        t_end,
                        s,
                        (child_uid, md5, child_kind.path, info.pids[c], False, False, "", ""),
                    )
                )
        if oldest:
            for k in range(spec.suppressed_children):
                pid = info.pids[o] + 4 * (k + 1)
                t = when()
                ft = int((t + FILETIME_EPOCH_OFFSET) * _TEN7)
                uid = _guid(info.ep.sensor_id, pid, ft) + "-000000000001"
                conhost = "c:\\windows\\system32\\conhost.exe"
                out.append(
                    Event(
                        "childproc",
                        t,
                        s,
                        (
                            uid,
                            bins.md5(bins.image_index["conhost"]),
                            conhost,
                            pid,
                            True,
                            True,
                            info.username(o),
                            f"\\??\\{conhost} 0xffffffff -ForceV1",
                        ),
                    )
                )
        return out

    # --- event rendering --------------------------------------------------------------------------
    @staticmethod
    def render_event(event: Event, version: int) -> Any:
        """One ``*_complete`` entry as API version ``version`` (1-4) returns it."""
        t = event.time
        d = event.data
        if event.type == "modload":
            return f"{cb_time(t)}|{d[0]}|{d[1]}"
        if event.type == "filemod":
            op, path, md5, ftype, tamper = d
            return f"{op}|{cb_time(t)}|{path}|{md5}|{ftype or ''}|{'true' if tamper else 'false'}"
        if event.type == "regmod":
            op, path, tamper = d
            return f"{op}|{cb_time(t)}|{path}|{'true' if tamper else 'false'}"
        if event.type == "netconn":
            domain, rip, rport, proto, outbound, lip, lport, _ = d
            if version == 1:
                return f"{cb_time(t)}|{signed32(rip)}|{rport}|{proto}|{domain}|{'true' if outbound else 'false'}"
            remote: Any = signed32(rip) if version < 4 else _ip_str(rip)
            local: Any = signed32(lip) if version < 4 else _ip_str(lip)
            return {
                "domain": domain,
                "proto": proto,
                "local_port": lport,
                "timestamp": iso_ms(t),
                "local_ip": local,
                "direction": "true" if outbound else "false",
                "remote_port": rport,
                "remote_ip": remote,
            }
        if event.type == "childproc":
            uid, md5, path, pid, started, suppressed, user, cmdline = d
            if version < 3:
                return (
                    f"{cb_time(t)}|{uid}|{md5}|{path}|{pid}|{'true' if started else 'false'}|false"
                )
            key = "start" if started else "end"
            return {
                "userName": user,
                "processId": uid,
                key: iso_ms(t)[:-1] + "000Z",
                "commandLine": cmdline,
                "pid": pid,
                "is_suppressed": suppressed,
                "is_tampered": False,
                "path": path,
                "type": key,
                "md5": md5,
            }
        if event.type == "crossproc":
            kind, uid, md5, path, sub, access, tamper = d
            return f"{kind}|{cb_time(t)}|{uid}|{md5}|{path}|{sub}|{access}|{'true' if tamper else 'false'}"
        raise ValueError(f"unknown event type {event.type}")


_EP_PLACEHOLDERS = ("{user}", "{sid}", "{app}")


def _cmd_template(kind: ProcKind) -> str:
    spec = kind.spec
    return "" if spec.image.startswith("@") else spec.cmdlines[kind.cmdline_index]


_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_json = _encoder.encode


@lru_cache(maxsize=4096)
def _ip_int(ip: str) -> int:
    a, b, c, d = (int(x) for x in ip.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def _ip_str(ip: int) -> str:
    ip &= 0xFFFFFFFF
    return f"{ip >> 24}.{(ip >> 16) & 255}.{(ip >> 8) & 255}.{ip & 255}"
