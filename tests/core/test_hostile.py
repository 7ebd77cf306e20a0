"""The client core against hostile servers and badly timed callers (issue 9): servers that
rate-limit mid-sweep, trickle bytes, send bombs or garbage; callers that cancel, close or switch
event loops at the wrong moment."""

from __future__ import annotations

import gc
import gzip
import json
import threading
import warnings
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest
import respx

from cbasync import errors
from cbasync._inflate import PIECE, InflateError, for_content_encoding
from cbasync.response import Binary, Process

from .helpers import BASE, TOKEN, make_api
from .loopback import Exchange, Request, serve

pytestmark = pytest.mark.anyio


@pytest.fixture
def mock() -> respx.MockRouter:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def solr_page(start: int, rows: int, total: int) -> dict[str, Any]:
    results = [
        {"id": f"00000001-0000-0000-0000-{i:012d}", "segment_id": 1, "process_name": f"p{i}"}
        for i in range(start, min(start + rows, total))
    ]
    return {"results": results, "total_results": total, "start": start}


# -- 1. an explicit default port ------------------------------------------------------------


@pytest.mark.parametrize("url", ["https://cb.example.com:443", "http://127.0.0.1:80"])
async def test_an_explicit_default_port_still_sends_the_token(url: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    async with make_api(url=url, transport=httpx.MockTransport(handler)) as api:
        await api.transport.request("GET", "/api/info")
    assert seen[0].headers.get("X-Auth-Token") == TOKEN


# -- 2. the 429 gate holds requests queued in a page window ----------------------------------


async def test_no_request_of_a_page_window_leaves_while_the_429_gate_is_closed() -> None:
    total, rows = 5_000, 100
    arrivals: list[tuple[int, float]] = []
    refused: set[int] = set()

    async def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["start"])
        arrivals.append((start, api.transport._shared.gate.closed_for))
        await anyio.sleep(0.005)
        if start == 1_000 and start not in refused:
            refused.add(start)
            return httpx.Response(429, headers={"Retry-After": "0.3"})
        return httpx.Response(200, json=solr_page(start, rows, total))

    api = make_api(transport=httpx.MockTransport(handler))
    async with api:
        ids = [p.id async for p in api.select(Process).where("host_type:server")]
    assert len(ids) == total == len(set(ids))
    sent_while_closed = [start for start, closed_for in arrivals if closed_for > 0]
    assert sent_while_closed == []
    assert len(arrivals) == total // rows + 1  # one extra: the refused page, sent again


async def test_a_request_queued_in_a_callers_pool_waits_for_the_429_gate() -> None:
    """With http_client= the pool is the caller's: a request can pass every check of the
    transport and then queue for a connection. It must still not leave during a block."""
    api_box: list[Any] = []
    arrivals: list[tuple[str, float]] = []

    async def handler(request: Request, exchange: Exchange) -> None:
        arrivals.append((request.target, api_box[0].transport._shared.gate.closed_for))
        if len(arrivals) == 1:  # whichever comes first is refused
            await exchange.reply(429, b"{}", {"Retry-After": "0.3"})
        else:
            await exchange.reply(200, b"{}")

    async with serve(handler) as server:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with (
            httpx.AsyncClient(limits=limits) as client,
            make_api(url=server.url, http_client=client) as api,
        ):
            api_box.append(api)
            async with anyio.create_task_group() as tg:
                for target in ("/a", "/b", "/c"):
                    tg.start_soon(api.transport.request, "GET", target)
    refused = arrivals[0][0]
    assert sorted(target for target, _ in arrivals) == sorted(["/a", "/b", "/c", refused])
    assert [target for target, closed_for in arrivals if closed_for > 0] == []


# -- 5. raw errors become cbasync errors ----------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000


async def test_deeply_nested_json_is_a_server_error(mock: respx.MockRouter) -> None:
    mock.get("/api/deep").respond(200, content=DEEP, headers={"Content-Type": "application/json"})
    mock.get("/api/deep-error").respond(500, content=DEEP)
    mock.get("/api/deep-message").respond(
        200, content=b'{"errorMessage": ' + DEEP + b"}", headers={"Content-Type": "text/json"}
    )
    async with make_api() as api:
        response = await api.transport.request("GET", "/api/deep")
        with pytest.raises(errors.ServerError, match="not valid JSON") as info:
            response.json()
        assert info.value.route == "/api/deep"
        with pytest.raises(errors.ServerError) as info:
            await api.transport.request("GET", "/api/deep-error")
        assert info.value.status == 500
        with pytest.raises(errors.ServerError) as info:
            await api.transport.request("GET", "/api/deep-message")
        assert info.value.route == "/api/deep-message"


