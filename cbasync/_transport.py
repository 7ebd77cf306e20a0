"""The HTTP transport: the only module that touches httpx.

One :class:`Transport` per API object owns one ``httpx.AsyncClient`` and the single request path:
the token and User-Agent, TLS and proxy settings, timeouts split by phase plus a total deadline
per request, the in-flight request limit, the retry loop (tenacity, driven by the policy in
``_retry.py``), the client-wide 429 gate, redirects that never carry the token to another host,
bodies read raw and inflated in bounded pieces (with a cap on what an answer may inflate to),
the mapping of failures to ``cbasync.errors`` and one log line per request. The token, query
strings and bodies never reach a log line, a repr or an exception message.

Tests plug in at ``transport=`` (``httpx.MockTransport``, ``httpx.ASGITransport(app=emulator)``,
respx) or ``http_client=``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import functools
import importlib.util
import json as jsonlib
import logging
import os
import platform
import ssl
import sys
import time
import typing
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import aclosing, asynccontextmanager
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import quote, urljoin, urlsplit

import anyio
import anyio.lowlevel
import httpcore
import httpx
import pydantic
from tenacity import AsyncRetrying, RetryCallState, stop_after_attempt
from tenacity.retry import retry_base

from cbasync import errors
from cbasync._inflate import InflateError, Inflater, for_content_encoding
from cbasync._limits import WindowAbandoned, request_window
from cbasync._multipart import MultipartBody, Upload
from cbasync._retry import Failure, RateLimitGate, RetryBudget, RetryPolicy, parse_retry_after
from cbasync._version import __version__
from cbasync.config import Credentials

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_RESPONSE_SIZE",
    "DEFAULT_TIMEOUT",
    "Response",
    "StreamingResponse",
    "Timeout",
    "Transport",
    "Upload",
]

logger = logging.getLogger("cbasync.http")

# httpcore and httpx look for sniffio on every request and fall back when it is missing, but a
# failed import searches sys.path each time: about 100 us per request, measured. anyio >= 4.5 no
# longer installs sniffio, so remember that it is missing (the import fails either way).
if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None  # type: ignore[assignment]

T = TypeVar("T")

#: Timeouts by phase (seconds). Reads get a minute because an EDR comprehensive search or a
#: large facet can legitimately take tens of seconds; a pool wait longer than 30 s means the
#: client is starved, which is an error, not something to wait out.
#:
#: The read timeout bounds each socket read, so a server that sends a byte just often enough
#: could hold a request forever. Every request therefore also has a total deadline, from the
#: first byte sent to the last byte of the answer: connect + write + read seconds (130 s by
#: default, 1.5 s for ``timeout=0.5``), the longest an honest exchange takes when each phase
#: runs once and within its own limit. Streamed downloads are bounded this way up to their
#: headers; their bodies may take as long as the file needs, each read within ``read``.
Timeout = httpx.Timeout
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=30.0)
#: Connections per client, and requests in flight at once. Enough for a 10-slot Live Response
#: pool plus concurrent page windows; raise it for bigger fan-outs.
DEFAULT_MAX_CONNECTIONS = 32
#: Redirects followed for GET/HEAD (cloud Live Response file content answers 302 to storage).
MAX_REDIRECTS = 5
#: The most a whole (not streamed) answer may inflate to. The largest page the SDK asks for by
#: default, 10,000 process events, is about 3 MB of JSON; 32 MiB leaves room for bigger pages
#: (``batch_size``) while a 64 KB gzip bomb can no longer become 64 MB in memory. Raise it with
#: ``max_response_size=`` for very large pages.
DEFAULT_MAX_RESPONSE_SIZE = 32 * 1024 * 1024
#: What whole answers may arrive as. Gzip is all the servers use (the EDR's nginx; the emulator
#: at level 1); asking for nothing else keeps the decoding in this module, bounded.
_ACCEPT_COMPRESSED = "gzip"
#: Streams are files (ZIPs, installers) that compression cannot shrink: ask for them as they are.
_ACCEPT_IDENTITY = "identity"
#: httpx refuses URLs longer than this (``httpx._urlparse.MAX_URL_LENGTH``).
_MAX_URL_LENGTH = 65_536
#: Bytes of an error body read to build the error message.
_ERROR_BODY_LIMIT = 64 * 1024
_MASK = "**********"
#: Seconds a close may take before it is abandoned (it is shielded from cancellation).
_CLOSE_TIMEOUT = 5.0


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPENED = "open"
    CLOSED = "closed"


@dataclasses.dataclass(frozen=True, slots=True)
class Response:
    """A whole response, read into memory. Bodies of searches are small (one page)."""

    status: int
    headers: Mapping[str, str] = dataclasses.field(repr=False)
    content: bytes = dataclasses.field(repr=False)
    method: str
    route: str
    path: str
    request_id: str | None
    elapsed: float

    def json(self) -> Any:
        """The decoded JSON body (``None`` for an empty body); ``ServerError`` if it is not JSON."""
        if not self.content:
            return None
        try:
            return jsonlib.loads(self.content)
        except (ValueError, UnicodeDecodeError, RecursionError):
            # RecursionError: nesting deeper than the interpreter's stack ("[[[[...").
            raise self._not_json() from None

    def parse(self, adapter: pydantic.TypeAdapter[T]) -> T:
        """Validate the body straight from bytes with a (cached) ``TypeAdapter``.

        A body that is not JSON, or not the shape the model expects, is a ``ServerError`` that
        names the route and status; the pydantic details are chained for debugging.
        """
        try:
            return adapter.validate_json(self.content)
        except pydantic.ValidationError as exc:
            if any(error["type"] == "json_invalid" for error in exc.errors()):
                raise self._not_json() from None
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "the body"
            raise errors.ServerError(
                f"unexpected response shape at {where}: {first['msg']}",
                **self._meta(),
            ) from exc

    def _not_json(self) -> errors.ServerError:
        return errors.ServerError(
            f"the server sent a body that is not valid JSON ({len(self.content)} bytes)",
            **self._meta(),
        )

    def _meta(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "method": self.method,
            "route": self.route,
            "request_id": self.request_id,
        }


class StreamingResponse:
    """A response whose body is read in chunks, so a file never has to fit in memory."""

    def __init__(
        self, response: httpx.Response, *, method: str, route: str, request_id: str | None
    ) -> None:
        self._response = response
        self.status = response.status_code
        self.headers: Mapping[str, str] = response.headers
        self.method = method
        self.route = route
        self.request_id = request_id

    @property
    def content_length(self) -> int | None:
        value = self._response.headers.get("content-length")
        return int(value) if value and value.isdigit() else None

    async def aiter_bytes(self, chunk_size: int | None = 64 * 1024) -> AsyncGenerator[bytes, None]:
        """The body in chunks of at most ``chunk_size`` bytes (inflated, when the server
        compressed it although it was asked not to). Closing this iterator early is clean."""
        meta: dict[str, Any] = {
            "method": self.method,
            "route": self.route,
            "request_id": self.request_id,
        }
        reader = _BodyReader(self._response, meta, status=self.status)
        try:
            async with aclosing(reader.pieces(chunk_size)) as pieces:
                async for chunk in pieces:
                    yield chunk
        except httpx.TimeoutException as exc:
            raise errors.TimeoutError("the download stalled", **meta) from exc
        except httpx.TransportError as exc:
            raise errors.ConnectionError(
                f"the connection broke during the download ({type(exc).__name__})", **meta
            ) from exc
        finally:
            await reader.close()

    async def aread(self) -> bytes:
        return b"".join([chunk async for chunk in self.aiter_bytes(None)])


class _BodyTooLarge(Exception):
    pass


class _BodyReader:
    """Reads an httpx response body raw and inflates it here, in bounded pieces.

    httpx's own decoders inflate each network chunk whole (a 64 KB gzip bomb is 64 MB at
    once); here no step produces more than ``PIECE`` bytes. Stopping early is clean too: httpx
    iterates a body through a chain of async generators, and closing the outermost leaves the
    inner ones suspended for the garbage collector (on trio, one warning each). :meth:`close`
    closes the response first and then runs the chain to its end, which is then immediate.

    A response an in-memory transport built from bytes (``httpx.MockTransport``, respx) was
    read, and decoded, by httpx already; its content is taken as it is.
    """

    __slots__ = ("_content", "_done", "_inflater", "_meta", "_raw", "_response", "_status")

    def __init__(self, response: httpx.Response, meta: Mapping[str, Any], *, status: int) -> None:
        self._response = response
        self._meta = meta
        self._status = status
        self._done = False
        self._inflater: Inflater | None = None
        self._raw: AsyncGenerator[bytes, None] | None = None
        self._content: bytes | None = None
        if response.is_stream_consumed:
            self._content = response.content
            return
        try:
            self._inflater = for_content_encoding(response.headers.get("content-encoding"))
        except InflateError as exc:
            raise self._error(exc) from None
        self._raw = _generator(response.aiter_raw())

    def _error(self, exc: InflateError) -> errors.ServerError:
        return errors.ServerError(
            f"the server sent a body that cannot be decoded: {exc}",
            status=self._status,
            **self._meta,
        )

    async def pieces(self, size: int | None = None) -> AsyncGenerator[bytes, None]:
        """The (inflated) body; pieces of at most ``size`` bytes when it is given."""
        try:
            if self._raw is None:
                for part in _split(self._content or b"", size):
                    yield part
            else:
                inflater = self._inflater
                async for data in self._raw:
                    for piece in (data,) if inflater is None else inflater.feed(data):
                        for part in _split(piece, size):
                            yield part
                if inflater is not None:
                    inflater.check_complete()
        except InflateError as exc:
            raise self._error(exc) from None
        self._done = True

    async def read(self, limit: int, *, truncate: bool = False) -> bytes:
        """The whole body; past ``limit`` bytes, the first ``limit`` (``truncate``) or
        :class:`_BodyTooLarge`. The response is closed when this returns or raises."""
        if self._raw is None:
            self._done = True
            content = self._content or b""
            if len(content) > limit and not truncate:
                raise _BodyTooLarge
            return content[:limit]
        chunks: list[bytes] = []
        size = 0
        inflater = self._inflater
        try:
            async for data in self._raw:
                for piece in (data,) if inflater is None else inflater.feed(data):
                    size += len(piece)
                    if size > limit:
                        if not truncate:
                            raise _BodyTooLarge
                        chunks.append(piece[: len(piece) - (size - limit)])
                        return b"".join(chunks)
                    chunks.append(piece)
            if inflater is not None:
                inflater.check_complete()
            self._done = True  # aiter_raw closed the response at its end
        except InflateError as exc:
            raise self._error(exc) from None
        finally:
            if not self._done:
                await self.close()
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def close(self) -> None:
        """Close the response; when the body was not read to its end, finish httpx's body
        iterators too (see the class docstring). Shielded and bounded."""
        if self._done:
            return
        self._done = True
        with anyio.move_on_after(_CLOSE_TIMEOUT, shield=True):
            await self._response.aclose()
            if self._raw is None:
                return
            try:
                async for _ in self._raw:
                    pass  # what was buffered before the close; then the closed stream ends it
            except Exception:  # noqa: S110 - the body is being discarded, its errors with it
                pass
            finally:
                await self._raw.aclose()


def _split(data: bytes, size: int | None) -> tuple[bytes, ...] | list[bytes]:
    if size is None or len(data) <= size:
        return (data,)
    return [data[at : at + size] for at in range(0, len(data), size)]


@dataclasses.dataclass
class _Shared:
    """What a transport and all its ``with_options()`` views share: pool, gate, budget, state."""

    credentials: Credentials
    user_agent: str
    user_client: httpx.AsyncClient | None
    user_transport: httpx.AsyncBaseTransport | None
    max_connections: int
    max_response_size: int
    state: _State = _State.UNOPENED
    client: httpx.AsyncClient | None = None
    gate: RateLimitGate = dataclasses.field(default_factory=RateLimitGate)
    budget: RetryBudget = dataclasses.field(default_factory=RetryBudget)
    limiter: anyio.CapacityLimiter | None = None
    #: (scheme, host, port) with the scheme's default port filled in, as httpx leaves it out.
    origin: tuple[str, str, int] = ("", "", 0)
    #: Whether the caller's client or transport (not ours) pools connections in httpcore, so a
    #: request can queue there after the transport's own checks.
    foreign_pool: bool = False
    #: The event loop the pool was opened in, and how to ask for the current one.
    loop: object = None
    current_loop: Callable[[], object] = dataclasses.field(default=lambda: None)


@dataclasses.dataclass(frozen=True, slots=True)
class _Options:
    timeout: httpx.Timeout
    policy: RetryPolicy
    #: The total deadline of one attempt (see ``DEFAULT_TIMEOUT``).
    total: float


class _AttemptFailed(Exception):
    """One failed attempt, classified for the retry policy. Never escapes this module."""

    def __init__(
        self,
        error: errors.ApiError,
        failure: Failure,
        *,
        retry_after: float | None = None,
        timeout: bool = False,
    ) -> None:
        super().__init__(error.message)
        self.error = error
        self.failure = failure
        self.retry_after = retry_after
        self.timeout = timeout


@dataclasses.dataclass(frozen=True, slots=True)
class _Answer:
    """One attempt's response; ``body`` is read unless the response is streamed."""

    response: httpx.Response
    body: bytes
    elapsed: float


