"""The events of one Enterprise EDR process, built on demand, and their search table.

A process's event counts are part of its search document; the events themselves are generated
only when a client asks for them (``events/{process_guid}/_search``), in time order.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from cbasync.testing.dataset.cloud.common import iso, mix, stable
from cbasync.testing.dataset.cloud.process_catalog import FAMILY, SYSTEM32
from cbasync.testing.dataset.cloud.processes import EVENT_TYPES, ProcessStore
from cbasync.testing.query import FieldType
from cbasync.testing.search import (
    Column,
    Table,
    epoch_of,
)

__all__ = ["EVENT_DESCRIPTIONS", "EVENT_SCHEMA", "event_table", "process_events"]


EVENT_DESCRIPTIONS = {
    "netconn": "connected to",
    "filemod": "modified",
    "regmod": "modified registry key",
    "modload": "loaded",
    "crossproc": "opened a handle to",
    "childproc": "started",
    "scriptload": "loaded script",
}


EVENT_SCHEMA: dict[str, FieldType] = {
    "event_type": "keyword",
    "process_name": "text",
    "netconn_remote_ipv4": "ip",
    "netconn_local_ipv4": "ip",
    "netconn_remote_port": "number",
    "netconn_local_port": "number",
    "netconn_protocol": "keyword",
    "netconn_domain": "keyword",
    "filemod_name": "text",
    "regmod_name": "text",
    "modload_name": "text",
    "crossproc_name": "text",
    "childproc_name": "text",
    "childproc_cmdline": "text",
    "scriptload_name": "keyword",
    "event_description": "text",
    "event_timestamp": "date",
}


def event_table(events: list[dict[str, Any]]) -> Table:
    """A Table over one process's materialised events."""
    names = sorted({k for e in events for k in e} | set(EVENT_SCHEMA))
    cols: dict[str, Column] = {}
    for name in names:
        cols[name] = (lambda n: lambda i: events[i].get(n))(name)
    cols["event_timestamp"] = lambda i: epoch_of(events[i]["event_timestamp"])
    return Table(
        count=lambda: len(events),
        columns=cols,
        schema=EVENT_SCHEMA,
        default_fields=("event_description",),
        time_field="event_timestamp",
        time_criteria=frozenset({"event_timestamp", "backend_timestamp", "device_timestamp"}),
    )


