"""Record the requests a client made to the emulator, and script an answer for a route.

What respx gives a test (``respx.get(url).respond(...)``, ``route.calls``), without mocking the
HTTP layer: the request still goes through the client's real transport, retries and error
mapping, and every route nobody scripted is answered by the emulator as a server would.

:class:`Recorder` is an ASGI app placed in front of an :class:`~cbasync.testing.EmulatorApp`::

    recorder = Recorder(app)
    async with CbResponseAPI(url=BASE_URL, token=app.config.token,
                             transport=httpx.ASGITransport(app=recorder)) as api:
        recorder.answer("GET /api/v1/sensor/{id}", status=503, times=2)   # then the emulator
        await code_under_test(api)
    put = recorder.calls_to("PUT /api/v1/sensor/{id}")[-1]
    assert put.json["network_isolation_enabled"] is True

The pytest plugin's ``cb_emulator_recorder`` fixture is one of these, and the plugin's client
fixtures (``cb_response_api``...) send through it.

A route is ``"METHOD /route/template"`` (each ``{...}`` is one path segment, whatever its name:
``/api/v1/sensor/{id}`` is the emulator's ``/api/v1/sensor/{sensor_id}``) or a concrete path
(``"GET /api/v1/sensor/3"``). A scripted answer is counted in the emulator's counters under the
route as scripted, like any other answer.

This module speaks ASGI with plain dicts: it imports no HTTP library.
"""

from __future__ import annotations

import json as jsonlib
import re
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from cbasync.testing.counters import Counters

