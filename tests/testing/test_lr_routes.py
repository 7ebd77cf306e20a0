"""Live Response over HTTP: the EDR, cloud v6 and legacy v3 dialects of one backend."""

from __future__ import annotations

import uuid

import httpx
import pytest

from cbasync.testing import EmulatorConfig, ManualClock, create_app
from cbasync.testing.app import EmulatorApp
from cbasync.testing.dataset.endpoints import DEVICE_ID_BASE

pytestmark = pytest.mark.anyio

ORG = "EMU12345"
V6 = f"/appservices/v6/orgs/{ORG}/liveresponse"
V3 = "/integrationServices/v3/cblr"
EDR = "/api/v1/cblr"
WIN, MAC, LINUX, OFFLINE = 0, 2, 3, 4  # fixed endpoints of the population


def _app(clock: ManualClock, **config: object) -> EmulatorApp:
    base: dict[str, object] = {"devices": 10, "lr_activation": 2.0, "lr_command_delay": 0.5}
    base.update(config)
    return create_app(
        EmulatorConfig(**base),  # type: ignore[arg-type]
        clock=clock,
        modules=("lr_edr", "lr_cloud", "lr_v3"),
    )


def _client(app: EmulatorApp, *, token: bool = True) -> httpx.AsyncClient:
    headers = {"X-Auth-Token": app.config.token} if token else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://cbserver", headers=headers
    )


# --------------------------------------------------------------------------------------------
# EDR
# --------------------------------------------------------------------------------------------


async def _edr_session(http: httpx.AsyncClient, clock: ManualClock, index: int = WIN) -> int:
    r = await http.post(f"{EDR}/session", json={"sensor_id": index + 1})
    assert r.status_code == 200
    assert r.json()["status"] == "pending"
    clock.advance(2.0)
    return int(r.json()["id"])


async def _edr_run(
    http: httpx.AsyncClient, clock: ManualClock, sid: int, body: dict[str, object]
) -> dict[str, object]:
    r = await http.post(f"{EDR}/session/{sid}/command", json={"session_id": sid, **body})
    assert r.status_code == 200, r.text
    assert r.json()["status"] in ("pending", "in progress")
    clock.advance(3.01)
    r = await http.get(f"{EDR}/session/{sid}/command/{r.json()['id']}")
    assert r.status_code == 200
    result: dict[str, object] = r.json()
    return result


async def test_edr_session_lifecycle() -> None:
    clock = ManualClock()
    app = _app(clock)
    async with _client(app) as http:
        r = await http.post(f"{EDR}/session", json={"sensor_id": WIN + 1})
        pending = r.json()
        assert pending["sensor_id"] == WIN + 1
        assert isinstance(pending["id"], int)
        assert pending["supported_commands"] == []
        assert pending["session_timeout"] == 300
        clock.advance(2.0)
        active = (await http.get(f"{EDR}/session/{pending['id']}")).json()
        assert active["status"] == "active"
        assert len(active["supported_commands"]) == 15
        assert active["drives"][0] == "C:\\"
        listed = (await http.get(f"{EDR}/session", params={"active_only": "true"})).json()
        assert [s["id"] for s in listed] == [pending["id"]]
        assert (await http.get(f"{EDR}/session/{pending['id']}/keepalive")).status_code == 200
        closing = dict(active, status="close")
        r = await http.put(f"{EDR}/session/{pending['id']}", json=closing)
        assert r.json()["status"] == "close"
        assert (await http.get(f"{EDR}/session", params={"active_only": "true"})).json() == []
        r = await http.post(f"{EDR}/session/{pending['id']}/command", json={"name": "process list"})
        assert r.status_code == 404
        assert r.text.startswith("Session")
    snapshot = app.counters.snapshot()["live_response"]["edr"]
    assert snapshot["created"] == 1
    assert snapshot["closed"] == 1
    assert snapshot["open"] == 0


