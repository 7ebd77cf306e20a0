"""The uvicorn runner over a real loopback socket: TLS with the trustme CA, the ready file,
faults on the wire, clean stops on SIGTERM/SIGINT."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cbasync.testing import EmulatorConfig
from cbasync.testing.server import ServerInfo, config_from_json, config_to_json, spawn_server

SMALL = EmulatorConfig(processes=2_000, devices=8, binaries=200, alerts=20)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    with spawn_server(SMALL, directory=tmp_path_factory.mktemp("tls"), tls=True) as info:
        yield info


def test_ready_file_describes_a_tls_server_with_a_pinnable_ca(tls_server: ServerInfo) -> None:
    assert tls_server.url.startswith("https://localhost:")
    assert tls_server.token == SMALL.token
    assert tls_server.org_key == SMALL.org_key
    assert tls_server.ca_file is not None
    assert Path(tls_server.ca_file).read_text().startswith("-----BEGIN CERTIFICATE-----")
    with httpx.Client(
        base_url=tls_server.url,
        verify=ssl.create_default_context(cafile=tls_server.ca_file),
        headers={"X-Auth-Token": tls_server.token},
    ) as client:
        info = client.get("/api/info").json()
        assert info["version"] == SMALL.server_version
        procs = client.get("/api/v1/process", params={"q": "process_name:svchost.exe"}).json()
        assert procs["total_results"] > 0
        assert client.get("/api/info", headers={"X-Auth-Token": "wrong"}).status_code == 401
        counters = client.get("/__emulator__/counters").json()
        assert counters["requests"]["by_route"]["GET /api/info"] == {"200": 1, "401": 1}


def test_an_unpinned_client_rejects_the_certificate(tls_server: ServerInfo) -> None:
    with (
        httpx.Client(base_url=tls_server.url) as client,
        pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        client.get("/api/info")


def test_faults_on_the_wire(tmp_path: Path) -> None:
    config = SMALL.replace(fault_reset=1.0)
    with (
        spawn_server(config, directory=tmp_path, tls=False) as info,
        httpx.Client(base_url=info.url, headers={"X-Auth-Token": info.token}) as client,
    ):
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            client.get("/api/info")
        # The control routes are exempt from faults.
        counters = client.get("/__emulator__/counters").json()
        assert counters["faults"]["reset"] == 1


def test_rate_limit_on_the_wire(tmp_path: Path) -> None:
    config = SMALL.replace(rate_limit_requests=2, rate_limit_window=60.0, retry_after=30.0)
    with (
        spawn_server(config, directory=tmp_path, tls=False) as info,
        httpx.Client(base_url=info.url, headers={"X-Auth-Token": info.token}) as client,
    ):
        assert [client.get("/api/info").status_code for _ in range(2)] == [200, 200]
        limited = client.get("/api/info")
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "30"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_cli_stops_cleanly_on_signals(tmp_path: Path, sig: signal.Signals) -> None:
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cbasync.testing",
            "--tls",
            "--ready-file",
            str(ready),
            "--processes",
            "1000",
            "--devices",
            "4",
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "the emulator never became ready"
            time.sleep(0.02)
        info = json.loads(ready.read_text())
        assert set(info) >= {"url", "token", "org_key", "ca_file"}
        assert info["pid"] == proc.pid
        proc.send_signal(sig)
        assert proc.wait(timeout=20) == 0
        assert not ready.exists()  # a stopped server does not leave a stale ready file
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_config_round_trips_through_json() -> None:
    config = SMALL.replace(extra_tokens=("a", "b"), fault_5xx_statuses=(503,), latency_ms=3.5)
    assert config_from_json(config_to_json(config)) == config
    with pytest.raises(ValueError, match="unknown emulator config keys: bogus"):
        config_from_json('{"bogus": 1}')
