"""Legacy cloud Live Response v3: ``/integrationServices/v3/cblr`` (wire-protocol §3.4).

Deactivated on the real cloud in September 2024, served here for clients written against it. It
shares the cloud org's sessions and slot limit with the v6 routes. Its dialect: session ids
``"<n>:<device_id>"`` with upper-case session statuses, EDR-shaped commands (``object``,
``sensor_id``, lower-case ``complete``, unsigned ``result_code``), camelCase registry values, file
content answered directly (200, no redirect). A session is closed by ``PUT /session`` with
``{"session_id": ..., "status": "CLOSE"}``. Gone sessions are 404 with a JSON body whose
``status`` is ``NOT_FOUND``. No org key in the path: the org is the API key's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from cbasync.testing.live_response import (
    CommandRejectedError,
    LiveResponseBackend,
    ObjectNotFoundError,
    SessionLimitError,
    SessionNotFoundError,
    UnknownDeviceError,
)
from cbasync.testing.live_response.service import CLOUD_BACKEND, cloud_backend
from cbasync.testing.live_response.wire import (
    MultipartError,
    parse_multipart,
    render_command,
    render_file,
    render_session,
)
from cbasync.testing.routes._common import HttpError, json_response, read_json
from cbasync.testing.state import EmulatorState

__all__ = ["routes"]

BASE = "/integrationServices/v3/cblr"
Handler = Callable[[Request], Awaitable[Response]]


def _error(status: int, code: str, message: str) -> HttpError:
    return HttpError(status, {"success": False, "status": code, "message": message})


def routes(state: EmulatorState) -> list[BaseRoute]:
    config = state.config
    username = config.api_username

    def backend() -> LiveResponseBackend:
        return state.backend(CLOUD_BACKEND, cloud_backend)

    def guarded(handler: Handler) -> Handler:
        async def wrapper(request: Request) -> Response:
            try:
                return await handler(request)
            except SessionNotFoundError as exc:
                raise _error(404, "NOT_FOUND", f"Session {exc.session_id} not found") from None
            except UnknownDeviceError as exc:
                raise _error(404, "NOT_FOUND", f"Sensor {exc.device_id} not found") from None
            except ObjectNotFoundError as exc:
                raise _error(404, "NOT_FOUND", str(exc)) from None
            except SessionLimitError:
                raise _error(403, "FORBIDDEN", "session limit reached") from None
            except CommandRejectedError as exc:
                raise _error(400, "INVALID_ARGUMENT", str(exc)) from None

        return wrapper

    def device_of(value: object) -> int:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise _error(400, "INVALID_ARGUMENT", "sensor_id (an integer) is required")
        return value

    async def list_sessions(request: Request) -> Response:
        b = backend()
        return json_response([render_session(s, b.policy, "v3") for s in b.sessions()])

    async def create_session(request: Request) -> Response:
        b = backend()
        body = await read_json(request, required=False)
        given = body.get("sensor_id") if isinstance(body, dict) else None
        if given is None:
            given = request.path_params.get("sid")
        session = b.create_session(device_of(given), username)
        return json_response(render_session(session, b.policy, "v3"))

    async def get_session(request: Request) -> Response:
        b = backend()
        return json_response(render_session(b.session(request.path_params["sid"]), b.policy, "v3"))

    async def close_session(request: Request) -> Response:
        b = backend()
        body = await read_json(request)
        if not isinstance(body, dict) or "session_id" not in body:
            raise _error(400, "INVALID_ARGUMENT", "session_id is required")
        status = str(body.get("status", "")).upper()
        session = b.session(body["session_id"])
        if status == "CLOSE":
            b.close_session(session.id)
        return json_response({"success": True, "message": "Success", "session_id": session.id})

    async def keepalive(request: Request) -> Response:
        b = backend()
        session = b.keepalive(request.path_params["sid"])
        return json_response(render_session(session, b.policy, "v3"))

    async def archive(request: Request) -> Response:
        data = backend().archive(request.path_params["sid"])
        return Response(data, media_type="application/zip")

    async def list_commands(request: Request) -> Response:
        b = backend()
        now = state.clock.monotonic()
        commands = b.commands(request.path_params["sid"])
        return json_response(
            [render_command(c, "v3", now, org_key=config.org_key) for c in commands]
        )

    async def post_command(request: Request) -> Response:
        b = backend()
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            raise _error(400, "INVALID_ARGUMENT", "a command name is required")
        options = {k: v for k, v in body.items() if k not in ("name", "object", "session_id")}
        command = b.post_command(
            request.path_params["sid"], body["name"], body.get("object"), options, username=username
        )
        return json_response(
            render_command(command, "v3", state.clock.monotonic(), org_key=config.org_key)
        )

    async def get_command(request: Request) -> Response:
        b = backend()
        command = b.command(request.path_params["sid"], request.path_params["cid"])
        return json_response(
            render_command(command, "v3", state.clock.monotonic(), org_key=config.org_key)
        )

    async def upload(request: Request) -> Response:
        b = backend()
        b.session(request.path_params["sid"])
        try:
            name, data = parse_multipart(
                request.headers.get("content-type", ""), await request.body()
            )
        except MultipartError as exc:
            raise _error(400, "INVALID_ARGUMENT", str(exc)) from None
        stored = b.upload(request.path_params["sid"], name, data)
        return json_response(render_file(stored, "v3"))

    async def get_file(request: Request) -> Response:
        stored = backend().file(request.path_params["sid"], request.path_params["fid"])
        return json_response(render_file(stored, "v3"))

    async def delete_file(request: Request) -> Response:
        backend().delete_file(request.path_params["sid"], request.path_params["fid"])
        return json_response({"success": True, "message": "Success"})

    async def file_content(request: Request) -> Response:
        data = backend().file_content(request.path_params["sid"], request.path_params["fid"])
        return Response(data, media_type="application/octet-stream")

    table: list[tuple[str, Handler, list[str]]] = [
        ("/session", list_sessions, ["GET"]),
        ("/session/", list_sessions, ["GET"]),
        ("/session", create_session, ["POST"]),
        ("/session", close_session, ["PUT"]),
        ("/session/{sid}", get_session, ["GET"]),
        ("/session/{sid}", create_session, ["POST"]),
        ("/session/{sid}/keepalive", keepalive, ["GET"]),
        ("/session/{sid}/archive", archive, ["GET"]),
        ("/session/{sid}/command", list_commands, ["GET"]),
        ("/session/{sid}/command", post_command, ["POST"]),
        ("/session/{sid}/command/{cid}", get_command, ["GET"]),
        ("/session/{sid}/file", upload, ["POST"]),
        ("/session/{sid}/file/{fid}", get_file, ["GET"]),
        ("/session/{sid}/file/{fid}", delete_file, ["DELETE"]),
        ("/session/{sid}/file/{fid}/content", file_content, ["GET"]),
    ]
    return [
        Route(BASE + path, guarded(handler), methods=methods) for path, handler, methods in table
    ]
