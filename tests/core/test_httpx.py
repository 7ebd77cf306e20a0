"""The httpx boundary: only cbasync/_httpx.py imports httpx, and its sniffio workaround is still
needed and still harmless.

The workaround (``sys.modules["sniffio"] = None`` when sniffio is not installed) exists because
httpcore imports sniffio on every request to learn the async library and a failed import
searches sys.path each time (about 100 us a request). These tests fail when a new httpx,
httpcore, anyio or trio changes that: when httpcore stops asking (the workaround is dead code:
remove it), when marking sniffio missing would break a request (it is wrong: remove or fix
it), or when trio no longer brings sniffio along (marking it missing would make httpcore treat
trio as asyncio).
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import anyio
import pytest

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter where sniffio cannot be found, as for a user without trio. The
# script counts how often sniffio is looked for across three requests on a loopback server.
_SCRIPT = textwrap.dedent(
    """
    import importlib.abc, sys

    lookups = 0

    class NoSniffio(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            global lookups
            if name == "sniffio":
                lookups += 1
                raise ModuleNotFoundError("No module named 'sniffio'", name="sniffio")
            return None

    sys.modules.pop("sniffio", None)
    sys.meta_path.insert(0, NoSniffio())
    if sys.argv[1] == "on":
        # What cbasync._httpx does when importlib finds no sniffio (here the finder above
        # raises instead of answering None, so it is done by hand, as _httpx does it).
        sys.modules["sniffio"] = None
        import cbasync._httpx  # and the SDK's HTTP module imports cleanly with it
    import anyio, httpx

    async def main():
        async def serve(stream):
            async with stream:
                data = b""
                while True:
                    chunk = await stream.receive()
                    data += chunk
                    while b"\\r\\n\\r\\n" in data:
                        _, data = data.split(b"\\r\\n\\r\\n", 1)
                        await stream.send(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\n{}")

        listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
        port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with listener, anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, serve)
            async with httpx.AsyncClient() as client:
                before = lookups
                for _ in range(3):
                    response = await client.get(f"http://127.0.0.1:{port}/")
                    assert response.json() == {}
                print(lookups - before)
            tg.cancel_scope.cancel()

    anyio.run(main)
    """
)


def _lookups(workaround: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, workaround],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip().splitlines()[-1])


def test_without_the_workaround_httpcore_looks_for_sniffio_on_every_request() -> None:
    # If this fails, httpcore no longer imports sniffio per request: remove the workaround.
    assert _lookups("off") >= 3


def test_with_the_workaround_requests_work_and_nothing_is_looked_up() -> None:
    # If the request fails here, marking sniffio missing breaks httpx: the workaround is wrong.
    assert _lookups("on") == 0


def test_trio_still_brings_sniffio_along() -> None:
    # The workaround applies only when sniffio is absent; httpcore then assumes asyncio. That
    # is right as long as an installed trio means an installed sniffio (the suite installs trio).
    assert importlib.util.find_spec("trio") is not None
    assert importlib.util.find_spec("sniffio") is not None


def test_only_the_httpx_module_imports_httpx() -> None:
    offenders = []
    for path in sorted((ROOT / "cbasync").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("cbasync/testing/") or relative == "cbasync/_httpx.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            if any(name.split(".")[0] in {"httpx", "httpcore"} for name in names):
                offenders.append(f"{relative}:{node.lineno}")
    assert offenders == [], "only cbasync/_httpx.py may import httpx or httpcore"


def test_a_bytes_body_is_sent_without_an_async_generator() -> None:
    """A request cancelled while its body is sent must leave no unfinished async generator:
    trio warns about one when it is garbage collected (the ResourceWarning a cancelled Live
    Response session request caused). httpx's own stream of bytes is one; cbasync's is not."""
    import inspect

    import anyio
    import httpx

    from cbasync._httpx import build_request

    async def body() -> list[bytes]:
        async with httpx.AsyncClient() as client:
            request = build_request(
                client,
                "POST",
                "https://cbserver.example/api/v1/cblr/session",
                params=None,
                headers={"Content-Type": "application/json"},
                content=b'{"sensor_id": 1}',
                timeout=httpx.Timeout(5.0),
            )
            assert request.content == b'{"sensor_id": 1}'
            assert request.headers["content-length"] == "16"
            iterator = aiter(request.stream)  # type: ignore[arg-type]
            assert not inspect.isasyncgen(iterator)
            chunks = [chunk async for chunk in iterator]
            assert [chunk async for chunk in request.stream] == chunks  # type: ignore[union-attr]
            return chunks

    assert anyio.run(body) == [b'{"sensor_id": 1}']


# -- the pool's idle check ----------------------------------------------------------------


@pytest.mark.anyio
async def test_pooled_connections_answer_the_idle_check_from_their_socket() -> None:
    """httpcore's pool asks every pooled connection whether the server closed it, each time it
    hands one out; the backend cbasync installs answers from the socket (``_SocketOnce``). A
    connection the server closed while idle is seen closed, and the next request gets a new
    one. Fails if a new httpcore stops making its streams with the backend it was given."""
    from cbasync import CbResponseAPI
    from cbasync._httpx import _pools, _SocketStream

    from .loopback import Exchange, Request, serve

    async def handler(request: Request, exchange: Exchange) -> None:
        await exchange.reply(200, b"{}", {"Connection": "keep-alive"})
        if request.target == "/api/close-after":
            await anyio.sleep(0.05)
            await exchange.stream.send_eof()  # the server ends the idle connection

    token = "A" * 16 + "/" + "B" * 10
    async with serve(handler) as server, CbResponseAPI(url=server.url, token=token) as api:
        await api.transport.request("GET", "/api/close-after")
        pools = _pools(api.transport._shared.client)
        streams = [c._connection._network_stream for c in pools[0].connections]
        assert streams
        assert all(isinstance(s, _SocketStream) for s in streams)
        assert streams[0].get_extra_info("is_readable") is False  # open, nothing to read
        await anyio.sleep(0.2)
        assert streams[0].get_extra_info("is_readable") is True  # the end is readable
        await api.transport.request("GET", "/api/next")
    assert server.connections == 2
