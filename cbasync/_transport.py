"""The one request path: lifecycle, auth, limits, the 429 gate, retries, redirects, errors, logs.

One :class:`Transport` per API object owns one HTTP client and sends every request of the SDK:
the token (never to another origin) and User-Agent, the in-flight request limit, the client-wide
429 gate checked immediately before a request leaves, a total deadline per attempt on top of the
per-phase timeouts, redirects for GET/HEAD, bodies read and inflated in bounded pieces with a cap
on what an answer may inflate to, the retry loop (``_retry.retrying``, after a first failure
only), the mapping of answers to ``cbasync.errors`` (``_error_map``, with the product's rules)
and one DEBUG line per request. Logs and errors name the route *template*
(``/api/v1/binary/{md5}``), never the filled-in path, a query string, a body or the token.

Internally a request is one frozen :class:`RequestSpec`. HTTP itself is reached through
``_httpx`` (the one module that imports httpx); tests plug in at ``transport=``
(``httpx.MockTransport``, ``httpx.ASGITransport(app=emulator)``, respx) or ``http_client=``.

At about 640 lines this module is over the project's 500-line guide, on purpose: what is left
is the request path itself, one sequence (request slot, window, gate, send, redirects, read,
classify, retry) whose steps share the transport's state. Everything without that state lives
beside it: the request description (``_request``), responses (``_response``), the error map
(``_error_map``), the retry policy and its tenacity glue (``_retry``), HTTP (``_httpx``).
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import platform
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urljoin, urlsplit

import anyio
import anyio.lowlevel

from cbasync import errors
from cbasync._error_map import (
    ERROR_BODY_LIMIT,
    Answer,
    ErrorRule,
    error_for_answer,
    error_for_send_failure,
)
from cbasync._httpx import (
    DEFAULT_TIMEOUT,
    BodyReader,
    BodyTooLarge,
    HttpClient,
    HttpRequest,
    HttpResponse,
    HttpTransport,
    InflateError,
    SendFailure,
    Timeout,
    as_timeout,
    build_client,
    build_request,
    close_response,
    has_pools,
    hold_at_gate,
    origin,
    request_origin,
    send,
    total_deadline,
)
from cbasync._limits import WindowAbandoned, request_window
from cbasync._loop import running_loop
from cbasync._multipart import Upload
from cbasync._request import RequestSpec, encode, is_absolute, render
from cbasync._response import Response, StreamingResponse
from cbasync._retry import (
    AttemptFailed,
    Failure,
    RateLimitGate,
    RetryBudget,
    RetryCharge,
    RetryPolicy,
    retrying,
)
from cbasync._tasks import shielded_cleanup
from cbasync._version import __version__
from cbasync.config import Credentials

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_RESPONSE_SIZE",
    "DEFAULT_TIMEOUT",
    "RequestSpec",
    "Response",
    "StreamingResponse",
    "Timeout",
    "Transport",
    "Upload",
]

logger = logging.getLogger("cbasync.http")

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
#: The most a streamed download (a binary, a Live Response file, an event stream) may bring,
#: after inflating. Downloads go to disk, not memory, so this only stops a server (or a ZIP
#: bomb) from filling the disk: 4 GiB is the largest file a ZIP without ZIP64 can hold, which
#: covers every binary EDR stores (25 MB by default) and files fetched from endpoints; a memory
#: dump of a larger machine needs ``max_download_size=`` raised.
DEFAULT_MAX_DOWNLOAD_SIZE = 4 * 1024**3


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPENED = "open"
    CLOSED = "closed"


@dataclasses.dataclass
class _Shared:
    """What a transport and all its ``with_options()`` views share: pool, gate, budget, state."""

    credentials: Credentials
    user_agent: str
    user_client: HttpClient | None
    user_transport: HttpTransport | None
    max_connections: int
    max_response_size: int
    max_download_size: int
    path_defaults: Mapping[str, object]
    error_rules: Sequence[ErrorRule]
    state: _State = _State.UNOPENED
    client: HttpClient | None = None
    gate: RateLimitGate = dataclasses.field(default_factory=RateLimitGate)
    budget: RetryBudget = dataclasses.field(default_factory=RetryBudget)
    limiter: anyio.CapacityLimiter | None = None
    #: (scheme, host, port) with the scheme's default port filled in, as httpx leaves it out.
    origin: tuple[str, str, int] = ("", "", 0)
    host: str = ""
    #: Whether the caller's client or transport (not ours) pools connections in httpcore, so a
    #: request can queue there after the transport's own checks.
    foreign_pool: bool = False
    #: The event loop the pool was opened in, and how to ask for the current one.
    loop: object = None
    current_loop: Callable[[], object] = dataclasses.field(default=lambda: None)


@dataclasses.dataclass(frozen=True, slots=True)
class _Options:
    timeout: Timeout
    policy: RetryPolicy
    #: The total deadline of one attempt (see ``_httpx.DEFAULT_TIMEOUT``).
    total: float


def _options(timeout: Timeout, policy: RetryPolicy) -> _Options:
    return _Options(timeout=timeout, policy=policy, total=total_deadline(timeout))


@dataclasses.dataclass(frozen=True, slots=True)
class _Answer:
    """One attempt's response; ``body`` is read unless the response is streamed."""

    response: HttpResponse
    body: bytes
    elapsed: float


