"""A small HTTP/1.1 server on a loopback TCP port, for tests that need httpcore's real
connection pool (respx and MockTransport replace the pool, so they cannot show what it does).

The handler gets the request line and headers and writes the whole answer itself, so a test can
answer as a hostile server would: slowly, in pieces, or not at all. Connections are kept alive.
Runs on asyncio and trio (anyio).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
import anyio.abc
from anyio.streams.buffered import BufferedByteReceiveStream


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class Exchange:
    """What a handler writes to: ``send`` the raw bytes of the answer."""

    stream: anyio.abc.ByteStream

    async def send(self, data: bytes) -> None:
        await self.stream.send(data)

    async def reply(
        self, status: int = 200, body: bytes = b"{}", headers: dict[str, str] | None = None
    ) -> None:
        head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in (headers or {"Content-Type": "application/json"}).items()]
        await self.send(("\r\n".join(head) + "\r\n\r\n").encode() + body)


Handler = Callable[[Request, Exchange], Awaitable[None]]


@dataclass
class Loopback:
    url: str
    requests: list[Request] = field(default_factory=list)
    connections: int = 0


@asynccontextmanager
async def serve(handler: Handler) -> AsyncIterator[Loopback]:
    """Serve ``handler`` on 127.0.0.1 until the block ends."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    state = Loopback(url=f"http://127.0.0.1:{port}")

    async def connection(stream: anyio.abc.ByteStream) -> None:
        state.connections += 1
        reader = BufferedByteReceiveStream(stream)
        async with stream:
            while True:
                try:
                    head = await reader.receive_until(b"\r\n\r\n", 65536)
                except (anyio.IncompleteRead, anyio.EndOfStream, anyio.BrokenResourceError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                size = int(headers.get("content-length", "0"))
                body = await reader.receive_exactly(size) if size else b""
                request = Request(method, target, headers, body)
                state.requests.append(request)
                try:
                    await handler(request, Exchange(stream))
                except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                    return

    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, connection)
        try:
            yield state
        finally:
            tg.cancel_scope.cancel()
