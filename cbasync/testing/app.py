"""The emulator's ASGI application: authentication, latency and faults, counters, route modules.

:func:`create_app` builds an :class:`EmulatorApp`, an ASGI callable that wraps a Starlette router.
For every HTTP request it

1. skips steps 2-4 for the emulator's own control routes (``/__emulator__/...``);
2. asks the :class:`~cbasync.testing.faults.FaultInjector` what to do and waits the latency on the
   state's clock; answers 429 (with ``Retry-After``), a 5xx, or resets the connection if told to
   (a slow response is handled first, and its answer held back);
3. checks ``X-Auth-Token`` against the configured tokens (401 otherwise);
4. routes the request and counts it under ``"METHOD /route/template"`` and its status; a search
   job or Live Response session it creates is tied to its ``X-Request-ID``, so a creating POST
   sent twice for one call is counted (``Counters.duplicate_creations``).

**Route modules.** The app mounts the modules of ``cbasync.testing.routes`` named in
:data:`ROUTE_MODULES`, in that order (an explicit list: a helper module beside them is never
mounted by accident). Each defines its handlers as a class and ends with its route table::

    def routes(state: EmulatorState) -> list[starlette.routing.BaseRoute]

A module that fails to import fails the app (a half-installed emulator must not pass for a
working one). Routes raise :class:`~cbasync.testing.routes._common.HttpError` for error answers; a
:class:`~cbasync.testing.query.QueryError` that escapes a handler becomes EDR's 400
``query_malformed_syntax``.

**Connection resets.** In process (``httpx.ASGITransport``) a reset is raised as
``httpx.ReadError`` — exactly what an httpx client sees when a real peer resets the connection.
The loopback server (``cbasync.testing.server``) installs the ASGI extension
``"cbasync.connection_reset"`` and aborts the TCP connection instead.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeVar

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cbasync.testing._clock import Clock
from cbasync.testing.config import EmulatorConfig
from cbasync.testing.counters import Counters, current_request_id
from cbasync.testing.dataset.errors import BackendError
from cbasync.testing.query import QueryError
from cbasync.testing.routes._common import HttpError, json_response, query_error
from cbasync.testing.state import EmulatorState

__all__ = [
    "BASE_URL",
    "CONNECTION_RESET_EXTENSION",
    "CONTROL_PREFIX",
    "CORE_ROUTE_MODULES",
    "ROUTE_MODULES",
    "EmulatorApp",
    "create_app",
    "route_module_names",
]

CONTROL_PREFIX = "/__emulator__"
CONNECTION_RESET_EXTENSION = "cbasync.connection_reset"
# The route modules of cbasync.testing.routes the app mounts, in mounting order (Starlette tries
# routes in order): the on-premises servers first, then the cloud and Live Response.
CORE_ROUTE_MODULES: tuple[str, ...] = ("edr", "protection")
ROUTE_MODULES: tuple[str, ...] = (
    *CORE_ROUTE_MODULES,
    "cloud_common",
    "cloud_defense",
    "cloud_investigate",
    "cloud_livequery",
    "cloud_platform",
    "cloud_threatintel",
    "lr_cloud",
    "lr_edr",
    "lr_v3",
)
_ROUTES_PACKAGE = "cbasync.testing.routes"

RouteFactory = Callable[[EmulatorState], Sequence[BaseRoute]]
ApiT = TypeVar("ApiT")

BASE_URL = "https://cbserver.emulator"
"""The URL in-process clients use (any https URL works: the transport never leaves the process)."""


def route_module_names() -> list[str]:
    """The route modules the app mounts by default, in mounting order."""
    return list(ROUTE_MODULES)


def _load_routes(state: EmulatorState, names: Sequence[str]) -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for name in names:
        module = importlib.import_module(f"{_ROUTES_PACKAGE}.{name}")
        factory: RouteFactory | None = getattr(module, "routes", None)
        if factory is None or not callable(factory):
            raise TypeError(f"route module {module.__name__} has no routes(state) function")
        routes.extend(factory(state))
    return routes


_INDEX_DEPTH = 3  # literal leading path segments used to narrow the routes tried


class _IndexedRouter(Router):
    """A Router that only tries the routes whose literal prefix fits the request path.

    The emulator has ~300 routes; Starlette tries them in order with a regex each (~3 us per
    route), which dominated the cost of a request to a late route. Routes are bucketed by their
    first three literal path segments; a request tries its bucket plus the routes whose prefix is
    shorter, in the original order, so matching is unchanged. It also records ``scope["route"]``
    itself (older Starlette versions do not), which the request counters read.
    """

    def _build_index(self) -> None:
        generic: list[tuple[int, BaseRoute]] = []
        buckets: dict[tuple[str, ...], list[tuple[int, BaseRoute]]] = {}
        for i, route in enumerate(self.routes):
            path = getattr(route, "path", None)
            literal: list[str] = []
            if isinstance(path, str):
                for segment in path.split("/")[1:]:
                    if "{" in segment:
                        break
                    literal.append(segment)
            if len(literal) >= _INDEX_DEPTH:
                buckets.setdefault(tuple(literal[:_INDEX_DEPTH]), []).append((i, route))
            else:
                generic.append((i, route))
        self._generic = [r for _, r in generic]
        self._buckets = {
            key: [r for _, r in sorted(entries + generic, key=lambda e: e[0])]
            for key, entries in buckets.items()
        }
        self._indexed_count = len(self.routes)

    def _candidates(self, path: str) -> list[BaseRoute]:
        if getattr(self, "_indexed_count", -1) != len(self.routes):
            self._build_index()
        key = tuple(path.split("/", _INDEX_DEPTH + 1)[1 : _INDEX_DEPTH + 1])
        return self._buckets.get(key, self._generic)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().app(scope, receive, send)
            return
        if "router" not in scope:
            scope["router"] = self
        partial: BaseRoute | None = None
        partial_scope: Any = {}
        for route in self._candidates(scope["path"]):
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope["route"] = route
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
            if match is Match.PARTIAL and partial is None:
                partial, partial_scope = route, child_scope
        if partial is not None:
            scope["route"] = partial
            scope.update(partial_scope)
            await partial.handle(scope, receive, send)
            return
        await self.default(scope, receive, send)


class EmulatorApp:
    """The ASGI app of one emulated installation. ``state`` is everything it knows."""

    def __init__(
        self,
        state: EmulatorState,
        *,
        modules: Sequence[str] | None = None,
        extra_routes: Sequence[RouteFactory] = (),
    ) -> None:
        self.state = state
        names = route_module_names() if modules is None else list(modules)
        self.route_modules: tuple[str, ...] = tuple(names)
        routes: list[BaseRoute] = [
            Route(f"{CONTROL_PREFIX}/counters", self._counters, methods=["GET", "DELETE"]),
            Route(f"{CONTROL_PREFIX}/config", self._config, methods=["GET"]),
            *_load_routes(state, names),
        ]
        for factory in extra_routes:
            routes.extend(factory(state))
        self.router = Starlette(
            routes=routes,
            exception_handlers={
                HttpError: _http_error,
                QueryError: _query_error,
                BackendError: _backend_error,
                HTTPException: _starlette_http_exception,
            },
        )
        # Routes register the slash variants they need explicitly: a redirect would not be
        # followed by clients that do not follow redirects (httpx's default).
        indexed = _IndexedRouter(routes=routes, redirect_slashes=False)
        self.router.router = indexed
        self.router.middleware_stack = None  # rebuilt around the indexed router on first call
        # Real EDR servers answer gzip (openresty); a client that says it accepts gzip gets it,
        # so the bytes on the wire are the size a real server would send.
        self._handler: ASGIApp = self.router
        if state.config.gzip_level > 0:
            self._handler = GZipMiddleware(
                self.router,
                minimum_size=state.config.gzip_min_bytes,
                compresslevel=state.config.gzip_level,
            )
        self._tokens = frozenset(t.encode("latin-1") for t in state.config.tokens)
        self._exempt = tuple(state.config.fault_exempt_prefixes)

    # Convenience views of the state.
    @property
    def config(self) -> EmulatorConfig:
        return self.state.config

    @property
    def clock(self) -> Clock:
        return self.state.clock

    @property
    def counters(self) -> Counters:
        return self.state.counters

    @property
    def routes(self) -> list[BaseRoute]:
        return list(self.router.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.router(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(self._exempt):
            await self.router(scope, receive, send)
            return
        state = self.state
        counters = state.counters
        counters.request_started()
        status = 500
        started = False

        async def counting(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = message["status"]
                started = True
            await send(message)

        counting_send: Send = counting
        request_id = current_request_id.set(_header(scope, b"x-request-id"))
        try:
            if state.faults.active:
                handled, late = await self._faults(scope, counting_send)
                if handled:
                    self._resolve_route(scope)
                    return
                if late > 0:
                    counting_send = _held_back(counting_send, late, state.clock)
            if not self._authorized(scope):
                self._resolve_route(scope)
                counters.unauthorized += 1
                await _send_json(
                    counting_send,
                    401,
                    {
                        "reason": "unauthorized",
                        "message": "a valid X-Auth-Token header is required",
                    },
                )
                return
            await self._handler(scope, receive, counting_send)
        finally:
            current_request_id.reset(request_id)
            route = scope.get("route")
            template = getattr(route, "path", None) if route is not None else None
            key = f"{scope['method']} {template if template is not None else '<unmatched>'}"
            counters.request_finished(key, status if started else 0)

    def _resolve_route(self, scope: Scope) -> None:
        """Record the route a request was aimed at even when it was answered before routing
        (401, injected faults), so the counters attribute it to its route template."""
        router = self.router.router
        assert isinstance(router, _IndexedRouter)
        for route in router._candidates(scope["path"]):
            match, _ = route.matches(scope)
            if match is not Match.NONE:
                scope["route"] = route
                return

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"x-auth-token":
                return value in self._tokens
        return False

    def _client_key(self, scope: Scope) -> str:
        if self.state.config.rate_limit_key == "token":
            for name, value in scope["headers"]:
                if name == b"x-auth-token":
                    return "token:" + bytes(value).decode("latin-1")
            return "token:"
        client = scope.get("client")
        return "ip:" + (str(client[0]) if client else "unknown")

    async def _faults(self, scope: Scope, send: Send) -> tuple[bool, float]:
        """Apply the fault decision: whether it answered (or dropped) the request, and how
        long to hold back the answer of a request it lets through (a slow response)."""
        state = self.state
        client = self._client_key(scope)
        decision = state.faults.decide(client)
        if decision.slow:
            state.counters.fault("slow")
        if decision.during_block:
            state.counters.requests_during_block += 1
        if decision.delay > 0:
            await state.clock.sleep(decision.delay)
        if decision.kind == "none":
            return False, decision.late
        state.counters.fault(decision.kind)
        if decision.kind == "reset":
            reset = scope.get("extensions", {}).get(CONNECTION_RESET_EXTENSION)
            if reset is not None:
                await reset()
                return True, 0.0
            raise httpx.ReadError("[Errno 104] Connection reset by peer (emulated fault)")
        if decision.kind == "429":
            await _send_json(
                send,
                429,
                {"error_code": "TOO_MANY_REQUESTS", "message": "rate limit exceeded"},
                headers=[(b"retry-after", str(decision.retry_after).encode())],
            )
            state.faults.announce_block(client)
            return True, 0.0
        await _send_json(
            send,
            decision.status,
            {"reason": "server_error", "message": f"emulated transient {decision.status}"},
        )
        return True, 0.0

    def http_client(self, **kwargs: Any) -> Any:
        """An ``httpx.AsyncClient`` bound to this app in process, token set (use ``async with``)."""
        headers = {"X-Auth-Token": self.config.token, **kwargs.pop("headers", {})}
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self), base_url=BASE_URL, headers=headers, **kwargs
        )

    @contextlib.asynccontextmanager
    async def client(self, api_cls: Callable[..., ApiT], **kwargs: Any) -> AsyncIterator[ApiT]:
        """A configured cbasync API object bound to this app in process::

            async with emulator.client(CbResponseAPI) as api:
                procs = api.select(Process).where("process_name:cmd.exe")

        Works for ``CbResponseAPI``, ``CbProtectionAPI`` and ``CBCloudAPI`` (the org key is set);
        ``kwargs`` go to the constructor (e.g. ``max_retries``).
        """
        params: dict[str, Any] = {
            "url": BASE_URL,
            "token": self.config.token,
            "org_key": self.config.org_key,
            "transport": httpx.ASGITransport(app=self),
        }
        params.update(kwargs)
        api = api_cls(**params)
        async with api as entered:  # type: ignore[attr-defined]
            yield entered

    # --- control routes --------------------------------------------------------------------------
    async def _counters(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.state.counters.reset()
            self.state.faults.clear()
        return json_response(self.state.counters.snapshot())

    async def _config(self, request: Request) -> Response:
        c = self.state.config
        return json_response(
            {
                "seed": c.seed,
                "org_key": c.org_key,
                "server_version": c.server_version,
                "processes": c.processes,
                "devices": c.devices,
                "auth_events": c.auth_events,
                "job_duration": c.job_duration,
                "route_modules": list(self.route_modules),
            }
        )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _held_back(send: Send, seconds: float, clock: Clock) -> Send:
    """``send``, with the start of the answer held back ``seconds`` (a slow response: the
    request was handled, the answer is late)."""

    async def late_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            await clock.sleep(seconds)
        await send(message)

    return late_send


async def _send_json(
    send: Send, status: int, body: Any, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    response = json_response(body, status)
    raw_headers = list(response.raw_headers) + list(headers or [])
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": response.body})


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HttpError)
    return exc.response()


async def _backend_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BackendError)
    return json_response({"reason": exc.reason, "message": exc.message}, exc.status)


async def _query_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, QueryError)
    return query_error(exc).response()


async def _starlette_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        body = {
            "reason": "not_found",
            "message": f"no route for {request.method} {request.url.path}",
        }
    elif exc.status_code == 405:
        body = {
            "reason": "method_not_allowed",
            "message": f"{request.method} is not supported on {request.url.path}",
        }
    else:
        body = {"reason": "error", "message": str(exc.detail)}
    return json_response(body, exc.status_code, exc.headers)


def create_app(
    config: EmulatorConfig | None = None,
    *,
    clock: Clock | None = None,
    state: EmulatorState | None = None,
    modules: Sequence[str] | None = None,
    extra_routes: Sequence[RouteFactory] = (),
) -> EmulatorApp:
    """Build the emulator. Pass a ``config`` and optionally a ``clock`` (e.g. a
    :class:`~cbasync.testing.ManualClock`), or a ready ``state``; ``modules`` restricts the route
    modules mounted (default: all of them); ``extra_routes`` are further route factories (same
    contract as a route module's ``routes``), mounted after the modules."""
    if state is None:
        state = EmulatorState(config, clock=clock)
    elif config is not None or clock is not None:
        raise ValueError("pass either a state or a config/clock, not both")
    return EmulatorApp(state, modules=modules, extra_routes=extra_routes)