class Transport:
    """One connection pool and one request path for one API object."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
        max_connections: int | None = None,
        max_retry_after: float | None = None,
        retry_policy: RetryPolicy | None = None,
        max_response_size: int | None = None,
    ) -> None:
        if http_client is not None and transport is not None:
            raise TypeError("pass http_client= or transport=, not both")
        if max_response_size is not None and (
            isinstance(max_response_size, bool)
            or not isinstance(max_response_size, int)
            or max_response_size < 1
        ):
            raise ValueError(
                f"max_response_size must be a positive number of bytes, not {max_response_size!r}"
            )
        user_agent = f"cbasync/{__version__} Python/{platform.python_version()}"
        if credentials.integration_name:
            user_agent = f"{credentials.integration_name} {user_agent}"
        parts = urlsplit(credentials.url)
        shared = _Shared(
            credentials=credentials,
            user_agent=user_agent,
            user_client=http_client,
            user_transport=transport,
            max_connections=max_connections or DEFAULT_MAX_CONNECTIONS,
            max_response_size=max_response_size or DEFAULT_MAX_RESPONSE_SIZE,
            origin=_origin(parts.scheme, parts.hostname or "", parts.port),
        )
        if timeout is None:
            timeout = credentials.default_timeout
        policy = retry_policy or RetryPolicy()
        if max_retries is not None:
            policy = dataclasses.replace(policy, max_retries=max_retries)
        if max_retry_after is not None:
            policy = dataclasses.replace(policy, max_retry_after=max_retry_after)
        self._shared = shared
        self._options = _options(_as_timeout(timeout), policy)
        self._is_view = False

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def credentials(self) -> Credentials:
        return self._shared.credentials

    @property
    def is_closed(self) -> bool:
        return self._shared.state is _State.CLOSED

    @property
    def state(self) -> str:
        """``"unopened"``, ``"open"`` or ``"closed"``."""
        return self._shared.state.value

    @property
    def is_view(self) -> bool:
        """True for a ``with_options()`` view, which shares its parent's pool and lifecycle."""
        return self._is_view

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        max_retries: int | None = None,
    ) -> Transport:
        """A view with other per-call defaults that shares this transport's connection pool."""
        view = object.__new__(Transport)
        view._shared = self._shared
        policy = self._options.policy
        if max_retries is not None:
            policy = dataclasses.replace(policy, max_retries=max_retries)
        view._options = _options(
            self._options.timeout if timeout is None else _as_timeout(timeout), policy
        )
        view._is_view = True
        return view

    async def open(self) -> None:
        """Open the connection pool (``async with`` does this; so does the first request)."""
        if self._is_view:
            raise errors.ClientStateError(
                "a with_options() view shares its parent's connection pool: open and close the parent"
            )
        if self._shared.state is _State.OPENED:
            raise errors.ClientStateError("this client is already open; open it once")
        if self._shared.state is _State.CLOSED:
            raise errors.ClientStateError("this client was closed; create a new one")
        self._ensure_client()

    async def aclose(self) -> None:
        """Close the connection pool. Closing twice is harmless; using it afterwards raises."""
        if self._is_view:
            raise errors.ClientStateError(
                "a with_options() view shares its parent's connection pool: close the parent"
            )
        shared = self._shared
        previous, shared.state = shared.state, _State.CLOSED
        if previous is _State.OPENED and shared.client is not None and shared.user_client is None:
            # A client the caller passed in is the caller's to close.
            client, shared.client = shared.client, None
            with anyio.move_on_after(_CLOSE_TIMEOUT, shield=True):
                await client.aclose()

    def _ensure_client(
        self, method: str | None = None, route: str | None = None
    ) -> httpx.AsyncClient:
        shared = self._shared
        if shared.state is _State.CLOSED:
            raise errors.ClientStateError(
                "this client was closed; create a new one", method=method, route=route
            )
        if shared.client is None:
            shared.loop, shared.current_loop = _running_loop()
            shared.client = shared.user_client or self._build_client()
            shared.limiter = anyio.CapacityLimiter(shared.max_connections)
            shared.foreign_pool = (
                shared.user_client is not None or shared.user_transport is not None
            ) and bool(_pools(shared.client))
        elif shared.current_loop() is not shared.loop:
            # A connection pool, its locks and its sockets belong to the event loop that opened
            # them; from another loop they fail deep inside asyncio or trio, or seem to work.
            raise errors.ClientStateError(
                "this client was opened in another event loop (another thread, or an earlier "
                "anyio.run/asyncio.run); its connection pool belongs to that loop: create and "
                "close one client per event loop",
                method=method,
                route=route,
            )
        shared.state = _State.OPENED
        return shared.client

    def _build_client(self) -> httpx.AsyncClient:
        creds = self._shared.credentials
        limits = httpx.Limits(
            max_connections=self._shared.max_connections,
            max_keepalive_connections=self._shared.max_connections,
        )
        if self._shared.user_transport is not None:
            return httpx.AsyncClient(
                transport=self._shared.user_transport,
                timeout=self._options.timeout,
                follow_redirects=False,
                trust_env=False,
            )
        return httpx.AsyncClient(
            verify=_ssl_context(creds),
            proxy=creds.proxy,
            trust_env=not creds.ignore_system_proxy,
            limits=limits,
            timeout=self._options.timeout,
            follow_redirects=False,
        )

    # -- requests ------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        route: str,
        *,
        path_params: Mapping[str, object] | None = None,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        content: bytes | None = None,
        upload: Upload | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Response:
        """Send one request (retrying per policy) and return the whole response.

        ``route`` is a template such as ``/api/v1/process/{id}``; ``path_params`` fill it in,
        each quoted. The template, not the filled-in path, is what errors carry.
        """
        async with self._exchange(
            method,
            route,
            path_params,
            params,
            json,
            content,
            upload,
            headers,
            idempotent,
            stream=False,
        ) as (response, body, path, request_id, elapsed):
            result = Response(
                status=response.status_code,
                headers=response.headers,
                content=body,
                method=method,
                route=route,
                path=path,
                request_id=request_id,
                elapsed=elapsed,
            )
        if b'"errorMessage"' in body:
            _raise_for_error_message(result, self._token())
        return result

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        route: str,
        *,
        path_params: Mapping[str, object] | None = None,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> AsyncIterator[StreamingResponse]:
        """Send a request and stream its body: ``async for chunk in resp.aiter_bytes()``.

        Retries cover getting the response; once the body flows, a broken connection raises.
        """
        async with self._exchange(
            method, route, path_params, params, json, None, None, headers, idempotent, stream=True
        ) as (response, _body, _path, request_id, _elapsed):
            yield StreamingResponse(response, method=method, route=route, request_id=request_id)

    @asynccontextmanager
    async def _exchange(
        self,
        method: str,
        route: str,
        path_params: Mapping[str, object] | None,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None,
        json: Any,
        content: bytes | None,
        upload: Upload | None,
        headers: Mapping[str, str] | None,
        idempotent: bool | None,
        *,
        stream: bool,
    ) -> AsyncIterator[tuple[httpx.Response, bytes, str, str, float]]:
        method = method.upper()
        client = self._ensure_client(method, route)
        shared = self._shared
        path = _render(route, path_params)
        url = path if _is_absolute(path) else shared.credentials.url + path
        request_id = uuid.uuid4().hex
        policy = self._options.policy
        replayable = upload is None or upload.replayable
        assert shared.limiter is not None
        limiter = shared.limiter
        gate = shared.gate
        borrower = object()
        window = request_window.get()

        async def one_attempt() -> _Answer:
            if gate.closed():
                await gate.wait()
            if window is not None and not stream:
                async with window.slots:
                    answer = await exchange()
                # Let the task waiting for this slot send its request before this one goes on
                # to parse: in a window, dispatch should never queue behind CPU work.
                await anyio.lowlevel.checkpoint()
                return answer
            return await exchange()

        async def exchange() -> _Answer:
            await limiter.acquire_on_behalf_of(borrower)
            try:
                # Every capacity this request waits on is held now. A 429 that arrived while it
                # queued closed the gate: hold the request here, immediately before it is sent
                # (the cloud extends a block for every request sent during it).
                if gate.closed():
                    await gate.wait()
                abandoned = window is not None and window.abandoned
                answer = (
                    None
                    if abandoned
                    else await self._attempt(
                        client,
                        method,
                        url,
                        route,
                        path,
                        params,
                        json,
                        content,
                        upload,
                        headers,
                        request_id,
                        policy,
                        stream=stream,
                    )
                )
            except BaseException:
                limiter.release_on_behalf_of(borrower)
                raise
            if answer is None:  # its window failed while it waited: it is never sent
                limiter.release_on_behalf_of(borrower)
                raise WindowAbandoned
            if not stream:
                limiter.release_on_behalf_of(borrower)
            return answer

        try:
            answer = await one_attempt()
        except _AttemptFailed as first:
            # Most requests succeed at once: the retry loop is built only after a failure.
            answer = await self._retry(
                one_attempt, first, method, path, idempotent, replayable, policy
            )
        response = answer.response
        try:
            yield (
                response,
                answer.body,
                path,
                response.headers.get("x-request-id") or request_id,
                answer.elapsed,
            )
        finally:
            if stream:
                # Shielded so a cancelled download still returns its connection; bounded so a
                # stuck peer cannot hold the caller.
                with anyio.move_on_after(_CLOSE_TIMEOUT, shield=True):
                    await response.aclose()
                limiter.release_on_behalf_of(borrower)

    async def _retry(
        self,
        one_attempt: Callable[[], Awaitable[_Answer]],
        first: _AttemptFailed,
        method: str,
        path: str,
        idempotent: bool | None,
        replayable: bool,
        policy: RetryPolicy,
    ) -> _Answer:
        """The one retry loop (tenacity). Its first attempt is the one that already failed."""
        retrying = AsyncRetrying(
            sleep=anyio.sleep,
            stop=stop_after_attempt(policy.max_retries + 1),
            retry=_RetryWhen(policy, self._shared.budget, method, idempotent, replayable),
            wait=_wait_for(policy),
            before_sleep=_log_retry(method, path, policy),
            reraise=True,
        )
        result: _Answer | None = None
        try:
            async for attempt in retrying:
                with attempt:
                    if attempt.retry_state.attempt_number == 1:
                        raise first
                    result = await one_attempt()
        except _AttemptFailed as failed:
            raise failed.error from failed.__cause__
        assert result is not None
        return result

    async def _attempt(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: str,
        route: str,
        path: str,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None,
        json: Any,
        content: bytes | None,
        upload: Upload | None,
        headers: Mapping[str, str] | None,
        request_id: str,
        policy: RetryPolicy,
        *,
        stream: bool,
    ) -> _Answer:
        shared = self._shared
        meta = {"method": method, "route": route, "request_id": request_id}
        base_headers = {
            "User-Agent": shared.user_agent,
            "X-Request-ID": request_id,
            "Accept-Encoding": _ACCEPT_IDENTITY if stream else _ACCEPT_COMPRESSED,
        }
        if headers:
            base_headers.update(headers)
        body_kwargs: dict[str, Any] = {}
        if upload is not None:
            multipart = MultipartBody(upload)
            base_headers["Content-Type"] = multipart.content_type
            if multipart.content_length is not None:
                base_headers["Content-Length"] = str(multipart.content_length)
            body_kwargs["content"] = multipart.chunks()
        elif content is not None:
            body_kwargs["content"] = content
        elif json is not None:
            body_kwargs["content"] = jsonlib.dumps(json, separators=(",", ":")).encode()
            base_headers.setdefault("Content-Type", "application/json")

        started = time.perf_counter()
        total = self._options.total
        response: httpx.Response | None = None
        body: bytes | None = None
        with anyio.CancelScope(deadline=anyio.current_time() + total) as deadline:
            response = await self._send(
                client, method, url, params, base_headers, body_kwargs, meta, path, deadline
            )
            if stream and response.status_code < 400:
                body = b""
            else:
                body = await self._read(response, meta)
        if body is None:
            # The deadline passed: the answer (or its headers) trickled in too slowly.
            if response is not None:
                with anyio.move_on_after(_CLOSE_TIMEOUT, shield=True):
                    await response.aclose()
            logger.debug(
                "HTTP %s %s failed after %.3fs (total deadline)",
                method,
                path,
                time.perf_counter() - started,
            )
            host = urlsplit(shared.credentials.url).hostname
            raise _AttemptFailed(
                errors.TimeoutError(
                    f"no complete answer from {host} within the total deadline of {total:g}s "
                    "(connect + write + read timeouts)",
                    **meta,
                ),
                Failure.MAYBE_HANDLED,
                timeout=True,
            )
        assert response is not None
        elapsed = time.perf_counter() - started
        logger.debug(
            "HTTP %s %s took %.3fs (response %d)", method, path, elapsed, response.status_code
        )

        if response.status_code >= 400:
            meta["request_id"] = response.headers.get("x-request-id") or request_id
            raise _error_for_status(
                response.status_code,
                response.headers,
                body,
                meta,
                self._token(),
                policy,
                shared.gate,
            )
        shared.budget.refund()
        return _Answer(response, body, elapsed)

    async def _send(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: str,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None,
        headers: dict[str, str],
        body_kwargs: dict[str, Any],
        meta: dict[str, Any],
        path: str,
        deadline: anyio.CancelScope,
    ) -> httpx.Response:
        """Send the request and follow redirects (GET and HEAD only); the response's body is
        not read yet."""
        shared = self._shared
        redirects = 0
        current_url = url
        query = params
        while True:
            try:
                request = client.build_request(
                    method,
                    current_url,
                    params=query,
                    headers=headers,
                    timeout=self._options.timeout,
                    **body_kwargs,
                )
            except httpx.InvalidURL as exc:
                # httpx's own words name the part of the URL, never its content.
                raise _AttemptFailed(
                    errors.ClientError(
                        f"the request URL is too long or malformed to send ({exc}); httpx sends "
                        f"at most {_MAX_URL_LENGTH:,} characters and servers often accept "
                        "fewer: split the query into smaller ones",
                        **meta,
                    ),
                    Failure.FINAL,
                ) from None
            if self._same_origin(request.url):
                request.headers["X-Auth-Token"] = self._token()
            if shared.foreign_pool:
                # A pool we did not size may queue this request after every check above.
                request.extensions["trace"] = _hold_at_gate(shared.gate, deadline)
            if shared.state is _State.CLOSED:
                raise errors.ClientStateError(
                    "this client was closed before the request was sent", **meta
                )
            try:
                response = await client.send(request, stream=True)
            except BaseException as exc:
                await _reclaim_stranded(client)
                if isinstance(exc, Exception) and (self.is_closed or client.is_closed):
                    raise errors.ClientStateError(
                        "this client was closed while the request was in flight", **meta
                    ) from exc
                if not isinstance(exc, httpx.HTTPError):
                    raise
                logger.debug("HTTP %s %s failed (%s)", meta["method"], path, type(exc).__name__)
                raise _classify_transport_error(exc, meta, shared.credentials.url) from exc

            if response.is_redirect and method in {"GET", "HEAD"}:
                location = response.headers.get("location", "")
                await response.aclose()
                if redirects >= MAX_REDIRECTS:
                    raise _AttemptFailed(
                        errors.ServerError(
                            f"more than {MAX_REDIRECTS} redirects",
                            status=response.status_code,
                            **meta,
                        ),
                        Failure.FINAL,
                    )
                redirects += 1
                current_url = urljoin(str(response.url), location)
                query = None  # the Location carries its own query
                logger.debug(
                    "HTTP %s %s redirected (response %d)", method, path, response.status_code
                )
                continue
            return response

    async def _read(self, response: httpx.Response, meta: dict[str, Any]) -> bytes:
        """The whole body, inflated in bounded pieces and capped: at ``max_response_size`` for
        an answer, at the first 64 KiB of an error (enough to describe it)."""
        status = response.status_code
        failed = status >= 400
        limit = _ERROR_BODY_LIMIT if failed else self._shared.max_response_size
        try:
            reader = _BodyReader(response, meta, status=status)
        except errors.ServerError as exc:
            await response.aclose()
            if failed:
                return b""  # the status says what went wrong
            raise _AttemptFailed(exc, Failure.FINAL) from None
        try:
            return await reader.read(limit, truncate=failed)
        except _BodyTooLarge:
            raise _AttemptFailed(
                errors.ServerError(
                    f"the answer is larger than max_response_size={limit} bytes (uncompressed); "
                    "ask for fewer rows per page, or raise max_response_size",
                    status=status,
                    **meta,
                ),
                Failure.FINAL,
            ) from None
        except errors.ServerError as exc:
            if failed:
                return b""
            raise _AttemptFailed(exc, Failure.FINAL) from None
        except httpx.HTTPError as exc:
            if self.is_closed:
                raise errors.ClientStateError(
                    "this client was closed while the answer was read", **meta
                ) from exc
            raise _classify_transport_error(exc, meta, self._shared.credentials.url) from exc

    def _same_origin(self, url: httpx.URL) -> bool:
        return _origin(url.scheme, url.host, url.port) == self._shared.origin

    def _token(self) -> str:
        return self._shared.credentials.token.get_secret_value()


