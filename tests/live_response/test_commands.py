"""Every Live Response command end to end against the emulator, on EDR, Cloud v6 and the
legacy Cloud v3: results checked against the endpoint's own disk, registry and processes."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from cbasync import errors
from cbasync.live_response import LiveResponseSession
from tests.live_response.conftest import LINUX, WINDOWS, Server

pytestmark = pytest.mark.anyio

TEMP = "C:\\Windows\\Temp\\"
WIN_INI = "C:\\Windows\\win.ini"
ACPI = "HKLM\\SYSTEM\\CurrentControlSet\\services\\ACPI"


async def test_get_file_returns_the_endpoint_s_bytes_whole_in_part_and_streamed(
    server: Server, tmp_path: Path
) -> None:
    expected = server.image(WINDOWS).read_file(WIN_INI)
    async with server.lr.session(server.device(WINDOWS)) as lr:
        assert await lr.get_file(WIN_INI) == expected
        assert await lr.get_file(WIN_INI, offset=2, count=10) == expected[2:12]
        async with lr.stream_file(WIN_INI) as chunks:
            assert b"".join([chunk async for chunk in chunks]) == expected
        saved = await lr.download_file(WIN_INI, tmp_path / "win.ini")
        assert saved.read_bytes() == expected


async def test_a_missing_file_is_a_live_response_error_with_the_win32_code(server: Server) -> None:
    async with server.lr.session(server.device(WINDOWS)) as lr:
        with pytest.raises(errors.LiveResponseError) as raised:
            await lr.get_file("C:\\no\\such\\file.txt")
        assert raised.value.result_code == 0x80070003  # the directory is missing too
        assert "ERROR_PATH_NOT_FOUND" in str(raised.value)
        with pytest.raises(errors.LiveResponseError) as raised:
            await lr.get_file(TEMP + "missing.txt")
        assert raised.value.result_code == 0x80070002
        assert raised.value.result_type == "WinHresult"
        assert "ERROR_FILE_NOT_FOUND: The system cannot find the file specified." in str(
            raised.value
        )
        assert "missing.txt" in str(raised.value)
        # The session is still good after a failed command.
        assert await lr.get_file(WIN_INI)


async def chunks_of(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        await anyio.lowlevel.checkpoint()
        yield data[start : start + size]


async def test_put_file_from_bytes_a_path_and_a_stream_then_delete(
    server: Server, tmp_path: Path
) -> None:
    local = tmp_path / "local.bin"
    local.write_bytes(bytes(range(256)) * 300)
    async with server.lr.session(server.device(WINDOWS)) as lr:
        await lr.put_file(b"from bytes\r\n", TEMP + "a.txt")
        await lr.put_file(local, TEMP + "b.bin")
        await lr.put_file(chunks_of(b"streamed " * 5000, 4096), TEMP + "c.txt")
        image = server.image(WINDOWS)
        assert image.read_file(TEMP + "a.txt") == b"from bytes\r\n"
        assert image.read_file(TEMP + "b.bin") == local.read_bytes()
        assert await lr.get_file(TEMP + "c.txt") == b"streamed " * 5000
        await lr.delete_file(TEMP + "a.txt")
        names = {entry.filename for entry in await lr.list_directory(TEMP)}
        assert {"b.bin", "c.txt"} <= names
        assert "a.txt" not in names
        with pytest.raises(TypeError, match="ambiguous"):
            await lr.put_file("C:\\some\\local\\path", TEMP + "d.txt")  # type: ignore[arg-type]


async def test_directories_list_create_and_walk(server: Server) -> None:
    image = server.image(WINDOWS)
    async with server.lr.session(server.device(WINDOWS)) as lr:
        listing = await lr.list_directory("C:\\Windows\\")
        assert [e.filename for e in listing] == [
            e.filename for e in image.list_directory("C:\\Windows\\")
        ]
        assert listing[0]["filename"] == "."  # read like cbapi's dicts too
        assert listing[0].is_directory
        await lr.create_directory(TEMP + "walked")
        await lr.create_directory(TEMP + "walked\\inner")
        await lr.put_file(b"1", TEMP + "walked\\one.txt")
        await lr.put_file(b"2", TEMP + "walked\\inner\\two.txt")
        top = TEMP + "walked"
        down = [entry async for entry in lr.walk(top)]
        assert down == [
            (top, ["inner"], ["one.txt"]),
            (top + "\\inner", [], ["two.txt"]),
        ]
        up = [entry async for entry in lr.walk(top, topdown=False)]
        assert up == list(reversed(down))
        pruned = []
        async for directory, subdirectories, _files in lr.walk(top):
            pruned.append(directory)
            subdirectories.clear()  # as with os.walk: do not go below
        assert pruned == [top]
        seen: list[errors.ApiError] = []
        assert [entry async for entry in lr.walk(TEMP + "nowhere", onerror=seen.append)] == []
        assert isinstance(seen[0], errors.LiveResponseError)
        with pytest.raises(errors.LiveResponseError):
            _ = [entry async for entry in lr.walk(TEMP + "nowhere")]


async def test_processes_list_create_with_output_and_kill(server: Server) -> None:
    async with server.lr.session(server.device(WINDOWS)) as lr:
        processes = await lr.list_processes()
        assert {p.pid for p in processes} == {p.pid for p in server.image(WINDOWS).process_list()}
        system = next(p for p in processes if p.pid == 4)
        assert system.username == "NT AUTHORITY\\SYSTEM"
        assert system["username"] == system.username

        kept = TEMP + "whoami.txt"
        created = await lr.create_process("cmd.exe /c whoami", output_file=kept)
        assert created.return_code == 0
        assert created.output
        assert created.output == await lr.get_file(kept)  # the output as the endpoint has it

        again = await lr.create_process("cmd.exe /c whoami")  # a temporary output file...
        assert again.output == created.output
        leftovers = [e.filename for e in await lr.list_directory(TEMP) if "cblr." in e.filename]
        assert leftovers == []  # ...deleted after it was read

        started = await lr.create_process(
            "C:\\Windows\\System32\\notepad.exe",
            wait_for_output=False,
            wait_for_completion=False,
            working_directory="C:\\Windows\\Temp",
        )
        assert started.pid is not None
        assert started.output is None
        assert started.pid in {p.pid for p in await lr.list_processes()}
        await lr.kill_process(started.pid)
        assert started.pid not in {p.pid for p in await lr.list_processes()}
        with pytest.raises(errors.LiveResponseError):
            await lr.kill_process(started.pid)


async def test_registry_read_write_with_inferred_types(server: Server) -> None:
    key = "HKLM\\SOFTWARE\\CbasyncTest"
    async with server.lr.session(server.device(WINDOWS)) as lr:
        acpi = await lr.list_registry_keys_and_values(ACPI)
        truth_keys, truth_values = server.image(WINDOWS).reg_enum_key(ACPI)
        assert acpi.sub_keys == truth_keys
        assert [v.value_name for v in acpi.values] == [
            v.as_dict()["value_name"] for v in truth_values
        ]
        start = await lr.get_registry_value(ACPI + "\\Start")
        assert start.value_type == "REG_DWORD"
        assert (
            start["value_data"]
            == server.image(WINDOWS).reg_query_value(ACPI + "\\Start").as_dict()["value_data"]
        )

        await lr.create_registry_key(key)
        values: dict[str, Any] = {
            "Name": ("cbasync", "REG_SZ"),
            "Count": (7, "REG_DWORD"),
            "Big": (1 << 40, "REG_QWORD"),
            "List": (["a", "b"], "REG_MULTI_SZ"),
        }
        for name, (data, _) in values.items():
            await lr.set_registry_value(f"{key}\\{name}", data)
        await lr.set_registry_value(f"{key}\\Path", "%TEMP%", value_type="REG_EXPAND_SZ")
        for name, (data, kind) in values.items():
            value = await lr.get_registry_value(f"{key}\\{name}")
            assert (value.value_name, value.value_type, value.value_data) == (name, kind, data)
        assert (await lr.get_registry_value(f"{key}\\Path")).value_type == "REG_EXPAND_SZ"
        assert {v.value_name for v in (await lr.list_registry_keys_and_values(key)).values} == {
            *values,
            "Path",
        }
        await lr.delete_registry_value(f"{key}\\Name")
        with pytest.raises(errors.LiveResponseError):
            await lr.get_registry_value(f"{key}\\Name")
        await lr.delete_registry_value(f"{key}\\Count")
        await lr.delete_registry_value(f"{key}\\Big")
        await lr.delete_registry_value(f"{key}\\List")
        await lr.delete_registry_value(f"{key}\\Path")
        await lr.delete_registry_key(key)
        with pytest.raises(errors.LiveResponseError):
            await lr.list_registry_keys_and_values(key)
        with pytest.raises(TypeError, match="value_type"):
            await lr.set_registry_value(f"{key}\\X", 1.5)  # type: ignore[arg-type]


async def test_memory_dump_started_waited_fetched_and_deleted(
    server: Server, tmp_path: Path
) -> None:
    size = server.app.config.lr_memdump_bytes
    async with server.lr.session(server.device(WINDOWS)) as lr:
        dump = await lr.start_memdump(TEMP + "mem.dmp", compress=True)
        assert dump.remote_path == TEMP + "mem.dmp.zip"
        await dump.wait()
        saved = await dump.download(tmp_path / "mem.zip")
        assert saved.stat().st_size == size
        assert saved.read_bytes()[:2] == b"PK"
        await dump.delete()
        assert "mem.dmp.zip" not in {e.filename for e in await lr.list_directory(TEMP)}

        one_call = await lr.memdump(tmp_path / "raw.dmp")
        assert one_call.stat().st_size == size
        assert not [e for e in await lr.list_directory(TEMP) if e.filename.startswith("cblr.")]


async def test_a_command_the_sensor_lacks_raises_before_any_request(server: Server) -> None:
    async with server.lr.session(server.device(LINUX)) as lr:
        assert "reg set value" not in lr.supported_commands
        assert not lr.os_windows
        sent = server.counters.commands
        with pytest.raises(errors.ApiError, match="does not support 'reg set value'"):
            await lr.set_registry_value("HKLM\\SOFTWARE\\X", "y")
        with pytest.raises(ValueError, match="not a Live Response command"):
            await lr.run_command("format c:")
        assert server.counters.commands == sent
        # Its paths are POSIX ones.
        assert lr.path_join("/tmp", "x") == "/tmp/x"
        passwd = await lr.get_file("/etc/passwd")
        assert passwd == server.image(LINUX).read_file("/etc/passwd")


async def test_the_session_archive_where_the_server_has_one(server: Server) -> None:
    async with server.lr.session(server.device(WINDOWS)) as lr:
        await lr.list_processes()
        if server.dialect == "v6":
            with pytest.raises(errors.ApiError, match="no session archive"):
                await lr.get_session_archive()
            return
        archive = zipfile.ZipFile(io.BytesIO(await lr.get_session_archive()))
        log = json.loads(archive.read("commands.json"))
        assert [entry["name"] for entry in log] == ["process list"]


async def test_keepalive_and_any_command_by_name(server: Server) -> None:
    async with server.lr.session(server.device(WINDOWS)) as lr:
        await lr.keepalive()
        done = await lr.run_command("directory list", TEMP)
        assert done.status == "complete"
        assert done.files is not None


@pytest.mark.parametrize("dialect", ["v6", "v3"])
@pytest.mark.parametrize("config", [{"lr_upload_limit": 2048}])
async def test_an_upload_above_the_proxy_s_limit_is_a_clear_error(server: Server) -> None:
    async with server.lr.session(server.device(WINDOWS)) as lr:
        await lr.put_file(b"x" * 1000, TEMP + "small.bin")
        with pytest.raises(errors.ClientError, match="too large") as raised:
            await lr.put_file(b"x" * 4096, TEMP + "big.bin")
        assert raised.value.status == 413
        assert "4,096 bytes" in str(raised.value)
        assert "big.bin" not in {e.filename for e in await lr.list_directory(TEMP)}


async def test_concurrent_commands_on_one_session_all_complete(server: Server) -> None:
    results: dict[str, Any] = {}
    async with server.lr.session(server.device(WINDOWS)) as lr:

        async def run(name: str, session: LiveResponseSession) -> None:
            if name == "files":
                results[name] = await session.list_directory(TEMP)
            elif name == "ini":
                results[name] = await session.get_file(WIN_INI)
            else:
                results[name] = await session.list_processes()

        async with anyio.create_task_group() as tg:
            for name in ("files", "ini", "processes"):
                tg.start_soon(run, name, lr)
    assert results["ini"] == server.image(WINDOWS).read_file(WIN_INI)
    assert results["files"]
    assert results["processes"]
    assert server.counters.created == 1
