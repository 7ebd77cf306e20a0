"""What every route module shares: the handler base class, the route table helpers, JSON
rendering, error bodies, parameters and paging.

A route module is a class (or a few) of handlers, one async method per route, built once per app
over the emulator's state, and a ``routes(state)`` function at the bottom of the module that is
its route table. Handlers stay thin: parse the request with these helpers, call a backend,
render with :func:`json_response`. An error anywhere is raised as :class:`HttpError` (or a
backend's domain error) and rendered by the app, so handlers never build error responses by hand.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from cbasync.testing.dataset.errors import Invalid
from cbasync.testing.query import QueryError
from cbasync.testing.state import EmulatorState

__all__ = [
    "JSON_MEDIA_TYPE",
    "Handler",
    "Handlers",
    "HttpError",
    "RouteSpec",
    "bool_param",
    "cloud_error",
    "cloud_page",
    "dumps",
    "int_param",
    "item",
    "json_response",
    "no_content",
    "query_error",
    "read_json",
    "read_object",
    "require_org",
    "route_table",
    "success",
    "with_slash",
]

JSON_MEDIA_TYPE = "application/json; charset=utf-8"

Handler = Callable[[Request], Awaitable[Response]]
RouteSpec = tuple[str, Handler, Sequence[str]]
"""One row of a route table: path template, handler, HTTP methods."""

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def dumps(data: Any) -> bytes:
    """Compact JSON bytes (the fastest stdlib path: one C encoder call, then UTF-8)."""
    return _encoder.encode(data).encode("utf-8")


def json_response(
    data: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON answer with ``Content-Type: application/json; charset=utf-8`` (as EDR sends)."""
    return Response(dumps(data), status_code=status, headers=headers, media_type=JSON_MEDIA_TYPE)


def no_content(status: int = 204) -> Response:
    return Response(b"", status_code=status)


def success() -> Response:
    """EDR's usual write answer."""
    return json_response({"result": "success"})


class HttpError(Exception):
    """An error answer; the app renders it. ``body`` is JSON-encoded unless it is bytes/str."""

    def __init__(
        self,
        status: int,
        body: Any,
        *,
        headers: Mapping[str, str] | None = None,
        media_type: str = JSON_MEDIA_TYPE,
    ) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.media_type = media_type

    def response(self) -> Response:
        if isinstance(self.body, bytes | str):
            return Response(
                self.body, status_code=self.status, headers=self.headers, media_type=self.media_type
            )
        return json_response(self.body, self.status, self.headers)


def query_error(exc: QueryError) -> HttpError:
    """400 for a malformed query, as EDR answers (``reason: query_malformed_syntax``)."""
    return HttpError(
        400,
        {
            "reason": "query_malformed_syntax",
            "message": str(exc),
            "offset": exc.offset,
        },
    )


def cloud_error(status: int, error_code: str, message: str, **extra: Any) -> HttpError:
    """A Carbon Black Cloud error (``{"error_code", "message", "success": false}``)."""
    return HttpError(
        status, {"error_code": error_code, "message": message, "success": False, **extra}
    )


def require_org(request: Request, org_key: str) -> None:
    """Refuse a cloud route whose ``{org_key}`` path segment is not the emulated org (403)."""
    given = request.path_params.get("org_key")
    if given != org_key:
        raise cloud_error(403, "FORBIDDEN", f"API key has no access to org {given!r}")


async def read_json(request: Request, *, required: bool = True) -> Any:
    """The request body as JSON; 400 when it is not JSON (or empty and ``required``)."""
    raw = await request.body()
    if not raw.strip():
        if required:
            raise HttpError(
                400, {"reason": "invalid_request", "message": "a JSON body is required"}
            )
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HttpError(
            400, {"reason": "invalid_request", "message": f"malformed JSON body: {exc}"}
        ) from None


async def read_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; 400 (``Invalid``) for anything else."""
    body = await read_json(request)
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object")
    return body


def int_param(
    params: Mapping[str, str],
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    """An integer query parameter; 400 when it is not an integer or out of range."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise HttpError(
            400, {"reason": "invalid_parameter", "message": f"{name} must be an integer: {raw!r}"}
        ) from None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise HttpError(
            400,
            {"reason": "invalid_parameter", "message": f"{name}={value} is out of range"},
        )
    return value


def bool_param(params: Mapping[str, str], name: str, default: bool = False) -> bool:
    """A boolean query parameter as EDR accepts it (``true``/``false``, ``1``/``0``)."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in ("true", "1", "yes", "on")


def cloud_page(
    body: Mapping[str, Any],
    *,
    default_rows: int = 10,
    max_rows: int = 10_000,
    one_based: bool = False,
) -> tuple[int, int]:
    """``(offset, rows)`` from a cloud search body (``start``/``rows``), as a 0-based offset.

    ``one_based`` routes (alerts v6/v7) treat ``start: 1`` as the first row and ``0`` like 1.
    Rows are capped at ``max_rows``; an offset past the 10,000-row window is refused (400).
    """
    try:
        start = int(body.get("start", 1 if one_based else 0) or 0)
        rows = int(body.get("rows", default_rows) if body.get("rows") is not None else default_rows)
    except (TypeError, ValueError):
        raise cloud_error(400, "INVALID_PARAMETER", "start and rows must be integers") from None
    if start < 0 or rows < 0:
        raise cloud_error(400, "INVALID_PARAMETER", "start and rows must be >= 0")
    offset = max(start - 1, 0) if one_based else start
    rows = min(rows, max_rows)
    if offset + rows > max_rows:
        raise cloud_error(
            400,
            "INVALID_PARAMETER",
            f"start + rows exceeds the maximum of {max_rows} retrievable rows",
        )
    return offset, rows


class Handlers:
    """The handlers of one route module over one emulator state (one instance per app)."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.config = state.config
        self.clock = state.clock


def route_table(
    specs: Iterable[RouteSpec],
    *,
    prefix: str = "",
    wrap: Callable[[Handler], Handler] | None = None,
) -> list[BaseRoute]:
    """Starlette routes from ``(path, handler, methods)`` rows, in order (Starlette tries routes
    in order); ``wrap`` puts each handler behind a guard (an org check, an error mapping)."""
    return [
        Route(prefix + path, wrap(handler) if wrap else handler, methods=list(methods))
        for path, handler, methods in specs
    ]


def with_slash(path: str, handler: Handler, methods: Sequence[str]) -> list[RouteSpec]:
    """A route and its trailing-slash twin: clients that add the slash are served, not
    redirected (httpx does not follow redirects by default)."""
    return [(path, handler, methods), (path + "/", handler, methods)]


def _success_unless_given(result: Any) -> Response:
    return success() if result is None else json_response(result)


async def item(
    request: Request,
    get: Callable[[], Any],
    *,
    update: Callable[[Any], Any] | None = None,
    delete: Callable[[], object] | None = None,
    read: Callable[[Request], Awaitable[Any]] = read_object,
    updated: Callable[[Any], Response] = _success_unless_given,
    deleted: Callable[[], Response] = success,
) -> Response:
    """One object's GET/PUT/DELETE route (the route's methods say which can arrive).

    PUT reads the body with ``read``, calls ``update(body)`` and answers ``updated`` of what it
    returned (by default the object it returns, or EDR's ``{"result": "success"}``); DELETE calls
    ``delete()`` and answers ``deleted()``; anything else (GET, HEAD) answers ``get()``.
    """
    if request.method == "PUT" and update is not None:
        return updated(update(await read(request)))
    if request.method == "DELETE" and delete is not None:
        delete()
        return deleted()
    return json_response(get())
