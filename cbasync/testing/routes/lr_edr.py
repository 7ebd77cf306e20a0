"""EDR Live Response: ``/api/v1/cblr`` (wire-protocol §2).

A thin shell over the EDR :class:`~cbasync.testing.live_response.LiveResponseBackend`: ids are
integers, statuses lower case (``pending``, ``active``, ``complete``, ``error``), ``result_code``
unsigned. Answers the servers give and this module reproduces:

- every route is 412 while Live Response is disabled (``cblr_enabled=False``);
- a gone session (closed, expired, never established) is 404 with a text body starting
  ``Session`` (``Session 7 not found``); an unknown sensor is 404 ``Sensor 99 not found``;
- a session request beyond the slot limit is 403 with ``session limit reached`` in the body;
- closing is a PUT of the session object with ``"status": "close"``; a command is cancelled by a
  PUT with ``"status": "cancel"``; a storage file is deleted by a PUT with ``"delete": true`` or a
  DELETE.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from cbasync.testing.live_response import (
    LiveResponseBackend,
    LiveResponseError,
    ObjectNotFoundError,
    SessionLimitError,
    SessionNotFoundError,
    SessionState,
    UnknownDeviceError,
)
from cbasync.testing.live_response.service import EDR_BACKEND, edr_backend
from cbasync.testing.live_response.wire import (
    MultipartError,
    parse_multipart,
    render_command,
    render_file,
    render_session,
)
from cbasync.testing.routes._common import (
    Handlers,
    HttpError,
    RouteSpec,
    int_param,
    json_response,
    read_json,
    route_table,
)
from cbasync.testing.routes._lr import lr_guard
from cbasync.testing.state import EmulatorState

__all__ = ["routes"]

BASE = "/api/v1/cblr"


def _edr_error(exc: LiveResponseError, status: int, code: str, message: str) -> HttpError:
    """EDR's shapes: a gone session or sensor is a text body, the rest ``{"reason", "message"}``."""
    if isinstance(exc, SessionNotFoundError | UnknownDeviceError):
        return HttpError(404, message, media_type="text/plain; charset=utf-8")
    if isinstance(exc, ObjectNotFoundError):
        return HttpError(404, {"reason": "not_found", "message": message})
    if isinstance(exc, SessionLimitError):
        return HttpError(
            403,
            {
                "reason": "session_limit_reached",
                "message": f"Too many Live Response sessions: {exc}",
            },
        )
    return HttpError(400, {"reason": "invalid_command", "message": message})


