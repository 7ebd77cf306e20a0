"""Live Response sessions end to end: slots held for a session's life, closed on every way out,
shared by a device's users, re-created when the server ends them, and never left pending."""

from __future__ import annotations

import dataclasses
from typing import Any

import anyio
import httpx
import pytest

from cbasync import errors
from cbasync._retry import RetryPolicy
from cbasync.response import CbResponseAPI, Sensor
from tests.clients import EMULATOR_BASE, emulator_client
from tests.live_response.conftest import (
    LINUX,
    MAC,
    OFFLINE,
    WINDOWS,
    WINDOWS_SERVER,
    Server,
    api_class,
)

pytestmark = pytest.mark.anyio


async def test_a_session_takes_a_slot_and_closes_on_every_way_out(server: Server) -> None:
    lr = server.lr
    device = server.device(WINDOWS)
    async with lr.session(device) as session:
        assert lr.slots.in_use == 1
        assert lr.sessions_open == 1
        assert server.counters.open == 1
        assert session.device_id == device == session.sensor_id
    assert (lr.slots.in_use, lr.sessions_open, server.counters.open) == (0, 0, 0)

    with pytest.raises(KeyError, match="mine"):
        async with lr.session(device):
            raise KeyError("mine")
    assert (lr.slots.in_use, server.counters.open) == (0, 0)

    with anyio.CancelScope() as scope:
        async with lr.session(device) as session:
            scope.cancel()
            await session.list_processes()
    assert scope.cancelled_caught
    assert (lr.slots.in_use, server.counters.open) == (0, 0)
    assert server.counters.closed == server.counters.created == 3

    with pytest.raises(errors.ClientStateError, match="closed"):
        await session.list_processes()  # used after its block


async def test_users_of_one_device_share_its_session(server: Server) -> None:
    seen: list[object] = []

    async def user() -> None:
        async with server.lr.session(server.device(WINDOWS)) as session:
            seen.append(session.session_id)
            await session.list_processes()
            await anyio.sleep(0.02)

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(user)
    assert len(set(seen)) == 1
    assert server.counters.created == 1
    assert server.lr.slots.most_in_use == 1
    assert server.counters.open == 0


@dataclasses.dataclass
class Device:
    """A model of another product, or the user's own: anything with an ``id``."""

    id: int


async def test_devices_are_ids_or_objects_with_one(server: Server) -> None:
    async with server.lr.session(Device(server.device(WINDOWS))) as session:
        assert session.device_id == server.device(WINDOWS)
    with pytest.raises(TypeError, match="integer id"):
        async with server.lr.session("WIN-1"):  # type: ignore[arg-type]
            pass


@pytest.mark.parametrize("dialect", ["edr"])
async def test_an_edr_sensor_opens_its_own_session(server: Server) -> None:
    assert isinstance(server.api, CbResponseAPI)
    sensor = await server.api.get(Sensor, server.device(WINDOWS_SERVER))
    async with sensor.lr_session() as lr:
        assert lr.sensor_id == sensor.id
        assert await lr.get_file("C:\\Windows\\win.ini")
    assert server.counters.open == 0


async def test_an_offline_device_times_out_and_leaves_no_session_pending(server: Server) -> None:
    with pytest.raises(errors.TimeoutError, match="to become active") as raised:
        async with server.lr.session(server.device(OFFLINE), max_wait=0.3):
            pass
    assert raised.value.last_response is not None  # the pending session it saw last
    assert server.counters.created == 1
    assert server.counters.open == 0  # closed, not left to occupy a slot until check_in_timeout
    assert server.lr.slots.in_use == 0

    with anyio.move_on_after(0.2) as scope:  # the same when the caller gives up first
        async with server.lr.session(server.device(OFFLINE)):
            pass
    assert scope.cancelled_caught
    assert server.counters.open == 0
    assert server.lr.slots.in_use == 0


async def test_an_unknown_device_is_not_found_and_takes_no_slot(server: Server) -> None:
    with pytest.raises(errors.ObjectNotFoundError):
        async with server.lr.session(server.device(500)):
            pass
    assert server.lr.slots.in_use == 0
    assert server.counters.created == 0


@pytest.mark.parametrize("config", [{"lr_idle_timeout": 0.2, "cloud_lr_idle_timeout": 0.2}])
async def test_a_command_on_an_expired_session_recreates_it_once(server: Server) -> None:
    async with server.lr.session(server.device(WINDOWS)) as session:
        first = session.session_id
        await session.list_processes()
        await anyio.sleep(0.4)  # idle beyond the server's timeout: it ends the session
        assert await session.get_file("C:\\Windows\\win.ini")
        assert session.session_id != first
        await session.put_file(b"after", "C:\\Windows\\Temp\\after.txt")
    assert server.counters.expired == 1
    assert server.counters.created == 2
    assert server.counters.open == 0


@pytest.mark.parametrize("config", [{"lr_idle_timeout": 0.4, "cloud_lr_idle_timeout": 0.4}])
async def test_keepalive_keeps_an_idle_session(server: Server) -> None:
    # Keepalives every 50 ms against a 400 ms idle timeout: a busy machine has margin.
    async with server.lr.session(server.device(WINDOWS), keepalive=0.05) as session:
        await session.list_processes()
        await anyio.sleep(0.9)
        await session.list_processes()
    assert server.counters.created == 1
    assert server.counters.expired == 0
    with pytest.raises(ValueError, match="keepalive"):
        async with server.lr.session(server.device(WINDOWS), keepalive=-1):
            pass


