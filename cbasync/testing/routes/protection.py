"""App Control (CB Protection) routes: ``/api/bit9platform/v1/<object>[/{id}]`` (wire §9).

Search answers a plain JSON array (no envelope); ``limit=-1`` answers ``{"count": N}``, ``group``
answers ``[{"value", "count"}]``. A file upload or pending analysis fetched with
``downloadFile=true`` answers its file in a ZIP. Creates answer 201 with the object, updates 200 with it. As on
the real server: unexpected parameters are a 400 with the details in the body, an object that
cannot be changed a 403, an unknown id a 404 (a missing or wrong token is the app's 401).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from cbasync.testing.dataset.errors import Invalid, NotFound
from cbasync.testing.dataset.protection import DOWNLOADABLE, ProtectionBackend
from cbasync.testing.routes._common import (
    Handlers,
    RouteSpec,
    json_response,
    read_object,
    route_table,
)
from cbasync.testing.state import EmulatorState

__all__ = ["routes"]

_BASE = "/api/bit9platform/v1"
_SEARCH_PARAMS = frozenset({"q", "sort", "group", "offset", "limit"})
_PUT_FLAGS = frozenset(
    {"changeDiagnostics", "changeTemplate", "newTamperProtectionActive", "resetCLIPassword"}
)


def _check_params(request: Request, allowed: frozenset[str]) -> None:
    unexpected = sorted(set(request.query_params) - allowed)
    if unexpected:
        raise Invalid(f"unexpected parameters: {', '.join(unexpected)}", reason="invalid_parameter")


def _int(raw: str | None, name: str, default: int | None) -> int | None:
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise Invalid(f"{name} must be an integer, not {raw!r}") from None


def _object_id(request: Request) -> int:
    raw = request.path_params["object_id"]
    try:
        return int(raw)
    except ValueError:
        raise NotFound(f"{raw!r} is not an object id") from None


class ProtectionRoutes(Handlers):
    """Object collections of the App Control server (the backend is built on first use)."""

    @property
    def backend(self) -> ProtectionBackend:
        return self.state.backend("protection", ProtectionBackend)

    async def collection(self, request: Request) -> Response:
        name = request.path_params["object"]
        if request.method == "POST":
            _check_params(request, frozenset())
            row, created = self.backend.create(name, await read_object(request))
            return json_response(row, 201 if created else 200)
        return self._search(request, name)

    def _search(self, request: Request, name: str) -> Response:
        _check_params(request, _SEARCH_PARAMS)
        qp = request.query_params
        offset = _int(qp.get("offset"), "offset", 0) or 0
        limit = _int(qp.get("limit"), "limit", None)
        if offset < 0 or (limit is not None and limit < -1):
            raise Invalid("offset must be >= 0 and limit >= -1")
        return json_response(
            self.backend.search(
                name,
                qp.getlist("q"),
                sort=qp.get("sort") or None,
                group=qp.get("group") or None,
                offset=offset,
                limit=limit,
            )
        )

    async def one(self, request: Request) -> Response:
        name = request.path_params["object"]
        oid = _object_id(request)
        backend = self.backend
        if request.method == "GET":
            if name not in DOWNLOADABLE:
                _check_params(request, frozenset())
                return json_response(backend.get(name, oid))
            _check_params(request, frozenset({"downloadFile"}))
            if request.query_params.get("downloadFile", "").lower() != "true":
                return json_response(backend.get(name, oid))
            filename, archive = backend.download(name, oid)
            return Response(
                archive,
                media_type="application/zip",
                headers={"Content-Disposition": f'attachment; filename="{filename}.zip"'},
            )
        if request.method == "DELETE":
            _check_params(request, frozenset())
            backend.delete(name, oid)
            return Response(status_code=200)  # no body (spec/protection.yaml: "Deleted.")
        # PUT, or a POST to the object's own route: cbapi saves a file instance that way.
        _check_params(request, _PUT_FLAGS if name == "computer" else frozenset())
        body = await read_object(request)
        if "id" in body and body["id"] not in (None, oid, str(oid)):
            raise Invalid("the id in the body does not match the URL")
        flags = {k: v for k, v in request.query_params.items() if k in _PUT_FLAGS}
        return json_response(backend.update(name, oid, body, flags))

    async def app_templates(self, request: Request) -> Response:
        """The restricted namespace searches like the others (q, sort, offset, limit...)."""
        return self._search(request, "appTemplate")


def routes(state: EmulatorState) -> list[BaseRoute]:
    h = ProtectionRoutes(state)
    table: list[RouteSpec] = [
        ("/api/bit9platform/restricted/appTemplate", h.app_templates, ["GET"]),
        (f"{_BASE}/{{object}}", h.collection, ["GET", "POST"]),
        (f"{_BASE}/{{object}}/{{object_id}}", h.one, ["GET", "PUT", "POST", "DELETE"]),
    ]
    return route_table(table)
