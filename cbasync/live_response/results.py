"""What Live Response commands return, the same whichever server ran them.

EDR, the cloud's v6 and the legacy v3 API spell results differently (v6 says ``process_pid``
where EDR says ``pid``; v3 writes registry fields in camelCase). Each product's dialect reads its
server's shapes and hands back these records, named as the cbapi manual and EDR name them, so a
job written once runs on every server. They read as attributes or, as cbapi users index them,
as dict keys (``entry["filename"]``); fields a server adds are kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, TypeVar

import pydantic
from pydantic import Field

from cbasync.model import ItemAccess
from cbasync.models._base import CbModel

__all__ = [
    "CreatedProcess",
    "DirectoryEntry",
    "ProcessEntry",
    "RegistryKey",
    "RegistryValue",
    "records",
]

R = TypeVar("R", bound=pydantic.BaseModel)


class DirectoryEntry(ItemAccess, CbModel):
    """One entry of a directory listing (``.`` and ``..`` included). Times are epoch seconds;
    ``attributes`` are ``FILE_ATTRIBUTE_*`` names without the prefix (``DIRECTORY``,
    ``ARCHIVE``, ``HIDDEN``...)."""

    filename: str = ""
    alt_name: str | None = None
    attributes: list[str] = Field(default_factory=list)
    size: int = 0
    create_time: int | None = None
    last_access_time: int | None = None
    last_write_time: int | None = None

    @property
    def is_directory(self) -> bool:
        return "DIRECTORY" in self.attributes


class ProcessEntry(ItemAccess, CbModel):
    """One running process, with EDR's field names (the cloud's ``process_pid`` is ``pid``,
    ``parent_pid`` is ``parent``, ``process_path`` is ``path``...)."""

    pid: int | None = None
    parent: int | None = None
    path: str | None = None
    command_line: str | None = None
    username: str | None = None
    sid: str | None = None
    create_time: int | None = None
    proc_guid: str | None = None
    parent_guid: str | None = None


class RegistryValue(ItemAccess, CbModel):
    """A registry value: ``value_data`` is a string, an integer (``REG_DWORD``, ``REG_QWORD``)
    or a list of strings (``REG_MULTI_SZ``)."""

    value_name: str = ""
    value_type: str = ""
    value_data: Any = None


class RegistryKey(ItemAccess, CbModel):
    """A registry key's subkey names and values (``reg enum key``)."""

    sub_keys: list[str] = Field(default_factory=list)
    values: list[RegistryValue] = Field(default_factory=list)


@dataclasses.dataclass(frozen=True, slots=True)
class CreatedProcess:
    """What ``create_process`` started: its ``pid``, its ``return_code`` once it has exited
    (when waited for) and its ``output`` (stdout and stderr, when asked for)."""

    pid: int | None
    return_code: int | None = None
    output: bytes | None = None


def records(model: type[R], rows: Sequence[pydantic.BaseModel] | None) -> list[R] | None:
    """A server's rows (parsed with its own generated model) as these records, every field as
    the server sent it; ``None`` stays ``None`` (the command has no such result)."""
    if rows is None:
        return None
    return [model.model_validate(row.model_dump(exclude_unset=True)) for row in rows]
