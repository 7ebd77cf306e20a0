"""The Live Response state machine, below HTTP, on a manual clock."""

from __future__ import annotations

import io
import zipfile

import pytest

from cbasync.testing import EmulatorConfig, ManualClock
from cbasync.testing.counters import Counters
from cbasync.testing.dataset.vfs import (
    E_ACCESS_DENIED,
    E_FILE_NOT_FOUND,
    E_INVALIDARG,
    EndpointImage,
    OsFamily,
)
from cbasync.testing.live_response import (
    COMMANDS,
    Command,
    CommandRejectedError,
    CommandState,
    LiveResponseBackend,
    LrDevice,
    LrPolicy,
    ObjectNotFoundError,
    SessionLimitError,
    SessionNotFoundError,
    SessionState,
    UnknownDeviceError,
)
from cbasync.testing.live_response.service import cloud_backend, edr_backend
from cbasync.testing.state import EmulatorState

EPOCH = 1_714_521_600.0


class Fleet:
    """A DeviceDirectory of hand-made devices."""

    def __init__(self) -> None:
        self.devices: dict[int, LrDevice] = {}
        self.online: dict[int, bool] = {}
        self.images: dict[int, EndpointImage] = {}

    def add(self, device_id: int, os: OsFamily = "WINDOWS", *, online: bool = True) -> None:
        self.devices[device_id] = LrDevice(device_id, f"host-{device_id}", "10.0.0.9", os, "x")
        self.online[device_id] = online
        self.images[device_id] = EndpointImage(
            seed=7, key=device_id, os=os, hostname=f"host-{device_id}", base_time=EPOCH
        )

    def lr_device(self, device_id: int) -> LrDevice | None:
        return self.devices.get(device_id)

    def lr_online(self, device_id: int) -> bool:
        return self.online.get(device_id, False)

    def lr_image(self, device_id: int) -> EndpointImage:
        return self.images[device_id]


def make(**policy: object) -> tuple[LiveResponseBackend, ManualClock, Fleet, Counters]:
    clock = ManualClock(EPOCH)
    fleet = Fleet()
    for i in range(1, 16):
        fleet.add(i)
    fleet.add(100, "LINUX")
    fleet.add(200, online=False)
    counters = Counters()
    defaults: dict[str, object] = {"activation_delay": 2.0, "command_delay": 0.5}
    defaults.update(policy)
    backend = LiveResponseBackend(LrPolicy(**defaults), fleet, clock, counters)  # type: ignore[arg-type]
    return backend, clock, fleet, counters


def active(backend: LiveResponseBackend, clock: ManualClock, device_id: int = 1):  # type: ignore[no-untyped-def]
    session = backend.create_session(device_id, "tester")
    clock.advance(2.0)
    assert backend.session(session.id).state is SessionState.ACTIVE
    return session


def code(command: Command) -> int | None:
    """The HRESULT of a failed command (None when it did not fail)."""
    return command.error[0] if command.error is not None else None


def run(backend: LiveResponseBackend, clock: ManualClock, session, name, target=None, **opts):  # type: ignore[no-untyped-def]
    command = backend.post_command(session.id, name, target, opts, username="tester")
    clock.advance(backend.policy.delay(name) + 0.001)
    backend.advance()
    return command


def test_session_activates_after_the_delay_only_when_online() -> None:
    backend, clock, _, _ = make()
    session = backend.create_session(1, "tester")
    offline = backend.create_session(200, "tester")
    assert session.state is SessionState.PENDING
    clock.advance(1.9)
    assert backend.session(session.id).state is SessionState.PENDING
    clock.advance(0.2)
    assert backend.session(session.id).state is SessionState.ACTIVE
    assert backend.session(session.id).check_in_time == pytest.approx(EPOCH + 2.0)
    clock.advance(600)
    assert backend.session(offline.id).state is SessionState.PENDING


