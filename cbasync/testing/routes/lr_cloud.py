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

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from cbasync.testing.live_response import Command, LiveResponseError, ObjectNotFoundError
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
    cloud_error,
    json_response,
    no_content,
    read_json,
    require_org,
    route_table,
)
from cbasync.testing.routes._lr import CloudLrHandlers, lr_guard, upload_body
from cbasync.testing.state import EmulatorState

__all__ = ["STORAGE_PATH", "routes"]

BASE = "/appservices/v6/orgs/{org_key}/liveresponse"
STORAGE_PATH = "/__emulator__/lr-storage/{token}"


def _cloud_error(exc: LiveResponseError, status: int, code: str, message: str) -> HttpError:
    return cloud_error(status, code, message)


class CloudLrRoutes(CloudLrHandlers):
    """Sessions, commands and files of the cloud org's Live Response (v6 API)."""

    def check_org(self, request: Request) -> None:
        require_org(request, self.config.org_key)

    def _command_json(self, command: Command, status: int = 200) -> Response:
        now = self.clock.monotonic()
        return json_response(
            render_command(command, "v6", now, org_key=self.config.org_key), status
        )

    async def create_session(self, request: Request) -> Response:
        b = self.backend
        body = await read_json(request)
        device_id = body.get("device_id") if isinstance(body, dict) else None
        if isinstance(device_id, str) and device_id.strip().isdigit():
            device_id = int(device_id)
        if not isinstance(device_id, int) or isinstance(device_id, bool):
            raise cloud_error(400, "INVALID_ARGUMENT", "device_id (an integer) is required")
        session = b.create_session(device_id, self.config.api_username)
        return json_response(render_session(session, b.policy, "v6", iso_times=True), 201)

    async def get_session(self, request: Request) -> Response:
        b = self.backend
        return json_response(render_session(b.session(request.path_params["sid"]), b.policy, "v6"))

    async def close_session(self, request: Request) -> Response:
        self.backend.close_session(request.path_params["sid"])
        return no_content()

    async def keepalive(self, request: Request) -> Response:
        b = self.backend
        return json_response(
            render_session(b.keepalive(request.path_params["sid"]), b.policy, "v6")
        )

    async def list_commands(self, request: Request) -> Response:
        now = self.clock.monotonic()
        commands = self.backend.commands(request.path_params["sid"])
        org_key = self.config.org_key
        return json_response([render_command(c, "v6", now, org_key=org_key) for c in commands])

    async def post_command(self, request: Request) -> Response:
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
        command = self.backend.post_command(
            request.path_params["sid"], name, target, options, username=self.config.api_username
        )
        return self._command_json(command, 201)

    async def get_command(self, request: Request) -> Response:
        return self._command_json(
            self.backend.command(request.path_params["sid"], request.path_params["cid"])
        )

    async def cancel_command(self, request: Request) -> Response:
        self.backend.cancel_command(request.path_params["sid"], request.path_params["cid"])
        return no_content()

    async def upload(self, request: Request) -> Response:
        b = self.backend
        b.session(request.path_params["sid"])
        raw = await upload_body(request, self.config.lr_upload_limit)
        try:
            name, data = parse_multipart(request.headers.get("content-type", ""), raw)
        except MultipartError as exc:
            raise cloud_error(400, "INVALID_ARGUMENT", str(exc)) from None
        stored = b.upload(request.path_params["sid"], name, data)
        return json_response(render_file(stored, "v6"), 201)

    async def get_file(self, request: Request) -> Response:
        stored = self.backend.file(request.path_params["sid"], request.path_params["fid"])
        return json_response(render_file(stored, "v6"))

    async def file_content(self, request: Request) -> Response:
        token = self.backend.issue_download(request.path_params["sid"], request.path_params["fid"])
        location = str(request.base_url).rstrip("/") + STORAGE_PATH.format(token=token)
        return RedirectResponse(location, status_code=302)

    async def delete_file(self, request: Request) -> Response:
        self.backend.delete_file(request.path_params["sid"], request.path_params["fid"])
        return no_content()

    async def storage(self, request: Request) -> Response:
        # Served outside the authenticated API, like a pre-signed storage URL.
        try:
            _, data = self.backend.redeem_download(request.path_params["token"])
        except ObjectNotFoundError:
            return Response(
                "<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
                "<Message>Request has expired</Message></Error>",
                status_code=403,
                media_type="application/xml",
            )
        return Response(data, media_type="application/octet-stream")


def routes(state: EmulatorState) -> list[BaseRoute]:
    h = CloudLrRoutes(state)
    table: list[RouteSpec] = [
        ("/sessions", h.create_session, ["POST"]),
        ("/sessions/{sid}", h.get_session, ["GET"]),
        ("/sessions/{sid}", h.close_session, ["DELETE"]),
        ("/sessions/{sid}/keepalive", h.keepalive, ["GET"]),
        ("/sessions/{sid}/commands", h.list_commands, ["GET"]),
        ("/sessions/{sid}/commands", h.post_command, ["POST"]),
        ("/sessions/{sid}/commands/{cid}", h.get_command, ["GET"]),
        ("/sessions/{sid}/commands/{cid}", h.cancel_command, ["DELETE"]),
        ("/sessions/{sid}/files", h.upload, ["POST"]),
        ("/sessions/{sid}/files/{fid}", h.get_file, ["GET"]),
        ("/sessions/{sid}/files/{fid}", h.delete_file, ["DELETE"]),
        ("/sessions/{sid}/files/{fid}/content", h.file_content, ["GET"]),
    ]
    guard = lr_guard(_cloud_error, device="Device", check=h.check_org)
    return [
        *route_table(table, prefix=BASE, wrap=guard),
        Route(STORAGE_PATH, h.storage, methods=["GET"]),
    ]
