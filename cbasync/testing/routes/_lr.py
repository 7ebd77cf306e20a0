"""What the three Live Response dialects share: the backends and one error guard.

EDR (``/api/v1/cblr``), the cloud's v6 and the legacy v3 routes fail in the same situations and
differ only in how they say it. :func:`lr_guard` maps the backend's errors once — a gone session,
an unknown device, a missing object, the session limit, a refused command — to a status, an error
code and a message, and asks the dialect to render them.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import Response

from cbasync.testing.live_response import (
    CommandRejectedError,
    LiveResponseBackend,
    LiveResponseError,
    ObjectNotFoundError,
    SessionLimitError,
    SessionNotFoundError,
    UnknownDeviceError,
)
from cbasync.testing.live_response.service import CLOUD_BACKEND, cloud_backend
from cbasync.testing.routes._common import Handler, Handlers, HttpError

__all__ = ["NGINX_413", "CloudLrHandlers", "ErrorRenderer", "describe", "lr_guard", "upload_body"]

ErrorRenderer = Callable[[LiveResponseError, int, str, str], HttpError]
"""``(error, status, code, message)`` -> the dialect's answer."""

_HANDLED = (
    SessionNotFoundError,
    UnknownDeviceError,
    ObjectNotFoundError,
    SessionLimitError,
    CommandRejectedError,
)


NGINX_413 = (
    "<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n"
    "<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


async def upload_body(request: Request, limit: int) -> bytes:
    """The body of an upload, refused as the cloud's front proxy refuses one above ``limit``
    bytes: 413 with nginx's HTML page, not JSON (wire-protocol §1.2)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HttpError(413, NGINX_413, media_type="text/html")
    raw = await request.body()
    if len(raw) > limit:
        raise HttpError(413, NGINX_413, media_type="text/html")
    return raw


class CloudLrHandlers(Handlers):
    """Handlers over the cloud org's Live Response server (shared by the v6 and v3 routes:
    one org, one slot limit)."""

    @property
    def backend(self) -> LiveResponseBackend:
        return self.state.backend(CLOUD_BACKEND, cloud_backend)


def describe(exc: LiveResponseError, device: str) -> tuple[int, str, str]:
    """``(status, code, message)`` of a handled error; ``device`` is what the dialect calls a
    machine ("Sensor", "Device")."""
    if isinstance(exc, SessionNotFoundError):
        return 404, "NOT_FOUND", f"Session {exc.session_id} not found"
    if isinstance(exc, UnknownDeviceError):
        return 404, "NOT_FOUND", f"{device} {exc.device_id} not found"
    if isinstance(exc, ObjectNotFoundError):
        return 404, "NOT_FOUND", str(exc)
    if isinstance(exc, SessionLimitError):
        return 403, "FORBIDDEN", "session limit reached"
    return 400, "INVALID_ARGUMENT", str(exc)


def lr_guard(
    render: ErrorRenderer,
    *,
    device: str,
    check: Callable[[Request], None] | None = None,
) -> Callable[[Handler], Handler]:
    """A wrapper for one dialect's handlers: ``check`` runs first (Live Response enabled, the
    org key), and a backend error is answered with ``render`` of its description."""

    def wrap(handler: Handler) -> Handler:
        async def guarded(request: Request) -> Response:
            if check is not None:
                check(request)
            try:
                return await handler(request)
            except _HANDLED as exc:
                raise render(exc, *describe(exc, device)) from None

        return guarded

    return wrap