__all__ = ["Call", "Recorder", "ScriptedAnswer"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_PARAMETER = re.compile(r"\{[^{}/]+\}")


@dataclass(frozen=True)
class Call:
    """One request as the emulator (or a scripted answer) received it."""

    method: str
    path: str
    """The concrete path, without the query string."""
    route: str
    """``"METHOD /route/template"`` as the counters name it (``"METHOD <unmatched>"`` when no
    route matched; the scripted route's own spelling for a scripted answer)."""
    params: tuple[tuple[str, str], ...]
    """The query string's pairs, in order (repeated keys repeat)."""
    body: bytes
    status: int
    """The status answered (0 when the connection was reset instead)."""
    scripted: bool
    """Whether a scripted answer (not the emulator) answered it."""

    @property
    def json(self) -> Any:
        """The request body decoded as JSON (``None`` for an empty body)."""
        return jsonlib.loads(self.body) if self.body else None

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name``."""
        return next((value for key, value in self.params if key == name), None)


@dataclass
class ScriptedAnswer:
    """An answer the recorder gives instead of the emulator, ``times`` times (None: always)."""

    method: str
    pattern: re.Pattern[str]
    route: str
    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]]
    times: int | None
    used: int = 0

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.used >= self.times


@dataclass
class Recorder:
    """An ASGI app that records every request to ``app`` and serves scripted answers first."""

    app: ASGIApp
    counters: Counters | None = None
    """Where scripted answers are counted; the emulator's own counters by default."""
    calls: list[Call] = field(default_factory=list)
    """Every request, in the order their answers finished."""
    _answers: list[ScriptedAnswer] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.counters is None:
            found = getattr(self.app, "counters", None)
            self.counters = found if isinstance(found, Counters) else None

    # -- scripting -----------------------------------------------------------------------

    def answer(
        self,
        route: str,
        *,
        status: int = 200,
        json: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        times: int | None = 1,
    ) -> ScriptedAnswer:
        """Answer the next ``times`` requests to ``route`` (``"GET /api/v1/sensor/{id}"``) with
        ``status`` and a JSON body (``json=``), raw bytes (``content=``) or nothing; ``times=None``
        answers every request. Answers are tried in the order they were scripted; once used up,
        the emulator answers the route again."""
        method, path = _split_route(route)
        if json is not None and content is not None:
            raise ValueError("pass json= or content=, not both")
        if not 100 <= status <= 599:
            raise ValueError(f"status must be an HTTP status (100-599), not {status!r}")
        if times is not None and times < 1:
            raise ValueError(f"times must be >= 1 (or None for always), not {times!r}")
        raw_headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()
        ]
        if content is not None:
            body = content.encode() if isinstance(content, str) else bytes(content)
        elif json is not None:
            body = jsonlib.dumps(json).encode()
        else:
            body = b""
        if body and not any(k == b"content-type" for k, _ in raw_headers):
            kind = b"application/json" if content is None else b"application/octet-stream"
            raw_headers.append((b"content-type", kind))
        scripted = ScriptedAnswer(
            method=method,
            pattern=_compile(path),
            route=f"{method} {path}",
            status=status,
            body=body,
            headers=raw_headers,
            times=times,
        )
        self._answers.append(scripted)
        return scripted

    # -- reading -------------------------------------------------------------------------

    def calls_to(self, route: str) -> list[Call]:
        """The calls to ``route``: a ``"METHOD /template"`` as the counters name it, or a
        ``"METHOD /concrete/path"``."""
        method, path = _split_route(route)
        if _PARAMETER.search(path) is None:
            return [c for c in self.calls if c.method == method and c.path == path]
        # A template: the emulator's own routing says which template a call matched (so
        # "/api/v1/sensor/{id}" does not claim "/api/v1/sensor/statistics"); parameter names
        # do not matter ("{id}" is the emulator's "{sensor_id}"). A scripted call matched the
        # scripted pattern.
        key = _shape(f"{method} {path}")
        pattern = _compile(path)
        return [
            c
            for c in self.calls
            if c.method == method
            and (_shape(c.route) == key or (c.scripted and pattern.fullmatch(c.path) is not None))
        ]

    def reset(self) -> None:
        """Forget the recorded calls and every scripted answer."""
        self.calls.clear()
        self._answers.clear()

    # -- ASGI ----------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = str(scope["method"]).upper()
        path = str(scope["path"])
        params = tuple(
            parse_qsl(
                bytes(scope.get("query_string", b"")).decode("latin-1"), keep_blank_values=True
            )
        )
        chunks: list[bytes] = []
        status = 0

        async def recording_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(bytes(message.get("body", b"")))
            return message

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        scripted = self._scripted(method, path)
        if scripted is not None:
            body = await _read_body(receive)
            self._count(scripted)
            await send(
                {
                    "type": "http.response.start",
                    "status": scripted.status,
                    "headers": scripted.headers,
                }
            )
            await send({"type": "http.response.body", "body": scripted.body})
            self.calls.append(
                Call(method, path, scripted.route, params, body, scripted.status, True)
            )
            return
        try:
            await self.app(scope, recording_receive, recording_send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) if route is not None else None
            key = f"{method} {template if template is not None else '<unmatched>'}"
            self.calls.append(Call(method, path, key, params, b"".join(chunks), status, False))

    def _scripted(self, method: str, path: str) -> ScriptedAnswer | None:
        for scripted in self._answers:
            if (
                scripted.method == method
                and not scripted.exhausted
                and scripted.pattern.fullmatch(path)
            ):
                return scripted
        return None

    def _count(self, scripted: ScriptedAnswer) -> None:
        scripted.used += 1
        if self.counters is not None:
            self.counters.request_started()
            self.counters.request_finished(scripted.route, scripted.status)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(bytes(message.get("body", b"")))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _split_route(route: str) -> tuple[str, str]:
    method, _, path = route.strip().partition(" ")
    path = path.strip()
    if not method or not path.startswith("/") or not method.isalpha():
        raise ValueError(
            f"a route is 'METHOD /path' (e.g. 'GET /api/v1/sensor/{{id}}'), not {route!r}"
        )
    return method.upper(), path


def _shape(route: str) -> str:
    """A route template with its parameter names erased: ``GET /a/{id}`` -> ``GET /a/{}``."""
    return _PARAMETER.sub("{}", route)


def _compile(path: str) -> re.Pattern[str]:
    """A route template (``/api/v1/sensor/{id}``) as a regex; each ``{...}`` is one segment."""
    parts = _PARAMETER.split(path)
    return re.compile("[^/]+".join(re.escape(part) for part in parts))