async def test_edr_get_file_error_and_directory_list() -> None:
    clock = ManualClock()
    app = _app(clock)
    async with _client(app) as http:
        sid = await _edr_session(http, clock)
        done = await _edr_run(
            http, clock, sid, {"name": "get file", "object": "C:\\Windows\\win.ini"}
        )
        assert done["status"] == "complete"
        assert done["result_type"] == "WinHresult"
        assert done["result_code"] == 0
        content = await http.get(f"{EDR}/session/{sid}/file/{done['file_id']}/content")
        assert content.headers["content-type"] == "application/octet-stream"
        assert content.content.startswith(b"; for 16-bit app support")
        failed = await _edr_run(http, clock, sid, {"name": "get file", "object": "C:\\missing.txt"})
        assert failed["status"] == "error"
        assert failed["result_code"] == 0x80070002  # unsigned on EDR
        assert failed["result_desc"]
        listing = await _edr_run(
            http, clock, sid, {"name": "directory list", "object": "C:\\Windows\\Temp\\"}
        )
        files = listing["files"]
        assert isinstance(files, list)
        assert [f["filename"] for f in files[:2]] == [".", ".."]
        assert {
            "filename",
            "alt_name",
            "attributes",
            "size",
            "create_time",
            "last_access_time",
            "last_write_time",
        } <= set(files[0])
        procs = await _edr_run(http, clock, sid, {"name": "process list"})
        rows = procs["processes"]
        assert isinstance(rows, list)
        system = next(p for p in rows if p["pid"] == 4)
        assert system["username"] == "NT AUTHORITY\\SYSTEM"
        assert system["proc_guid"].startswith(f"{WIN + 1:08x}-0000-0004-")


async def test_edr_upload_put_and_file_objects() -> None:
    clock = ManualClock()
    app = _app(clock)
    async with _client(app) as http:
        sid = await _edr_session(http, clock)
        r = await http.post(
            f"{EDR}/session/{sid}/file", files={"file": ("tool.bin", b"\x00tool\xff")}
        )
        assert r.status_code == 200
        upload = r.json()
        assert upload["size"] == 6
        put = await _edr_run(
            http,
            clock,
            sid,
            {"name": "put file", "object": "C:\\Windows\\Temp\\tool.bin", "file_id": upload["id"]},
        )
        assert put["status"] == "complete"
        got = await _edr_run(
            http, clock, sid, {"name": "get file", "object": "C:\\Windows\\Temp\\tool.bin"}
        )
        data = await http.get(f"{EDR}/session/{sid}/file/{got['file_id']}/content")
        assert data.content == b"\x00tool\xff"
        listed = (await http.get(f"{EDR}/session/{sid}/file")).json()
        assert {f["id"] for f in listed} == {upload["id"], got["file_id"]}
        r = await http.put(f"{EDR}/session/{sid}/file/{upload['id']}", json={"delete": True})
        assert r.status_code == 200
        assert (await http.get(f"{EDR}/session/{sid}/file/{upload['id']}")).status_code == 404
        archive = await http.get(f"{EDR}/session/{sid}/archive")
        assert archive.content[:2] == b"PK"