def _token(*parts: Any) -> str:
    digest = hashlib.md5(repr(parts).encode(), usedforsecurity=False).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def process_events(store: ProcessStore, i: int) -> list[dict[str, Any]]:
    """Every event of process ``i`` (built on demand, in time order)."""
    ep, prog = store.endpoint(i), store.prog(i)
    start = store.start(i)
    counts = store.counts(i)
    children = store.children(i)
    windows = ep.os_family == "windows"
    out: list[dict[str, Any]] = []
    for kind in EVENT_TYPES:
        n = counts[f"{kind}_count"]
        for k in range(n):
            h = mix(store.seed, i * 131 + k, 8 + EVENT_TYPES.index(kind))
            t = start + 1 + (h % 3600) / 10
            event: dict[str, Any] = {
                "event_type": kind,
                "event_id": f"{stable('evt', store.seed, i, kind, k):032x}",
                # The real server's ids: 22 URL-safe base64 characters (fixture).
                "event_guid": _token("guid", store.seed, i, kind, k),
                "event_hash": _token("hash", store.seed, i, kind, k),
                "event_timestamp": iso(t),
                "created_timestamp": iso(t + 95),
                "legacy": False,
                "backend_timestamp": iso(t + 90),
                "device_timestamp": iso(t),
                "device_id": ep.device_id,
                "device_name": ep.hostname.lower(),
                "process_guid": store.guid(i),
                "process_pid": store.pid(i),
                "process_name": prog.path,
            }
            if kind == "netconn":
                ip = (
                    f"203.0.113.{h % 250 + 1}"
                    if h % 3
                    else f"10.{h % 200}.{(h >> 8) % 250}.{(h >> 16) % 250 + 1}"
                )
                port = (443, 80, 53, 445, 3389, 8080, 3333)[h % 7]
                target = f"{ip}:{port}"
                event.update(
                    {
                        "netconn_remote_ipv4": ip,
                        "netconn_remote_port": port,
                        "netconn_local_ipv4": ep.internal_ip,
                        "netconn_local_port": 49_152 + h % 16_000,
                        "netconn_protocol": "PROTO_UDP" if port == 53 else "PROTO_TCP",
                        "netconn_action": "ACTION_CONNECTION_ESTABLISHED",
                        "netconn_domain": (
                            "api.example.com",
                            "cdn.example.net",
                            "pool.example.net",
                            "",
                        )[h % 4],
                        "netconn_inbound": False,
                    }
                )
            elif kind == "filemod":
                folder = "c:\\users\\public\\" if windows else "/tmp/"
                name = f"{folder}{('report', 'cache', 'update', 'data')[h % 4]}{k}.{('tmp', 'dat', 'exe', 'log')[(h >> 4) % 4]}"
                target = name
                event.update(
                    {
                        "filemod_name": name,
                        "filemod_action": ["ACTION_FILE_CREATE", "ACTION_FILE_LAST_WRITE"][h % 2],
                        "filemod_hash": [
                            hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()
                        ],
                    }
                )
            elif kind == "regmod":
                key = f"\\registry\\machine\\software\\microsoft\\windows\\currentversion\\run\\entry{k}"
                target = key
                event.update(
                    {
                        "regmod_name": key,
                        "regmod_action": "ACTION_WRITE_VALUE",
                    }
                )
            elif kind == "modload":
                lib = (
                    (
                        SYSTEM32
                        + (
                            "ntdll.dll",
                            "kernel32.dll",
                            "user32.dll",
                            "ws2_32.dll",
                            "advapi32.dll",
                            "crypt32.dll",
                        )[h % 6]
                    )
                    if windows
                    else f"/usr/lib/x86_64-linux-gnu/{('libc.so.6', 'libssl.so.3', 'libz.so.1')[h % 3]}"
                )
                target = lib
                event.update(
                    {
                        "modload_name": lib,
                        "modload_md5": hashlib.md5(lib.encode(), usedforsecurity=False).hexdigest(),
                        "modload_sha256": hashlib.sha256(lib.encode()).hexdigest(),
                        "modload_action": "ACTION_LOADED_MODULE_DISCOVERED",
                        "modload_effective_reputation": "REP_WHITE",
                        "modload_publisher": "Microsoft Windows" if windows else "",
                        "modload_publisher_state": [
                            "FILE_SIGNATURE_STATE_OS",
                            "FILE_SIGNATURE_STATE_SIGNED",
                            "FILE_SIGNATURE_STATE_TRUSTED",
                            "FILE_SIGNATURE_STATE_VERIFIED",
                        ]
                        if windows
                        else ["FILE_SIGNATURE_STATE_NOT_SIGNED"],
                    }
                )
            elif kind == "crossproc":
                target = SYSTEM32 + "lsass.exe" if windows else "/usr/sbin/sshd"
                event.update(
                    {
                        "crossproc_name": target,
                        "crossproc_action": "ACTION_PROCESS_API_CALL"
                        if h % 2
                        else "ACTION_OPEN_PROCESS_HANDLE",
                        "crossproc_target": True,
                        "crossproc_process_guid": store.guid(i - i % FAMILY),
                    }
                )
            elif kind == "childproc":
                child = children[k]
                child_prog = store.prog(child)
                target = child_prog.name
                event.update(
                    {
                        "childproc_guid": store.guid(child),
                        "childproc_pid": store.pid(child),
                        "childproc_name": child_prog.path,
                        "childproc_cmdline": child_prog.cmdline,
                        "childproc_hash": [child_prog.md5, child_prog.sha256],
                        "childproc_username": store.username(child),
                        "event_timestamp": iso(store.start(child)),
                    }
                )
            elif kind == "scriptload":
                script = f"c:\\scripts\\task{k}.ps1"
                target = script
                event.update(
                    {
                        "scriptload_name": script,
                        "scriptload_content": "Get-Process | Sort-Object CPU -Descending | Select-Object -First 5",
                    }
                )
            event["event_description"] = (
                f"The application {prog.name} {EVENT_DESCRIPTIONS[kind]} {target}"
            )
            out.append(event)
    out.sort(key=lambda e: (e["event_timestamp"], e["event_id"]))
    return out
