"""Legacy cloud Live Response v3: ``/integrationServices/v3/cblr`` (wire-protocol §3.4).

Deactivated on the real cloud in September 2024, served here for clients written against it. It
shares the cloud org's sessions and slot limit with the v6 routes. Its dialect: session ids
``"<n>:<device_id>"`` with upper-case session statuses, EDR-shaped commands (``object``,
``sensor_id``, lower-case ``complete``, unsigned ``result_code``), camelCase registry values, file
content answered directly (200, no redirect). A session is closed by ``PUT /session`` with
``{"session_id": ..., "status": "CLOSE"}``. Gone sessions are 404 with a JSON body whose
``status`` is ``NOT_FOUND``. No org key in the path: the org is the API key's. Uploads pass the
same front proxy as v6 (413 above ``lr_upload_limit``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from cbasync.testing.live_response import Command, LiveResponseError
from cbasync.testing.live_response.wire import (
    MultipartError,
    parse_multipart,
    render_command,
    render_file,
    render_session,
)
from cbasync.testing.routes._common import (
    HttpError,
    RouteSpec,
    json_response,
    read_json,
    route_table,
)
from cbasync.testing.routes._lr import CloudLrHandlers, lr_guard, upload_body
from cbasync.testing.state import EmulatorState

__all__ = ["routes"]

BASE = "/integrationServices/v3/cblr"


def _error(status: int, code: str, message: str) -> HttpError:
    return HttpError(status, {"success": False, "status": code, "message": message})


def _v3_error(exc: LiveResponseError, status: int, code: str, message: str) -> HttpError:
    return _error(status, code, message)


def _device_of(value: object) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _error(400, "INVALID_ARGUMENT", "sensor_id (an integer) is required")
    return value


class V3LrRoutes(CloudLrHandlers):
    """Sessions, commands and files of the cloud org's Live Response (legacy v3 API)."""

    def _command_json(self, command: Command) -> Response:
        now = self.clock.monotonic()
        return json_response(render_command(command, "v3", now, org_key=self.config.org_key))

    async def list_sessions(self, request: Request) -> Response:
        b = self.backend
        return json_response([render_session(s, b.policy, "v3") for s in b.sessions()])

    async def create_session(self, request: Request) -> Response:
        b = self.backend
        body = await read_json(request, required=False)
        given = body.get("sensor_id") if isinstance(body, dict) else None
        if given is None:
            given = request.path_params.get("sid")
        session = b.create_session(_device_of(given), self.config.api_username)
        return json_response(render_session(session, b.policy, "v3"))

    async def get_session(self, request: Request) -> Response:
        b = self.backend
        return json_response(render_session(b.session(request.path_params["sid"]), b.policy, "v3"))

    async def close_session(self, request: Request) -> Response:
        b = self.backend
        body = await read_json(request)
        if not isinstance(body, dict) or "session_id" not in body:
            raise _error(400, "INVALID_ARGUMENT", "session_id is required")
        status = str(body.get("status", "")).upper()
        session = b.session(body["session_id"])
        if status == "CLOSE":
            b.close_session(session.id)
        return json_response({"success": True, "message": "Success", "session_id": session.id})

    async def keepalive(self, request: Request) -> Response:
        b = self.backend
        return json_response(
            render_session(b.keepalive(request.path_params["sid"]), b.policy, "v3")
        )

    async def archive(self, request: Request) -> Response:
        data = self.backend.archive(request.path_params["sid"])
        return Response(data, media_type="application/zip")

    async def list_commands(self, request: Request) -> Response:
        now = self.clock.monotonic()
        commands = self.backend.commands(request.path_params["sid"])
        org_key = self.config.org_key
        return json_response([render_command(c, "v3", now, org_key=org_key) for c in commands])

    async def post_command(self, request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            raise _error(400, "INVALID_ARGUMENT", "a command name is required")
        options = {k: v for k, v in body.items() if k not in ("name", "object", "session_id")}
        command = self.backend.post_command(
            request.path_params["sid"],
            body["name"],
            body.get("object"),
            options,
            username=self.config.api_username,
        )
        return self._command_json(command)

    async def get_command(self, request: Request) -> Response:
        return self._command_json(
            self.backend.command(request.path_params["sid"], request.path_params["cid"])
        )

    async def upload(self, request: Request) -> Response:
        b = self.backend
        b.session(request.path_params["sid"])
        raw = await upload_body(request, self.config.lr_upload_limit)
        try:
            name, data = parse_multipart(request.headers.get("content-type", ""), raw)
        except MultipartError as exc:
            raise _error(400, "INVALID_ARGUMENT", str(exc)) from None
        return json_response(render_file(b.upload(request.path_params["sid"], name, data), "v3"))

    async def get_file(self, request: Request) -> Response:
        stored = self.backend.file(request.path_params["sid"], request.path_params["fid"])
        return json_response(render_file(stored, "v3"))

    async def delete_file(self, request: Request) -> Response:
        self.backend.delete_file(request.path_params["sid"], request.path_params["fid"])
        return json_response({"success": True, "message": "Success"})

    async def file_content(self, request: Request) -> Response:
        data = self.backend.file_content(request.path_params["sid"], request.path_params["fid"])
        return Response(data, media_type="application/octet-stream")


def routes(state: EmulatorState) -> list[BaseRoute]:
    h = V3LrRoutes(state)
    table: list[RouteSpec] = [
        ("/session", h.list_sessions, ["GET"]),
        ("/session/", h.list_sessions, ["GET"]),
        ("/session", h.create_session, ["POST"]),
        ("/session", h.close_session, ["PUT"]),
        ("/session/{sid}", h.get_session, ["GET"]),
        ("/session/{sid}", h.create_session, ["POST"]),
        ("/session/{sid}/keepalive", h.keepalive, ["GET"]),
        ("/session/{sid}/archive", h.archive, ["GET"]),
        ("/session/{sid}/command", h.list_commands, ["GET"]),
        ("/session/{sid}/command", h.post_command, ["POST"]),
        ("/session/{sid}/command/{cid}", h.get_command, ["GET"]),
        ("/session/{sid}/file", h.upload, ["POST"]),
        ("/session/{sid}/file/{fid}", h.get_file, ["GET"]),
        ("/session/{sid}/file/{fid}", h.delete_file, ["DELETE"]),
        ("/session/{sid}/file/{fid}/content", h.file_content, ["GET"]),
    ]
    return route_table(table, prefix=BASE, wrap=lr_guard(_v3_error, device="Sensor"))
