"""Security properties end to end against the emulator: the token never follows a redirect to
another origin, file downloads are bounded by ``max_response_size`` and written only where the
caller said (whatever name the server gives the file), and TLS verification is on by default
against the emulator over loopback TLS (the hostname toggle is proven in tests/core/test_tls.py,
where the certificate's names can be chosen)."""

from __future__ import annotations

import gzip
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
import trustme

from cbasync import CBCloudAPI, CbResponseAPI, errors
from cbasync.testing import EmulatorConfig, create_app
from cbasync.testing.app import EmulatorApp
from cbasync.testing.dataset.endpoints import DEVICE_ID_BASE
from cbasync.testing.server import ServerInfo, spawn_server

pytestmark = pytest.mark.anyio

CONFIG = EmulatorConfig(devices=4, lr_activation=0.01, lr_command_delay=0.002)
WIN_INI = "C:\\Windows\\win.ini"
STORAGE = "storage.example"


class Rewriting(httpx.AsyncBaseTransport):
    """The emulator, with its redirects pointed at another origin (``https://storage.example``,
    or ``http://`` on the API's own host with ``downgrade``) and, optionally, every file answer
    carrying a hostile ``Content-Disposition`` name or replaced by a gzip bomb."""

    def __init__(
        self,
        app: EmulatorApp,
        *,
        downgrade: bool = False,
        disposition: str | None = None,
        bomb: bool = False,
    ) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.downgrade = downgrade
        self.disposition = disposition
        self.bomb = bomb
        self.redirected: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == STORAGE or request.url.scheme == "http":
            self.redirected.append(request)
            request = httpx.Request(
                request.method,
                request.url.copy_with(scheme="https", host="cbserver.emulator"),
                headers=request.headers,
            )
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        headers = {
            k: v
            for k, v in response.headers.items()
            if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")
        }
        if response.is_redirect:
            target = request.url.join(response.headers["location"])
            target = (
                target.copy_with(scheme="http")
                if self.downgrade
                else target.copy_with(host=STORAGE)
            )
            headers["location"] = str(target)
        elif self.disposition is not None and body.startswith(b"; for 16-bit"):
            headers["content-disposition"] = f'attachment; filename="{self.disposition}"'
        if self.bomb and body.startswith(b"; for 16-bit"):
            headers["content-encoding"] = "gzip"
            body = gzip.compress(bytes(64 * 1024 * 1024), compresslevel=9)
        return httpx.Response(response.status_code, headers=headers, content=body)


def cloud(app: EmulatorApp, transport: httpx.AsyncBaseTransport, **options: object) -> CBCloudAPI:
    return CBCloudAPI(
        url="https://cbserver.emulator",
        token=app.config.token,
        org_key=app.config.org_key,
        environ={},
        transport=transport,
        **options,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("downgrade", [False, True], ids=["other-host", "plain-http"])
async def test_the_token_does_not_follow_a_file_download_to_another_origin(
    downgrade: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = create_app(CONFIG)
    transport = Rewriting(app, downgrade=downgrade)
    with anyio.fail_after(20):
        async with (
            cloud(app, transport) as api,
            api.live_response.session(DEVICE_ID_BASE) as lr,
        ):
            content = await lr.get_file(WIN_INI)
            seen = [repr(lr), repr(api), repr(api.credentials)]
    assert content.startswith(b"; for 16-bit app support")
    assert transport.redirected, "the file answer should have been a redirect"
    for request in transport.redirected:
        assert "x-auth-token" not in request.headers
        assert app.config.token not in str(request.url)
    seen += [record.getMessage() for record in caplog.records]
    assert not [text for text in seen if app.config.token in text]


async def test_a_file_get_is_bounded_by_max_response_size() -> None:
    app = create_app(CONFIG)
    with anyio.fail_after(20):
        async with (
            cloud(app, Rewriting(app, bomb=True), max_response_size=1024 * 1024) as api,
            api.live_response.session(DEVICE_ID_BASE) as lr,
        ):
            with pytest.raises(errors.ServerError, match="larger than max_response_size"):
                await lr.get_file(WIN_INI)


HOSTILE_NAMES = [
    "../../../../tmp/evil.txt",
    "/etc/passwd",
    "C:\\Windows\\System32\\evil.dll",
    "\\\\attacker\\share\\evil",
    "..\\..\\evil",
    "evil\x00.txt",
]


@pytest.fixture
def destination(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "evidence"
    folder.mkdir()
    yield folder
    # Nothing was written beside the destination folder either.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence"]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
async def test_a_download_is_written_where_the_caller_said_whatever_the_server_names_it(
    name: str, destination: Path
) -> None:
    app = create_app(CONFIG)
    with anyio.fail_after(20):
        async with (
            cloud(app, Rewriting(app, disposition=name)) as api,
            api.live_response.session(DEVICE_ID_BASE) as lr,
        ):
            saved = await lr.download_file(WIN_INI, destination / "win.ini")
    assert saved == destination / "win.ini"
    assert [p.name async for p in anyio.Path(destination).iterdir()] == ["win.ini"]
    assert saved.read_bytes().startswith(b"; for 16-bit app support")


# -- TLS against the emulator over loopback ---------------------------------------------------


@pytest.fixture(scope="module")
def tls_server() -> Iterator[ServerInfo]:
    with spawn_server(EmulatorConfig(processes=100, devices=2), tls=True) as info:
        yield info


def edr(info: ServerInfo, url: str | None = None, **options: object) -> CbResponseAPI:
    return CbResponseAPI(
        url=url or info.url,
        token=info.token,
        environ={},
        max_retries=0,
        **options,  # type: ignore[arg-type]
    )


async def test_tls_is_verified_by_default_and_a_pinned_ca_passes(
    tls_server: ServerInfo, tmp_path: Path
) -> None:
    assert tls_server.ca_file is not None
    with anyio.fail_after(20):
        # The emulator's CA is not in the system store: the default refuses it, typed.
        async with edr(tls_server) as api:
            with pytest.raises(errors.ConnectionError) as refused:
                await api.transport.request("GET", "/api/info")
        text = "".join(traceback.format_exception(refused.value))
        assert "certificate" in str(refused.value).lower()
        assert tls_server.token not in text
        # Pinned to another CA: refused as well.
        other = tmp_path / "other-ca.pem"
        other.write_text(trustme.CA().cert_pem.bytes().decode())
        async with edr(tls_server, ssl_cert_file=str(other)) as api:
            with pytest.raises(errors.ConnectionError, match=r"(?i)certificate"):
                await api.transport.request("GET", "/api/info")
        # Pinned to the emulator's CA: trusted.
        async with edr(tls_server, ssl_cert_file=tls_server.ca_file) as api:
            info = (await api.transport.request("GET", "/api/info")).json()
        assert "version" in info