def test_offline_session_expires_at_check_in_timeout() -> None:
    backend, clock, _, counters = make(check_in_timeout=900.0)
    offline = backend.create_session(200, "tester")
    clock.advance(899)
    assert backend.session(offline.id).state is SessionState.PENDING
    clock.advance(2)
    with pytest.raises(SessionNotFoundError):
        backend.session(offline.id)
    assert counters.lr("edr").expired == 1
    assert counters.lr("edr").open == 0


def test_unknown_device_is_refused() -> None:
    backend, _, _, _ = make()
    with pytest.raises(UnknownDeviceError):
        backend.create_session(999, "tester")


def test_slot_limit_counts_sessions_and_frees_on_close() -> None:
    backend, _, _, counters = make(slots=3)
    sessions = [backend.create_session(i, "tester") for i in (1, 2, 200)]
    with pytest.raises(SessionLimitError) as info:
        backend.create_session(4, "tester")
    assert info.value.limit == 3
    assert "session limit reached" in str(info.value)
    assert counters.lr("edr").slot_limit_violations == 1
    backend.close_session(sessions[0].id)
    backend.create_session(4, "tester")
    c = counters.lr("edr")
    assert (c.created, c.open, c.max_concurrent, c.closed) == (4, 3, 3, 1)


def test_cloud_slots_count_devices_not_sessions() -> None:
    backend, _, _, _ = make(slots=2, slots_per_device=True, session_ids="seq:device")
    a = backend.create_session(1, "u1")
    b = backend.create_session(1, "u2")  # same device: no new slot
    backend.create_session(2, "u1")
    assert a.id != b.id
    assert str(a.id).endswith(":1")
    with pytest.raises(SessionLimitError):
        backend.create_session(3, "u1")
    backend.create_session(2, "u3")  # still fine: device 2 already holds a slot


def test_cloud_session_ids_must_match_their_device() -> None:
    backend, _, _, _ = make(session_ids="seq:device")
    session = backend.create_session(5, "tester")
    seq = str(session.id).split(":")[0]
    assert backend.session(f"{seq}:5") is session
    for bad in (f"{seq}:6", seq, "x:5", ""):
        with pytest.raises(SessionNotFoundError):
            backend.session(bad)


def test_commands_run_in_order_with_their_delays() -> None:
    backend, clock, _, _ = make(command_delays={"process list": 3.0})
    session = active(backend, clock)
    first = backend.post_command(session.id, "process list", None, username="t")
    second = backend.post_command(session.id, "directory list", "C:\\", username="t")
    assert first.status(clock.monotonic()) is CommandState.IN_PROGRESS
    assert second.status(clock.monotonic()) is CommandState.PENDING
    clock.advance(3.0)
    backend.advance()
    assert first.state is CommandState.COMPLETE
    assert second.status(clock.monotonic()) is CommandState.IN_PROGRESS
    clock.advance(0.5)
    backend.advance()
    assert second.state is CommandState.COMPLETE
    assert [c.id for c in backend.commands(session.id)] == [1, 2]


def test_commands_wait_for_activation() -> None:
    backend, clock, _, _ = make()
    session = backend.create_session(1, "tester")
    command = backend.post_command(session.id, "process list", None, username="t")
    clock.advance(1.0)
    backend.advance()
    assert command.status(clock.monotonic()) is CommandState.PENDING
    clock.advance(1.5)  # active at 2.0, done at 2.5
    backend.advance()
    assert command.state is CommandState.COMPLETE


def test_get_file_reads_the_endpoint_disk_with_offset_and_count() -> None:
    backend, clock, fleet, _ = make()
    session = active(backend, clock)
    whole = run(backend, clock, session, "get file", "C:\\Windows\\System32\\drivers\\etc\\hosts")
    expected = fleet.images[1].read_file("C:\\Windows\\System32\\drivers\\etc\\hosts")
    assert whole.file is not None
    assert backend.file_content(session.id, whole.file.id) == expected
    part = run(
        backend, clock, session, "get file", "c:\\windows\\system32\\cmd.exe", offset=0, get_count=2
    )
    assert part.file is not None
    assert backend.file_content(session.id, part.file.uuid) == b"MZ"


