"""Process events, parsed from every version of the EDR event routes.

v1 sends each event as a pipe-delimited string; v2 turns network connections into objects, v3
child processes, v4 writes IPs as strings. :func:`parse_events` takes a ``*_complete`` list of
any version and gives typed, immutable events. A string that does not parse becomes an
:class:`UnparsedEvent` carrying the text and the reason — visible, never silently dropped.

Formats (seed 003)::

    filemod    op|time|path|md5_after_last_write|filetype|tamper
    modload    time|md5|path
    regmod     op|time|key_path
    netconn    time|ip(signed int32)|port|proto|domain|outbound          (v1)
    childproc  time|child_unique_id|md5|path|pid|started|tamper          (v1, v2)
    crossproc  type|time|target_unique_id|target_md5|target_path|subtype|access_mask|tamper
"""

from __future__ import annotations

import dataclasses
import datetime
import socket
import struct
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Literal, Union

__all__ = [
    "ChildProcEvent",
    "CrossProcEvent",
    "Event",
    "FileModEvent",
    "ModLoadEvent",
    "NetConnEvent",
    "ProcessEvents",
    "RegModEvent",
    "UnparsedEvent",
    "parse_events",
]

FILEMOD_OPERATIONS = {1: "Created", 2: "FirstWrote", 4: "Deleted", 8: "LastWrote"}
REGMOD_OPERATIONS = {1: "CreatedKey", 2: "FirstWrote", 4: "DeletedKey", 8: "DeletedValue"}
FILE_TYPES = {
    1: "PE",
    2: "ELF",
    3: "UniversalBin",
    8: "EICAR",
    16: "OfficeLegacy",
    17: "OfficeOpenXml",
    48: "Pdf",
    64: "ArchivePkzip",
    65: "ArchiveLzh",
    66: "ArchiveLzw",
    67: "ArchiveRar",
    68: "ArchiveTar",
    69: "Archive7zip",
}
PROTOCOLS = {6: "TCP", 17: "UDP"}
CROSSPROC_SUBTYPES = {1: "process", 2: "thread"}

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class _EventError(ValueError):
    pass