async def download(api: Any, route: str, path_params: dict[str, str]) -> bytes:
    async with api.transport.stream("GET", route, path_params=path_params) as response:
        return b"".join([chunk async for chunk in response.aiter_bytes()])


async def test_a_corrupt_gzip_answer_is_a_server_error_naming_the_route(
    mock: respx.MockRouter,
) -> None:
    corrupt = gzip.compress(json.dumps({"results": list(range(1000))}).encode())[:-40] + b"x" * 40
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    # stream=: as from a network, not a body httpx has read (and decoded) already.
    for path in ("/api/v1/process", "/api/v1/binary/ABC"):
        mock.get(path).mock(
            side_effect=lambda request: httpx.Response(
                200, headers=headers, stream=httpx.ByteStream(corrupt)
            )
        )
    async with make_api() as api:
        with pytest.raises(errors.ServerError, match="compressed") as info:
            await api.transport.request("GET", "/api/v1/process")
        assert (info.value.route, info.value.status) == ("/api/v1/process", 200)
        with pytest.raises(errors.ServerError, match="compressed") as info:
            await download(api, "/api/v1/binary/{md5}", {"md5": "ABC"})
        assert info.value.route == "/api/v1/binary/{md5}"


async def test_a_url_over_the_length_limit_fails_before_sending(mock: respx.MockRouter) -> None:
    route = mock.get("/api/v1/process").respond(200, json={})
    query = " OR ".join(f"md5:{i:032x}" for i in range(2_000))  # 2,000 IOCs: ~80 KB
    async with make_api() as api:
        with pytest.raises(errors.ClientError, match="too long") as info:
            await api.transport.request("GET", "/api/v1/process", params={"q": query})
    assert info.value.route == "/api/v1/process"
    assert info.value.status is None
    assert not route.called
    assert query[:50] not in str(info.value)


async def test_closing_the_client_while_another_task_iterates_raises_client_state_error() -> None:
    first_page = anyio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["start"])
        if start:
            await anyio.sleep(0.05)
        return httpx.Response(200, json=solr_page(start, 100, 100_000))

    api = make_api(transport=httpx.MockTransport(handler))
    failures: list[BaseException] = []

    async def iterate() -> None:
        try:
            async for _ in api.select(Process).concurrency(1):
                first_page.set()
        except Exception as exc:  # the test looks at what escapes
            failures.append(exc)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(iterate)
            await first_page.wait()
            await api.aclose()
    assert len(failures) == 1
    assert isinstance(failures[0], errors.ClientStateError), repr(failures[0])
    assert "closed" in str(failures[0])
    assert failures[0].route == "/api/v1/process"


def test_a_client_used_from_another_threads_event_loop_says_what_to_do(
    anyio_backend: str,
) -> None:
    async def handler(request: Request, exchange: Exchange) -> None:
        await exchange.reply(200, b"{}")

    api_box: list[Any] = []
    opened = threading.Event()
    finished = threading.Event()
    outcome: list[BaseException | None] = []

    def owner() -> None:
        async def main() -> None:
            async with serve(handler) as server:
                api = make_api(url=server.url)
                await api.transport.request("GET", "/x")  # opens the pool in this loop
                api_box.append(api)
                opened.set()
                await anyio.to_thread.run_sync(finished.wait)
                await api.aclose()

        anyio.run(main, backend=anyio_backend)

    def intruder() -> None:
        async def main() -> None:
            try:
                await api_box[0].transport.request("GET", "/x")
            except BaseException as exc:
                outcome.append(exc)
            else:
                outcome.append(None)

        try:
            anyio.run(main, backend=anyio_backend)
        finally:
            finished.set()

    first = threading.Thread(target=owner)
    first.start()
    assert opened.wait(10)
    second = threading.Thread(target=intruder)
    second.start()
    second.join(10)
    finished.set()
    first.join(10)
    assert len(outcome) == 1
    assert isinstance(outcome[0], errors.ClientStateError), repr(outcome[0])
    assert "event loop" in str(outcome[0])
    assert outcome[0].route == "/x"


