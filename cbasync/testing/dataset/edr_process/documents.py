"""The blocks of the set and the JSON of its search documents and process summaries."""

from __future__ import annotations

import bisect
from typing import Any

from cbasync.testing.dataset._catalog import BLOCK
from cbasync.testing.dataset._fmt import (
    iso_ms,
    signed32,
)
from cbasync.testing.dataset.edr_process.blocks import BlockInfo
from cbasync.testing.dataset.edr_process.common import (
    EVENT_TYPES,
    SCRAMBLE_ADD,
    SCRAMBLE_INV,
    SERVER_LAG,
    TEN7,
    ProcKind,
    ip_int,
    parse_guid,
    to_json,
)
from cbasync.testing.dataset.edr_process.layout import DocumentLayout
from cbasync.testing.dataset.endpoints import Endpoint

__all__ = ["Documents"]


class Documents(DocumentLayout):
    """The blocks of the set (built on demand, a bounded number kept) and the JSON of a search
    document, a process summary and their pieces."""

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
        p = ((filetime % TEN7 - SCRAMBLE_ADD) * SCRAMBLE_INV) % TEN7
        if p >= self.count:
            return None
        info, o = self.process_block(p)
        if info.guids[o] != "-".join(guid.lower().split("-")[:5]):
            return None
        return info, o

    def row(self, d: int) -> tuple[BlockInfo, int]:
        """(block, position) of document ``d``, cached for sequential scans."""
        _, blocks = self._columns()
        b = blocks[d]
        info = self._last_block
        if info is None or info.b != b:
            info = self._last_block = self.block(b)
        return info, d - info.doc0

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
            "comms_ip": signed32(ip_int(ep.external_ip)),
            "regmod_count": counts["regmod"],
            "interface_ip": signed32(ip_int(ep.internal_ip)),
            "process_pid": info.pids[o],
            "username": info.username(o),
            "terminated": info.terminated[o],
            "emet_config": "",
            "process_name": kind.name,
            "emet_count": 0,
            "last_server_update": iso_ms(lu + SERVER_LAG),
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
            f'"last_server_update":"{iso_ms(lu + SERVER_LAG)}",'
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
            user = self._users_json[user_key] = to_json(info.username(o))
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
            text = self._cmd_json[key] = to_json(info.cmdline(o))
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
        return to_json(part)[1:-1]

    def _endpoint_fragment(self, ep: Endpoint) -> str:
        part = {
            "sensor_id": ep.sensor_id,
            "group": self.group_of[ep.index],
            "hostname": ep.hostname.lower(),
            "comms_ip": signed32(ip_int(ep.external_ip)),
            "interface_ip": signed32(ip_int(ep.internal_ip)),
            "host_type": ep.host_type,
            "os_type": ep.os_type,
        }
        return to_json(part)[1:-1]

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
