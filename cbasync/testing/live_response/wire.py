"""How each server spells Live Response objects on the wire (pure functions, no HTTP).

Three dialects of one backend (wire-protocol §2-3):

============ ============ ========================== ===================== ===================
dialect      session id   session / command status   process fields        registry fields
============ ============ ========================== ===================== ===================
EDR          ``7`` (int)  ``active`` / ``complete``  ``pid``, ``path``...  ``value_name``...
cloud v6     ``"7:123"``  ``ACTIVE`` / ``COMPLETE``  ``process_pid``...    ``value_name``...
legacy v3    ``"7:123"``  ``ACTIVE`` / ``complete``  ``pid``, ``path``...  ``valueName``...
============ ============ ========================== ===================== ===================

EDR and v3 report ``result_code`` unsigned (``2147942402``), v6 signed (``-2147024894``), as in the
recorded traffic and the fixtures. Also here: the multipart parser for LR uploads (one part named
``file``), kept free of optional dependencies.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Literal

from cbasync.testing.dataset.vfs import DirEntry, ProcessEntry, RegValue
from cbasync.testing.live_response.model import (
    Command,
    CommandState,
    LrPolicy,
    Session,
    SessionState,
    StoredFile,
)

__all__ = [
    "Dialect",
    "MultipartError",
    "cloud_proc_guid",
    "edr_proc_guid",
    "filetime",
    "iso",
    "parse_multipart",
    "render_command",
    "render_file",
    "render_session",
    "signed32",
]

Dialect = Literal["edr", "v6", "v3"]

_V6_COMMAND_STATUS = {
    CommandState.PENDING: "PENDING",
    CommandState.IN_PROGRESS: "IN_PROGRESS",
    CommandState.COMPLETE: "COMPLETE",
    CommandState.ERROR: "ERROR",
    CommandState.CANCELLED: "CANCELLED",
}
_UPPER_SESSION_STATUS = {
    SessionState.PENDING: "PENDING",
    SessionState.ACTIVE: "ACTIVE",
    SessionState.CLOSED: "CLOSE",
    SessionState.EXPIRED: "TIMEOUT",
}

# Seconds between 1601-01-01 (the Windows FILETIME epoch) and 1970-01-01.
_FILETIME_EPOCH = 11_644_473_600


def filetime(epoch: float) -> int:
    """Windows FILETIME (100 ns ticks since 1601) of an epoch time."""
    return int((epoch + _FILETIME_EPOCH) * 10_000_000)


def edr_proc_guid(sensor_id: int, pid: int, create_time: float) -> str:
    """EDR's process GUID: sensor id, pid (two 16-bit halves), FILETIME of the start."""
    ft = filetime(create_time)
    return (
        f"{sensor_id & 0xFFFFFFFF:08x}-{(pid >> 16) & 0xFFFF:04x}-{pid & 0xFFFF:04x}-"
        f"{(ft >> 48) & 0xFFFF:04x}-{ft & 0xFFFFFFFFFFFF:012x}"
    )


def cloud_proc_guid(org_key: str, device_id: int, pid: int, create_time: float) -> str:
    """The cloud's process GUID (``ORGKEY-<device hex>-<pid hex>-00000000-<filetime hex>``)."""
    return f"{org_key}-{device_id & 0xFFFFFFFF:08x}-{pid & 0xFFFFFFFF:08x}-00000000-{filetime(create_time):x}"