async def test_edr_create_process_with_output_and_cancel() -> None:
    clock = ManualClock()
    app = _app(clock)
    async with _client(app) as http:
        sid = await _edr_session(http, clock)
        run = await _edr_run(
            http,
            clock,
            sid,
            {
                "name": "create process",
                "object": "cmd.exe /c hostname",
                "wait": "true",
                "output_file": "c:\\windows\\temp\\cblr.out.tmp",
            },
        )
        assert run["status"] == "complete"
        assert run["return_code"] == 0
        out = await _edr_run(
            http, clock, sid, {"name": "get file", "object": "c:\\windows\\temp\\cblr.out.tmp"}
        )
        text = (await http.get(f"{EDR}/session/{sid}/file/{out['file_id']}/content")).text
        assert text.strip() == app.state.endpoints[WIN].hostname.upper()
        first = (
            await http.post(f"{EDR}/session/{sid}/command", json={"name": "process list"})
        ).json()
        second = (
            await http.post(f"{EDR}/session/{sid}/command", json={"name": "process list"})
        ).json()
        r = await http.put(
            f"{EDR}/session/{sid}/command/{second['id']}", json=dict(second, status="cancel")
        )
        assert r.json()["status"] == "cancel"
        r = await http.put(
            f"{EDR}/session/{sid}/command/{first['id']}", json=dict(first, status="cancel")
        )
        assert r.status_code == 400
        canceled = (
            await http.get(f"{EDR}/session/{sid}/command", params={"status": "canceled"})
        ).json()
        assert [c["id"] for c in canceled] == [second["id"]]


async def test_edr_limits_timeouts_and_errors() -> None:
    clock = ManualClock()
    app = _app(clock, lr_slots=2)
    async with _client(app) as http:
        first = await _edr_session(http, clock)
        await _edr_session(http, clock, LINUX)
        r = await http.post(f"{EDR}/session", json={"sensor_id": MAC + 1})
        assert r.status_code == 403
        assert "session limit reached" in r.text
        r = await http.post(f"{EDR}/session", json={"sensor_id": 999})
        assert r.status_code == 404
        assert r.text.startswith("Sensor")
        assert (await http.post(f"{EDR}/session", json={})).status_code == 400
        r = await http.post(f"{EDR}/session/{first}/command", json={"name": "rm -rf"})
        assert r.status_code == 400
        clock.advance(301)
        r = await http.get(f"{EDR}/session/{first}")
        assert r.status_code == 404
        assert r.text == f"Session {first} not found"
        assert (await http.get(f"{EDR}/session/{first}/keepalive")).status_code == 404
    counters = app.counters.snapshot()["live_response"]["edr"]
    assert counters["slot_limit_violations"] == 1
    assert counters["expired"] == 2
    assert counters["max_concurrent"] == 2


async def test_edr_offline_sensor_never_activates() -> None:
    clock = ManualClock()
    app = _app(clock)
    async with _client(app) as http:
        r = await http.post(f"{EDR}/session", json={"sensor_id": OFFLINE + 1})
        sid = r.json()["id"]
        clock.advance(600)
        assert (await http.get(f"{EDR}/session/{sid}")).json()["status"] == "pending"
        clock.advance(601)
        assert (await http.get(f"{EDR}/session/{sid}")).status_code == 404


async def test_edr_live_response_can_be_disabled() -> None:
    app = _app(ManualClock(), cblr_enabled=False)
    async with _client(app) as http:
        assert (await http.get(f"{EDR}/session")).status_code == 412
        assert (await http.post(f"{EDR}/session", json={"sensor_id": 1})).status_code == 412


async def test_edr_wait_parameter_blocks_until_active() -> None:
    clock = ManualClock()  # autojump: the wait costs no real time
    app = _app(clock)
    async with _client(app) as http:
        r = await http.post(f"{EDR}/session", params={"wait": "true"}, json={"sensor_id": 1})
        assert r.json()["status"] == "active"


async def test_lr_routes_need_the_token() -> None:
    app = _app(ManualClock())
    async with _client(app, token=False) as http:
        assert (await http.get(f"{EDR}/session")).status_code == 401
        assert (await http.post(f"{V6}/sessions", json={"device_id": 1})).status_code == 401


# --------------------------------------------------------------------------------------------
# Cloud v6
# --------------------------------------------------------------------------------------------


async def _v6_session(http: httpx.AsyncClient, clock: ManualClock, index: int = WIN) -> str:
    r = await http.post(f"{V6}/sessions", json={"device_id": DEVICE_ID_BASE + index})
    assert r.status_code == 201, r.text
    clock.advance(2.0)
    return str(r.json()["id"])


