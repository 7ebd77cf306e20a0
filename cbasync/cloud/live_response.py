"""Carbon Black Cloud Live Response dialects: v6 and the legacy v3 (wire-protocol §3).

- **v6** (``/appservices/v6/orgs/{org_key}/liveresponse``): sessions named ``"<n>:<device_id>"``,
  upper-case statuses, a command's target in ``path`` (``pid`` for ``kill``), signed result
  codes, stored files named by UUID (``file_details.file_id``), file content answered with a 302
  to storage (the transport follows it without the token), sessions closed with a DELETE.
- **v3** (``/integrationServices/v3/cblr``, deactivated by the cloud in September 2024, kept for
  the installations that still answer it): EDR's command bodies and process fields, camelCase
  registry fields, sessions closed by ``PUT /session``.

Both share the org's 100-session limit (and this client's slots). The cloud refuses a session
beyond it with a 403 "session limit reached", which the client's error rules read as
``SessionLimitError`` (``cbasync.live_response.session_limit_reached``), shrinking its slot
pool.
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
from cbasync.models._generated import cloud

__all__ = ["CLOUD_LR_MAX_SESSIONS", "CloudV3Dialect", "CloudV6Dialect"]

#: Concurrent sessions per org (wire-protocol §3.3).
CLOUD_LR_MAX_SESSIONS = 100
V6 = "/appservices/v6/orgs/{org_key}/liveresponse"
V3 = "/integrationServices/v3/cblr"


class CloudV6Dialect(Dialect):
    """Live Response v6 of one org."""

    name: ClassVar[str] = "Cloud v6"
    max_sessions: ClassVar[int | None] = CLOUD_LR_MAX_SESSIONS
    file_model: ClassVar[type[Any]] = cloud.LiveResponseFile

    def __init__(self, org_key: str) -> None:
        self.org_key = org_key

    def _call(self, method: str, route: str, json: Any = None, **params: object) -> Call:
        return Call(method, V6 + route, {"org_key": self.org_key, **params}, json)

    def open_session(self, device_id: int) -> Call:
        return self._call("POST", "/sessions", {"device_id": device_id})

    def get_session(self, session_id: SessionId) -> Call:
        return self._call("GET", "/sessions/{session_id}", session_id=session_id)

    def close_session(self, session: SessionInfo) -> Call:
        return self._call("DELETE", "/sessions/{session_id}", session_id=session.id)

    def keepalive(self, session_id: SessionId) -> Call:
        return self._call("GET", "/sessions/{session_id}/keepalive", session_id=session_id)

    def read_session(self, response: Response) -> SessionInfo:
        session = response.parse(adapter_for(cloud.LiveResponseSession))
        return SessionInfo(
            id=session.id,
            device_id=session.device_id if session.device_id is not None else 0,
            status=normalise_status(session.status),
            supported_commands=frozenset(session.supported_commands or ()),
            hostname=session.hostname,
            current_working_directory=session.current_working_directory,
            drives=tuple(session.drives or ()),
            raw=response.json(),
        )

    def post_command(self, session_id: SessionId, command: CommandRequest) -> Call:
        body: dict[str, Any] = {"session_id": session_id, "name": command.name}
        if command.name == "kill":
            body["pid"] = command.target
        elif command.target is not None:
            body["path"] = command.target
        body.update(command.options)
        return self._call("POST", "/sessions/{session_id}/commands", body, session_id=session_id)

    def get_command(self, session_id: SessionId, command_id: int) -> Call:
        return self._call(
            "GET",
            "/sessions/{session_id}/commands/{command_id}",
            session_id=session_id,
            command_id=command_id,
        )

    def cancel_command(self, session_id: SessionId, command_id: int) -> Call:
        return self._call(
            "DELETE",
            "/sessions/{session_id}/commands/{command_id}",
            session_id=session_id,
            command_id=command_id,
        )

    def read_command(self, response: Response) -> CommandInfo:
        command = response.parse(adapter_for(cloud.LiveResponseCommand))
        processes = None
        if command.processes is not None:
            processes = [
                ProcessEntry(
                    pid=p.process_pid,
                    parent=p.parent_pid,
                    path=p.process_path,
                    command_line=p.process_cmdline,
                    username=p.process_username,
                    sid=p.sid,
                    create_time=p.create_time,
                    proc_guid=p.proc_guid,
                    parent_guid=p.parent_guid,
                )
                for p in command.processes
            ]
        return CommandInfo(
            id=command.id,
            name=command.name or "",
            status=normalise_status(command.status),
            result_code=command.result_code,
            result_type=command.result_type,
            result_desc=command.result_desc,
            file_id=command.file_details.file_id if command.file_details is not None else None,
            files=records(DirectoryEntry, command.files),
            processes=processes,
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
            completed_at=epoch_seconds(command.finish_time or command.completion_time),
        )

    def upload(self, session_id: SessionId) -> Call:
        return self._call("POST", "/sessions/{session_id}/files", session_id=session_id)

    def file_content(self, session_id: SessionId, file_id: int | str) -> Call:
        return self._call(
            "GET",
            "/sessions/{session_id}/files/{file_id}/content",
            session_id=session_id,
            file_id=file_id,
        )

    def delete_file(self, session_id: SessionId, file_id: int | str) -> Call:
        return self._call(
            "DELETE",
            "/sessions/{session_id}/files/{file_id}",
            session_id=session_id,
            file_id=file_id,
        )


class CloudV3Dialect(Dialect):
    """The legacy Live Response v3 API (the org is the API key's: no org key in the path)."""

    name: ClassVar[str] = "Cloud v3"
    max_sessions: ClassVar[int | None] = CLOUD_LR_MAX_SESSIONS
    file_model: ClassVar[type[Any]] = cloud.LiveResponseFile

    def open_session(self, device_id: int) -> Call:
        return Call(
            "POST",
            f"{V3}/session/{{device_id}}",
            {"device_id": device_id},
            {"sensor_id": device_id},
        )

    def get_session(self, session_id: SessionId) -> Call:
        return Call("GET", f"{V3}/session/{{session_id}}", {"session_id": session_id})

    def close_session(self, session: SessionInfo) -> Call:
        return Call("PUT", f"{V3}/session", json={"session_id": session.id, "status": "CLOSE"})

    def keepalive(self, session_id: SessionId) -> Call:
        return Call("GET", f"{V3}/session/{{session_id}}/keepalive", {"session_id": session_id})

    def archive(self, session_id: SessionId) -> Call:
        return Call("GET", f"{V3}/session/{{session_id}}/archive", {"session_id": session_id})

    def read_session(self, response: Response) -> SessionInfo:
        session = response.parse(adapter_for(cloud.LiveResponseSessionV3))
        return SessionInfo(
            id=session.id,
            device_id=session.sensor_id if session.sensor_id is not None else 0,
            status=normalise_status(session.status),
            supported_commands=frozenset(session.supported_commands or ()),
            hostname=session.hostname,
            current_working_directory=session.current_working_directory,
            drives=tuple(session.drives or ()),
            raw=response.json(),
        )

    def post_command(self, session_id: SessionId, command: CommandRequest) -> Call:
        body: dict[str, Any] = {"session_id": session_id, "name": command.name}
        if command.target is not None:
            body["object"] = command.target
        body.update(command.options)
        return Call(
            "POST", f"{V3}/session/{{session_id}}/command", {"session_id": session_id}, body
        )

    def get_command(self, session_id: SessionId, command_id: int) -> Call:
        return Call(
            "GET",
            f"{V3}/session/{{session_id}}/command/{{command_id}}",
            {"session_id": session_id, "command_id": command_id},
        )

    def read_command(self, response: Response) -> CommandInfo:
        command = response.parse(adapter_for(cloud.LiveResponseCommandV3))

        def value(row: cloud.RegistryValueV3) -> RegistryValue:
            return RegistryValue(
                value_name=row.valueName or "",
                value_type=row.valueType or "",
                value_data=row.valueData,
            )

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
            values=[value(row) for row in command.values] if command.values is not None else None,
            sub_keys=command.sub_keys,
            value=value(command.value) if command.value is not None else None,
            pid=command.pid,
            return_code=command.return_code,
            percent_done=command.percentdone,
            created_at=epoch_seconds(command.create_time),
            completed_at=epoch_seconds(command.completion),
        )

    def upload(self, session_id: SessionId) -> Call:
        return Call("POST", f"{V3}/session/{{session_id}}/file", {"session_id": session_id})

    def file_content(self, session_id: SessionId, file_id: int | str) -> Call:
        return Call(
            "GET",
            f"{V3}/session/{{session_id}}/file/{{file_id}}/content",
            {"session_id": session_id, "file_id": file_id},
        )

    def delete_file(self, session_id: SessionId, file_id: int | str) -> Call:
        return Call(
            "DELETE",
            f"{V3}/session/{{session_id}}/file/{{file_id}}",
            {"session_id": session_id, "file_id": file_id},
        )