def iso(epoch: float | None) -> str | None:
    """ISO-8601 UTC with milliseconds and ``Z`` (the cloud's timestamp spelling)."""
    if epoch is None:
        return None
    moment = _dt.datetime.fromtimestamp(epoch, _dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def signed32(code: int) -> int:
    """An HRESULT as a signed 32-bit integer (``0x80070002`` -> ``-2147024894``)."""
    code &= 0xFFFFFFFF
    return code - (1 << 32) if code & 0x80000000 else code


# --------------------------------------------------------------------------------------------
# Sessions
# --------------------------------------------------------------------------------------------


def render_session(
    session: Session, policy: LrPolicy, dialect: Dialect, *, iso_times: bool = False
) -> dict[str, Any]:
    """A session object. ``iso_times`` selects the v6 create reply's ISO timestamps (a v6 GET
    answers epoch milliseconds)."""
    pending = session.state is SessionState.PENDING
    if dialect == "edr":
        return {
            "status": session.state.value,
            "sensor_id": session.device.device_id,
            "id": session.id,
            "hostname": session.device.hostname,
            "address": f"::ffff:{session.device.address}",
            "os_version": session.device.os_version,
            "drives": [] if pending else list(session.drives),
            "current_working_directory": session.cwd,
            "supported_commands": [] if pending else session.supported_commands,
            "storage_size": str(sum(f.size for f in session.files.values() if not f.deleted)),
            "storage_ttl": 7,
            "create_time": session.create_time,
            "session_timeout": int(policy.idle_timeout),
            "sensor_wait_timeout": int(policy.sensor_wait_timeout),
            "check_in_timeout": int(policy.check_in_timeout),
        }
    check_in = session.check_in_time
    if dialect == "v6":
        created: Any
        checked: Any
        if iso_times:
            created, checked = iso(session.create_time), iso(check_in)
        else:
            created = int(session.create_time * 1000)
            checked = int(check_in * 1000) if check_in is not None else None
        return {
            "id": session.id,
            "device_id": session.device.device_id,
            "status": _UPPER_SESSION_STATUS[session.state],
            "check_in_timeout": int(policy.check_in_timeout),
            "session_timeout": int(policy.idle_timeout),
            "current_command_index": session.current_command_index,
            "create_time": created,
            "sensor_check_in_time": checked,
            "hostname": session.device.hostname,
            "address": session.device.address,
            "os_version": session.device.os_version,
            "current_working_directory": session.cwd,
            "drives": None if pending else list(session.drives),
            "supported_commands": None if pending else session.supported_commands,
        }
    return {
        "id": session.id,
        "sensor_id": session.device.device_id,
        "status": _UPPER_SESSION_STATUS[session.state],
        "hostname": session.device.hostname,
        "address": session.device.address,
        "os_version": session.device.os_version,
        "current_working_directory": session.cwd,
        "drives": [] if pending else list(session.drives),
        "supported_commands": [] if pending else session.supported_commands,
        "create_time": session.create_time,
        "sensor_check_in_time": check_in,
        "check_in_timeout": int(policy.check_in_timeout),
        "session_timeout": int(policy.idle_timeout),
        "current_command_index": session.current_command_index,
    }


# --------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------


def _process(entry: ProcessEntry, dialect: Dialect, device_id: int, org_key: str) -> dict[str, Any]:
    if dialect == "v6":
        return {
            "process_pid": entry.pid,
            "create_time": entry.create_time,
            "proc_guid": cloud_proc_guid(org_key, device_id, entry.pid, entry.create_time),
            "process_path": entry.path,
            "process_cmdline": entry.command_line,
            "sid": entry.sid,
            "process_username": entry.username,
            "parent_pid": entry.parent,
            "parent_guid": cloud_proc_guid(
                org_key, device_id, entry.parent, entry.parent_create_time
            ),
        }
    guid = (
        edr_proc_guid(device_id, entry.pid, entry.create_time)
        if dialect == "edr"
        else cloud_proc_guid(org_key, device_id, entry.pid, entry.create_time)
    )
    parent_guid = (
        edr_proc_guid(device_id, entry.parent, entry.parent_create_time)
        if dialect == "edr"
        else cloud_proc_guid(org_key, device_id, entry.parent, entry.parent_create_time)
    )
    return {
        "pid": entry.pid,
        "parent": entry.parent,
        "parent_guid": parent_guid,
        "proc_guid": guid,
        "path": entry.path,
        "command_line": entry.command_line,
        "username": entry.username,
        "sid": entry.sid,
        "create_time": entry.create_time,
    }


def _reg_value(value: RegValue, dialect: Dialect) -> dict[str, Any]:
    data = value.as_dict()
    if dialect == "v3":
        return {
            "valueName": data["value_name"],
            "valueType": data["value_type"],
            "valueData": data["value_data"],
        }
    return data


def _payload(command: Command, dialect: Dialect, now: float, org_key: str) -> dict[str, Any]:
    name, result = command.name, command.result
    device_id = command.session.device.device_id
    out: dict[str, Any] = {}
    if name == "memdump":
        fraction = command.progress(now)
        done = command.state is CommandState.COMPLETE
        compress = bool(result.get("compress", command.options.get("compress", False)))
        out.update(
            {
                "return_code": 0 if done else None,
                "complete": done,
                "percentdone": 100 if done else int(fraction * 100),
                "dumping": not done and fraction < (0.9 if compress else 1.0),
                "compressing": not done and compress and fraction >= 0.9,
            }
        )
        return out
    if command.state is not CommandState.COMPLETE:
        return out
    if "processes" in result:
        entries: list[ProcessEntry] = result["processes"]
        out["processes"] = [_process(p, dialect, device_id, org_key) for p in entries]
    if "files" in result:
        listing: list[DirEntry] = result["files"]
        out["files"] = [e.as_dict() for e in listing]
    if "sub_keys" in result:
        out["sub_keys"] = list(result["sub_keys"])
    if "values" in result:
        out["values"] = [_reg_value(v, dialect) for v in result["values"]]
    if "value" in result:
        out["value"] = _reg_value(result["value"], dialect)
    if "pid" in result:
        out["pid"] = result["pid"]
    if "return_code" in result:
        out["return_code"] = result["return_code"]
    return out


def render_command(
    command: Command, dialect: Dialect, now: float, *, org_key: str = ""
) -> dict[str, Any]:
    """A command object as a poll sees it at monotonic time ``now``."""
    state = command.status(now)
    code, desc = (command.error[0], command.error[1]) if command.error else (0, "")
    finished = state in (CommandState.COMPLETE, CommandState.ERROR, CommandState.CANCELLED)
    session = command.session
    extras = {k: v for k, v in command.options.items() if k not in _ENVELOPE_KEYS}
    if dialect == "v6":
        body: dict[str, Any] = {
            "id": command.id,
            "session_id": session.id,
            "device_id": session.device.device_id,
            "command_timeout": 120,
            "status": _V6_COMMAND_STATUS[state],
            "name": command.name,
            "object": command.target,
            "input": {"name": command.name, "object": command.target},
            "create_time": iso(command.create_time),
            "finish_time": iso(command.completion_time) if finished else None,
            "completion_time": command.completion_time if finished else 0,
            "result_code": signed32(code),
            "result_type": "WinHresult",
            "result_desc": desc,
            **extras,
        }
        if command.file is not None:
            offset = command.options.get("offset", 0)
            count = command.options.get("get_count", 0)
            body["file_details"] = {
                "offset": offset if isinstance(offset, int) else 0,
                "count": count if isinstance(count, int) else 0,
                "file_id": command.file.uuid,
            }
    else:
        status = state.value
        body = {
            "status": status,
            "username": command.username,
            "sensor_id": session.device.device_id,
            "create_time": command.create_time,
            "name": command.name,
            "object": command.target,
            "id": command.id,
            "session_id": session.id,
            "completion": command.completion_time if finished else 0,
            "result_desc": desc,
            "result_type": "WinHresult",
            "result_code": code & 0xFFFFFFFF,
            **extras,
        }
        if command.file is not None:
            body["file_id"] = command.file.id
    body.update(_payload(command, dialect, now, org_key))
    return body


_ENVELOPE_KEYS = frozenset(
    ("name", "object", "path", "pid", "session_id", "id", "status", "device_id", "sensor_id")
)


def render_file(stored: StoredFile, dialect: Dialect) -> dict[str, Any]:
    """A storage file object (``GET .../file/{id}``, and the upload reply)."""
    file_id: int | str = stored.uuid if dialect == "v6" else stored.id
    return {
        "id": file_id,
        "session_id": stored.session.id,
        "file_name": stored.file_name,
        "size": stored.size,
        "size_uploaded": stored.size,
        "status": stored.status,
        "delete": stored.deleted,
        "create_time": iso(stored.create_time) if dialect == "v6" else stored.create_time,
    }


# --------------------------------------------------------------------------------------------
# multipart/form-data
# --------------------------------------------------------------------------------------------


class MultipartError(ValueError):
    """The upload body is not the multipart form an LR upload must be."""


def parse_multipart(content_type: str, body: bytes, field: str = "file") -> tuple[str, bytes]:
    """``(filename, data)`` of the part named ``field`` in a ``multipart/form-data`` body."""
    media, _, params = content_type.partition(";")
    if media.strip().lower() != "multipart/form-data":
        raise MultipartError("expected a multipart/form-data body with a 'file' part")
    boundary = ""
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip().strip('"')
    if not boundary:
        raise MultipartError("multipart body without a boundary")
    delimiter = b"--" + boundary.encode("latin-1")
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        chunk = chunk.removeprefix(b"\r\n")
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            continue
        data = data.removesuffix(b"\r\n")
        disposition = ""
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-disposition":
                disposition = value
        params_ = _disposition_params(disposition)
        if params_.get("name") == field:
            return params_.get("filename", field), data
    raise MultipartError(f"no '{field}' part in the multipart body")


def _disposition_params(value: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in value.split(";")[1:]:
        key, _, val = part.strip().partition("=")
        val = val.strip()
        if len(val) >= 2 and val[0] == val[-1] == '"':
            val = val[1:-1]
        out[key.strip().lower()] = val
    return out