def test_missing_and_locked_files_fail_with_hresults() -> None:
    backend, clock, _, _ = make()
    session = active(backend, clock)
    missing = run(backend, clock, session, "get file", "C:\\no\\such.txt")
    assert missing.state is CommandState.ERROR
    assert code(missing) == 0x80070003  # path not found
    missing = run(backend, clock, session, "get file", "C:\\nothing.txt")
    assert code(missing) == E_FILE_NOT_FOUND
    assert missing.file is not None
    assert missing.file.status == E_FILE_NOT_FOUND
    with pytest.raises(ObjectNotFoundError):
        backend.file_content(session.id, missing.file.id)
    denied = run(backend, clock, session, "delete file", "C:\\Windows\\System32\\config\\SAM")
    assert code(denied) == E_ACCESS_DENIED
    bad_kill = run(backend, clock, session, "kill", 99_999)
    assert code(bad_kill) == E_INVALIDARG


def test_put_file_then_list_then_get_round_trip() -> None:
    backend, clock, _, _ = make()
    session = active(backend, clock)
    upload = backend.upload(session.id, "payload.bin", b"\x00\x01payload")
    put = run(
        backend, clock, session, "put file", "C:\\Windows\\Temp\\payload.bin", file_id=upload.id
    )
    assert put.state is CommandState.COMPLETE
    listing = run(backend, clock, session, "directory list", "C:\\Windows\\Temp\\")
    names = [e.filename for e in listing.result["files"]]
    assert names[:2] == [".", ".."]
    assert "payload.bin" in names
    got = run(backend, clock, session, "get file", "C:\\Windows\\Temp\\payload.bin")
    assert got.file is not None
    assert backend.file_content(session.id, got.file.id) == b"\x00\x01payload"
    missing_upload = run(backend, clock, session, "put file", "C:\\x.bin", file_id=12345)
    assert missing_upload.state is CommandState.ERROR


def test_create_process_writes_its_output_file() -> None:
    backend, clock, fleet, _ = make()
    session = active(backend, clock)
    command = run(
        backend,
        clock,
        session,
        "create process",
        "cmd.exe /c echo hello",
        wait=True,
        output_file="C:\\Windows\\Temp\\out.txt",
        working_directory="C:\\Windows",
    )
    assert command.state is CommandState.COMPLETE
    assert command.result["return_code"] == 0
    assert isinstance(command.result["pid"], int)
    assert fleet.images[1].read_file("C:\\Windows\\Temp\\out.txt") == b"hello\r\n"
    started = run(backend, clock, session, "create process", "notepad.exe", wait=False)
    assert "return_code" not in started.result
    pids = [p.pid for p in fleet.images[1].process_list()]
    assert started.result["pid"] in pids
    killed = run(backend, clock, session, "kill", started.result["pid"])
    assert killed.state is CommandState.COMPLETE
    assert started.result["pid"] not in [p.pid for p in fleet.images[1].process_list()]


def test_registry_commands() -> None:
    backend, clock, _, _ = make()
    session = active(backend, clock)
    key = "HKLM\\SOFTWARE\\Acme"
    assert run(backend, clock, session, "reg create key", key).state is CommandState.COMPLETE
    set_cmd = run(
        backend,
        clock,
        session,
        "reg set value",
        f"{key}\\Level",
        value_type="REG_DWORD",
        value_data=7,
        overwrite=True,
    )
    assert set_cmd.state is CommandState.COMPLETE
    query = run(backend, clock, session, "reg query value", f"{key}\\Level")
    assert query.result["value"].as_dict() == {
        "value_name": "Level",
        "value_type": "REG_DWORD",
        "value_data": 7,
    }
    no_overwrite = run(
        backend, clock, session, "reg set value", f"{key}\\Level", value_type="REG_SZ",
        value_data="x", overwrite=False,
    )  # fmt: skip
    assert no_overwrite.state is CommandState.ERROR
    enum = run(backend, clock, session, "reg enum key", "HKLM\\SOFTWARE")
    assert "Acme" in enum.result["sub_keys"]
    assert run(backend, clock, session, "reg delete value", f"{key}\\Level").error is None
    assert run(backend, clock, session, "reg delete key", key).error is None
    gone = run(backend, clock, session, "reg enum key", key)
    assert code(gone) == E_FILE_NOT_FOUND
    denied = run(backend, clock, session, "reg enum key", "HKLM\\SAM")
    assert code(denied) == E_ACCESS_DENIED