@pytest.mark.parametrize("config", [{"lr_slots": 2, "cloud_lr_slots": 2}])
async def test_the_server_s_session_limit_shrinks_the_pool_instead_of_failing(
    server: Server,
) -> None:
    lr = server.lr
    lr.max_sessions = 4  # more than the server allows
    devices = [server.device(i) for i in (WINDOWS, WINDOWS_SERVER, MAC, LINUX, 5, 6)]

    async def job(session: Any) -> int:
        await anyio.sleep(0.05)
        return len(await session.list_processes())

    async with lr.run(job, devices) as results:
        outcomes = [result async for result in results]
    assert all(result.ok for result in outcomes), [r.error for r in outcomes]
    assert lr.slots.refusals >= 1
    assert server.counters.slot_limit_violations == lr.slots.refusals
    assert server.counters.max_concurrent <= 2
    assert server.counters.open == 0


@pytest.mark.parametrize("config", [{"lr_slots": 1, "cloud_lr_slots": 1}])
async def test_with_no_session_of_its_own_open_a_refused_client_waits_for_a_slot(
    server: Server,
) -> None:
    async with emulator_client(server.app, api_class(server.dialect)) as other:
        other_lr = Server(server.dialect, server.app, other).lr
        server.lr.slots.recover_after = 0.05
        async with other_lr.session(server.device(LINUX)):
            # Bounded by max_wait: nothing of this client's will free the server's one slot.
            with pytest.raises(errors.TimeoutError, match="no free session slot"):
                async with server.lr.session(server.device(WINDOWS), max_wait=0.3):
                    pass
            assert server.lr.slots.in_use == 0

        listed: list[int] = []

        async def ours() -> None:
            async with server.lr.session(server.device(WINDOWS), max_wait=10) as session:
                listed.append(len(await session.list_processes()))

        refused = server.lr.slots.refusals
        async with anyio.create_task_group() as tg, other_lr.session(server.device(LINUX)):
            tg.start_soon(ours)
            await anyio.sleep(0.3)
            assert server.lr.slots.refusals > refused  # refused, and waiting
            assert listed == []
            # The other client's session is closed: ours opens once the pool recovers.
    assert listed
    assert server.counters.open == 0


async def test_max_sessions_is_bounded_by_what_the_server_allows(server: Server) -> None:
    lr = server.lr
    if server.dialect == "edr":
        lr.max_sessions = 250  # EDR's limit is its administrator's
        assert lr.max_sessions == 250
    else:
        with pytest.raises(ValueError, match="at most 100"):
            lr.max_sessions = 101
        lr.max_sessions = 100
    with pytest.raises(ValueError, match="integer >= 1"):
        lr.max_sessions = 0
    # One pool per client: with_options() copies share it, as do the cloud's v6 and v3.
    assert server.api.with_options(timeout=5).live_response.slots is lr.slots


class _FailingCloses(httpx.AsyncBaseTransport):
    """The emulator, but the first ``failures`` session closes (PUT and DELETE) answer 503."""

    def __init__(self, app: Any, failures: int) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.failures = failures

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path  # EDR: PUT .../session/{id}; v6: DELETE .../sessions/{id};
        closing = request.method in {"PUT", "DELETE"} and "/session" in path  # v3: PUT .../session
        if closing and "/command" not in path and self.failures > 0:
            self.failures -= 1
            return httpx.Response(503)
        return await self.inner.handle_async_request(request)


async def test_a_session_whose_close_fails_keeps_its_slot_until_a_close_gets_through(
    server: Server,
) -> None:
    # Still open on the server, it still takes a server slot: given back, the next session
    # would be one more than the server allows (the chaos suite's slot-limit violations).
    attempts = RetryPolicy().max_retries + 1
    failing = _FailingCloses(server.app, failures=attempts)  # one whole close fails
    retry = RetryPolicy(backoff_base=0.0)
    cls = api_class(server.dialect)
    org = {"org_key": server.app.config.org_key} if cls.product == "cloud" else {}
    async with cls(
        url=EMULATOR_BASE, token=server.app.config.token, transport=failing, environ={},
        retry_policy=retry, **org,
    ) as api:  # fmt: skip
        lr = Server(server.dialect, server.app, api).lr
        async with lr.session(server.device(WINDOWS)) as session:
            await session.list_processes()
        assert server.counters.open == 1  # the close did not get through
        assert (lr.slots.in_use, lr.sessions_open) == (1, 1)
        async with lr.session(server.device(LINUX)):
            pass  # the next session's end tries the first one again
        assert (server.counters.open, lr.slots.in_use, lr.sessions_open) == (0, 0, 0)

        failing.failures = attempts
        async with lr.session(server.device(MAC)):
            pass
        assert (server.counters.open, lr.slots.in_use) == (1, 1)
    assert server.counters.open == 0  # closing the client makes a last try


class _LostAnswer(httpx.AsyncBaseTransport):
    """The emulator, but the answer to the first session-creating POST is lost on its way back
    (the session exists on the server; the client sees a broken connection)."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.lost = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if (
            request.method == "POST"
            and request.url.path.endswith("/cblr/session")
            and not self.lost
        ):
            self.lost += 1
            raise httpx.ReadError("connection reset by peer")
        return response


@pytest.mark.parametrize("dialect", ["edr"])
async def test_a_session_whose_creating_answer_was_lost_is_found_and_closed(
    server: Server,
) -> None:
    # Left alone, it would hold one of the server's slots, unknown to anyone, until it expired
    # (the chaos suite's sessions left open at the end).
    lost = _LostAnswer(server.app)
    async with CbResponseAPI(
        url=EMULATOR_BASE, token=server.app.config.token, transport=lost, environ={}
    ) as api:
        lr = Server(server.dialect, server.app, api).lr
        async with lr.session(server.device(WINDOWS)) as session:
            assert await session.list_processes()
        assert lost.lost == 1
    assert server.counters.created == 1  # the session the lost answer created was taken
    assert server.counters.open == 0
