"""The HTTP transport: the only module that touches httpx.

One :class:`Transport` per API object owns one ``httpx.AsyncClient`` and the single request path:
the token and User-Agent, TLS and proxy settings, timeouts split by phase, the in-flight request
limit, the retry loop (tenacity, driven by the policy in ``_retry.py``), the client-wide 429 gate,
redirects that never carry the token to another host, the mapping of failures to
``cbasync.errors`` and one log line per request. The token, query strings and bodies never reach
a log line, a repr or an exception message.

Tests plug in at ``transport=`` (``httpx.MockTransport``, ``httpx.ASGITransport(app=emulator)``,
respx) or ``http_client=``.
"""

from __future__ import annotations

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
import httpx
import pydantic
from tenacity import AsyncRetrying, RetryCallState, stop_after_attempt
from tenacity.retry import retry_base

from cbasync import errors
from cbasync._limits import WindowAbandoned, request_window
from cbasync._multipart import MultipartBody, Upload
from cbasync._retry import Failure, RateLimitGate, RetryBudget, RetryPolicy, parse_retry_after
from cbasync._version import __version__
from cbasync.config import Credentials

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
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
Timeout = httpx.Timeout
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=30.0)
#: Connections per client, and requests in flight at once. Enough for a 10-slot Live Response
#: pool plus concurrent page windows; raise it for bigger fan-outs.
DEFAULT_MAX_CONNECTIONS = 32
#: Redirects followed for GET/HEAD (cloud Live Response file content answers 302 to storage).
MAX_REDIRECTS = 5
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
        except (ValueError, UnicodeDecodeError):
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
        try:
            async with aclosing(_generator(self._response.aiter_bytes(chunk_size))) as chunks:
                async for chunk in chunks:
                    yield chunk
        except httpx.TimeoutException as exc:
            raise errors.TimeoutError(
                "the download stalled",
                method=self.method,
                route=self.route,
                request_id=self.request_id,
            ) from exc
        except httpx.TransportError as exc:
            raise errors.ConnectionError(
                f"the connection broke during the download ({type(exc).__name__})",
                method=self.method,
                route=self.route,
                request_id=self.request_id,
            ) from exc

    async def aread(self) -> bytes:
        return b"".join([chunk async for chunk in self.aiter_bytes(None)])


@dataclasses.dataclass
class _Shared:
    """What a transport and all its ``with_options()`` views share: pool, gate, budget, state."""

    credentials: Credentials
    user_agent: str
    user_client: httpx.AsyncClient | None
    user_transport: httpx.AsyncBaseTransport | None
    max_connections: int
    state: _State = _State.UNOPENED
    client: httpx.AsyncClient | None = None
    gate: RateLimitGate = dataclasses.field(default_factory=RateLimitGate)
    budget: RetryBudget = dataclasses.field(default_factory=RetryBudget)
    limiter: anyio.CapacityLimiter | None = None
    origin: tuple[str, str, int | None] = ("", "", None)