def test_non_windows_sessions_have_no_registry_commands() -> None:
    backend, clock, _, _ = make()
    session = active(backend, clock, 100)
    assert not [c for c in session.supported_commands if c.startswith("reg ")]
    assert len(session.supported_commands) == len(COMMANDS) - 6
    with pytest.raises(CommandRejectedError):
        backend.post_command(session.id, "reg enum key", "HKLM", username="t")
    with pytest.raises(CommandRejectedError):
        backend.post_command(session.id, "format disk", "/", username="t")
    listing = run(backend, clock, session, "directory list", "/etc/")
    assert "passwd" in [e.filename for e in listing.result["files"]]


def test_memdump_reports_progress_and_writes_the_dump() -> None:
    backend, clock, fleet, _ = make(command_delays={"memdump": 10.0}, memdump_bytes=8192)
    session = active(backend, clock)
    command = backend.post_command(
        session.id, "memdump", "C:\\Windows\\Temp\\mem.dmp", {"compress": True}, username="t"
    )
    clock.advance(5.0)
    backend.advance()
    assert command.status(clock.monotonic()) is CommandState.IN_PROGRESS
    assert command.progress(clock.monotonic()) == pytest.approx(0.5)
    clock.advance(5.0)
    backend.advance()
    assert command.state is CommandState.COMPLETE
    assert fleet.images[1].file_size("C:\\Windows\\Temp\\mem.dmp.zip") == 8192
    assert fleet.images[1].read_file("C:\\Windows\\Temp\\mem.dmp.zip", 0, 4) == b"PK\x03\x04"


def test_idle_timeout_expires_active_sessions_and_keepalive_extends() -> None:
    backend, clock, _, counters = make(idle_timeout=300.0)
    session = active(backend, clock)
    clock.advance(250)
    backend.keepalive(session.id)
    clock.advance(250)
    assert backend.session(session.id).state is SessionState.ACTIVE
    clock.advance(51)
    with pytest.raises(SessionNotFoundError):
        backend.session(session.id)
    with pytest.raises(SessionNotFoundError):
        backend.post_command(session.id, "process list", None, username="t")
    assert backend.session(session.id, include_ended=True).state is SessionState.EXPIRED
    assert counters.lr("edr").expired == 1


def test_a_running_command_keeps_the_session_alive() -> None:
    backend, clock, _, _ = make(idle_timeout=10.0, command_delays={"memdump": 100.0})
    session = active(backend, clock)
    backend.post_command(session.id, "memdump", "C:\\m.dmp", username="t")
    clock.advance(60)
    assert backend.session(session.id).live
    clock.advance(45)  # done 100 s after activation (t=102), idle from then on
    assert backend.session(session.id).live
    clock.advance(6)  # t=113 > 102 + 10
    with pytest.raises(SessionNotFoundError):
        backend.session(session.id)


def test_initial_idle_timeout_applies_before_the_first_command() -> None:
    backend, clock, _, _ = make(idle_timeout=10.0, initial_idle_timeout=30.0)
    session = active(backend, clock)
    clock.advance(25)
    assert backend.session(session.id).live
    backend.post_command(session.id, "process list", None, username="t")
    clock.advance(10.4)
    assert backend.session(session.id).live
    clock.advance(0.2)
    with pytest.raises(SessionNotFoundError):
        backend.session(session.id)


def test_only_pending_commands_can_be_cancelled() -> None:
    backend, clock, _, _ = make()
    session = active(backend, clock)
    running = backend.post_command(session.id, "process list", None, username="t")
    queued = backend.post_command(session.id, "process list", None, username="t")
    with pytest.raises(CommandRejectedError):
        backend.cancel_command(session.id, running.id)
    backend.cancel_command(session.id, queued.id)
    clock.advance(5)
    backend.advance()
    assert queued.state is CommandState.CANCELLED
    assert running.state is CommandState.COMPLETE
    assert [c.id for c in backend.commands(session.id, status="canceled")] == [queued.id]


