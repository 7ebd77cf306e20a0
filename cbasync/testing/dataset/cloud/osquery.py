"""LiveQuery's SQL: the small osquery dialect the emulator runs against one endpoint.

``SELECT cols FROM table [WHERE col op value [AND|OR ...]] [LIMIT n]`` over ten tables built
from the endpoint and its image; anything osquery would refuse raises :class:`SqlError`, which
becomes the device's ``error`` status with the message in ``device_message``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from cbasync.testing.dataset.cloud.common import uuid_of
from cbasync.testing.dataset.endpoints import Endpoint

__all__ = ["LIVEQUERY_TABLES", "SqlError", "osquery_rows"]


class SqlError(ValueError):
    """What osquery reports for a query it cannot run (becomes a device ``error`` status)."""


_SQL = re.compile(
    r"^\s*select\s+(?P<cols>.+?)\s+from\s+(?P<table>[A-Za-z_][A-Za-z0-9_]*)"
    r"(?:\s+where\s+(?P<where>.+?))?(?:\s+limit\s+(?P<limit>\d+))?\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)


_COND = re.compile(
    r"^\s*(?P<col>[A-Za-z_][A-Za-z0-9_]*)\s*(?P<op>=|==|!=|<>|>=|<=|>|<|\blike\b)\s*"
    r"(?P<val>'(?:[^']|'')*'|\"[^\"]*\"|-?\d+(?:\.\d+)?)\s*$",
    re.IGNORECASE,
)


def _sql_condition(text: str) -> Callable[[Mapping[str, Any]], bool]:
    """A WHERE clause of ``col op value`` terms joined by AND/OR (AND binds tighter)."""
    ors = re.split(r"\s+or\s+", text.strip(), flags=re.IGNORECASE)
    groups: list[list[Callable[[Mapping[str, Any]], bool]]] = []
    for part in ors:
        terms = []
        for cond in re.split(r"\s+and\s+", part, flags=re.IGNORECASE):
            match = _COND.match(cond.strip().strip("()"))
            if match is None:
                raise SqlError(
                    f'near "{cond.strip().split()[0] if cond.strip() else text}": syntax error'
                )
            terms.append(
                _sql_term(match.group("col").lower(), match.group("op").lower(), match.group("val"))
            )
        groups.append(terms)
    return lambda row: any(all(t(row) for t in terms) for terms in groups)


def _sql_term(col: str, op: str, raw: str) -> Callable[[Mapping[str, Any]], bool]:
    if raw[0] in "'\"":
        value: Any = raw[1:-1].replace("''", "'")
    else:
        value = float(raw) if "." in raw else int(raw)

    def get(row: Mapping[str, Any]) -> Any:
        if col not in row:
            raise SqlError(f"no such column: {col}")
        return row[col]

    if op == "like":
        pattern = re.compile(
            "^" + re.escape(str(value)).replace("%", ".*").replace("_", ".") + "$", re.IGNORECASE
        )
        return lambda row: pattern.match(str(get(row))) is not None

    def compare(row: Mapping[str, Any]) -> bool:
        left = get(row)
        right = value
        if isinstance(right, (int, float)):
            try:
                left = float(left)
            except (TypeError, ValueError):
                return False
        else:
            left = str(left)
        if op in ("=", "=="):
            return bool(left == right)
        if op in ("!=", "<>"):
            return bool(left != right)
        if op == ">":
            return bool(left > right)
        if op == "<":
            return bool(left < right)
        if op == ">=":
            return bool(left >= right)
        return bool(left <= right)

    return compare


LIVEQUERY_TABLES = (
    "file",
    "interface_addresses",
    "listening_ports",
    "logged_in_users",
    "os_version",
    "processes",
    "programs",
    "system_info",
    "uptime",
    "users",
)


def osquery_rows(sql: str, ep: Endpoint, image: Any, now: float) -> list[dict[str, Any]]:
    """Run a (small) osquery SQL statement against one endpoint; SqlError when osquery would."""
    match = _SQL.match(sql or "")
    if match is None:
        word = (sql or "").strip().split()[0] if (sql or "").strip() else "end of input"
        raise SqlError(f'near "{word}": syntax error')
    table = match.group("table").lower()
    where = _sql_condition(match.group("where")) if match.group("where") else None
    rows = _osquery_table(table, ep, image, now, match.group("where") or "")
    if where is not None:
        rows = [r for r in rows if where(r)]
    if match.group("limit"):
        rows = rows[: int(match.group("limit"))]
    cols = [c.strip() for c in match.group("cols").split(",")]
    if cols == ["*"]:
        return rows
    out = []
    for row in rows:
        picked = {}
        for col in cols:
            name = col.split()[-1].lower() if " as " in col.lower() else col.lower()
            source = col.split()[0].lower()
            if source not in row:
                raise SqlError(f"no such column: {source}")
            picked[name] = row[source]
        out.append(picked)
    return out


def _osquery_table(
    table: str, ep: Endpoint, image: Any, now: float, where: str
) -> list[dict[str, Any]]:
    windows = ep.os_family == "windows"
    if table == "system_info":
        return [
            {
                "hostname": ep.hostname,
                "uuid": uuid_of("hw", ep.index).upper(),
                "cpu_brand": "Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz",
                "cpu_logical_cores": str(4 if ep.host_type == "workstation" else 16),
                "physical_memory": str(ep.physical_memory_size),
                "hardware_vendor": "VMware, Inc." if ep.host_type != "workstation" else "Dell Inc.",
                "hardware_model": "VMware7,1" if ep.host_type != "workstation" else "Latitude 7420",
                "computer_name": ep.hostname,
            }
        ]
    if table == "os_version":
        version = ep.cloud_os_version
        return [
            {
                "name": ep.os_name,
                "version": version,
                "major": "10" if windows else "",
                "platform": {"windows": "windows", "macos": "darwin", "linux": "ubuntu"}[
                    ep.os_family
                ],
            }
        ]
    if table == "uptime":
        total = ep.uptime
        return [
            {
                "days": str(total // 86_400),
                "hours": str(total % 86_400 // 3600),
                "minutes": str(total % 3600 // 60),
                "seconds": str(total % 60),
                "total_seconds": str(total),
            }
        ]
    if table == "processes":
        rows = []
        for p in image.process_list():
            name = p.path.replace("\\", "/").rsplit("/", 1)[-1] or (
                "System" if p.pid == 4 else "kernel"
            )
            rows.append(
                {
                    "pid": str(p.pid),
                    "name": name,
                    "path": p.path,
                    "cmdline": p.command_line,
                    "parent": str(p.parent),
                    "uid": p.sid,
                    "start_time": str(p.create_time),
                }
            )
        return rows
    if table == "users":
        user = ep.username.rsplit("\\", 1)[-1]
        base = [
            {
                "uid": "500" if windows else "0",
                "username": "Administrator" if windows else "root",
                "description": "Built-in account",
                "directory": "C:\\Users\\Administrator" if windows else "/root",
            }
        ]
        home = (
            f"C:\\Users\\{user}"
            if windows
            else (f"/Users/{user}" if ep.os_family == "macos" else f"/home/{user}")
        )
        return [
            *base,
            {
                "uid": "1001",
                "username": user,
                "description": f"{ep.first_name} {ep.last_name}",
                "directory": home,
            },
        ]
    if table == "logged_in_users":
        return (
            [
                {
                    "user": ep.username,
                    "host": ep.hostname,
                    "time": str(int(now) - 3600),
                    "type": "user",
                }
            ]
            if ep.online
            else []
        )
    if table == "interface_addresses":
        return [
            {
                "interface": "Ethernet0" if windows else "eth0",
                "address": ep.internal_ip,
                "mask": "255.255.255.0",
            },
            {"interface": "lo", "address": "127.0.0.1", "mask": "255.0.0.0"},
        ]
    if table == "listening_ports":
        ports = (135, 445, 3389) if windows else (22, 80)
        return [
            {"pid": "4" if windows else "1", "port": str(p), "protocol": "6", "address": "0.0.0.0"}  # noqa: S104 - data, not a bind
            for p in ports
        ]
    if table == "programs":
        if not windows:
            raise SqlError("no such table: programs")
        return [
            {"name": n, "version": v, "publisher": pub}
            for n, v, pub in (
                ("7-Zip 23.01 (x64)", "23.01", "Igor Pavlov"),
                ("Google Chrome", "120.0.6099.130", "Google LLC"),
                ("Mozilla Firefox (x64 en-US)", "121.0", "Mozilla"),
            )
        ]
    if table == "file":
        match = re.search(r"path\s*(?:=|like)\s*'([^']*)'", where, re.IGNORECASE)
        if match is None:
            raise SqlError("file table requires a path constraint")
        path = match.group(1)
        if "%" in path:
            folder = path.rsplit("\\" if windows else "/", 1)[0]
            try:
                entries = image.list_directory(folder + ("\\" if windows else "/"))
            except Exception:
                return []
            sep = "\\" if windows else "/"
            return [
                {
                    "path": folder + sep + e.filename,
                    "filename": e.filename,
                    "size": str(e.size),
                    "mtime": str(e.last_write_time),
                    "type": "directory" if "DIRECTORY" in e.attributes else "regular",
                }
                for e in entries
                if e.filename not in (".", "..")
            ]
        try:
            entry = image.list_directory(path)[0]
        except Exception:
            return []
        return [
            {
                "path": path,
                "filename": entry.filename,
                "size": str(entry.size),
                "mtime": str(entry.last_write_time),
                "type": "directory" if "DIRECTORY" in entry.attributes else "regular",
            }
        ]
    raise SqlError(f"no such table: {table}")