# -- 6. a token across the cut of a plain-text error body ------------------------------------


@pytest.mark.parametrize("offset", [280, 290, 295, 299, 300])
async def test_a_token_across_the_cut_of_a_text_error_body_is_masked(
    mock: respx.MockRouter, offset: int
) -> None:
    body = "e" * offset + TOKEN + " and more text after it"
    mock.get("/x").respond(500, text=body, headers={"Content-Type": "text/plain"})
    async with make_api() as api:
        with pytest.raises(errors.ServerError) as info:
            await api.transport.request("GET", "/x")
    shown = str(info.value) + repr(info.value)
    assert not any(TOKEN[:n] in shown for n in range(6, len(TOKEN) + 1))


# -- 7. decompression bombs ------------------------------------------------------------------


async def test_a_gzip_bomb_of_a_json_answer_is_refused(mock: respx.MockRouter) -> None:
    bomb = gzip.compress(b'{"results": ["' + b"0" * (64 * 1024 * 1024) + b'"]}', 9)
    assert len(bomb) < 100 * 1024
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    mock.get("/api/v1/process").mock(
        side_effect=lambda request: httpx.Response(
            200, headers=headers, stream=httpx.ByteStream(bomb)
        )
    )
    async with make_api() as api:
        with pytest.raises(errors.ServerError, match="max_response_size") as info:
            await api.transport.request("GET", "/api/v1/process")
    assert info.value.route == "/api/v1/process"


async def test_the_answer_size_cap_is_configurable(mock: respx.MockRouter) -> None:
    body = json.dumps({"results": ["x" * 100_000]}).encode()
    mock.get("/x").mock(
        side_effect=lambda request: httpx.Response(
            200,
            headers={"Content-Encoding": "gzip"},
            stream=httpx.ByteStream(gzip.compress(body)),
        )
    )
    async with make_api(max_response_size=50_000) as api:
        with pytest.raises(errors.ServerError, match="max_response_size=50000"):
            await api.transport.request("GET", "/x")
    async with make_api(max_response_size=200_000) as api:
        assert (await api.transport.request("GET", "/x")).content == body


async def test_compressed_answers_are_asked_for_only_where_they_help(
    mock: respx.MockRouter,
) -> None:
    search = mock.get("/api/v1/process").respond(200, json={})
    download = mock.get("/api/v1/binary/ABC").respond(200, content=b"PK")
    async with make_api() as api:
        await api.transport.request("GET", "/api/v1/process")
        async with api.transport.stream("GET", "/api/v1/binary/ABC") as response:
            await response.aread()
    assert "gzip" in search.calls.last.request.headers["Accept-Encoding"]
    assert download.calls.last.request.headers["Accept-Encoding"] == "identity"


def test_the_inflater_hands_out_bounded_pieces() -> None:
    bomb = gzip.compress(bytes(16 * 1024 * 1024), 9)
    inflater = for_content_encoding("gzip")
    assert inflater is not None
    sizes = [len(piece) for piece in inflater.feed(bomb)]
    assert sum(sizes) == 16 * 1024 * 1024
    assert max(sizes) <= PIECE
    inflater.check_complete()
    cut = for_content_encoding("gzip")
    assert cut is not None
    list(cut.feed(bomb[:-20]))
    with pytest.raises(InflateError, match="ended early"):
        cut.check_complete()
    with pytest.raises(InflateError, match="'br'"):
        for_content_encoding("br")


class Chunks(httpx.AsyncByteStream):
    """A body sent in pieces with no Content-Length."""

    def __init__(self, body: bytes, size: int) -> None:
        self.body = body
        self.size = size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for at in range(0, len(self.body), self.size):
            yield self.body[at : at + self.size]


class Broken(httpx.AsyncByteStream):
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"PK"
        raise self.error


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (httpx.ReadTimeout("slow"), errors.TimeoutError),
        (httpx.RemoteProtocolError("cut"), errors.ConnectionError),
    ],
)
async def test_a_download_that_stalls_or_breaks_is_a_cbasync_error(
    failure: Exception, expected: type[errors.ApiError]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Broken(failure))

    async with make_api(transport=httpx.MockTransport(handler)) as api:
        with pytest.raises(expected) as info:
            await download(api, "/api/v1/binary/{md5}", {"md5": "ABC"})
    assert info.value.route == "/api/v1/binary/{md5}"