async def _v6_run(
    http: httpx.AsyncClient, clock: ManualClock, sid: str, body: dict[str, object]
) -> dict[str, object]:
    r = await http.post(f"{V6}/sessions/{sid}/commands", json={"session_id": sid, **body})
    assert r.status_code == 201, r.text
    clock.advance(3.01)
    r = await http.get(f"{V6}/sessions/{sid}/commands/{r.json()['id']}")
    assert r.status_code == 200
    result: dict[str, object] = r.json()
    return result


async def test_v6_session_shapes() -> None:
    clock = ManualClock()
    app = _app(clock)
    device = DEVICE_ID_BASE + WIN
    async with _client(app) as http:
        r = await http.post(f"{V6}/sessions", json={"device_id": device})
        created = r.json()
        assert r.status_code == 201
        assert created["status"] == "PENDING"
        assert created["id"] == f"1:{device}"
        assert created["supported_commands"] is None
        assert created["create_time"].endswith("Z")
        clock.advance(2.0)
        active = (await http.get(f"{V6}/sessions/{created['id']}")).json()
        assert active["status"] == "ACTIVE"
        assert isinstance(active["create_time"], int)
        assert active["session_timeout"] == 900
        assert len(active["supported_commands"]) == 15
        r = await http.delete(f"{V6}/sessions/{created['id']}")
        assert r.status_code == 204
        gone = await http.get(f"{V6}/sessions/{created['id']}")
        assert gone.status_code == 404
        assert gone.json()["error_code"] == "NOT_FOUND"
        r = await http.post(
            f"{V6}/sessions/{created['id']}/commands", json={"name": "process list"}
        )
        assert r.json()["error_code"] == "NOT_FOUND"


async def test_v6_wrong_org_is_forbidden() -> None:
    app = _app(ManualClock())
    async with _client(app) as http:
        r = await http.post(
            "/appservices/v6/orgs/OTHER123/liveresponse/sessions",
            json={"device_id": DEVICE_ID_BASE},
        )
        assert r.status_code == 403


async def test_v6_commands_get_file_redirect_and_errors() -> None:
    clock = ManualClock()
    app = _app(clock)
    async with _client(app) as http:
        sid = await _v6_session(http, clock)
        r = await http.post(
            f"{V6}/sessions/{sid}/commands",
            json={"session_id": sid, "name": "get file", "path": "C:\\Windows\\system.ini"},
        )
        created = r.json()
        assert created["id"] == 0
        assert created["status"] in ("PENDING", "IN_PROGRESS")
        file_id = created["file_details"]["file_id"]
        uuid.UUID(file_id)
        clock.advance(1)
        done = (await http.get(f"{V6}/sessions/{sid}/commands/0")).json()
        assert done["status"] == "COMPLETE"
        assert done["object"] == "C:\\Windows\\system.ini"
        redirect = await http.get(f"{V6}/sessions/{sid}/files/{file_id}/content")
        assert redirect.status_code == 302
        location = redirect.headers["location"]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as anonymous:
            stored = await anonymous.get(location)  # no X-Auth-Token: storage needs none
        assert stored.status_code == 200
        assert stored.content.startswith(b"; for 16-bit app support")
        followed = await http.get(
            f"{V6}/sessions/{sid}/files/{file_id}/content", follow_redirects=True
        )
        assert followed.content == stored.content
        failed = await _v6_run(http, clock, sid, {"name": "get file", "path": "C:\\nope.txt"})
        assert failed["status"] == "ERROR"
        assert failed["result_code"] == -2147024894  # signed on v6
        assert failed["result_type"] == "WinHresult"
        r = await http.delete(f"{V6}/sessions/{sid}/files/{file_id}")
        assert r.status_code == 204
        assert (await http.get(location)).status_code == 403  # storage link died with the file


