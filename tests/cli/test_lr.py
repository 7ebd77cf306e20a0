"""``cbasync lr`` end to end against an emulator on loopback TLS: a command and a file collection
across many devices within the slots, the per-device table and JSON lines, the exit codes, the
destination directory that names from devices cannot leave, and the canary token."""

from __future__ import annotations

import io
import json
import ssl
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cbasync import __version__
from cbasync._cli import Exit
from cbasync._cli.lr import destination, safe_name
from cbasync.cli import main
from cbasync.testing import EmulatorConfig, ServerInfo
from cbasync.testing.server import spawn_server

from .conftest import CANARY, configure_profiles

WIN_INI = "C:\\Windows\\win.ini"


@pytest.fixture(scope="module")
def lr_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    # Quick sensors (50 ms to check in, 10 ms a command): the command's own work is what runs.
    config = EmulatorConfig(
        seed=7,
        processes=2_000,
        devices=16,
        online_ratio=0.75,
        lr_activation=0.05,
        lr_command_delay=0.01,
        extra_tokens=(CANARY,),
    )
    with spawn_server(config, directory=tmp_path_factory.mktemp("lr-emu"), tls=True) as info:
        yield info


@pytest.fixture
def profiles(lr_server: ServerInfo, tmp_path: Path) -> Path:
    """Profiles [emu] for EDR and the cloud whose token is the canary (the server takes it)."""
    directory = tmp_path / "profiles"
    configure_profiles(directory, lr_server, CANARY)
    return directory


def raw(server: ServerInfo) -> httpx.Client:
    """The emulator read without cbasync."""
    assert server.ca_file
    return httpx.Client(
        base_url=server.url,
        verify=ssl.create_default_context(cafile=server.ca_file),
        headers={"X-Auth-Token": server.token},
    )


def sensors(server: ServerInfo) -> list[dict[str, Any]]:
    with raw(server) as http:
        answer: list[dict[str, Any]] = http.get("/api/v1/sensor").json()
    return answer


def lr_counters(server: ServerInfo, product: str = "edr") -> dict[str, int]:
    with raw(server) as http:
        counters: dict[str, Any] = http.get("/__emulator__/counters").json()
    return dict(counters["live_response"][product])


def reset_counters(server: ServerInfo) -> None:
    with raw(server) as http:
        http.delete("/__emulator__/counters").raise_for_status()


