"""One block of the process set (one template instance on one endpoint), computed lazily."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Protocol

from cbasync.testing.dataset._catalog import BLOCK, TEMPLATES, Template
from cbasync.testing.dataset._fmt import (
    FILETIME_EPOCH_OFFSET,
)
from cbasync.testing.dataset.edr_process.common import (
    SCRAMBLE_ADD,
    SCRAMBLE_MUL,
    TEN7,
    USERS,
    ProcKind,
    make_guid,
)
from cbasync.testing.dataset.endpoints import Endpoint, EndpointPopulation

__all__ = ["BlockInfo", "BlockSource"]


class BlockSource(Protocol):
    """What a block reads of its process set."""

    @property
    def count(self) -> int: ...

    @property
    def epoch(self) -> float: ...

    @property
    def endpoints(self) -> EndpointPopulation: ...

    @property
    def kinds(self) -> Sequence[ProcKind]: ...

    @property
    def step(self) -> float: ...

    def block_template_endpoint(self, b: int) -> tuple[int, int]: ...

    def variants(self, b: int, limit: int) -> list[int]: ...

    def offset_codes(self, b: int, t: int, e: int, limit: int) -> list[int]: ...

    def layout(self, t: int, limit: int = BLOCK) -> list[tuple[int, int]]: ...

    def layout_counts(self, t: int, limit: int, os: str) -> list[dict[str, int]]: ...

    def doc_start(self, b: int) -> int: ...

    def resolve(self, kind: ProcKind, ep: Endpoint, n: int, text: str) -> str: ...

    def cmdline(self, kind: ProcKind, ep: Endpoint, n: int) -> str: ...

    def process_json(self, info: BlockInfo, o: int) -> str: ...

    def terminated(self, template: Template, o: int) -> bool: ...


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

    def __init__(self, owner: BlockSource, b: int) -> None:
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
            (s + FILETIME_EPOCH_OFFSET) * TEN7 + (p * SCRAMBLE_MUL + SCRAMBLE_ADD) % TEN7
            for s, p in zip(self.start_seconds, self.process_index, strict=True)
        ]

    def start(self, o: int) -> float:
        return self.filetimes[o] / TEN7 - FILETIME_EPOCH_OFFSET

    def start_ms(self, o: int) -> float:
        return (self.filetimes[o] // 10_000) / 1000.0 - FILETIME_EPOCH_OFFSET

    @cached_property
    def guids(self) -> list[str]:
        sid = self.ep.sensor_id
        return [make_guid(sid, pid, ft) for pid, ft in zip(self.pids, self.filetimes, strict=True)]

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
            filetime = (before + FILETIME_EPOCH_OFFSET) * TEN7 + (h >> 24) % TEN7
            out[o] = (make_guid(self.ep.sensor_id, pid, filetime), pid)
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
        return [self.owner.terminated(self.template, o) for o in range(self.limit)]

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
        return USERS[self.ep.os_type][kind]

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