class EdrLrRoutes(Handlers):
    """Sessions, commands and files of the EDR server's Live Response."""

    @property
    def backend(self) -> LiveResponseBackend:
        return self.state.backend(EDR_BACKEND, edr_backend)

    def check_enabled(self, request: Request) -> None:
        """Every route is 412 while Live Response is disabled on the server."""
        if not self.config.cblr_enabled:
            raise HttpError(
                412,
                {"reason": "cblr_disabled", "message": "Live Response is disabled on this server"},
            )

    def session_of(self, request: Request) -> Any:
        """The session of the path, closed ones included; an expired one is gone (404)."""
        session = self.backend.session(request.path_params["sid"], include_ended=True)
        if session.state is SessionState.EXPIRED:
            raise SessionNotFoundError(session.id)
        return session

    async def list_sessions(self, request: Request) -> Response:
        b = self.backend
        active_only = request.query_params.get("active_only", "").lower() in ("true", "1")
        sessions = b.sessions(active_only=active_only)
        return json_response([render_session(s, b.policy, "edr") for s in sessions])

    async def create_session(self, request: Request) -> Response:
        b = self.backend
        body = await read_json(request)
        sensor_id = body.get("sensor_id") if isinstance(body, dict) else None
        if isinstance(sensor_id, str) and sensor_id.strip().isdigit():
            sensor_id = int(sensor_id)
        if not isinstance(sensor_id, int) or isinstance(sensor_id, bool):
            raise HttpError(400, {"reason": "invalid_request", "message": "sensor_id is required"})
        session = b.create_session(sensor_id, self.config.api_username)
        if request.query_params.get("wait", "").lower() == "true":
            # Block until the sensor checks in, bounded by sensor_wait_timeout.
            if b.devices.lr_online(sensor_id):
                await self.clock.sleep(min(b.policy.activation_delay, b.policy.sensor_wait_timeout))
            session = b.session(session.id)
        return json_response(render_session(session, b.policy, "edr"))

    async def get_session(self, request: Request) -> Response:
        return json_response(render_session(self.session_of(request), self.backend.policy, "edr"))

    async def put_session(self, request: Request) -> Response:
        b = self.backend
        body = await read_json(request)
        session = self.session_of(request)
        status = body.get("status") if isinstance(body, dict) else None
        if isinstance(status, str) and status.lower() == "close" and session.live:
            b.close_session(session.id)
        return json_response(render_session(session, b.policy, "edr"))

    async def keepalive(self, request: Request) -> Response:
        b = self.backend
        return json_response(
            render_session(b.keepalive(request.path_params["sid"]), b.policy, "edr")
        )

    async def archive(self, request: Request) -> Response:
        data = self.backend.archive(self.session_of(request).id)
        return Response(data, media_type="application/zip")

    async def list_commands(self, request: Request) -> Response:
        session = self.session_of(request)
        count = int_param(request.query_params, "count", -1)
        commands = self.backend.commands(
            session.id,
            status=request.query_params.get("status") or None,
            count=count if count >= 0 else None,
            include_ended=True,
        )
        now = self.clock.monotonic()
        return json_response([render_command(c, "edr", now) for c in commands])

    async def post_command(self, request: Request) -> Response:
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            raise HttpError(
                400, {"reason": "invalid_request", "message": "a command name is required"}
            )
        options = {k: v for k, v in body.items() if k not in ("name", "object", "session_id")}
        command = self.backend.post_command(
            request.path_params["sid"],
            body["name"],
            body.get("object"),
            options,
            username=self.config.api_username,
        )
        return json_response(render_command(command, "edr", self.clock.monotonic()))

    async def get_command(self, request: Request) -> Response:
        session = self.session_of(request)
        command = self.backend.command(session.id, request.path_params["cid"], include_ended=True)
        return json_response(render_command(command, "edr", self.clock.monotonic()))

    async def put_command(self, request: Request) -> Response:
        b = self.backend
        body = await read_json(request, required=False)
        status = body.get("status") if isinstance(body, dict) else "cancel"
        command = b.command(request.path_params["sid"], request.path_params["cid"])
        if isinstance(status, str) and status.lower() in ("cancel", "canceled", "cancelled"):
            command = b.cancel_command(request.path_params["sid"], request.path_params["cid"])
        return json_response(render_command(command, "edr", self.clock.monotonic()))

    async def list_files(self, request: Request) -> Response:
        files = self.backend.files(request.path_params["sid"])
        return json_response([render_file(f, "edr") for f in files])

    async def upload(self, request: Request) -> Response:
        b = self.backend
        b.session(request.path_params["sid"])  # 404 before reading a body for a gone session
        try:
            name, data = parse_multipart(
                request.headers.get("content-type", ""), await request.body()
            )
        except MultipartError as exc:
            raise HttpError(400, {"reason": "invalid_request", "message": str(exc)}) from None
        return json_response(render_file(b.upload(request.path_params["sid"], name, data), "edr"))

    async def get_file(self, request: Request) -> Response:
        stored = self.backend.file(request.path_params["sid"], request.path_params["fid"])
        return json_response(render_file(stored, "edr"))

    async def put_file(self, request: Request) -> Response:
        b = self.backend
        body = await read_json(request, required=False)
        stored = b.file(request.path_params["sid"], request.path_params["fid"])
        if isinstance(body, dict) and body.get("delete") in (True, "true", "True"):
            b.delete_file(request.path_params["sid"], request.path_params["fid"])
        return json_response(render_file(stored, "edr"))

    async def delete_file(self, request: Request) -> Response:
        self.backend.delete_file(request.path_params["sid"], request.path_params["fid"])
        return json_response({"result": "success"})

    async def file_content(self, request: Request) -> Response:
        data = self.backend.file_content(request.path_params["sid"], request.path_params["fid"])
        return Response(data, media_type="application/octet-stream")


def routes(state: EmulatorState) -> list[BaseRoute]:
    h = EdrLrRoutes(state)
    table: list[RouteSpec] = [
        ("/session", h.list_sessions, ["GET"]),
        ("/session", h.create_session, ["POST"]),
        ("/session/{sid}", h.get_session, ["GET"]),
        ("/session/{sid}", h.put_session, ["PUT"]),
        ("/session/{sid}/keepalive", h.keepalive, ["GET"]),
        ("/session/{sid}/archive", h.archive, ["GET"]),
        ("/session/{sid}/command", h.list_commands, ["GET"]),
        ("/session/{sid}/command", h.post_command, ["POST"]),
        ("/session/{sid}/command/{cid}", h.get_command, ["GET"]),
        ("/session/{sid}/command/{cid}", h.put_command, ["PUT"]),
        ("/session/{sid}/file", h.list_files, ["GET"]),
        ("/session/{sid}/file", h.upload, ["POST"]),
        ("/session/{sid}/file/{fid}", h.get_file, ["GET"]),
        ("/session/{sid}/file/{fid}", h.put_file, ["PUT"]),
        ("/session/{sid}/file/{fid}", h.delete_file, ["DELETE"]),
        ("/session/{sid}/file/{fid}/content", h.file_content, ["GET"]),
    ]
    guard = lr_guard(_edr_error, device="Sensor", check=h.check_enabled)
    return route_table(table, prefix=BASE, wrap=guard)