def lr(
    capsys: pytest.CaptureFixture[str], profiles: Path | None, *argv: str
) -> tuple[int, str, str]:
    where = ("--profile", "emu", "--directory", str(profiles)) if profiles else ()
    code = main(["lr", *argv, *where])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_command_on_every_online_sensor(
    lr_server: ServerInfo, profiles: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reset_counters(lr_server)
    online = {s["id"] for s in sensors(lr_server) if s["status"] == "Online"}
    code, out, err = lr(capsys, profiles, "--all-online", "--run", "hostname", "--json",
                        "--slots", "3")  # fmt: skip
    assert code == Exit.OK, err
    rows = [json.loads(line) for line in out.splitlines()]
    assert {row["device_id"] for row in rows} == online
    assert len(rows) == len(online)
    for row in rows:
        assert row["ok"] is True
        assert row["return_code"] == 0
        assert row["hostname"]
        assert row["output"].strip()  # the command's output, fetched from the device
    counters = lr_counters(lr_server)
    assert counters["created"] == len(online)
    assert counters["open"] == 0  # every session closed
    assert counters["max_concurrent"] <= 3
    assert counters["slot_limit_violations"] == 0


def test_a_file_from_named_devices_into_the_destination_and_a_failure_row(
    lr_server: ServerInfo, profiles: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    every = sensors(lr_server)
    windows_online = [s for s in every if s["status"] == "Online" and s["os_type"] == 1][:3]
    offline = next(s for s in every if s["status"] != "Online")
    assert len(windows_online) == 3
    ids = ",".join(str(s["id"]) for s in windows_online)
    dest = tmp_path / "evidence"
    code, out, err = lr(capsys, profiles, "--device", ids, "--device", str(offline["id"]),
                        "--get", WIN_INI, "--dest", str(dest), "--timeout", "1")  # fmt: skip
    assert code == Exit.SOME_FAILED  # the offline sensor never checks in
    assert "failed on 1 of 4 devices" in err
    written = sorted(p for p in dest.rglob("*") if p.is_file())
    assert len(written) == 3
    by_device = {int(path.parent.name.rsplit("-", 1)[1]): path for path in written}
    assert set(by_device) == {s["id"] for s in windows_online}  # DEST/<host>-<id>/win.ini
    for sensor in windows_online:
        path = by_device[sensor["id"]]
        assert path.parent.parent == dest
        assert path.parent.name.lower().startswith(sensor["computer_name"].lower())
        assert path.name == "win.ini"
        assert path.read_bytes().startswith(b"; for 16-bit app support")
    # The table: one row per device, the offline one failed with why.
    for sensor in windows_online:
        assert f"{sensor['id']}" in out
    assert "failed" in out
    assert "TimeoutError" in out


def test_edr_devices_by_a_sensor_query(
    lr_server: ServerInfo, profiles: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sensor = next(s for s in sensors(lr_server) if s["status"] == "Online")
    host = sensor["computer_name"]
    code, out, err = lr(capsys, profiles, "edr", "--query", f"hostname:{host}", "--run",
                        "hostname", "--json")  # fmt: skip
    assert code == Exit.OK, err
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert row["device_id"] == sensor["id"]
    assert row["output"].strip().lower() == host.lower()
    code, out, err = lr(capsys, profiles, "--query", "hostname:no-such-host", "--run", "x")
    assert code == Exit.FAILED
    assert err == "cbasync lr: no device matched\n"


def test_the_cloud_with_a_query(
    lr_server: ServerInfo, profiles: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reset_counters(lr_server)
    code, out, err = lr(capsys, profiles, "cloud", "--all-online", "--query", "os:WINDOWS",
                        "--run", "whoami", "--json")  # fmt: skip
    assert code == 2  # one way of naming devices at a time
    assert "one of --device, --query or --all-online" in err
    code, out, err = lr(capsys, profiles, "cloud", "--all-online", "--run", "whoami", "--json")
    assert code == Exit.OK, err
    rows = [json.loads(line) for line in out.splitlines()]
    online = [s for s in sensors(lr_server) if s["status"] == "Online"]
    assert len(rows) == len(online)
    assert all(row["ok"] and row["output"].strip() for row in rows)
    assert lr_counters(lr_server, "cloud")["created"] == len(rows)


def test_usage_help_and_version(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert lr(capsys, None, "--help")[0] == 0
    assert lr(capsys, None, "--version")[1] == f"cbasync lr {__version__}\n"
    for argv in (
        ("--run", "x"),  # no devices
        ("--device", "1", "--run", "x", "--get", "y"),  # two actions
        ("--device", "1"),  # no action
        ("--device", "abc", "--run", "x"),
        ("--device", "1", "--run", "x", "--slots", "0"),
        ("nowhere", "--device", "1", "--run", "x"),
    ):
        code, _, err = lr(capsys, None, *argv)
        assert code == Exit.USAGE, argv
        assert err.startswith("cbasync lr: "), argv
    code, _, err = lr(capsys, None, "--device", "1", "--run", "x", "--profile", "missing",
                      "--directory", str(tmp_path))  # fmt: skip
    assert code == Exit.USAGE
    assert "profile [missing] not found" in err or "missing" in err


def test_names_from_devices_never_leave_the_destination(tmp_path: Path) -> None:
    root = tmp_path / "dest"
    hostile = [
        ("..", "..\\..\\..\\Windows\\win.ini"),
        ("../../etc", "/etc/passwd"),
        ("host", "C:\\temp\\..\\.."),
        ("host/../../x", "..."),
        ("\x00\n", "C:\\a\\b\\\x00evil"),
        ("CON", "/"),
    ]
    for hostname, remote in hostile:
        target = destination(root, hostname, 7, remote)
        assert target.is_relative_to(root.resolve()), (hostname, remote)
        assert target.parent.parent == root.resolve()
        assert not target.name.startswith(".")
    assert safe_name("../..", "fallback") == "fallback"
    assert safe_name("WIN-01.acme.local", "x") == "WIN-01.acme.local"
    assert len(safe_name("a" * 1000, "x")) == 100


def test_the_token_appears_nowhere(
    lr_server: ServerInfo,
    profiles: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The canary token of the profile, through every outcome: success, JSON, a failing
    device, a refused token."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    outputs: list[str] = []
    online = next(s["id"] for s in sensors(lr_server) if s["status"] == "Online")
    offline = next(s["id"] for s in sensors(lr_server) if s["status"] != "Online")
    for argv in (
        ("--device", str(online), "--run", "whoami"),
        ("--device", str(online), "--run", "whoami", "--json"),
        ("--device", f"{online},{offline}", "--get", WIN_INI, "--dest", str(tmp_path / "d"),
         "--timeout", "1"),
        ("cloud", "--device", str(online + 8_499_999), "--run", "whoami", "--timeout", "1"),
    ):  # fmt: skip
        code, out, err = lr(capsys, profiles, *argv)
        assert code in (Exit.OK, Exit.SOME_FAILED), err
        outputs.append(out + err)
    half = len(CANARY) // 2
    for text in outputs:
        for part in (CANARY, CANARY[:half], CANARY[half:]):
            assert part not in text