async def test_v6_process_list_kill_and_registry() -> None:
    clock = ManualClock()
    app = _app(clock)
    device = DEVICE_ID_BASE + WIN
    async with _client(app) as http:
        sid = await _v6_session(http, clock)
        listing = await _v6_run(http, clock, sid, {"name": "process list"})
        rows = listing["processes"]
        assert isinstance(rows, list)
        assert {
            "process_pid",
            "process_path",
            "process_cmdline",
            "process_username",
            "parent_pid",
            "parent_guid",
            "proc_guid",
            "sid",
            "create_time",
        } == set(rows[0])
        assert rows[0]["proc_guid"].startswith(f"{ORG}-{device:08x}-")
        victim = next(p for p in rows if p["process_path"].endswith("chrome.exe"))
        killed = await _v6_run(http, clock, sid, {"name": "kill", "pid": victim["process_pid"]})
        assert killed["status"] == "COMPLETE"
        again = await _v6_run(http, clock, sid, {"name": "kill", "pid": victim["process_pid"]})
        assert again["status"] == "ERROR"
        assert again["result_code"] == -2147024809  # E_INVALIDARG, signed
        values = await _v6_run(
            http,
            clock,
            sid,
            {"name": "reg enum key", "path": "HKLM\\SYSTEM\\CurrentControlSet\\services\\ACPI"},
        )
        assert sorted(values["sub_keys"]) == ["Enum", "Parameters"]  # type: ignore[arg-type]
        start = next(v for v in values["values"] if v["value_name"] == "Start")  # type: ignore[union-attr]
        assert start == {"value_name": "Start", "value_type": "REG_DWORD", "value_data": 0}


async def test_v6_memdump_progress() -> None:
    clock = ManualClock()
    app = _app(clock, lr_command_delays={"memdump": 10.0}, lr_memdump_bytes=1000)
    async with _client(app) as http:
        sid = await _v6_session(http, clock)
        r = await http.post(
            f"{V6}/sessions/{sid}/commands",
            json={"name": "memdump", "path": "C:\\Windows\\Temp\\m.dmp", "compress": False},
        )
        cid = r.json()["id"]
        clock.advance(4)
        mid = (await http.get(f"{V6}/sessions/{sid}/commands/{cid}")).json()
        assert mid["status"] == "IN_PROGRESS"
        assert mid["percentdone"] == 40
        assert mid["dumping"] is True
        assert mid["complete"] is False
        clock.advance(7)
        done = (await http.get(f"{V6}/sessions/{sid}/commands/{cid}")).json()
        assert done["status"] == "COMPLETE"
        assert done["complete"] is True
        assert done["percentdone"] == 100
        listing = await _v6_run(
            http, clock, sid, {"name": "directory list", "path": "C:\\Windows\\Temp\\m.dmp"}
        )
        assert listing["files"] == [
            {**listing["files"][0], "filename": "m.dmp", "size": 1000}  # type: ignore[index]
        ]


async def test_v6_upload_limit_is_an_nginx_413() -> None:
    clock = ManualClock()
    app = _app(clock, lr_upload_limit=1024)
    async with _client(app) as http:
        sid = await _v6_session(http, clock)
        small = await http.post(f"{V6}/sessions/{sid}/files", files={"file": ("a.txt", b"abc")})
        assert small.status_code == 201
        uuid.UUID(small.json()["id"])
        big = await http.post(f"{V6}/sessions/{sid}/files", files={"file": ("b.bin", b"x" * 4096)})
        assert big.status_code == 413
        assert big.headers["content-type"].startswith("text/html")
        assert "<title>413 Request Entity Too Large</title>" in big.text
        put = await _v6_run(
            http,
            clock,
            sid,
            {"name": "put file", "path": "C:\\a.txt", "file_id": small.json()["id"]},
        )
        assert put["status"] == "COMPLETE"