@dataclasses.dataclass(frozen=True, slots=True)
class _Options:
    timeout: httpx.Timeout
    policy: RetryPolicy


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
    ) -> None:
        if http_client is not None and transport is not None:
            raise TypeError("pass http_client= or transport=, not both")
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
            origin=(parts.scheme, (parts.hostname or "").lower(), parts.port),
        )
        if timeout is None:
            timeout = credentials.default_timeout
        policy = retry_policy or RetryPolicy()
        if max_retries is not None:
            policy = dataclasses.replace(policy, max_retries=max_retries)
        if max_retry_after is not None:
            policy = dataclasses.replace(policy, max_retry_after=max_retry_after)
        self._shared = shared
        self._options = _Options(timeout=_as_timeout(timeout), policy=policy)
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
        view._options = _Options(
            timeout=self._options.timeout if timeout is None else _as_timeout(timeout),
            policy=policy,
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

    def _ensure_client(self) -> httpx.AsyncClient:
        shared = self._shared
        if shared.state is _State.CLOSED:
            raise errors.ClientStateError("this client was closed; create a new one")
        if shared.client is None:
            shared.client = shared.user_client or self._build_client()
            shared.limiter = anyio.CapacityLimiter(shared.max_connections)
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
        ) as (response, path, request_id, elapsed):
            body = response.content
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
        ) as (response, _path, request_id, _elapsed):
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
    ) -> AsyncIterator[tuple[httpx.Response, str, str, float]]:
        method = method.upper()
        client = self._ensure_client()
        shared = self._shared
        path = _render(route, path_params)
        url = path if _is_absolute(path) else shared.credentials.url + path
        request_id = uuid.uuid4().hex
        policy = self._options.policy
        replayable = upload is None or upload.replayable
        assert shared.limiter is not None
        limiter = shared.limiter
        borrower = object()

        window = request_window.get()

        async def one_attempt() -> tuple[httpx.Response, float]:
            await shared.gate.wait()
            if window is not None and not stream:
                async with window.slots:
                    result = await exchange()
                # Let the task waiting for this slot send its request before this one goes on
                # to parse: in a window, dispatch should never queue behind CPU work.
                await anyio.lowlevel.checkpoint()
                return result
            return await exchange()

        async def exchange() -> tuple[httpx.Response, float]:
            await limiter.acquire_on_behalf_of(borrower)
            if window is not None and window.abandoned:
                # Its window failed while it waited: it is never sent.
                limiter.release_on_behalf_of(borrower)
                raise WindowAbandoned
            try:
                result = await self._attempt(
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
            except BaseException:
                limiter.release_on_behalf_of(borrower)
                raise
            if not stream:
                limiter.release_on_behalf_of(borrower)
            return result

        try:
            response, elapsed = await one_attempt()
        except _AttemptFailed as first:
            # Most requests succeed at once: the retry loop is built only after a failure.
            response, elapsed = await self._retry(
                one_attempt, first, method, path, idempotent, replayable, policy
            )
        try:
            yield response, path, response.headers.get("x-request-id") or request_id, elapsed
        finally:
            if stream:
                # Shielded so a cancelled download still returns its connection; bounded so a
                # stuck peer cannot hold the caller.
                with anyio.move_on_after(_CLOSE_TIMEOUT, shield=True):
                    await response.aclose()
                shared.limiter.release_on_behalf_of(borrower)

    async def _retry(
        self,
        one_attempt: Callable[[], Awaitable[tuple[httpx.Response, float]]],
        first: _AttemptFailed,
        method: str,
        path: str,
        idempotent: bool | None,
        replayable: bool,
        policy: RetryPolicy,
    ) -> tuple[httpx.Response, float]:
        """The one retry loop (tenacity). Its first attempt is the one that already failed."""
        retrying = AsyncRetrying(
            sleep=anyio.sleep,
            stop=stop_after_attempt(policy.max_retries + 1),
            retry=_RetryWhen(policy, self._shared.budget, method, idempotent, replayable),
            wait=_wait_for(policy),
            before_sleep=_log_retry(method, path, policy),
            reraise=True,
        )
        result: tuple[httpx.Response, float] | None = None
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
    ) -> tuple[httpx.Response, float]:
        meta = {"method": method, "route": route, "request_id": request_id}
        base_headers = {"User-Agent": self._shared.user_agent, "X-Request-ID": request_id}
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
        redirects = 0
        current_url = url
        query = params
        while True:
            request = client.build_request(
                method,
                current_url,
                params=query,
                headers=base_headers,
                timeout=self._options.timeout,
                **body_kwargs,
            )
            if self._same_origin(request.url):
                request.headers["X-Auth-Token"] = self._token()
            try:
                response = await client.send(request, stream=True)
            except httpx.HTTPError as exc:
                elapsed = time.perf_counter() - started
                logger.debug(
                    "HTTP %s %s failed after %.3fs (%s)", method, path, elapsed, type(exc).__name__
                )
                raise _classify_transport_error(exc, meta, self._shared.credentials.url) from exc

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
            break

        if not stream or response.status_code >= 400:
            try:
                if response.status_code >= 400:
                    body = await _read_limited(response, _ERROR_BODY_LIMIT)
                else:
                    await response.aread()
                    body = response.content
            except httpx.HTTPError as exc:
                await response.aclose()
                raise _classify_transport_error(exc, meta, self._shared.credentials.url) from exc
            finally:
                if response.status_code >= 400:
                    await response.aclose()
        else:
            body = b""
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
                self._shared.gate,
            )
        self._shared.budget.refund()
        return response, elapsed

    def _same_origin(self, url: httpx.URL) -> bool:
        scheme, host, port = self._shared.origin
        return url.scheme == scheme and url.host.lower() == host and url.port == port

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
    """A short, token-free description of an error body, and its ``reason`` if it has one."""
    if not body:
        return "", None
    reason: str | None = None
    text = ""
    if "json" in content_type or body[:1] in (b"{", b"["):
        try:
            document = jsonlib.loads(body)
        except (ValueError, UnicodeDecodeError):
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
            text = body[start + 7 : end].decode("utf-8", "replace").strip()
    else:
        text = body[:300].decode("utf-8", "replace").strip()
    text = " ".join(text.split())
    if token:
        text = text.replace(token, _MASK)
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


async def _read_limited(response: httpx.Response, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async with aclosing(_generator(response.aiter_bytes())) as stream:
        async for chunk in stream:
            chunks.append(chunk)
            size += len(chunk)
            if size >= limit:
                break
    return b"".join(chunks)[:limit]


# -- helpers -------------------------------------------------------------------------------


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
