"""The exact Live Response requests on the wire (respx), per server (wire-protocol §2-3): the
routes, the bodies of every command, how each server's session is closed, and what is never
sent (a command the sensor lacks, a retry of the POST that creates a session)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
import respx
from trio.testing import MockClock

from cbasync import CBCloudAPI, CbResponseAPI, errors
from cbasync._polling import Backoff
from cbasync.live_response import LiveResponse
from tests.clients import BASE, ORG_KEY, respx_client

pytestmark = pytest.mark.anyio

EDR = "/api/v1/cblr"
V6 = f"/appservices/v6/orgs/{ORG_KEY}/liveresponse"
V3 = "/integrationServices/v3/cblr"
WINDOWS_COMMANDS = [
    "get file",
    "put file",
    "delete file",
    "directory list",
    "create directory",
    "reg enum key",
    "reg query value",
    "reg create key",
    "reg delete key",
    "reg delete value",
    "reg set value",
    "process list",
    "kill",
    "create process",
    "memdump",
]


class FakeServer:
    """Just enough of one server for respx: sessions active at once, commands complete at
    once, every command body recorded."""

    def __init__(
        self, router: respx.MockRouter, dialect: str, supported: list[str] = WINDOWS_COMMANDS
    ) -> None:
        self.dialect = dialect
        self.bodies: list[dict[str, Any]] = []
        self.next_id = 0 if dialect == "v6" else 1
        upper = dialect != "edr"
        self.session: dict[str, Any] = {
            "id": 7 if dialect == "edr" else "7:42",
            "status": "ACTIVE" if upper else "active",
            "supported_commands": supported,
            "drives": ["C:\\"],
            "current_working_directory": "C:\\Windows\\CarbonBlack",
            ("sensor_id" if dialect != "v6" else "device_id"): 42,
            "hostname": "WIN-1",
        }
        base, sid = {"edr": (EDR, "7"), "v6": (V6, "7:42"), "v3": (V3, "7:42")}[dialect]
        commands = "commands" if dialect == "v6" else "command"
        sessions = "sessions" if dialect == "v6" else "session"
        files = "files" if dialect == "v6" else "file"
        self.create = router.post(
            f"{base}/sessions"
            if dialect == "v6"
            else f"{base}/session"
            if dialect == "edr"
            else f"{base}/session/42"
        ).mock(return_value=httpx.Response(201 if dialect == "v6" else 200, json=self.session))
        router.get(f"{base}/{sessions}/{sid}").mock(
            return_value=httpx.Response(200, json=self.session)
        )
        self.post = router.post(f"{base}/{sessions}/{sid}/{commands}").mock(
            side_effect=self.command
        )
        router.get(url__regex=rf"{base}/{sessions}/{sid}/{commands}/\d+$").mock(
            side_effect=self.poll
        )
        self.upload = router.post(f"{base}/{sessions}/{sid}/{files}").mock(
            return_value=httpx.Response(201, json={"id": 5 if dialect != "v6" else "f-uuid"})
        )
        router.get(url__regex=rf"{base}/{sessions}/{sid}/{files}/[^/]+/content$").mock(
            return_value=httpx.Response(200, content=b"file bytes")
        )
        router.delete(url__regex=rf"{base}/{sessions}/{sid}/{files}/[^/]+$").mock(
            return_value=httpx.Response(204)
        )
        if dialect == "edr":
            self.close = router.put(f"{base}/session/7").mock(
                return_value=httpx.Response(200, json={**self.session, "status": "close"})
            )
        elif dialect == "v6":
            self.close = router.delete(f"{base}/sessions/7:42").mock(
                return_value=httpx.Response(204)
            )
        else:
            self.close = router.put(f"{base}/session").mock(
                return_value=httpx.Response(200, json={"success": True})
            )
        self.commands: dict[int, dict[str, Any]] = {}

    def command(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        command_id = self.next_id
        self.next_id += 1
        done: dict[str, Any] = {
            "id": command_id,
            "name": body["name"],
            "status": "COMPLETE" if self.dialect == "v6" else "complete",
            "result_code": 0,
            "pid": 1234,
            "return_code": 0,
            "value": {"value_name": "Start", "value_type": "REG_DWORD", "value_data": 0},
        }
        if self.dialect == "v3":
            done["value"] = {"valueName": "Start", "valueType": "REG_DWORD", "valueData": 0}
        if self.dialect == "v6":
            done["file_details"] = {"file_id": "f-uuid"}
        else:
            done["file_id"] = 5
        self.commands[command_id] = done
        pending = {**done, "status": "PENDING" if self.dialect == "v6" else "pending"}
        return httpx.Response(201 if self.dialect == "v6" else 200, json=pending)

    def poll(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=self.commands[int(request.url.path.rsplit("/", 1)[1])])


def live_response(dialect: str) -> LiveResponse:
    if dialect == "edr":
        lr = respx_client(CbResponseAPI).live_response
    else:
        api = respx_client(CBCloudAPI)
        lr = api.live_response_v3 if dialect == "v3" else api.live_response
    # These answers are instant: poll at once (the cadence is the emulator tests' business).
    lr.command_poll = lr.activation_poll = Backoff(initial=0.001, maximum=0.01)
    return lr


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        yield mock


@pytest.mark.parametrize("dialect", ["edr", "v6", "v3"])
async def test_every_command_s_body(router: respx.MockRouter, dialect: str) -> None:
    server = FakeServer(router, dialect)
    target = "path" if dialect == "v6" else "object"
    sid: Any = 7 if dialect == "edr" else "7:42"
    async with live_response(dialect).session(42) as lr:
        await lr.get_file("C:\\a.txt", offset=10, count=20)
        await lr.put_file(b"data", "C:\\b.txt")
        await lr.delete_file("C:\\b.txt")
        await lr.list_directory("C:\\Temp\\")
        await lr.create_directory("C:\\Temp\\new")
        await lr.list_registry_keys_and_values("HKLM\\SOFTWARE")
        await lr.get_registry_value("HKLM\\SOFTWARE\\Start")
        await lr.create_registry_key("HKLM\\SOFTWARE\\K")
        await lr.delete_registry_key("HKLM\\SOFTWARE\\K")
        await lr.delete_registry_value("HKLM\\SOFTWARE\\V")
        await lr.set_registry_value("HKLM\\SOFTWARE\\V", ["a", "b"], overwrite=False)
        await lr.list_processes()
        await lr.kill_process(1234)
        await lr.create_process(
            "cmd.exe /c dir",
            wait_for_output=False,
            working_directory="C:\\Temp",
            output_file="C:\\Temp\\out.txt",
        )
        await lr.start_memdump("C:\\m.dmp", compress=True)
    expected: list[dict[str, Any]] = [
        {"name": "get file", target: "C:\\a.txt", "offset": 10, "get_count": 20},
        {"name": "put file", target: "C:\\b.txt", "file_id": 5 if dialect != "v6" else "f-uuid"},
        {"name": "delete file", target: "C:\\b.txt"},
        {"name": "directory list", target: "C:\\Temp\\"},
        {"name": "create directory", target: "C:\\Temp\\new"},
        {"name": "reg enum key", target: "HKLM\\SOFTWARE"},
        {"name": "reg query value", target: "HKLM\\SOFTWARE\\Start"},
        {"name": "reg create key", target: "HKLM\\SOFTWARE\\K"},
        {"name": "reg delete key", target: "HKLM\\SOFTWARE\\K"},
        {"name": "reg delete value", target: "HKLM\\SOFTWARE\\V"},
        {
            "name": "reg set value",
            target: "HKLM\\SOFTWARE\\V",
            "value_type": "REG_MULTI_SZ",
            "value_data": ["a", "b"],
            "overwrite": False,
        },
        {"name": "process list"},
        {"name": "kill", ("pid" if dialect == "v6" else "object"): 1234},
        {
            "name": "create process",
            target: "cmd.exe /c dir",
            "wait": True,
            "output_file": "C:\\Temp\\out.txt",
            "working_directory": "C:\\Temp",
        },
        {"name": "memdump", target: "C:\\m.dmp", "compress": True},
    ]
    assert server.bodies == [{"session_id": sid, **body} for body in expected]
    assert server.upload.call_count == 1
    upload = server.upload.calls[0].request
    assert upload.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="file"; filename="b.txt"' in upload.content
    assert server.close.call_count == 1


@pytest.mark.parametrize("dialect", ["edr", "v6", "v3"])
async def test_how_each_server_opens_and_closes_a_session(
    router: respx.MockRouter, dialect: str
) -> None:
    server = FakeServer(router, dialect)
    async with live_response(dialect).session(42):
        pass
    opened = json.loads(server.create.calls[0].request.content)
    assert opened == ({"device_id": 42} if dialect == "v6" else {"sensor_id": 42})
    close = server.close.calls[0].request
    if dialect == "edr":  # the session object as last read, with the status changed
        assert json.loads(close.content) == {**server.session, "status": "close"}
    elif dialect == "v3":
        assert json.loads(close.content) == {"session_id": "7:42", "status": "CLOSE"}
    else:
        assert close.method == "DELETE"
        assert close.content == b""


async def test_a_command_the_sensor_lacks_sends_nothing(router: respx.MockRouter) -> None:
    server = FakeServer(router, "edr", supported=["process list"])
    async with live_response("edr").session(42) as lr:
        with pytest.raises(errors.ApiError, match="does not support 'memdump'"):
            await lr.start_memdump()
        with pytest.raises(errors.ApiError, match="does not support 'put file'"):
            await lr.put_file(b"x", "C:\\x")
    assert server.post.call_count == 0
    assert server.upload.call_count == 0


async def test_the_post_that_creates_a_session_is_never_resent(router: respx.MockRouter) -> None:
    create = router.post(f"{EDR}/session").mock(return_value=httpx.Response(503))
    # Instead, the server's open sessions are looked up for one the lost answer created.
    other = {"id": 7, "sensor_id": 41, "status": "active"}
    listing = router.get(f"{EDR}/session", params={"active_only": "true"}).respond(json=[other])
    with pytest.raises(errors.ServerError):
        async with live_response("edr").session(42):
            pass
    assert create.call_count == 1  # it may have reached the server: not blindly sent again
    assert listing.call_count == 1  # and it had not created one: the 503 is the answer


async def test_a_failed_command_is_decoded(router: respx.MockRouter) -> None:
    server = FakeServer(router, "v6")

    def failing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            201,
            json={
                "id": 0,
                "name": "get file",
                "status": "ERROR",
                "result_type": "WinHresult",
                "result_code": -2147024894,  # v6 sends it signed
                "result_desc": "File not found",
            },
        )

    server.post.mock(side_effect=failing)
    async with live_response("v6").session(42) as lr:
        with pytest.raises(errors.LiveResponseError) as raised:
            await lr.get_file("C:\\missing.txt")
    assert raised.value.result_code == 0x80070002
    assert "0x80070002 ERROR_FILE_NOT_FOUND" in str(raised.value)
    assert "(File not found)" in str(raised.value)


def test_a_429_block_longer_than_the_session_request_s_shield_is_waited_out_first() -> None:
    # The POST is shielded from cancellation for at most 30 s; a 429 block before it is
    # waited out first (cancellably), not inside that bound. Virtual time: no real 45 s.
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        server = FakeServer(router, "edr")
        info = router.get("/api/info").mock(
            side_effect=[httpx.Response(429, headers={"Retry-After": "45"}), httpx.Response(200)]
        )
        api = respx_client(CbResponseAPI)
        waited: list[float] = []

        async def main() -> None:
            async with api, anyio.create_task_group() as tg:
                tg.start_soon(api.transport.request, "GET", "/api/info")  # closes the gate
                await anyio.sleep(1)
                started = anyio.current_time()
                async with api.live_response.session(42) as lr:
                    assert lr.session_id == 7
                waited.append(anyio.current_time() - started)

        anyio.run(main, backend="trio", backend_options={"clock": MockClock(autojump_threshold=0)})
    assert server.create.call_count == 1
    assert info.call_count == 2
    assert waited[0] >= 44  # held back by the block, and then opened
