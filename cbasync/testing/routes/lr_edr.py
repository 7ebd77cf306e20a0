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

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from cbasync.testing.live_response import (
    CommandRejectedError,
    LiveResponseBackend,
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
from cbasync.testing.routes._common import HttpError, int_param, json_response, read_json
from cbasync.testing.state import EmulatorState

__all__ = ["routes"]

BASE = "/api/v1/cblr"
Handler = Callable[[Request], Awaitable[Response]]


def _not_found(message: str) -> HttpError:
    return HttpError(404, message, media_type="text/plain; charset=utf-8")


def routes(state: EmulatorState) -> list[BaseRoute]:
    config = state.config
    username = config.api_username

    def backend() -> LiveResponseBackend:
        return state.backend(EDR_BACKEND, edr_backend)

    def guarded(handler: Handler) -> Handler:
        async def wrapper(request: Request) -> Response:
            if not config.cblr_enabled:
                raise HttpError(
                    412,
                    {
                        "reason": "cblr_disabled",
                        "message": "Live Response is disabled on this server",
                    },
                )
            try:
                return await handler(request)
            except SessionNotFoundError as exc:
                raise _not_found(f"Session {exc.session_id} not found") from None
            except UnknownDeviceError as exc:
                raise _not_found(f"Sensor {exc.device_id} not found") from None
            except ObjectNotFoundError as exc:
                raise HttpError(404, {"reason": "not_found", "message": str(exc)}) from None
            except SessionLimitError as exc:
                raise HttpError(
                    403,
                    {
                        "reason": "session_limit_reached",
                        "message": f"Too many Live Response sessions: {exc}",
                    },
                ) from None
            except CommandRejectedError as exc:
                raise HttpError(400, {"reason": "invalid_command", "message": str(exc)}) from None

        return wrapper

    def session_of(request: Request) -> Any:
        """The session of the path, closed ones included; an expired one is gone (404)."""
        b = backend()
        session = b.session(request.path_params["sid"], include_ended=True)
        if session.state is SessionState.EXPIRED:
            raise SessionNotFoundError(session.id)
        return session

    async def list_sessions(request: Request) -> Response:
        b = backend()
        active_only = request.query_params.get("active_only", "").lower() in ("true", "1")
        sessions = b.sessions(active_only=active_only)
        return json_response([render_session(s, b.policy, "edr") for s in sessions])

    async def create_session(request: Request) -> Response:
        b = backend()
        body = await read_json(request)
        sensor_id = body.get("sensor_id") if isinstance(body, dict) else None
        if isinstance(sensor_id, str) and sensor_id.strip().isdigit():
            sensor_id = int(sensor_id)
        if not isinstance(sensor_id, int) or isinstance(sensor_id, bool):
            raise HttpError(400, {"reason": "invalid_request", "message": "sensor_id is required"})
        session = b.create_session(sensor_id, username)
        if request.query_params.get("wait", "").lower() == "true":
            # Block until the sensor checks in, bounded by sensor_wait_timeout.
            if b.devices.lr_online(sensor_id):
                await state.clock.sleep(
                    min(b.policy.activation_delay, b.policy.sensor_wait_timeout)
                )
            session = b.session(session.id)
        return json_response(render_session(session, b.policy, "edr"))

    async def get_session(request: Request) -> Response:
        b = backend()
        return json_response(render_session(session_of(request), b.policy, "edr"))

    async def put_session(request: Request) -> Response:
        b = backend()
        body = await read_json(request)
        session = session_of(request)
        status = body.get("status") if isinstance(body, dict) else None
        if isinstance(status, str) and status.lower() == "close" and session.live:
            b.close_session(session.id)
        return json_response(render_session(session, b.policy, "edr"))

    async def keepalive(request: Request) -> Response:
        b = backend()
        session = b.keepalive(request.path_params["sid"])
        return json_response(render_session(session, b.policy, "edr"))

    async def archive(request: Request) -> Response:
        b = backend()
        data = b.archive(session_of(request).id)
        return Response(data, media_type="application/zip")

    async def list_commands(request: Request) -> Response:
        b = backend()
        session = session_of(request)
        count = int_param(request.query_params, "count", -1)
        commands = b.commands(
            session.id,
            status=request.query_params.get("status") or None,
            count=count if count >= 0 else None,
            include_ended=True,
        )
        now = state.clock.monotonic()
        return json_response([render_command(c, "edr", now) for c in commands])

    async def post_command(request: Request) -> Response:
        b = backend()
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            raise HttpError(
                400, {"reason": "invalid_request", "message": "a command name is required"}
            )
        options = {k: v for k, v in body.items() if k not in ("name", "object", "session_id")}
        command = b.post_command(
            request.path_params["sid"], body["name"], body.get("object"), options, username=username
        )
        return json_response(render_command(command, "edr", state.clock.monotonic()))

    async def get_command(request: Request) -> Response:
        b = backend()
        session = session_of(request)
        command = b.command(session.id, request.path_params["cid"], include_ended=True)
        return json_response(render_command(command, "edr", state.clock.monotonic()))

    async def put_command(request: Request) -> Response:
        b = backend()
        body = await read_json(request, required=False)
        status = body.get("status") if isinstance(body, dict) else "cancel"
        command = b.command(request.path_params["sid"], request.path_params["cid"])
        if isinstance(status, str) and status.lower() in ("cancel", "canceled", "cancelled"):
            command = b.cancel_command(request.path_params["sid"], request.path_params["cid"])
        return json_response(render_command(command, "edr", state.clock.monotonic()))

    async def list_files(request: Request) -> Response:
        b = backend()
        return json_response([render_file(f, "edr") for f in b.files(request.path_params["sid"])])

    async def upload(request: Request) -> Response:
        b = backend()
        b.session(request.path_params["sid"])  # 404 before reading a body for a gone session
        try:
            name, data = parse_multipart(
                request.headers.get("content-type", ""), await request.body()
            )
        except MultipartError as exc:
            raise HttpError(400, {"reason": "invalid_request", "message": str(exc)}) from None
        stored = b.upload(request.path_params["sid"], name, data)
        return json_response(render_file(stored, "edr"))

    async def get_file(request: Request) -> Response:
        b = backend()
        stored = b.file(request.path_params["sid"], request.path_params["fid"])
        return json_response(render_file(stored, "edr"))

    async def put_file(request: Request) -> Response:
        b = backend()
        body = await read_json(request, required=False)
        stored = b.file(request.path_params["sid"], request.path_params["fid"])
        if isinstance(body, dict) and body.get("delete") in (True, "true", "True"):
            b.delete_file(request.path_params["sid"], request.path_params["fid"])
        return json_response(render_file(stored, "edr"))

    async def delete_file(request: Request) -> Response:
        b = backend()
        b.delete_file(request.path_params["sid"], request.path_params["fid"])
        return json_response({"result": "success"})

    async def file_content(request: Request) -> Response:
        b = backend()
        data = b.file_content(request.path_params["sid"], request.path_params["fid"])
        return Response(data, media_type="application/octet-stream")

    table: list[tuple[str, Handler, list[str]]] = [
        ("/session", list_sessions, ["GET"]),
        ("/session", create_session, ["POST"]),
        ("/session/{sid}", get_session, ["GET"]),
        ("/session/{sid}", put_session, ["PUT"]),
        ("/session/{sid}/keepalive", keepalive, ["GET"]),
        ("/session/{sid}/archive", archive, ["GET"]),
        ("/session/{sid}/command", list_commands, ["GET"]),
        ("/session/{sid}/command", post_command, ["POST"]),
        ("/session/{sid}/command/{cid}", get_command, ["GET"]),
        ("/session/{sid}/command/{cid}", put_command, ["PUT"]),
        ("/session/{sid}/file", list_files, ["GET"]),
        ("/session/{sid}/file", upload, ["POST"]),
        ("/session/{sid}/file/{fid}", get_file, ["GET"]),
        ("/session/{sid}/file/{fid}", put_file, ["PUT"]),
        ("/session/{sid}/file/{fid}", delete_file, ["DELETE"]),
        ("/session/{sid}/file/{fid}/content", file_content, ["GET"]),
    ]
    return [
        Route(BASE + path, guarded(handler), methods=methods) for path, handler, methods in table
    ]