# -- retry glue ----------------------------------------------------------------------------


class _RetryWhen(retry_base):
    """tenacity predicate: the policy table, the attempt limit and the shared budget."""

    def __init__(
        self,
        policy: RetryPolicy,
        budget: RetryBudget,
        method: str,
        idempotent: bool | None,
        replayable: bool,
    ) -> None:
        self.policy = policy
        self.budget = budget
        self.method = method
        self.idempotent = idempotent
        self.replayable = replayable

    def __call__(self, retry_state: RetryCallState) -> bool:
        outcome = retry_state.outcome
        if outcome is None or not outcome.failed:
            return False
        failed = outcome.exception()
        if not isinstance(failed, _AttemptFailed) or not self.replayable:
            return False
        if retry_state.attempt_number > self.policy.max_retries:
            return False
        if not self.policy.should_retry(self.method, failed.failure, idempotent=self.idempotent):
            return False
        if not self.budget.try_spend(timeout=failed.timeout):
            logger.info(
                "Not retrying %s %s: this client's retry budget is spent",
                self.method,
                failed.error.route,
            )
            return False
        return True


def _wait_for(policy: RetryPolicy) -> Any:
    def wait(retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        failed = outcome.exception() if outcome is not None else None
        if isinstance(failed, _AttemptFailed):
            if failed.failure is Failure.RATE_LIMITED:
                return 0.0  # the client-wide gate holds the next attempt
            if failed.retry_after is not None:
                return min(failed.retry_after, policy.max_retry_after)
        return policy.backoff(retry_state.attempt_number)

    return wait


def _log_retry(method: str, path: str, policy: RetryPolicy) -> Any:
    def before_sleep(retry_state: RetryCallState) -> None:
        outcome = retry_state.outcome
        failed = outcome.exception() if outcome is not None else None
        if not isinstance(failed, _AttemptFailed):
            return
        wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
        reason = (
            f"status {failed.error.status}" if failed.error.status else type(failed.error).__name__
        )
        logger.info(
            "Retrying %s %s in %.2fs (attempt %d of %d) after %s",
            method,
            path,
            wait,
            retry_state.attempt_number + 1,
            policy.max_retries + 1,
            reason,
        )

    return before_sleep


# -- errors --------------------------------------------------------------------------------


def _classify_transport_error(
    exc: httpx.HTTPError, meta: dict[str, Any], base_url: str
) -> _AttemptFailed:
    host = urlsplit(base_url).hostname
    name = type(exc).__name__
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        phase = (
            "connecting"
            if isinstance(exc, httpx.ConnectTimeout)
            else "waiting for a free connection"
        )
        return _AttemptFailed(
            errors.TimeoutError(f"timed out {phase} to {host}", **meta),
            Failure.NOT_SENT,
            timeout=True,
        )
    if isinstance(exc, httpx.TimeoutException):
        phase = (
            "sending the request"
            if isinstance(exc, httpx.WriteTimeout)
            else "waiting for the response"
        )
        return _AttemptFailed(
            errors.TimeoutError(f"timed out {phase} from {host}", **meta),
            Failure.MAYBE_HANDLED,
            timeout=True,
        )
    if isinstance(exc, httpx.ConnectError):
        if _is_certificate_error(exc):
            return _AttemptFailed(
                errors.ConnectionError(
                    f"TLS certificate verification failed for {host}: pin the server's certificate "
                    "with ssl_cert_file, or (not recommended) set ssl_verify=False",
                    **meta,
                ),
                Failure.FINAL,
            )
        return _AttemptFailed(
            errors.ConnectionError(f"could not connect to {host} ({name})", **meta),
            Failure.NOT_SENT,
        )
    if isinstance(exc, httpx.ProxyError):
        return _AttemptFailed(
            errors.ConnectionError(f"the proxy refused the connection to {host}", **meta),
            Failure.NOT_SENT,
        )
    if isinstance(exc, httpx.TransportError):
        # Read/write errors and broken responses: the server may have seen the request.
        return _AttemptFailed(
            errors.ConnectionError(f"the connection to {host} broke ({name})", **meta),
            Failure.MAYBE_HANDLED,
        )
    return _AttemptFailed(
        errors.ApiError(f"the request could not be sent ({name})", **meta), Failure.FINAL
    )


def _is_certificate_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(current):
            return True
        current = current.__cause__ or current.__context__
    return False


def _error_for_status(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    meta: dict[str, Any],
    token: str,
    policy: RetryPolicy,
    gate: RateLimitGate,
) -> _AttemptFailed:
    detail, reason = _describe_body(body, headers.get("content-type", ""), token)
    phrase = _phrase(status)
    message = f"{phrase}: {detail}" if detail else phrase
    if status == 429:
        retry_after = parse_retry_after(headers.get("retry-after"))
        if retry_after is not None and retry_after > policy.max_retry_after:
            shown = "forever" if retry_after == float("inf") else f"{retry_after:.0f}s"
            return _AttemptFailed(
                errors.RateLimitError(
                    f"rate limited: the server asks to wait {shown}, more than "
                    f"max_retry_after={policy.max_retry_after:g}s",
                    retry_after=retry_after,
                    status=status,
                    **meta,
                ),
                Failure.FINAL,
            )
        hold = retry_after if retry_after is not None else policy.backoff(1)
        gate.close_for(hold)
        logger.info(
            "Rate limited (429) on %s %s: every request of this client waits %.2fs%s",
            meta["method"],
            meta["route"],
            hold,
            " (Retry-After)" if retry_after is not None else "",
        )
        return _AttemptFailed(
            errors.RateLimitError(message, retry_after=retry_after, status=status, **meta),
            Failure.RATE_LIMITED,
            retry_after=retry_after,
        )
    error: errors.ApiError
    failure = Failure.FINAL
    retry_after = None
    if status == 400 and (reason == "query_malformed_syntax" or b"query_malformed_syntax" in body):
        error = errors.QuerySyntaxError(message, status=status, **meta)
    elif status == 401:
        error = errors.UnauthorizedError(
            f"{message} — check the token (and, for App Control, the user's rights)",
            status=status,
            **meta,
        )
    elif status == 403 and b"session limit" in body.lower():
        error = errors.SessionLimitError(message, status=status, **meta)
    elif status == 404:
        error = errors.ObjectNotFoundError(message, status=status, **meta)
    elif status < 500:
        error = errors.ClientError(message, status=status, **meta)
    else:
        error = errors.ServerError(message, status=status, **meta)
        if status in (502, 503, 504):
            retry_after = parse_retry_after(headers.get("retry-after"))
            # A server that asks for a longer pause than the clamp is not waited out.
            if retry_after is None or retry_after <= policy.max_retry_after:
                failure = Failure.MAYBE_HANDLED
    return _AttemptFailed(error, failure, retry_after=retry_after)


def _phrase(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _describe_body(body: bytes, content_type: str, token: str) -> tuple[str, str | None]:
    """A short, token-free description of an error body, and its ``reason`` if it has one.

    The token is masked before anything is cut: cutting first would leave the head of a token
    that straddles the cut unmasked.
    """
    if not body:
        return "", None
    if token and len(body) >= _ERROR_BODY_LIMIT:
        # The body was cut at the read limit, maybe inside a token: drop what could be a
        # token's head.
        body = body[: -len(token)]
    reason: str | None = None
    text = ""
    if "json" in content_type or body[:1] in (b"{", b"["):
        try:
            document = jsonlib.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            document = None
        if isinstance(document, list) and document and isinstance(document[0], str):
            text = document[0]
        elif isinstance(document, dict):
            found = {
                key: document[key]
                for key in (
                    "reason",
                    "error_code",
                    "message",
                    "errorMessage",
                    "error",
                    "status",
                    "detail",
                )
                if isinstance(document.get(key), str) and document[key]
            }
            reason = found.get("reason")
            text = "; ".join(dict.fromkeys(found.values()))
    elif "html" in content_type or body.lstrip()[:1] == b"<":
        lowered = body.lower()
        start, end = lowered.find(b"<title>"), lowered.find(b"</title>")
        if start != -1 and end > start:
            text = body[start + 7 : end].decode("utf-8", "replace")
    else:
        text = body.decode("utf-8", "replace")
    if token:
        text = text.replace(token, _MASK)
    text = " ".join(text.split())
    if len(text) > 300:
        text = text[:297] + "..."
    return text, reason


def _raise_for_error_message(response: Response, token: str) -> None:
    document = response.json()
    if isinstance(document, dict) and "errorMessage" in document:
        detail, _ = _describe_body(
            jsonlib.dumps({"errorMessage": str(document["errorMessage"])}).encode(),
            "application/json",
            token,
        )
        raise errors.ServerError(
            f"the server reported an error: {detail}",
            status=response.status,
            method=response.method,
            route=response.route,
            request_id=response.request_id,
        )


# -- helpers -------------------------------------------------------------------------------


def _options(timeout: httpx.Timeout, policy: RetryPolicy) -> _Options:
    # Each phase is checked by _as_timeout, so none is None.
    total = float(timeout.connect or 0) + float(timeout.write or 0) + float(timeout.read or 0)
    return _Options(timeout=timeout, policy=policy, total=total)


def _origin(scheme: str, host: str, port: int | None) -> tuple[str, str, int]:
    """An origin to compare: httpx leaves a URL's default port out (``None``), urlsplit keeps
    an explicit ``:443``; both must mean the same server, or the token is never sent."""
    scheme = scheme.lower()
    return scheme, host.lower(), port or _DEFAULT_PORTS.get(scheme, 0)


_DEFAULT_PORTS = {"https": 443, "http": 80}


def _running_loop() -> tuple[object, Callable[[], object]]:
    """The running event loop (asyncio) or run (trio), and a cheap function that says which one
    is running now (tenths of a microsecond: it is asked on every request)."""
    try:
        return asyncio.get_running_loop(), _asyncio_loop
    except RuntimeError:
        pass
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            return trio.lowlevel.current_trio_token(), _trio_run
        except RuntimeError:
            pass
    return None, lambda: None


def _asyncio_loop() -> object:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _trio_run() -> object:
    try:
        return sys.modules["trio"].lowlevel.current_trio_token()
    except RuntimeError:
        return None


def _hold_at_gate(
    gate: RateLimitGate, deadline: anyio.CancelScope
) -> Callable[[str, Mapping[str, Any]], Awaitable[None]]:
    """An httpcore trace hook that holds a request at the 429 gate once it has a connection,
    just before its first byte is sent. Used for pools the caller sized (``http_client=``,
    ``transport=``), where a request can queue for a connection after the transport's own
    checks. The wait does not count against the request's total deadline."""

    async def trace(event: str, info: Mapping[str, Any]) -> None:
        if event.endswith("send_request_headers.started") and gate.closed():
            began = anyio.current_time()
            await gate.wait()
            deadline.deadline += anyio.current_time() - began

    return trace


async def _reclaim_stranded(client: httpx.AsyncClient) -> None:
    """Close the connections httpcore's pool holds for no request.

    A request cancelled after its pool assigned it a new connection but before it was sent
    leaves that connection in the pool neither idle nor closed, so it is never reused and never
    closed: it occupies one of ``max_connections`` for good (encode/httpcore#1093, #658, #830;
    open in httpcore 1.0.9). Called after every failed or cancelled send; the check walks a few
    dozen connections at most. Reaches into httpx and httpcore internals, which is why it lives
    here and gives up quietly if they change.
    """
    stranded: list[Any] = []
    for pool in _pools(client):
        try:
            with pool._optional_thread_lock:
                owned = {id(r.connection) for r in pool._requests if r.connection is not None}
                for connection in list(pool._connections):
                    if (
                        id(connection) in owned
                        or connection.is_idle()
                        or connection.is_closed()
                        or connection.has_expired()
                    ):
                        continue
                    pool._connections.remove(connection)
                    stranded.append(connection)
        except AttributeError:  # pragma: no cover - a future httpcore
            continue
    if stranded:
        logger.debug("Closing %d connection(s) httpcore stranded", len(stranded))
        with anyio.move_on_after(_CLOSE_TIMEOUT, shield=True):
            for connection in stranded:
                await connection.aclose()


def _pools(client: httpx.AsyncClient) -> list[httpcore.AsyncConnectionPool]:
    """The httpcore connection pools behind an httpx client (none for in-process transports
    such as ``ASGITransport`` and ``MockTransport``)."""
    try:
        transports = [client._transport, *client._mounts.values()]
    except AttributeError:  # pragma: no cover - a future httpx
        return []
    pools = (getattr(transport, "_pool", None) for transport in transports)
    return [pool for pool in pools if isinstance(pool, httpcore.AsyncConnectionPool)]


def _as_timeout(value: float | httpx.Timeout | None) -> httpx.Timeout:
    if value is None:
        return DEFAULT_TIMEOUT
    if isinstance(value, httpx.Timeout):
        if None in (value.connect, value.read, value.write, value.pool):
            raise ValueError("every timeout phase must be set: no request may hang forever")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"timeout must be a positive number of seconds, not {value!r}")
    return httpx.Timeout(float(value))


def _render(route: str, path_params: Mapping[str, object] | None) -> str:
    if not path_params:
        return route
    quoted = {key: quote(str(value), safe=":@-._~") for key, value in path_params.items()}
    try:
        return route.format_map(quoted)
    except KeyError as exc:
        raise ValueError(f"route {route!r} needs the path parameter {exc.args[0]!r}") from None


def _is_absolute(path: str) -> bool:
    return path.startswith(("https://", "http://"))


def _ssl_context(creds: Credentials) -> ssl.SSLContext:
    if creds.ssl_verify and not creds.ssl_cert_file:
        return _default_ssl_context(creds.ssl_verify_hostname, creds.ssl_force_tls_1_2)
    if creds.ssl_verify:
        # Pinning: trust only this PEM (the server's own certificate or its CA).
        context = ssl.create_default_context(cafile=os.fspath(creds.ssl_cert_file or ""))
        context.check_hostname = creds.ssl_verify_hostname
    else:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return _restrict_versions(context, creds.ssl_force_tls_1_2)


@functools.lru_cache(maxsize=4)
def _default_ssl_context(check_hostname: bool, force_tls_1_2: bool) -> ssl.SSLContext:
    # Loading the CA bundle costs ~50 ms; contexts are safe to share once built, and this one
    # depends only on these two settings.
    context = httpx.create_ssl_context()
    context.check_hostname = check_hostname
    return _restrict_versions(context, force_tls_1_2)


def _restrict_versions(context: ssl.SSLContext, force_tls_1_2: bool) -> ssl.SSLContext:
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if force_tls_1_2:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    return context


def _generator(iterator: AsyncIterator[bytes]) -> AsyncGenerator[bytes, None]:
    """httpx's body iterators are async generators typed as iterators; say what they are so
    they can be closed explicitly."""
    return typing.cast(AsyncGenerator[bytes, None], iterator)