def _zip_with_member(name: str, data: bytes) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
        archive.writestr("metadata", b"OriginalFilename: x.exe\n")
    return buffer.getvalue()


async def test_unzipping_a_download_inflates_in_bounded_pieces(mock: respx.MockRouter) -> None:
    size = 32 * 1024 * 1024
    archive = _zip_with_member("filedata", bytes(size))
    assert len(archive) < 256 * 1024  # arrives in one network chunk
    mock.get("/api/v1/binary/ABC").respond(200, content=archive)
    largest = received = 0
    async with make_api() as api:
        stream = api.select(Binary, "ABC").download(unzip=True)
        async with stream as chunks:
            async for chunk in chunks:
                largest = max(largest, len(chunk))
                received += len(chunk)
    assert received == size
    assert largest <= 256 * 1024


def _zip_with_data_descriptor(name: str, data: bytes) -> bytes:
    """A ZIP written to a stream that cannot seek: the sizes follow the data, so the header
    declares none (as a streaming server writes it)."""
    import io
    import zipfile

    class Unseekable(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b: Any) -> int:
            self.data += bytes(b)
            return len(b)

    sink = Unseekable()
    with (
        zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive,  # type: ignore[arg-type]
        archive.open(name, "w") as member,
    ):
        member.write(data)
    return bytes(sink.data)


async def test_an_unzipped_download_is_bounded_when_the_zip_declares_no_size(
    mock: respx.MockRouter, tmp_path: Path
) -> None:
    archive = _zip_with_data_descriptor("filedata", bytes(8 * 1024 * 1024))
    assert len(archive) < 64 * 1024
    mock.get("/api/v1/binary/ABC").respond(200, content=archive)
    async with make_api(max_download_size=1024 * 1024) as api:
        binary = api.select(Binary, "ABC")
        with pytest.raises(errors.ServerError, match="max_download_size=1048576"):
            await binary.download_to(tmp_path / "bomb.exe")
    assert [entry async for entry in anyio.Path(tmp_path).iterdir()] == []  # nothing half-written
    async with make_api(max_download_size=16 * 1024 * 1024) as api:
        saved = await api.select(Binary, "ABC").download_to(tmp_path / "file.exe")
    assert saved.stat().st_size == 8 * 1024 * 1024


@pytest.mark.parametrize("declared", [True, False])
async def test_a_streamed_download_is_bounded(mock: respx.MockRouter, declared: bool) -> None:
    body = bytes(3 * 1024 * 1024)
    if declared:
        mock.get("/api/v1/binary/ABC").respond(200, content=body)
    else:  # no Content-Length: the count stops it as it arrives
        mock.get("/api/v1/binary/ABC").mock(
            side_effect=lambda request: httpx.Response(200, stream=Chunks(body, 64 * 1024))
        )

    async def read_all(api: Any) -> bytes:
        async with api.select(Binary, "ABC").download(unzip=False) as chunks:
            return b"".join([chunk async for chunk in chunks])

    async with make_api(max_download_size=1024 * 1024) as api:
        with pytest.raises(errors.ServerError, match="max_download_size") as info:
            await read_all(api)
    assert info.value.route == "/api/v1/binary/{md5}"


def test_the_download_size_cap_is_checked() -> None:
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="max_download_size"):
            make_api(max_download_size=bad)


# -- 8. a total deadline per request -------------------------------------------------------


class Trickle(httpx.AsyncByteStream):
    """A body that arrives one byte at a time: every read is quick, the whole is not."""

    def __init__(self, count: int, pause: float) -> None:
        self.count = count
        self.pause = pause

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"["
        for _ in range(self.count):
            await anyio.sleep(self.pause)
            yield b" "
        yield b"]"


async def test_a_trickling_body_hits_the_total_deadline() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=Trickle(count=60, pause=0.05))

    async with make_api(transport=httpx.MockTransport(handler), timeout=0.2, max_retries=0) as api:
        with anyio.fail_after(10), pytest.raises(errors.TimeoutError, match="total") as info:
            await api.transport.request("GET", "/api/v1/process")
    assert info.value.route == "/api/v1/process"


