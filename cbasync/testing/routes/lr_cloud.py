"""Carbon Black Cloud Live Response v6: ``/appservices/v6/orgs/{org_key}/liveresponse``.

A thin shell over the cloud org's :class:`~cbasync.testing.live_response.LiveResponseBackend`
(shared with the legacy v3 routes). What the cloud does and this module reproduces
(wire-protocol §3):

- session ids ``"<n>:<device_id>"``, statuses upper case; ``POST /sessions`` answers 201 with ISO
  timestamps, ``GET`` answers epoch milliseconds; ``supported_commands`` is null while pending;
- commands carry the target in ``path`` (``pid`` for ``kill``); command ids start at 0; a failed
  command has ``status: ERROR`` and a signed ``result_code``;
- a closed or expired session (and anything under it) is 404 ``{"error_code": "NOT_FOUND"}``;
- beyond 100 sessions' worth of devices: 403 ``session limit reached``;
- an upload above ``lr_upload_limit`` bytes is refused by the front proxy: 413 with nginx's HTML
  page, not JSON;
- file content is a 302 to storage: ``/__emulator__/lr-storage/<token>`` on this server, which
  needs no ``X-Auth-Token`` (like a pre-signed URL; a client must not need to forward its token).
- a path whose org key is not the configured one is 403 (as for every cloud route here).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
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
from cbasync.testing.routes._common import (
    HttpError,
    cloud_error,
    json_response,
    no_content,
    read_json,
    require_org,
)
from cbasync.testing.state import EmulatorState

__all__ = ["STORAGE_PATH", "routes"]

BASE = "/appservices/v6/orgs/{org_key}/liveresponse"
STORAGE_PATH = "/__emulator__/lr-storage/{token}"
Handler = Callable[[Request], Awaitable[Response]]

NGINX_413 = (
    "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n"
    "<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def routes(state: EmulatorState) -> list[BaseRoute]:
    config = state.config
    username = config.api_username

    def backend() -> LiveResponseBackend:
        return state.backend(CLOUD_BACKEND, cloud_backend)

    def guarded(handler: Handler) -> Handler:
        async def wrapper(request: Request) -> Response:
            require_org(request, config.org_key)
            try:
                return await handler(request)
            except SessionNotFoundError as exc:
                raise cloud_error(404, "NOT_FOUND", f"Session {exc.session_id} not found") from None
            except UnknownDeviceError as exc:
                raise cloud_error(404, "NOT_FOUND", f"Device {exc.device_id} not found") from None
            except ObjectNotFoundError as exc:
                raise cloud_error(404, "NOT_FOUND", str(exc)) from None
            except SessionLimitError:
                raise cloud_error(403, "FORBIDDEN", "session limit reached") from None
            except CommandRejectedError as exc:
                raise cloud_error(400, "INVALID_ARGUMENT", str(exc)) from None

        return wrapper

    async def create_session(request: Request) -> Response:
        b = backend()
        body = await read_json(request)
        device_id = body.get("device_id") if isinstance(body, dict) else None
        if isinstance(device_id, str) and device_id.strip().isdigit():
            device_id = int(device_id)
        if not isinstance(device_id, int) or isinstance(device_id, bool):
            raise cloud_error(400, "INVALID_ARGUMENT", "device_id (an integer) is required")
        session = b.create_session(device_id, username)
        return json_response(render_session(session, b.policy, "v6", iso_times=True), 201)

    async def get_session(request: Request) -> Response:
        b = backend()
        session = b.session(request.path_params["sid"])
        return json_response(render_session(session, b.policy, "v6"))

    async def close_session(request: Request) -> Response:
        backend().close_session(request.path_params["sid"])
        return no_content()

    async def keepalive(request: Request) -> Response:
        b = backend()
        session = b.keepalive(request.path_params["sid"])
        return json_response(render_session(session, b.policy, "v6"))

    async def list_commands(request: Request) -> Response:
        b = backend()
        now = state.clock.monotonic()
        commands = b.commands(request.path_params["sid"])
        return json_response(
            [render_command(c, "v6", now, org_key=config.org_key) for c in commands]
        )

    async def post_command(request: Request) -> Response:
        b = backend()
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            raise cloud_error(400, "INVALID_ARGUMENT", "a command name is required")
        name = body["name"]
        target = body.get("pid") if name == "kill" else body.get("path")
        if target is None:
            target = body.get("object")  # accepted as well
        options = {
            k: v
            for k, v in body.items()
            if k not in ("name", "path", "pid", "object", "session_id")
        }
        command = b.post_command(
            request.path_params["sid"], name, target, options, username=username
        )
        return json_response(
            render_command(command, "v6", state.clock.monotonic(), org_key=config.org_key), 201
        )

    async def get_command(request: Request) -> Response:
        b = backend()
        command = b.command(request.path_params["sid"], request.path_params["cid"])
        return json_response(
            render_command(command, "v6", state.clock.monotonic(), org_key=config.org_key)
        )

    async def cancel_command(request: Request) -> Response:
        backend().cancel_command(request.path_params["sid"], request.path_params["cid"])
        return no_content()

    async def upload(request: Request) -> Response:
        b = backend()
        b.session(request.path_params["sid"])
        declared = request.headers.get("content-length", "")
        limit = config.lr_upload_limit
        if declared.isdigit() and int(declared) > limit:
            raise HttpError(413, NGINX_413, media_type="text/html")
        raw = await request.body()
        if len(raw) > limit:
            raise HttpError(413, NGINX_413, media_type="text/html")
        try:
            name, data = parse_multipart(request.headers.get("content-type", ""), raw)
        except MultipartError as exc:
            raise cloud_error(400, "INVALID_ARGUMENT", str(exc)) from None
        stored = b.upload(request.path_params["sid"], name, data)
        return json_response(render_file(stored, "v6"), 201)

    async def get_file(request: Request) -> Response:
        b = backend()
        stored = b.file(request.path_params["sid"], request.path_params["fid"])
        return json_response(render_file(stored, "v6"))

    async def file_content(request: Request) -> Response:
        b = backend()
        token = b.issue_download(request.path_params["sid"], request.path_params["fid"])
        location = str(request.base_url).rstrip("/") + STORAGE_PATH.format(token=token)
        return RedirectResponse(location, status_code=302)

    async def delete_file(request: Request) -> Response:
        backend().delete_file(request.path_params["sid"], request.path_params["fid"])
        return no_content()

    async def storage(request: Request) -> Response:
        # Served outside the authenticated API, like a pre-signed storage URL.
        try:
            _, data = backend().redeem_download(request.path_params["token"])
        except ObjectNotFoundError:
            return Response(
                "<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
                "<Message>Request has expired</Message></Error>",
                status_code=403,
                media_type="application/xml",
            )
        return Response(data, media_type="application/octet-stream")

    table: list[tuple[str, Handler, list[str]]] = [
        ("/sessions", create_session, ["POST"]),
        ("/sessions/{sid}", get_session, ["GET"]),
        ("/sessions/{sid}", close_session, ["DELETE"]),
        ("/sessions/{sid}/keepalive", keepalive, ["GET"]),
        ("/sessions/{sid}/commands", list_commands, ["GET"]),
        ("/sessions/{sid}/commands", post_command, ["POST"]),
        ("/sessions/{sid}/commands/{cid}", get_command, ["GET"]),
        ("/sessions/{sid}/commands/{cid}", cancel_command, ["DELETE"]),
        ("/sessions/{sid}/files", upload, ["POST"]),
        ("/sessions/{sid}/files/{fid}", get_file, ["GET"]),
        ("/sessions/{sid}/files/{fid}", delete_file, ["DELETE"]),
        ("/sessions/{sid}/files/{fid}/content", file_content, ["GET"]),
    ]
    out: list[BaseRoute] = [
        Route(BASE + path, guarded(handler), methods=methods) for path, handler, methods in table
    ]
    out.append(Route(STORAGE_PATH, storage, methods=["GET"]))
    return out
