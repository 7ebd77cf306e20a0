"""The values an image hands out: directory entries, registry values and process entries, with
the dict shapes Live Response renders from.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DirEntry", "ProcessEntry", "ProcessRun", "RegData", "RegValue"]


@dataclass(frozen=True, slots=True)
class DirEntry:
    """One ``directory list`` row (names as the EDR/cloud sensors report them)."""

    filename: str
    alt_name: str
    attributes: tuple[str, ...]
    size: int
    create_time: int
    last_access_time: int
    last_write_time: int

    def as_dict(self) -> dict[str, object]:
        return {
            "filename": self.filename,
            "alt_name": self.alt_name,
            "attributes": list(self.attributes),
            "size": self.size,
            "create_time": self.create_time,
            "last_access_time": self.last_access_time,
            "last_write_time": self.last_write_time,
        }


RegData = str | int | list[str]


@dataclass(frozen=True, slots=True)
class RegValue:
    name: str
    type: str
    data: RegData

    def as_dict(self) -> dict[str, object]:
        data: object = list(self.data) if isinstance(self.data, list) else self.data
        return {"value_name": self.name, "value_type": self.type, "value_data": data}


@dataclass(slots=True)
class ProcessEntry:
    """One running process; product-specific GUIDs are derived from (pid, create_time)."""

    pid: int
    parent: int
    path: str
    command_line: str
    username: str
    sid: str
    create_time: int
    parent_create_time: int

    def as_dict(self) -> dict[str, object]:
        return {
            "pid": self.pid,
            "parent": self.parent,
            "path": self.path,
            "command_line": self.command_line,
            "username": self.username,
            "sid": self.sid,
            "create_time": self.create_time,
        }


@dataclass(frozen=True, slots=True)
class ProcessRun:
    """What ``create process`` did: the new pid, its exit code if it ran to the end, its output."""

    pid: int
    return_code: int | None
    output: bytes
    running: bool
