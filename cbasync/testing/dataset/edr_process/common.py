"""The identity scheme and the small values the process set is made of: GUIDs that carry the
process number, process kinds, events, and the JSON and address helpers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cbasync.testing.dataset._catalog import ProcSpec

__all__ = [
    "ENDPOINT_PLACEHOLDERS",
    "EVENT_TYPES",
    "FILETYPES",
    "MAX_PROCESSES",
    "ROOT_PARENTS",
    "SCRAMBLE_ADD",
    "SCRAMBLE_INV",
    "SCRAMBLE_MUL",
    "SERVER_LAG",
    "TEN7",
    "USERS",
    "USER_KINDS",
    "Event",
    "ProcKind",
    "cmd_template",
    "ip_int",
    "ip_str",
    "make_guid",
    "parse_guid",
    "to_json",
]


MAX_PROCESSES = 10_000_000  # the FILETIME trick carries the process number in 7 decimal digits


TEN7 = 10_000_000


# The process number rides in the FILETIME's 7 sub-second digits, scrambled by an invertible
# affine map modulo 10**7 so start times do not all end in .000.
SCRAMBLE_MUL = 7_654_321


SCRAMBLE_ADD = 1_234_567


SCRAMBLE_INV = pow(SCRAMBLE_MUL, -1, TEN7)


SERVER_LAG = 9.5  # seconds between an event on the sensor and its arrival on the server


EVENT_TYPES = ("modload", "filemod", "regmod", "netconn", "childproc", "crossproc", "processblock")


ROOT_PARENTS = {
    "wininit": "smss.exe",
    "services": "wininit.exe",
    "explorer": "userinit.exe",
    "launchd": "",
    "systemd": "",
}


USERS = {
    "windows": {"system": "SYSTEM", "network": "NETWORK SERVICE", "service": "LOCAL SERVICE"},
    "osx": {"system": "root", "network": "_networkd", "service": "_appserver"},
    "linux": {"system": "root", "network": "nobody", "service": "svc"},
}


USER_KINDS = ("system", "network", "service", "user")


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


def make_guid(sensor_id: int, pid: int, filetime: int) -> str:
    h = f"{sensor_id:08x}{pid:08x}{filetime:016x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


FILETYPES = {
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


ENDPOINT_PLACEHOLDERS = ("{user}", "{sid}", "{app}")


def cmd_template(kind: ProcKind) -> str:
    spec = kind.spec
    return "" if spec.image.startswith("@") else spec.cmdlines[kind.cmdline_index]


_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


to_json = _encoder.encode


@lru_cache(maxsize=4096)
def ip_int(ip: str) -> int:
    a, b, c, d = (int(x) for x in ip.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def ip_str(ip: int) -> str:
    ip &= 0xFFFFFFFF
    return f"{ip >> 24}.{(ip >> 16) & 255}.{(ip >> 8) & 255}.{ip & 255}"