class _Event:
    """What every event type shares: ``kind`` and a ``model_dump()`` like every model's, so a
    list of events goes into pandas or JSON as easily as a list of processes."""

    __slots__ = ()

    def model_dump(self, *, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
        """``{"kind": "filemod", "timestamp": ..., ...}``; ``mode="json"`` writes times as ISO
        8601 strings."""
        data: dict[str, Any] = {"kind": getattr(self, "kind")}  # noqa: B009 - set by subclasses
        names: dict[str, Any] = getattr(self, "__dataclass_fields__")  # noqa: B009
        for name in names:
            value = getattr(self, name)
            if mode == "json" and isinstance(value, datetime.datetime):
                value = value.isoformat()
            data[name] = value
        return data


def _time(text: str) -> datetime.datetime:
    """``2016-04-13 19:22:48.047`` (sensor GMT), with or without the fraction, or ISO 8601."""
    text = text.strip()
    for layout in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.datetime.strptime(text, layout).replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            continue
    try:
        value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _EventError(f"bad time {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0", ""):
        return False
    raise _EventError(f"bad flag {text!r}")


def _int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise _EventError(f"bad number {text!r}") from None


def _ipv4(value: int | str | None) -> str | None:
    """EDR sends IPv4 as a signed 32-bit integer; v4 sends strings (IPv4 or IPv6)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            number = int(value)
        except ValueError:
            return value
        value = number
    return socket.inet_ntoa(struct.pack(">i" if value < 0 else ">I", value))


def _fields(raw: object, count: int) -> list[str]:
    if not isinstance(raw, str):
        raise _EventError(f"expected a pipe-delimited string, got {type(raw).__name__}")
    parts = raw.split("|")
    if len(parts) < count:
        raise _EventError(f"expected {count} fields, got {len(parts)}")
    return parts


@dataclasses.dataclass(frozen=True, slots=True)
class FileModEvent(_Event):
    kind: ClassVar[str] = "filemod"
    timestamp: datetime.datetime
    operation: str
    path: str
    md5: str | None
    file_type: str | None
    tampered: bool
    segment_id: int | None = None

    @classmethod
    def parse(cls, raw: Any, segment_id: int | None = None) -> FileModEvent:
        parts = _fields(raw, 3)
        op = _int(parts[0])
        file_type = _int(parts[4]) if len(parts) > 4 and parts[4].strip() else None
        return cls(
            timestamp=_time(parts[1]),
            operation=FILEMOD_OPERATIONS.get(op, str(op)),
            path=parts[2],
            md5=(parts[3] or None) if len(parts) > 3 else None,
            file_type=None if file_type is None else FILE_TYPES.get(file_type, str(file_type)),
            tampered=_bool(parts[5]) if len(parts) > 5 else False,
            segment_id=segment_id,
        )


@dataclasses.dataclass(frozen=True, slots=True)
class ModLoadEvent(_Event):
    kind: ClassVar[str] = "modload"
    timestamp: datetime.datetime
    md5: str
    path: str
    segment_id: int | None = None

    @classmethod
    def parse(cls, raw: Any, segment_id: int | None = None) -> ModLoadEvent:
        parts = _fields(raw, 3)
        return cls(
            timestamp=_time(parts[0]), md5=parts[1], path="|".join(parts[2:]), segment_id=segment_id
        )


@dataclasses.dataclass(frozen=True, slots=True)
class RegModEvent(_Event):
    kind: ClassVar[str] = "regmod"
    timestamp: datetime.datetime
    operation: str
    path: str
    tampered: bool = False
    segment_id: int | None = None

    @classmethod
    def parse(cls, raw: Any, segment_id: int | None = None) -> RegModEvent:
        parts = _fields(raw, 3)
        op = _int(parts[0])
        return cls(
            timestamp=_time(parts[1]),
            operation=REGMOD_OPERATIONS.get(op, str(op)),
            path=parts[2],
            tampered=_bool(parts[3]) if len(parts) > 3 else False,
            segment_id=segment_id,
        )


@dataclasses.dataclass(frozen=True, slots=True)
class NetConnEvent(_Event):
    kind: ClassVar[str] = "netconn"
    timestamp: datetime.datetime
    remote_ip: str | None
    remote_port: int | None
    protocol: str | None
    domain: str | None
    direction: str
    local_ip: str | None = None
    local_port: int | None = None
    blocked: bool = False
    segment_id: int | None = None

    @classmethod
    def parse(cls, raw: Any, segment_id: int | None = None) -> NetConnEvent:
        if isinstance(raw, Mapping):
            # v2+ objects write the direction as "true"/"false" (outbound or not), like v1.
            direction = raw.get("direction")
            if isinstance(direction, str) and direction.lower() in ("true", "false"):
                direction = direction.lower() == "true"
            if isinstance(direction, bool):
                direction = "outbound" if direction else "inbound"
            proto = raw.get("proto")
            timestamp = raw.get("timestamp")
            return cls(
                timestamp=_time(str(timestamp))
                if not isinstance(timestamp, datetime.datetime)
                else timestamp,
                remote_ip=_ipv4(raw.get("remote_ip")),
                remote_port=raw.get("remote_port"),
                protocol=PROTOCOLS.get(proto, str(proto)) if proto is not None else None,
                domain=raw.get("domain") or None,
                direction=str(direction or "outbound").lower(),
                local_ip=_ipv4(raw.get("local_ip")),
                local_port=raw.get("local_port"),
                blocked=bool(raw.get("block_type")),
                segment_id=segment_id,
            )
        parts = _fields(raw, 6)
        proto = _int(parts[3])
        return cls(
            timestamp=_time(parts[0]),
            remote_ip=_ipv4(_int(parts[1])),
            remote_port=_int(parts[2]),
            protocol=PROTOCOLS.get(proto, str(proto)),
            domain=parts[4] or None,
            direction="outbound" if _bool(parts[5]) else "inbound",
            segment_id=segment_id,
        )


@dataclasses.dataclass(frozen=True, slots=True)
class ChildProcEvent(_Event):
    kind: ClassVar[str] = "childproc"
    timestamp: datetime.datetime
    process_id: str
    md5: str | None
    path: str | None
    pid: int | None
    started: bool
    tampered: bool = False
    suppressed: bool = False
    command_line: str | None = None
    username: str | None = None
    sha256: str | None = None
    segment_id: int | None = None

    @classmethod
    def parse(cls, raw: Any, segment_id: int | None = None) -> ChildProcEvent:
        if isinstance(raw, Mapping):
            started = str(raw.get("type", "start")).lower() == "start"
            when = raw.get("start") if started else raw.get("end")
            when = when or raw.get("start") or raw.get("end")
            if when is None:
                raise _EventError("no start or end time")
            return cls(
                timestamp=when if isinstance(when, datetime.datetime) else _time(str(when)),
                process_id=str(raw.get("processId") or ""),
                md5=raw.get("md5"),
                path=raw.get("path"),
                pid=raw.get("pid"),
                started=started,
                tampered=bool(raw.get("is_tampered")),
                suppressed=bool(raw.get("is_suppressed")),
                command_line=raw.get("commandLine"),
                username=raw.get("userName"),
                sha256=raw.get("sha256"),
                segment_id=segment_id,
            )
        parts = _fields(raw, 6)
        return cls(
            timestamp=_time(parts[0]),
            process_id=parts[1],
            md5=parts[2] or None,
            path=parts[3] or None,
            pid=_int(parts[4]) if parts[4].strip() else None,
            started=_bool(parts[5]),
            tampered=_bool(parts[6]) if len(parts) > 6 else False,
            segment_id=segment_id,
        )

    @property
    def child_guid(self) -> str:
        """The child's process GUID (v1 strings carry ``<guid>-<segment>``)."""
        parts = self.process_id.split("-")
        return "-".join(parts[:5]) if len(parts) > 5 else self.process_id


@dataclasses.dataclass(frozen=True, slots=True)
class CrossProcEvent(_Event):
    kind: ClassVar[str] = "crossproc"
    timestamp: datetime.datetime
    type: str
    target_unique_id: str
    target_md5: str | None
    target_path: str | None
    target_type: str
    access_mask: int
    tampered: bool = False
    segment_id: int | None = None

    @classmethod
    def parse(cls, raw: Any, segment_id: int | None = None) -> CrossProcEvent:
        parts = _fields(raw, 7)
        subtype = _int(parts[5])
        return cls(
            type=parts[0],
            timestamp=_time(parts[1]),
            target_unique_id=parts[2],
            target_md5=parts[3] or None,
            target_path=parts[4] or None,
            target_type=CROSSPROC_SUBTYPES.get(subtype, str(subtype)),
            access_mask=_int(parts[6]),
            tampered=_bool(parts[7]) if len(parts) > 7 else False,
            segment_id=segment_id,
        )


@dataclasses.dataclass(frozen=True, slots=True)
class UnparsedEvent(_Event):
    """An event the SDK could not read: kept with its text and the reason."""

    kind: str
    raw: Any
    reason: str
    timestamp: datetime.datetime = _EPOCH
    segment_id: int | None = None


Event = Union[  # noqa: UP007 - a runtime alias, also for Python 3.10 users
    FileModEvent,
    ModLoadEvent,
    RegModEvent,
    NetConnEvent,
    ChildProcEvent,
    CrossProcEvent,
    UnparsedEvent,
]

PARSERS: dict[str, Callable[[Any, int | None], Event]] = {
    "filemod": FileModEvent.parse,
    "modload": ModLoadEvent.parse,
    "regmod": RegModEvent.parse,
    "netconn": NetConnEvent.parse,
    "childproc": ChildProcEvent.parse,
    "crossproc": CrossProcEvent.parse,
}


def parse_events(
    kind: str, items: Iterable[Any] | None, segment_id: int | None = None
) -> list[Event]:
    """Parse one ``<kind>_complete`` list of any API version."""
    parse = PARSERS[kind]
    events: list[Event] = []
    for item in items or ():
        raw = item.model_dump() if hasattr(item, "model_dump") else item
        try:
            events.append(parse(raw, segment_id))
        except (_EventError, TypeError, KeyError, ValueError, struct.error, OSError) as exc:
            events.append(UnparsedEvent(kind=kind, raw=raw, reason=str(exc), segment_id=segment_id))
    return events


@dataclasses.dataclass(frozen=True)
class ProcessEvents:
    """Every event of one process (one segment, or all of them), by kind and in time order."""

    filemods: list[FileModEvent]
    modloads: list[ModLoadEvent]
    regmods: list[RegModEvent]
    netconns: list[NetConnEvent]
    childprocs: list[ChildProcEvent]
    crossprocs: list[CrossProcEvent]
    unparsed: list[UnparsedEvent]

    @classmethod
    def from_lists(
        cls, lists: Mapping[str, Iterable[Any] | None], segment_id: int | None = None
    ) -> ProcessEvents:
        by_kind: dict[str, list[Any]] = {kind: [] for kind in PARSERS}
        unparsed: list[UnparsedEvent] = []
        for kind in PARSERS:
            for event in parse_events(kind, lists.get(f"{kind}_complete"), segment_id):
                if isinstance(event, UnparsedEvent):
                    unparsed.append(event)
                else:
                    by_kind[kind].append(event)
        return cls(
            filemods=by_kind["filemod"],
            modloads=by_kind["modload"],
            regmods=by_kind["regmod"],
            netconns=by_kind["netconn"],
            childprocs=by_kind["childproc"],
            crossprocs=by_kind["crossproc"],
            unparsed=unparsed,
        )

    def merged(self, other: ProcessEvents) -> ProcessEvents:
        return ProcessEvents(
            *(getattr(self, f.name) + getattr(other, f.name) for f in dataclasses.fields(self))
        )

    @property
    def all(self) -> list[Event]:
        """Every parsed event, oldest first."""
        events: list[Event] = [
            *self.filemods,
            *self.modloads,
            *self.regmods,
            *self.netconns,
            *self.childprocs,
            *self.crossprocs,
        ]
        events.sort(key=lambda event: event.timestamp)
        return events

    def __len__(self) -> int:
        return sum(len(getattr(self, f.name)) for f in dataclasses.fields(self))