class Transport:
    """One connection pool and one request path for one API object."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        http_client: HttpClient | None = None,
        transport: HttpTransport | None = None,
        timeout: float | Timeout | None = None,
        max_retries: int | None = None,
        max_connections: int | None = None,
        max_retry_after: float | None = None,
        retry_policy: RetryPolicy | None = None,
        max_response_size: int | None = None,
        max_download_size: int | None = None,
        path_defaults: Mapping[str, object] | None = None,
        error_rules: Sequence[ErrorRule] = (),
    ) -> None:
        if http_client is not None and transport is not None:
            raise TypeError("pass http_client= or transport=, not both")
        for name, size in (
            ("max_response_size", max_response_size),
            ("max_download_size", max_download_size),
        ):
            if size is not None and (
                isinstance(size, bool) or not isinstance(size, int) or size < 1
            ):
                raise ValueError(f"{name} must be a positive number of bytes, not {size!r}")
        user_agent = f"cbasync/{__version__} Python/{platform.python_version()}"
        if credentials.integration_name:
            user_agent = f"{credentials.integration_name} {user_agent}"
        parts = urlsplit(credentials.url)
        self._shared = _Shared(
            credentials=credentials,
            user_agent=user_agent,
            user_client=http_client,
            user_transport=transport,
            max_connections=max_connections or DEFAULT_MAX_CONNECTIONS,
            max_response_size=max_response_size or DEFAULT_MAX_RESPONSE_SIZE,
            max_download_size=max_download_size or DEFAULT_MAX_DOWNLOAD_SIZE,
            path_defaults=dict(path_defaults or {}),
            error_rules=tuple(error_rules),
            origin=origin(parts.scheme, parts.hostname or "", parts.port),
            host=parts.hostname or "",
        )
        if timeout is None:
            timeout = credentials.default_timeout
        policy = retry_policy or RetryPolicy()
        if max_retries is not None:
            policy = dataclasses.replace(policy, max_retries=max_retries)
        if max_retry_after is not None:
            policy = dataclasses.replace(policy, max_retry_after=max_retry_after)
        self._options = _options(as_timeout(timeout), policy)
        self._is_view = False

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def credentials(self) -> Credentials:
        return self._shared.credentials

    @property
    def max_download_size(self) -> int:
        """The most a streamed download may bring, inflated (``max_download_size=``)."""
        return self._shared.max_download_size

    @property
    def is_closed(self) -> bool:
        return self._shared.state is _State.CLOSED

    @property
    def state(self) -> str:
        """``"unopened"``, ``"open"`` or ``"closed"``."""
        return self._shared.state.value

    async def rate_limit_cleared(self) -> None:
        """Wait (cancellably) until no 429 block holds this client's requests: for a caller
        about to send a request it shields from cancellation, so that the shield's time bound
        covers the exchange rather than the wait before it."""
        gate = self._shared.gate
        if gate.closed():
            await gate.wait()

    @property
    def is_view(self) -> bool:
        """True for a ``with_options()`` view, which shares its parent's pool and lifecycle."""
        return self._is_view

    def with_options(
        self, *, timeout: float | Timeout | None = None, max_retries: int | None = None
    ) -> Transport:
        """A view with other per-call defaults that shares this transport's connection pool."""
        view = object.__new__(Transport)
        view._shared = self._shared
        policy = self._options.policy
        if max_retries is not None:
            policy = dataclasses.replace(policy, max_retries=max_retries)
        view._options = _options(
            self._options.timeout if timeout is None else as_timeout(timeout), policy
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
            async with shielded_cleanup("closing the connection pool"):
                await client.aclose()

    def _ensure_client(self, method: str | None = None, route: str | None = None) -> HttpClient:
        shared = self._shared
        if shared.state is _State.CLOSED:
            raise errors.ClientStateError(
                "this client was closed; create a new one", method=method, route=route
            )
        if shared.client is None:
            shared.loop, shared.current_loop = running_loop()
            shared.client = shared.user_client or build_client(
                shared.credentials,
                max_connections=shared.max_connections,
                timeout=self._options.timeout,
                transport=shared.user_transport,
            )
            shared.limiter = anyio.CapacityLimiter(shared.max_connections)
            shared.foreign_pool = (
                shared.user_client is not None or shared.user_transport is not None
            ) and has_pools(shared.client)
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

    # -- requests ------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        route: str,
        *,
        path_params: Mapping[str, object] | None = None,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        json: Any = None,
        content: bytes | None = None,
        upload: Upload | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> Response:
        """Send one request (retrying per policy) and return the whole response.

        ``route`` is a template such as ``/api/v1/process/{id}``; ``path_params`` fill it in,
        each quoted, over the API object's path defaults (the cloud's ``{org_key}``). The
        template, not the filled-in path, is what logs and errors carry.
        """
        spec = RequestSpec(
            method.upper(),
            route,
            path_params,
            params,
            json,
            content,
            upload,
            headers,
            idempotent,
        )
        async with self._exchange(spec) as (answer, path, request_id):
            return Response(
                status=answer.response.status_code,
                headers=answer.response.headers,
                content=answer.body,
                method=spec.method,
                route=route,
                path=path,
                request_id=request_id,
                elapsed=answer.elapsed,
            )

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        route: str,
        *,
        path_params: Mapping[str, object] | None = None,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> AsyncIterator[StreamingResponse]:
        """Send a request and stream its body: ``async for chunk in resp.aiter_bytes()``.

        Retries cover getting the response; once the body flows, a broken connection raises.
        """
        spec = RequestSpec(
            method.upper(), route, path_params, params, json, None, None, headers, idempotent, True
        )
        async with self._exchange(spec) as (answer, _path, request_id):
            yield StreamingResponse(
                answer.response,
                method=spec.method,
                route=route,
                request_id=request_id,
                limit=self._shared.max_download_size,
            )

    @asynccontextmanager
    async def _exchange(self, spec: RequestSpec) -> AsyncIterator[tuple[_Answer, str, str]]:
        """Send ``spec`` within every limit, retrying per policy; yields the answer (a streamed
        one keeps its connection and request slot until the caller is done with it)."""
        client = self._ensure_client(spec.method, spec.route)
        shared = self._shared
        path = render(spec.route, shared.path_defaults, spec.path_params)
        url = path if is_absolute(path) else shared.credentials.url + path
        request_id = uuid.uuid4().hex
        assert shared.limiter is not None
        limiter = shared.limiter
        gate = shared.gate
        borrower = object()
        window = request_window.get()

        async def one_attempt() -> _Answer:
            if gate.closed():
                await gate.wait()
            if window is not None and not spec.stream:
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
                answer = None if abandoned else await self._attempt(client, spec, url, request_id)
            except BaseException:
                limiter.release_on_behalf_of(borrower)
                raise
            if answer is None:  # its window failed while it waited: it is never sent
                limiter.release_on_behalf_of(borrower)
                raise WindowAbandoned
            if not spec.stream:
                limiter.release_on_behalf_of(borrower)
            return answer

        try:
            answer = await one_attempt()
        except AttemptFailed as first:
            # Most requests succeed at once: the retry loop is built only after a failure.
            answer = await self._retry(one_attempt, first, spec)
        response = answer.response
        try:
            yield answer, path, response.headers.get("x-request-id") or request_id
        finally:
            if spec.stream:
                # Shielded so a cancelled download still returns its connection; bounded so a
                # stuck peer cannot hold the caller.
                await close_response(response)
                limiter.release_on_behalf_of(borrower)

    async def _retry(
        self,
        one_attempt: Callable[[], Awaitable[_Answer]],
        first: AttemptFailed,
        spec: RequestSpec,
    ) -> _Answer:
        """The one retry loop (tenacity). Its first attempt is the one that already failed."""
        result: _Answer | None = None
        charge = RetryCharge()
        try:
            async for attempt in retrying(
                self._options.policy,
                self._shared.budget,
                method=spec.method,
                route=spec.route,
                idempotent=spec.idempotent,
                replayable=spec.replayable,
                charge=charge,
            ):
                with attempt:
                    if attempt.retry_state.attempt_number == 1:
                        raise first
                    result = await one_attempt()
        except AttemptFailed as failed:
            raise failed.error from failed.__cause__
        assert result is not None
        self._shared.budget.refund(charge.tokens)  # its retries worked: they cost nothing
        return result

    async def _attempt(
        self, client: HttpClient, spec: RequestSpec, url: str, request_id: str
    ) -> _Answer:
        shared = self._shared
        meta: dict[str, Any] = {
            "method": spec.method,
            "route": spec.route,
            "request_id": request_id,
        }
        headers, content = encode(spec, self._shared.user_agent, request_id)
        started = time.perf_counter()
        total = self._options.total
        response: HttpResponse | None = None
        body: bytes | None = None
        with anyio.CancelScope(deadline=anyio.current_time() + total) as deadline:
            response = await self._send(client, spec, url, headers, content, meta, deadline)
            if spec.stream and response.status_code < 400:
                body = b""
            else:
                body = await self._read(response, meta)
        if body is None:
            # The deadline passed: the answer (or its headers) trickled in too slowly.
            if response is not None:
                await close_response(response)
            logger.debug(
                "HTTP %s %s failed after %.3fs (total deadline)",
                spec.method,
                spec.route,
                time.perf_counter() - started,
            )
            raise AttemptFailed(
                errors.TimeoutError(
                    f"no complete answer from {shared.host} within the total deadline of "
                    f"{total:g}s (connect + write + read timeouts)",
                    **meta,
                ),
                Failure.MAYBE_HANDLED,
                timeout=True,
            )
        assert response is not None
        elapsed = time.perf_counter() - started
        status = response.status_code
        logger.debug(
            "HTTP %s %s took %.3fs (response %d)", spec.method, spec.route, elapsed, status
        )
        if status >= 400 or shared.error_rules:
            answer = Answer(
                status=status,
                headers=response.headers,
                body=body,
                method=spec.method,
                route=spec.route,
                request_id=response.headers.get("x-request-id") or request_id,
                token=self._token(),
            )
            failed = error_for_answer(answer, shared.error_rules, self._options.policy, shared.gate)
            if failed is not None:
                if spec.stream:
                    await close_response(response)
                raise failed
        shared.budget.refund()
        return _Answer(response, body, elapsed)

    async def _send(
        self,
        client: HttpClient,
        spec: RequestSpec,
        url: str,
        headers: dict[str, str],
        content: Any,
        meta: dict[str, Any],
        deadline: anyio.CancelScope,
    ) -> HttpResponse:
        """Send the request and follow redirects (GET and HEAD only); the response's body is
        not read yet."""
        shared = self._shared
        redirects = 0
        current_url = url
        params = spec.params
        while True:
            try:
                request = build_request(
                    client,
                    spec.method,
                    current_url,
                    params=params,
                    headers=headers,
                    content=content,
                    timeout=self._options.timeout,
                )
            except SendFailure as failure:
                raise error_for_send_failure(failure, meta, shared.host) from None
            self._authorise(request)
            if shared.state is _State.CLOSED:
                raise errors.ClientStateError(
                    "this client was closed before the request was sent", **meta
                )
            # A pool we did not size may queue this request after every check above.
            trace = (
                hold_at_gate(shared.gate.closed, shared.gate.wait, deadline)
                if shared.foreign_pool
                else None
            )
            try:
                response = await send(client, request, trace=trace)
            except Exception as exc:
                if self.is_closed or client.is_closed:
                    raise errors.ClientStateError(
                        "this client was closed while the request was in flight", **meta
                    ) from exc
                if not isinstance(exc, SendFailure):
                    raise
                logger.debug("HTTP %s %s failed (%s)", spec.method, spec.route, exc.name)
                raise error_for_send_failure(exc, meta, shared.host) from exc.__cause__

            if response.is_redirect and spec.method in {"GET", "HEAD"}:
                location = response.headers.get("location", "")
                await response.aclose()
                if redirects >= MAX_REDIRECTS:
                    raise AttemptFailed(
                        errors.ServerError(
                            f"more than {MAX_REDIRECTS} redirects",
                            status=response.status_code,
                            **meta,
                        ),
                        Failure.FINAL,
                    )
                redirects += 1
                current_url = urljoin(str(response.url), location)
                params = None  # the Location carries its own query
                logger.debug(
                    "HTTP %s %s redirected (response %d)",
                    spec.method,
                    spec.route,
                    response.status_code,
                )
                continue
            return response

    def _authorise(self, request: HttpRequest) -> None:
        """The token goes to the API's own origin only (a redirect to storage gets none)."""
        if request_origin(request) == self._shared.origin:
            request.headers["X-Auth-Token"] = self._token()

    async def _read(self, response: HttpResponse, meta: dict[str, Any]) -> bytes:
        """The whole body, inflated in bounded pieces and capped: at ``max_response_size`` for
        an answer, at the first 64 KiB of an error (enough to describe it)."""
        status = response.status_code
        failed = status >= 400
        limit = ERROR_BODY_LIMIT if failed else self._shared.max_response_size
        try:
            reader = BodyReader(response)
            return await reader.read(limit, truncate=failed)
        except InflateError as exc:
            await close_response(response)
            if failed:
                return b""  # the status says what went wrong
            raise AttemptFailed(
                errors.ServerError(
                    f"the server sent a body that cannot be decoded: {exc}", status=status, **meta
                ),
                Failure.FINAL,
            ) from None
        except BodyTooLarge:
            raise AttemptFailed(
                errors.ServerError(
                    f"the answer is larger than max_response_size={limit} bytes (uncompressed); "
                    "ask for fewer rows per page, or raise max_response_size",
                    status=status,
                    **meta,
                ),
                Failure.FINAL,
            ) from None
        except SendFailure as failure:
            if self.is_closed:
                raise errors.ClientStateError(
                    "this client was closed while the answer was read", **meta
                ) from failure.__cause__
            raise error_for_send_failure(failure, meta, self._shared.host) from failure.__cause__

    def _token(self) -> str:
        return self._shared.credentials.token.get_secret_value()
