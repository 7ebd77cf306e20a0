"""The one module that imports httpx (and httpcore): building clients, sending, reading bodies.

Everything else in the SDK (the emulator and the tests aside) reaches HTTP through the names
here, so moving to httpx2, httpx's maintained continuation, once respx supports it, changes this
module and nothing else. What is here:

- the client: TLS context (verification on, pinning, the hostname toggle, TLS >= 1.2), proxy,
  pool limits and timeouts split by phase (:func:`build_client`, :func:`as_timeout`);
- sending one request (:func:`build_request`, :func:`send`), with httpx's exceptions turned into
  a :class:`SendFailure` whose ``kind`` the error map understands;
- reading a body raw and inflating it here in bounded pieces (:class:`BodyReader`);
- three workarounds for httpcore, confined here: :func:`reclaim_stranded` (a connection
  stranded by a cancellation, encode/httpcore#1093), :func:`hold_at_gate` (a trace hook that
  holds a request at the 429 gate once it has a connection) and :class:`_SocketOnce` (the
  pool's idle check without anyio's attribute lookups);
- the sniffio workaround below.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import select
import ssl
import sys
import typing
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, Literal

import anyio
import httpcore
import httpx

from cbasync._inflate import InflateError, Inflater, for_content_encoding
from cbasync._tasks import shielded_cleanup
from cbasync.config import Credentials

__all__ = [
    "DEFAULT_TIMEOUT",
    "BodyReader",
    "BodyTooLarge",
    "HttpClient",
    "HttpRequest",
    "HttpResponse",
    "HttpTransport",
    "InflateError",
    "SendFailure",
    "Timeout",
    "as_timeout",
    "build_client",
    "build_request",
    "close_response",
    "has_pools",
    "hold_at_gate",
    "origin",
    "reclaim_stranded",
    "request_origin",
    "send",
    "ssl_context",
    "total_deadline",
]

# The sniffio workaround. httpcore and httpx ask `import sniffio` on every request to learn the
# async library, and fall back when it is missing; anyio >= 4.5 no longer installs sniffio, and
# a failed import searches sys.path each time: about 100 us per request, measured (S5). Marking
# the module missing in sys.modules makes the import fail at once, with the same outcome. It
# changes the whole process, and only when sniffio is absent; tests/core/test_httpx.py fails
# when a new httpx/httpcore stops asking (the workaround is then dead) or when marking it missing
# breaks them (it is then wrong).
if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None  # type: ignore[assignment]

HttpClient = httpx.AsyncClient
HttpTransport = httpx.AsyncBaseTransport
HttpRequest = httpx.Request
HttpResponse = httpx.Response

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
#: Seconds a close may take before it is abandoned (it is shielded from cancellation).
_CLOSE_TIMEOUT = 5.0
_DEFAULT_PORTS = {"https": 443, "http": 80}


def as_timeout(value: float | httpx.Timeout | None) -> httpx.Timeout:
    """A caller's timeout as phases; every phase must be set (no request may hang)."""
    if value is None:
        return DEFAULT_TIMEOUT
    if isinstance(value, httpx.Timeout):
        if None in (value.connect, value.read, value.write, value.pool):
            raise ValueError("every timeout phase must be set: no request may hang forever")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"timeout must be a positive number of seconds, not {value!r}")
    return httpx.Timeout(float(value))


def total_deadline(timeout: httpx.Timeout) -> float:
    """Seconds one attempt may take in all: connect + write + read (see ``DEFAULT_TIMEOUT``)."""
    return float(timeout.connect or 0) + float(timeout.write or 0) + float(timeout.read or 0)


def origin(scheme: str, host: str, port: int | None) -> tuple[str, str, int]:
    """An origin to compare: httpx leaves a URL's default port out (``None``), urlsplit keeps
    an explicit ``:443``; both must mean the same server, or the token is never sent."""
    scheme = scheme.lower()
    return scheme, host.lower(), port or _DEFAULT_PORTS.get(scheme, 0)