async def test_v6_non_windows_has_no_registry_and_limit_counts_devices() -> None:
    clock = ManualClock()
    app = _app(clock, cloud_lr_slots=1)
    async with _client(app) as http:
        sid = await _v6_session(http, clock, LINUX)
        session = (await http.get(f"{V6}/sessions/{sid}")).json()
        assert not [c for c in session["supported_commands"] if c.startswith("reg")]
        r = await http.post(
            f"{V6}/sessions/{sid}/commands", json={"name": "reg enum key", "path": "HKLM"}
        )
        assert r.status_code == 400
        again = await http.post(f"{V6}/sessions", json={"device_id": DEVICE_ID_BASE + LINUX})
        assert again.status_code == 201  # the same device takes no new slot
        other = await http.post(f"{V6}/sessions", json={"device_id": DEVICE_ID_BASE + WIN})
        assert other.status_code == 403
        assert "session limit reached" in other.text


async def test_v6_idle_timeout_gives_not_found() -> None:
    clock = ManualClock()
    app = _app(clock, cloud_lr_idle_timeout=60.0)
    async with _client(app) as http:
        sid = await _v6_session(http, clock)
        await _v6_run(http, clock, sid, {"name": "process list"})
        clock.advance(61)
        r = await http.get(f"{V6}/sessions/{sid}/keepalive")
        assert r.status_code == 404
        assert r.json()["error_code"] == "NOT_FOUND"
    assert app.counters.snapshot()["live_response"]["cloud"]["expired"] == 1


# --------------------------------------------------------------------------------------------
# Legacy v3
# --------------------------------------------------------------------------------------------


async def test_v3_dialect() -> None:
    clock = ManualClock()
    app = _app(clock)
    device = DEVICE_ID_BASE + WIN
    async with _client(app) as http:
        r = await http.post(f"{V3}/session/{device}", json={"sensor_id": device})
        assert r.status_code == 200
        session = r.json()
        assert session["status"] == "PENDING"
        assert session["sensor_id"] == device
        sid = session["id"]
        clock.advance(2)
        assert (await http.get(f"{V3}/session/{sid}")).json()["status"] == "ACTIVE"
        r = await http.post(
            f"{V3}/session/{sid}/command",
            json={
                "name": "reg query value",
                "object": "HKLM\\SYSTEM\\CurrentControlSet\\services\\ACPI\\Start",
            },
        )
        clock.advance(1)
        done = (await http.get(f"{V3}/session/{sid}/command/{r.json()['id']}")).json()
        assert done["status"] == "complete"
        assert done["value"] == {"valueName": "Start", "valueType": "REG_DWORD", "valueData": 0}
        r = await http.post(
            f"{V3}/session/{sid}/command",
            json={"name": "get file", "object": "C:\\Windows\\win.ini"},
        )
        clock.advance(1)
        content = await http.get(f"{V3}/session/{sid}/file/{r.json()['file_id']}/content")
        assert content.status_code == 200
        assert content.content.startswith(b"; for 16-bit")
        r = await http.put(f"{V3}/session", json={"session_id": sid, "status": "CLOSE"})
        assert r.json()["success"] is True
        gone = await http.get(f"{V3}/session/{sid}")
        assert gone.status_code == 404
        assert gone.json()["status"] == "NOT_FOUND"


async def test_v3_uploads_pass_the_same_proxy_as_v6() -> None:
    clock = ManualClock()
    app = _app(clock, lr_upload_limit=1024)
    device = DEVICE_ID_BASE + WIN
    async with _client(app) as http:
        r = await http.post(f"{V3}/session/{device}", json={"sensor_id": device})
        sid = r.json()["id"]
        clock.advance(2)
        small = await http.post(f"{V3}/session/{sid}/file", files={"file": ("a.txt", b"abc")})
        assert small.status_code == 200
        big = await http.post(f"{V3}/session/{sid}/file", files={"file": ("b.bin", b"x" * 4096)})
        assert big.status_code == 413
        assert "<title>413 Request Entity Too Large</title>" in big.text