def test_close_ends_the_session_and_cancels_its_queue() -> None:
    backend, clock, _, counters = make()
    session = active(backend, clock)
    backend.post_command(session.id, "process list", None, username="t")
    queued = backend.post_command(session.id, "process list", None, username="t")
    backend.close_session(session.id)
    assert queued.state is CommandState.CANCELLED
    with pytest.raises(SessionNotFoundError):
        backend.close_session(session.id)
    ended = backend.sessions()
    assert ended[0].state is SessionState.CLOSED
    assert backend.sessions(active_only=True) == []
    assert counters.lr("edr").closed == 1
    clock.advance(backend.policy.closed_retention + 1)
    assert backend.sessions() == []


def test_storage_tokens_serve_the_file_until_they_expire() -> None:
    backend, clock, _, _ = make(storage_url_ttl=60.0)
    session = active(backend, clock)
    got = run(backend, clock, session, "get file", "C:\\Windows\\win.ini")
    assert got.file is not None
    token = backend.issue_download(session.id, got.file.uuid)
    stored, data = backend.redeem_download(token)
    assert stored is got.file
    assert data.startswith(b"; for 16-bit app support")
    clock.advance(61)
    with pytest.raises(ObjectNotFoundError):
        backend.redeem_download(token)


def test_archive_holds_the_command_log_and_files() -> None:
    backend, clock, _, _ = make()
    session = active(backend, clock)
    run(backend, clock, session, "get file", "C:\\Windows\\win.ini")
    with zipfile.ZipFile(io.BytesIO(backend.archive(session.id))) as archive:
        assert "commands.json" in archive.namelist()
        assert archive.read("files/1").startswith(b"; for 16-bit")


def test_max_commands_per_session() -> None:
    backend, clock, _, _ = make(max_commands=2)
    session = active(backend, clock)
    backend.post_command(session.id, "process list", None, username="t")
    backend.post_command(session.id, "process list", None, username="t")
    with pytest.raises(CommandRejectedError):
        backend.post_command(session.id, "process list", None, username="t")


def test_service_backends_follow_the_emulator_config() -> None:
    clock = ManualClock(EPOCH)
    state = EmulatorState(
        EmulatorConfig(devices=8, lr_slots=2, cloud_lr_slots=3, lr_activation=1.0), clock=clock
    )
    edr = edr_backend(state)
    cloud = cloud_backend(state)
    assert (edr.policy.slots, cloud.policy.slots) == (2, 3)
    online = state.endpoints[0]
    offline = state.endpoints[4]
    assert online.online
    assert not offline.online
    s1 = edr.create_session(online.sensor_id, "u")
    s2 = cloud.create_session(online.device_id, "u")
    s3 = cloud.create_session(offline.device_id, "u")
    clock.advance(1.0)
    assert edr.session(s1.id).state is SessionState.ACTIVE
    assert cloud.session(s2.id).state is SessionState.ACTIVE
    assert cloud.session(s3.id).state is SessionState.PENDING
    assert s1.device.hostname == online.hostname
    assert str(s2.id) == f"1:{online.device_id}"
    # One machine, one disk: a file put through EDR is visible to the cloud session.
    upload = edr.upload(s1.id, "f.txt", b"shared")
    edr.post_command(
        s1.id, "put file", "C:\\Windows\\Temp\\f.txt", {"file_id": upload.id}, username="u"
    )
    clock.advance(5)
    get = cloud.post_command(s2.id, "get file", "C:\\Windows\\Temp\\f.txt", username="u")
    clock.advance(5)
    assert get.file is not None
    assert cloud.file_content(s2.id, get.file.uuid) == b"shared"
    snapshot = state.counters.snapshot()["live_response"]
    assert snapshot["edr"]["open"] == 1
    assert snapshot["cloud"]["open"] == 2