def request_origin(request: httpx.Request) -> tuple[str, str, int]:
    return origin(request.url.scheme, request.url.host, request.url.port)


# -- the client ----------------------------------------------------------------------------


def build_client(
    credentials: Credentials,
    *,
    max_connections: int,
    timeout: httpx.Timeout,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The client behind a Transport: our TLS and pool settings, or the caller's transport."""
    if transport is not None:
        return httpx.AsyncClient(
            transport=transport, timeout=timeout, follow_redirects=False, trust_env=False
        )
    client = httpx.AsyncClient(
        verify=ssl_context(credentials),
        proxy=credentials.proxy,
        trust_env=not credentials.ignore_system_proxy,
        limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections
        ),
        timeout=timeout,
        follow_redirects=False,
    )
    for pool in _pools(client):
        pool._network_backend = _SocketOnce(pool._network_backend)
    return client


class _SocketOnce(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, with streams that find their socket once.

    Each time httpcore's pool hands out or takes back a connection, it asks every connection it
    holds whether the server has closed it: ``get_extra_info("is_readable")``. The anyio backend
    answers by rebuilding the stream's whole dictionary of typed attributes to find the socket
    (about 20 us a time, TLS and TCP layers both). On S2 (13 pooled connections, three pool
    visits per request) that was 320 us per visit and 28% of the client's CPU. The streams made
    here ask the socket itself, found when the connection was made.
    ``tests/core/test_httpx.py`` fails if a new httpcore stops using this backend.
    """

    def __init__(self, backend: httpcore.AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        local_address: str | None = None,
        socket_options: typing.Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _SocketStream(
            await self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        socket_options: typing.Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return _SocketStream(await self._backend.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class _SocketStream(httpcore.AsyncNetworkStream):
    """A stream whose "is it readable?" is one ``poll`` of its socket (TLS or not: the socket
    under the TLS layer, as httpcore's own check uses)."""

    def __init__(self, stream: httpcore.AsyncNetworkStream, sock: Any = None) -> None:
        self._stream = stream
        self._socket = stream.get_extra_info("socket") if sock is None else sock

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
    ) -> httpcore.AsyncNetworkStream:
        tls = await self._stream.start_tls(ssl_context, server_hostname, timeout)
        return _SocketStream(tls, self._socket)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._socket is not None:
            return _readable(self._socket)
        return self._stream.get_extra_info(info)


def _readable(sock: Any) -> bool:
    """Whether reading the socket would not block; a closed socket counts as readable (its next
    read is the end), so the pool drops its connection."""
    fd = sock.fileno()
    if fd < 0:
        return True
    if sys.platform == "win32" or not hasattr(select, "poll"):
        return bool(select.select([fd], [], [], 0)[0])
    poller = select.poll()  # not select(): it fails for descriptors above 1023
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def ssl_context(creds: Credentials) -> ssl.SSLContext:
    """The TLS settings a client of these credentials uses (``cbasync check`` probes with it)."""
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


# -- sending -------------------------------------------------------------------------------

FailureKind = Literal[
    "connect_timeout",
    "pool_timeout",
    "write_timeout",
    "read_timeout",
    "certificate",
    "connect",
    "proxy",
    "broken",
    "invalid_url",
    "other",
]


class SendFailure(Exception):
    """An httpx failure, said in terms the error map knows (``kind``); the httpx exception is
    the ``__cause__``. ``name`` is its class name (safe to show: it holds no data)."""

    def __init__(self, kind: FailureKind, name: str, detail: str = "") -> None:
        super().__init__(kind)
        self.kind: FailureKind = kind
        self.name = name
        self.detail = detail


def _failure(exc: httpx.HTTPError) -> SendFailure:
    name = type(exc).__name__
    kind: FailureKind
    if isinstance(exc, httpx.ConnectTimeout):
        kind = "connect_timeout"
    elif isinstance(exc, httpx.PoolTimeout):
        kind = "pool_timeout"
    elif isinstance(exc, httpx.WriteTimeout):
        kind = "write_timeout"
    elif isinstance(exc, httpx.TimeoutException):
        kind = "read_timeout"
    elif isinstance(exc, httpx.ConnectError):
        kind = "certificate" if _is_certificate_error(exc) else "connect"
    elif isinstance(exc, httpx.ProxyError):
        kind = "proxy"
    elif isinstance(exc, httpx.TransportError):
        # Read/write errors and broken responses: the server may have seen the request.
        kind = "broken"
    else:
        kind = "other"
    return SendFailure(kind, name)


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


def build_request(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    params: Any,
    headers: Mapping[str, str],
    content: Any,
    timeout: httpx.Timeout,
) -> httpx.Request:
    """The request as it will be sent; a URL httpx cannot send is a ``SendFailure``."""
    try:
        request = client.build_request(
            method, url, params=params, headers=headers, content=content, timeout=timeout
        )
    except httpx.InvalidURL as exc:
        # httpx's own words name the part of the URL, never its content.
        raise SendFailure("invalid_url", type(exc).__name__, str(exc)) from None
    if isinstance(content, bytes):
        request.stream = _BytesBody(content)
    return request


class _BytesBody(httpx.AsyncByteStream):
    """A request body of bytes (a JSON body) whose iteration is not an async generator.

    httpx's own ``ByteStream`` yields its bytes from an async generator; a request cancelled
    while httpcore sends its body leaves that generator unfinished, and trio warns about it
    when it is garbage collected (a ResourceWarning, an error in the tests). This iterator
    holds nothing that needs closing.
    """

    def __init__(self, data: bytes) -> None:
        self._data = data

    def __aiter__(self) -> _Once:
        return _Once(self._data)


class _Once:
    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data: bytes | None = data

    def __aiter__(self) -> _Once:
        return self

    async def __anext__(self) -> bytes:
        if self._data is None:
            raise StopAsyncIteration
        data, self._data = self._data, None
        return data


async def send(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    trace: Callable[[str, Mapping[str, Any]], Awaitable[None]] | None = None,
) -> httpx.Response:
    """Send, stream the answer (its body is not read yet). After a failed or cancelled send the
    connections httpcore stranded are reclaimed."""
    if trace is not None:
        request.extensions["trace"] = trace
    try:
        return await client.send(request, stream=True)
    except BaseException as exc:
        await reclaim_stranded(client)
        if isinstance(exc, httpx.HTTPError):
            raise _failure(exc) from exc
        raise


def hold_at_gate(
    closed: Callable[[], bool], wait: Callable[[], Awaitable[None]], deadline: anyio.CancelScope
) -> Callable[[str, Mapping[str, Any]], Awaitable[None]]:
    """An httpcore trace hook that holds a request at the 429 gate once it has a connection,
    just before its first byte is sent. Used for pools the caller sized (``http_client=``,
    ``transport=``), where a request can queue for a connection after the transport's own
    checks. The wait does not count against the request's total deadline."""

    async def trace(event: str, info: Mapping[str, Any]) -> None:
        if event.endswith("send_request_headers.started") and closed():
            began = anyio.current_time()
            await wait()
            deadline.deadline += anyio.current_time() - began

    return trace


async def reclaim_stranded(client: httpx.AsyncClient) -> None:
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
        async with shielded_cleanup("closing connections httpcore stranded", limit=_CLOSE_TIMEOUT):
            for connection in stranded:
                await connection.aclose()


def has_pools(client: httpx.AsyncClient) -> bool:
    """Whether the client pools connections in httpcore (not an in-process transport)."""
    return bool(_pools(client))


def _pools(client: httpx.AsyncClient) -> list[httpcore.AsyncConnectionPool]:
    """The httpcore connection pools behind an httpx client (none for in-process transports
    such as ``ASGITransport`` and ``MockTransport``)."""
    try:
        transports = [client._transport, *client._mounts.values()]
    except AttributeError:  # pragma: no cover - a future httpx
        return []
    pools = (getattr(transport, "_pool", None) for transport in transports)
    return [pool for pool in pools if isinstance(pool, httpcore.AsyncConnectionPool)]


# -- bodies --------------------------------------------------------------------------------


class BodyTooLarge(Exception):
    """The body inflates past the caller's limit."""


class BodyReader:
    """Reads an httpx response body raw and inflates it here, in bounded pieces.

    httpx's own decoders inflate each network chunk whole (a 64 KB gzip bomb is 64 MB at
    once); here no step produces more than ``PIECE`` bytes. Stopping early is clean too: httpx
    iterates a body through a chain of async generators, and closing the outermost leaves the
    inner ones suspended for the garbage collector (on trio, one warning each). :meth:`close`
    closes the response first and then runs the chain to its end, which is then immediate.

    A response an in-memory transport built from bytes (``httpx.MockTransport``, respx) was
    read, and decoded, by httpx already; its content is taken as it is.

    Raises :class:`InflateError` for a body that cannot be decoded and :class:`SendFailure`
    when the connection breaks or stalls while the body is read.
    """

    __slots__ = ("_content", "_done", "_inflater", "_raw", "_response")

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self._done = False
        self._inflater: Inflater | None = None
        self._raw: AsyncGenerator[bytes, None] | None = None
        self._content: bytes | None = None
        if response.is_stream_consumed:
            self._content = response.content
            return
        self._inflater = for_content_encoding(response.headers.get("content-encoding"))
        self._raw = _generator(response.aiter_raw())

    async def pieces(self, size: int | None = None) -> AsyncGenerator[bytes, None]:
        """The (inflated) body; pieces of at most ``size`` bytes when it is given."""
        if self._raw is None:
            for part in _split(self._content or b"", size):
                yield part
        else:
            inflater = self._inflater
            try:
                async for data in self._raw:
                    for piece in (data,) if inflater is None else inflater.feed(data):
                        for part in _split(piece, size):
                            yield part
            except httpx.HTTPError as exc:
                raise _failure(exc) from exc
            if inflater is not None:
                inflater.check_complete()
        self._done = True

    async def read(self, limit: int, *, truncate: bool = False) -> bytes:
        """The whole body; past ``limit`` bytes, the first ``limit`` (``truncate``) or
        :class:`BodyTooLarge`. The response is closed when this returns or raises."""
        if self._raw is None:
            self._done = True
            content = self._content or b""
            if len(content) > limit and not truncate:
                raise BodyTooLarge
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
                            raise BodyTooLarge
                        chunks.append(piece[: len(piece) - (size - limit)])
                        return b"".join(chunks)
                    chunks.append(piece)
            if inflater is not None:
                inflater.check_complete()
            self._done = True  # aiter_raw closed the response at its end
        except httpx.HTTPError as exc:
            raise _failure(exc) from exc
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
        async with shielded_cleanup("closing a response", limit=_CLOSE_TIMEOUT):
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


async def close_response(response: httpx.Response) -> None:
    """Close a response whose body is not wanted; shielded and bounded."""
    async with shielded_cleanup("closing a response", limit=_CLOSE_TIMEOUT):
        await response.aclose()


def _split(data: bytes, size: int | None) -> tuple[bytes, ...] | list[bytes]:
    if size is None or len(data) <= size:
        return (data,)
    return [data[at : at + size] for at in range(0, len(data), size)]


def _generator(iterator: AsyncIterator[bytes]) -> AsyncGenerator[bytes, None]:
    """httpx's body iterators are async generators typed as iterators; say what they are so
    they can be closed explicitly."""
    return typing.cast(AsyncGenerator[bytes, None], iterator)
