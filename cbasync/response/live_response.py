"""EDR's Live Response dialect: ``/api/v1/cblr`` (wire-protocol §2).

What sets EDR apart: sessions and commands are numbered (``7``), statuses are lower case, a
session is closed by PUTting it back with ``"status": "close"``, a command names its target
``object``, a failed command's ``result_code`` comes unsigned, and stored files are numbered.
"""

from __future__ import annotations

from typing import Any, ClassVar

from cbasync._response import Response
from cbasync.live_response import (
    Call,
    CommandInfo,
    CommandRequest,
    Dialect,
    DirectoryEntry,
    ProcessEntry,
    RegistryValue,
    SessionId,
    SessionInfo,
    epoch_seconds,
    normalise_status,
    records,
)
from cbasync.model import adapter_for
from cbasync.models._generated import edr

__all__ = ["EDR_LIVE_RESPONSE", "EdrDialect", "edr_command"]

BASE = "/api/v1/cblr"


class EdrDialect(Dialect):
    """EDR on-prem Live Response."""

    name: ClassVar[str] = "EDR"
    # EDR's limit is the administrator's (cb.conf; 10 by default): no ceiling of its own.
    max_sessions: ClassVar[int | None] = None
    file_model: ClassVar[type[Any]] = edr.LiveResponseFile

    def open_session(self, device_id: int) -> Call:
        return Call("POST", f"{BASE}/session", json={"sensor_id": device_id})

    def get_session(self, session_id: SessionId) -> Call:
        return Call("GET", f"{BASE}/session/{{session_id}}", {"session_id": session_id})

    def close_session(self, session: SessionInfo) -> Call:
        # The whole object as last read, with the status changed (what the server expects).
        body = {**session.raw, "status": "close"}
        return Call("PUT", f"{BASE}/session/{{session_id}}", {"session_id": session.id}, body)

    def keepalive(self, session_id: SessionId) -> Call:
        return Call("GET", f"{BASE}/session/{{session_id}}/keepalive", {"session_id": session_id})

    def archive(self, session_id: SessionId) -> Call:
        return Call("GET", f"{BASE}/session/{{session_id}}/archive", {"session_id": session_id})

    def read_session(self, response: Response) -> SessionInfo:
        return _session_info(response.parse(adapter_for(edr.LiveResponseSession)), response.json())

    def list_sessions(self) -> Call:
        return Call("GET", f"{BASE}/session", params={"active_only": "true"})

    def read_sessions(self, response: Response) -> list[SessionInfo]:
        sessions = response.parse(adapter_for(list[edr.LiveResponseSession]))
        raw = response.json()
        return [_session_info(s, r) for s, r in zip(sessions, raw, strict=True)]

    def post_command(self, session_id: SessionId, command: CommandRequest) -> Call:
        body: dict[str, Any] = {"session_id": session_id, "name": command.name}
        if command.target is not None:
            body["object"] = command.target
        body.update(command.options)
        return Call(
            "POST", f"{BASE}/session/{{session_id}}/command", {"session_id": session_id}, body
        )

    def get_command(self, session_id: SessionId, command_id: int) -> Call:
        return Call(
            "GET",
            f"{BASE}/session/{{session_id}}/command/{{command_id}}",
            {"session_id": session_id, "command_id": command_id},
        )

    def cancel_command(self, session_id: SessionId, command_id: int) -> Call:
        return Call(
            "PUT",
            f"{BASE}/session/{{session_id}}/command/{{command_id}}",
            {"session_id": session_id, "command_id": command_id},
            {"id": command_id, "session_id": session_id, "status": "cancel"},
        )

    def read_command(self, response: Response) -> CommandInfo:
        return edr_command(response.parse(adapter_for(edr.LiveResponseCommand)))

    def upload(self, session_id: SessionId) -> Call:
        return Call("POST", f"{BASE}/session/{{session_id}}/file", {"session_id": session_id})

    def file_content(self, session_id: SessionId, file_id: int | str) -> Call:
        return Call(
            "GET",
            f"{BASE}/session/{{session_id}}/file/{{file_id}}/content",
            {"session_id": session_id, "file_id": file_id},
        )

    def delete_file(self, session_id: SessionId, file_id: int | str) -> Call:
        return Call(
            "DELETE",
            f"{BASE}/session/{{session_id}}/file/{{file_id}}",
            {"session_id": session_id, "file_id": file_id},
        )


def edr_command(command: edr.LiveResponseCommand) -> CommandInfo:
    """A command in EDR's shape (also the legacy cloud v3's, but for its registry fields)."""
    return CommandInfo(
        id=command.id,
        name=command.name or "",
        status=normalise_status(command.status),
        result_code=command.result_code,
        result_type=command.result_type,
        result_desc=command.result_desc,
        file_id=command.file_id,
        files=records(DirectoryEntry, command.files),
        processes=records(ProcessEntry, command.processes),
        values=records(RegistryValue, command.values),
        sub_keys=command.sub_keys,
        value=(
            RegistryValue.model_validate(command.value.model_dump(exclude_unset=True))
            if command.value is not None
            else None
        ),
        pid=command.pid,
        return_code=command.return_code,
        percent_done=command.percentdone,
        created_at=epoch_seconds(command.create_time),
        completed_at=epoch_seconds(command.completion or command.completion_time),
    )


#: The one EDR dialect (it has no state).
EDR_LIVE_RESPONSE = EdrDialect()


def _session_info(session: edr.LiveResponseSession, raw: Any) -> SessionInfo:
    return SessionInfo(
        id=session.id,
        device_id=session.sensor_id if session.sensor_id is not None else 0,
        status=normalise_status(session.status),
        supported_commands=frozenset(session.supported_commands or ()),
        hostname=session.hostname,
        current_working_directory=session.current_working_directory,
        drives=tuple(session.drives or ()),
        raw=raw,
    )
