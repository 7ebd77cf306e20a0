"""TLS against a real local server: verification on by default, pinning, the hostname toggle,
TLS 1.2 forcing, and real timeouts and refused connections."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import anyio.abc
import pytest
import trustme
from anyio.streams.tls import TLSAttribute, TLSListener

from cbasync import CbResponseAPI, errors

pytestmark = pytest.mark.anyio

TOKEN = "tls-test-token"


class Server:
    def __init__(self) -> None:
        self.port = 0
        self.versions: list[str | None] = []
        self.requests: list[bytes] = []
        self.failed_handshakes = 0


@asynccontextmanager
async def https_server(cert: trustme.LeafCert, *, respond: bool = True) -> AsyncIterator[Server]:
    """A minimal HTTPS/1.1 server on loopback that answers every request with ``{"ok":true}``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    server = Server()

    async def handle(stream: anyio.abc.ByteStream) -> None:
        try:
            server.versions.append(stream.extra(TLSAttribute.ssl_object).version())
            data = b""
            while b"\r\n\r\n" not in data:
                data += await stream.receive()
            server.requests.append(data)
            if not respond:
                await anyio.sleep_forever()
            body = b'{"ok":true}'
            await stream.send(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
        except (anyio.EndOfStream, anyio.BrokenResourceError, ssl.SSLError):
            pass
        finally:
            await anyio.aclose_forcefully(stream)

    tcp = await anyio.create_tcp_listener(local_host="127.0.0.1")
    server.port = tcp.extra(anyio.abc.SocketAttribute.local_port)
    listener = TLSListener(tcp, context, standard_compatible=False)

    async def quiet_handshake_errors(exc: BaseException, stream: anyio.abc.AnyByteStream) -> None:
        server.failed_handshakes += 1
        await anyio.aclose_forcefully(stream)

    listener.handle_handshake_error = quiet_handshake_errors  # type: ignore[method-assign]
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, handle)
        try:
            yield server
        finally:
            tg.cancel_scope.cancel()


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def api_for(server: Server, **kwargs: object) -> CbResponseAPI:
    kwargs.setdefault("max_retries", 0)
    return CbResponseAPI(url=f"https://127.0.0.1:{server.port}", token=TOKEN, environ={}, **kwargs)  # type: ignore[arg-type]


async def get(api: CbResponseAPI) -> object:
    async with api:
        with anyio.fail_after(10):
            return (await api.transport.request("GET", "/api/info")).json()


async def test_verification_is_on_by_default(ca: trustme.CA) -> None:
    async with https_server(ca.issue_cert("127.0.0.1")) as server:
        with pytest.raises(errors.ConnectionError, match="certificate verification failed") as info:
            await get(api_for(server, max_retries=3))
        # The server notices the aborted handshake a moment after the client gives up.
        with anyio.fail_after(5):
            while server.failed_handshakes == 0:  # noqa: ASYNC110 - a counter, polled briefly
                await anyio.sleep(0.01)
        await anyio.sleep(0.1)
    # A certificate failure is final: one handshake, not four.
    assert server.failed_handshakes == 1
    assert server.requests == []
    assert isinstance(info.value, ConnectionError)


async def test_pinned_certificate_is_trusted(ca: trustme.CA, ca_file: Path) -> None:
    async with https_server(ca.issue_cert("127.0.0.1")) as server:
        assert await get(api_for(server, ssl_cert_file=ca_file)) == {"ok": True}
    assert server.requests[0].startswith(b"GET /api/info HTTP/1.1")
    assert f"x-auth-token: {TOKEN}".encode() in server.requests[0].lower()


async def test_hostname_check_and_its_toggle(ca: trustme.CA, ca_file: Path) -> None:
    # A certificate for another name, as EDR's self-signed "Carbon Black Enterprise Server" is.
    async with https_server(ca.issue_cert("cbserver.internal")) as server:
        with pytest.raises(errors.ConnectionError, match="certificate verification failed"):
            await get(api_for(server, ssl_cert_file=ca_file))
        assert await get(api_for(server, ssl_cert_file=ca_file, ssl_verify_hostname=False)) == {
            "ok": True
        }


async def test_hostname_toggle_still_verifies_the_chain(ca: trustme.CA) -> None:
    other_ca = trustme.CA()
    async with https_server(other_ca.issue_cert("cbserver.internal")) as server:
        with pytest.raises(errors.ConnectionError, match="certificate verification failed"):
            await get(api_for(server, ssl_verify_hostname=False))


async def test_verification_can_be_turned_off(ca: trustme.CA) -> None:
    async with https_server(ca.issue_cert("127.0.0.1")) as server:
        assert await get(api_for(server, ssl_verify=False)) == {"ok": True}


@pytest.mark.parametrize(("force", "version"), [(True, "TLSv1.2"), (False, "TLSv1.3")])
async def test_tls_version(ca: trustme.CA, ca_file: Path, force: bool, version: str) -> None:
    async with https_server(ca.issue_cert("127.0.0.1")) as server:
        await get(api_for(server, ssl_cert_file=ca_file, ssl_force_tls_1_2=force))
    assert server.versions == [version]


async def test_a_server_that_never_answers_times_out(ca: trustme.CA, ca_file: Path) -> None:
    async with https_server(ca.issue_cert("127.0.0.1"), respond=False) as server:
        with pytest.raises(errors.TimeoutError, match="waiting for the response") as info:
            await get(api_for(server, ssl_cert_file=ca_file, timeout=0.3))
    assert isinstance(info.value, TimeoutError)
    assert info.value.route == "/api/info"


async def test_refused_connection_is_retried_then_raised() -> None:
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    await listener.aclose()  # nothing listens there now
    api = CbResponseAPI(url=f"https://127.0.0.1:{port}", token=TOKEN, environ={}, max_retries=1)
    with pytest.raises(errors.ConnectionError, match=r"could not connect to 127\.0\.0\.1"):
        await get(api)