async def test_trickling_headers_hit_the_total_deadline() -> None:
    async def handler(request: Request, exchange: Exchange) -> None:
        await exchange.send(b"HTTP/1.1 200 OK\r\n")
        for _ in range(60):
            await anyio.sleep(0.05)
            await exchange.send(b"X-Slow: y\r\n")
        await exchange.send(b"Content-Length: 2\r\n\r\n{}")

    async with (
        serve(handler) as server,
        make_api(url=server.url, timeout=0.2, max_retries=0) as api,
    ):
        with anyio.fail_after(10), pytest.raises(errors.TimeoutError, match="total"):
            await api.transport.request("GET", "/api/info")
        # The connection the deadline interrupted is not left in the pool.
        assert _pool_connections(api) == []


# -- 9. cancellation leftovers ---------------------------------------------------------------


def _pool_connections(api: Any) -> list[Any]:
    pool = api.transport._shared.client._transport._pool
    return [c for c in pool.connections if not c.is_closed()]


@pytest.mark.parametrize("how", ["async with", "aclosing"])
async def test_stopping_a_download_early_leaves_nothing_behind(
    mock: respx.MockRouter, how: str
) -> None:
    mock.get("/api/v1/binary/ABC").respond(200, content=bytes(4 * 1024 * 1024))
    async with make_api(max_connections=2) as api:
        binary = api.select(Binary, "ABC")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if how == "async with":
                async with binary.download(unzip=False, chunk_size=1024) as chunks:
                    async for _ in chunks:
                        break
            else:
                async with aclosing(binary.download(unzip=False, chunk_size=1024)) as chunks:
                    async for _ in chunks:
                        break
            gc.collect()
            await anyio.lowlevel.checkpoint()
            gc.collect()
        assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
        assert api.transport._shared.limiter.available_tokens == 2


async def test_a_failed_page_lets_its_in_flight_siblings_finish() -> None:
    started: list[int] = []
    cancelled: list[int] = []
    finished: list[int] = []
    after_failure: list[int] = []
    failed = False

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal failed
        start = int(request.url.params["start"])
        started.append(start)
        if failed:
            after_failure.append(start)
        if start == 300:
            failed = True
            return httpx.Response(400, json={"reason": "bad page"})
        try:
            await anyio.sleep(0 if start == 0 else 0.05)
        except anyio.get_cancelled_exc_class():
            cancelled.append(start)
            raise
        finished.append(start)
        return httpx.Response(200, json=solr_page(start, 100, 10_000))

    async with make_api(transport=httpx.MockTransport(handler)) as api:
        with anyio.fail_after(10), pytest.raises(errors.ClientError, match="bad page"):
            async for _ in api.select(Process).concurrency(4):
                pass
    # The siblings on the wire were answered, none was cancelled; nothing new was sent
    # (trio schedules the window's tasks in random order, so which pages ran varies).
    assert cancelled == []
    assert sorted(finished) == sorted(s for s in started if s != 300)
    assert after_failure == []


async def test_a_connection_httpcore_strands_on_cancellation_is_recovered() -> None:
    """A request cancelled between connect and send leaves its new connection in httpcore's
    pool, neither usable nor closed (encode/httpcore#1093); the transport takes it back."""

    async def handler(request: Request, exchange: Exchange) -> None:
        await exchange.reply(200, b"{}")

    scope = anyio.CancelScope()
    strand = True

    async def cancel_after_connect(name: str, info: dict[str, Any]) -> None:
        if strand and name == "connection.connect_tcp.complete":
            scope.cancel()  # delivered at httpcore's next checkpoint, before the request is sent

    async def install_trace(request: httpx.Request) -> None:
        request.extensions["trace"] = cancel_after_connect

    async with serve(handler) as server:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(
            limits=limits, event_hooks={"request": [install_trace]}
        ) as client:
            timeout = httpx.Timeout(5.0, pool=0.5)
            async with make_api(url=server.url, http_client=client, timeout=timeout) as api:
                with scope:
                    await api.transport.request("GET", "/first")
                assert scope.cancelled_caught
                strand = False
                with anyio.fail_after(10):
                    response = await api.transport.request("GET", "/second")
                assert response.json() == {}
    assert [r.target for r in server.requests] == ["/second"]
