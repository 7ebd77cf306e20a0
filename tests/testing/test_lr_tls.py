"""Live Response over a real loopback socket with TLS (the emulator as a separate process)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from cbasync.testing import EmulatorConfig
from cbasync.testing.dataset.endpoints import DEVICE_ID_BASE
from cbasync.testing.server import ServerInfo, spawn_server

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def server() -> Iterator[ServerInfo]:
    config = EmulatorConfig(
        devices=8, lr_activation=0.2, lr_command_delay=0.05, lr_upload_limit=4096
    )
    with spawn_server(config, tls=True) as info:
        yield info


def _client(info: ServerInfo, *, token: bool = True) -> httpx.AsyncClient:
    assert info.ca_file is not None
    context = ssl.create_default_context(cafile=info.ca_file)
    headers = {"X-Auth-Token": info.token} if token else {}
    return httpx.AsyncClient(base_url=info.url, verify=context, headers=headers)


async def _poll(http: httpx.AsyncClient, url: str, key: str, wanted: set[str]) -> dict[str, Any]:
    with anyio.fail_after(20):
        while True:
            body: dict[str, Any] = (await http.get(url)).json()
            if str(body[key]) in wanted:
                return body
            await anyio.sleep(0.05)


async def test_v6_file_content_redirects_to_storage_that_needs_no_token(server: ServerInfo) -> None:
    base = f"/appservices/v6/orgs/{server.org_key}/liveresponse"
    async with _client(server) as http, _client(server, token=False) as anonymous:
        before = (await http.get("/__emulator__/counters")).json()["live_response"].get("cloud", {})
        created = await http.post(f"{base}/sessions", json={"device_id": DEVICE_ID_BASE})
        assert created.status_code == 201
        sid = created.json()["id"]
        await _poll(http, f"{base}/sessions/{sid}", "status", {"ACTIVE"})
        command = (
            await http.post(
                f"{base}/sessions/{sid}/commands",
                json={"name": "get file", "path": "C:\\Windows\\win.ini"},
            )
        ).json()
        await _poll(http, f"{base}/sessions/{sid}/commands/{command['id']}", "status", {"COMPLETE"})
        file_id = command["file_details"]["file_id"]
        redirect = await http.get(f"{base}/sessions/{sid}/files/{file_id}/content")
        assert redirect.status_code == 302
        location = redirect.headers["location"]
        assert location.startswith(server.url)
        stored = await anonymous.get(location)
        assert stored.status_code == 200
        assert stored.content.startswith(b"; for 16-bit app support")
        big = await http.post(
            f"{base}/sessions/{sid}/files", files={"file": ("big.bin", b"x" * 10_000)}
        )
        assert big.status_code == 413
        assert "413 Request Entity Too Large" in big.text
        assert (await http.delete(f"{base}/sessions/{sid}")).status_code == 204
        after = (await http.get("/__emulator__/counters")).json()["live_response"]["cloud"]
        assert after["created"] - before.get("created", 0) == 1
        assert after["closed"] - before.get("closed", 0) == 1


async def test_edr_session_over_tls(server: ServerInfo) -> None:
    async with _client(server) as http:
        session = (await http.post("/api/v1/cblr/session", json={"sensor_id": 1})).json()
        await _poll(http, f"/api/v1/cblr/session/{session['id']}", "status", {"active"})
        upload = (
            await http.post(
                f"/api/v1/cblr/session/{session['id']}/file", files={"file": ("a.txt", b"over tls")}
            )
        ).json()
        put = (
            await http.post(
                f"/api/v1/cblr/session/{session['id']}/command",
                json={
                    "name": "put file",
                    "object": "C:\\Windows\\Temp\\tls.txt",
                    "file_id": upload["id"],
                },
            )
        ).json()
        await _poll(
            http,
            f"/api/v1/cblr/session/{session['id']}/command/{put['id']}",
            "status",
            {"complete"},
        )
        get = (
            await http.post(
                f"/api/v1/cblr/session/{session['id']}/command",
                json={"name": "get file", "object": "C:\\Windows\\Temp\\tls.txt"},
            )
        ).json()
        await _poll(
            http,
            f"/api/v1/cblr/session/{session['id']}/command/{get['id']}",
            "status",
            {"complete"},
        )
        content = await http.get(
            f"/api/v1/cblr/session/{session['id']}/file/{get['file_id']}/content"
        )
        assert content.content == b"over tls"
        closed = await http.put(f"/api/v1/cblr/session/{session['id']}", json={"status": "close"})
        assert closed.json()["status"] == "close"
