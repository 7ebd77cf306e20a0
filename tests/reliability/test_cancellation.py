"""Cancellation at random points, on asyncio and on trio, against an emulator over real TCP.

Each trial picks, from its seed, an operation — a paginated and prefetching EDR search, an Auth
Events job (submit, wait, page), a LiveQuery run and its wait, a binary download, a Live
Response session on EDR or on the cloud (open, commands, close), a Live Response pool run — and
a cancellation point: a random delay, or a random number of the event loop's checkpoints. Once
the operation is cancelled (or done), nothing may be left behind:

- no task still running (asyncio: ``all_tasks()``; trio: the whole nursery tree);
- no Live Response session open on the emulator (its counters);
- no connection checked out of the client's httpcore pool (each one idle or closed, no request
  waiting for one);
- no warning, no unraisable exception, no "Task was destroyed but it is pending!" (an un-awaited
  coroutine, an unfinished async generator or a destroyed task shows as one of these);
- and the same client still works: a follow-up request succeeds.

The clients live for the whole run, as in a long-running service that cancels work. A failure
names its seed: ``CBASYNC_CANCEL_SEED=<seed> pytest tests/reliability/test_cancellation.py``
replays that trial alone (its operation and cancellation point; the server's timing is real).
``CBASYNC_CANCEL_TRIALS`` sets the trials per event loop (``nox -s chaos`` runs more).
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import logging
import os
import random
import sys
import warnings
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest

from cbasync import CBCloudAPI, CbResponseAPI
from cbasync._httpx import _pools
from cbasync.cloud import AuthEvent, Device, Run
from cbasync.live_response import LiveResponseSession
from cbasync.response import Binary, Process
from cbasync.testing import EmulatorConfig, ServerInfo
from cbasync.testing.dataset.endpoints import DEVICE_ID_BASE
from cbasync.testing.server import spawn_server

pytestmark = pytest.mark.anyio

#: Trials per event loop in the normal test run (both loops: twice this many).
TRIALS = int(os.environ.get("CBASYNC_CANCEL_TRIALS", "100"))
REPLAY = os.environ.get("CBASYNC_CANCEL_SEED")
#: Fast sensors and jobs: an uncancelled operation takes tens of milliseconds.
CONFIG = EmulatorConfig(
    seed=5,
    processes=20_000,
    devices=12,
    binaries=50,
    online_ratio=1.0,
    lr_activation=0.02,
    lr_command_delay=0.005,
    job_duration=0.05,
)
WINDOWS = 0  # the emulated population's first endpoint is a Windows workstation
OFFLINE = 4  # and its fifth is always offline


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    with spawn_server(CONFIG, directory=tmp_path_factory.mktemp("cancel"), tls=False) as info:
        yield info


@dataclasses.dataclass
class Context:
    edr: CbResponseAPI
    cloud: CBCloudAPI
    binaries: list[Binary]
    http: httpx.AsyncClient  # plain httpx, for the emulator's counters


Operation = Callable[[Context, random.Random], Awaitable[object]]


async def edr_search(ctx: Context, rng: random.Random) -> object:
    start = rng.randrange(0, 10_000)
    query = ctx.edr.select(Process)[start : start + rng.choice((150, 600, 2_000))]
    query = query.batch_size(rng.choice((50, 100))).concurrency(rng.choice((1, 4)))
    return [p.unique_id async for p in query]


async def auth_events_job(ctx: Context, rng: random.Random) -> object:
    query = (
        ctx.cloud.select(AuthEvent)
        .where("windows_event_id:4624")
        .where(f"-auth_remote_port:{rng.randrange(10**6)}")  # a new job every time
        .time_range(window="-10w")
        .batch_size(rng.choice((100, 250)))
    )
    return [e.event_id async for e in query]


async def livequery_run(ctx: Context, rng: random.Random) -> object:
    devices = [DEVICE_ID_BASE + d for d in rng.sample([0, 1, 2, 3, 5, 6], 2)]
    run = await Run.submit(ctx.cloud, "SELECT * FROM system_info", device_ids=devices)
    await run.wait(max_wait=10)
    return await run.results().all()


async def binary_download(ctx: Context, rng: random.Random) -> object:
    size = 0
    async with rng.choice(ctx.binaries).download(unzip=rng.random() < 0.5) as chunks:
        async for chunk in chunks:
            size += len(chunk)
    return size


async def _commands(lr: LiveResponseSession) -> int:
    processes = await lr.list_processes()
    listing = await lr.list_directory("C:\\" if lr.os_windows else "/tmp/")
    return len(processes) + len(listing)


async def edr_session(ctx: Context, rng: random.Random) -> object:
    async with ctx.edr.live_response.session(WINDOWS + 1 + rng.choice((0, 1, 2))) as lr:
        return await _commands(lr)


async def cloud_session(ctx: Context, rng: random.Random) -> object:
    async with ctx.cloud.live_response.session(DEVICE_ID_BASE + rng.choice((0, 1, 2))) as lr:
        return await _commands(lr)


async def pool_run(ctx: Context, rng: random.Random) -> object:
    devices = [d + 1 for d in rng.sample(range(12), rng.choice((3, 6)))]  # may include OFFLINE
    done = 0
    async with ctx.edr.live_response.run(
        _commands, devices, slots=rng.choice((2, 3)), job_timeout=0.5
    ) as results:
        async for _ in results:
            done += 1
    return done


#: Each operation with the longest delay its cancellation is drawn from (seconds, about what it
#: takes uncancelled) and the most checkpoints.
OPERATIONS: dict[str, tuple[Operation, float, int]] = {
    "edr search": (edr_search, 0.25, 400),
    "auth events job": (auth_events_job, 0.3, 400),
    "livequery run": (livequery_run, 0.3, 300),
    "binary download": (binary_download, 0.05, 200),
    "edr session": (edr_session, 0.15, 300),
    "cloud session": (cloud_session, 0.15, 300),
    "pool run": (pool_run, 0.4, 600),
}


@pytest.mark.timeout(max(60, TRIALS))  # about 0.2 s a trial; the default covers 100
async def test_cancellation_leaves_nothing_behind(server: ServerInfo, anyio_backend: str) -> None:
    seeds = [int(REPLAY)] if REPLAY is not None else list(range(TRIALS))
    common: dict[str, Any] = {"url": server.url, "token": server.token, "environ": {}}
    async with (
        CbResponseAPI(**common) as edr,
        CBCloudAPI(org_key=server.org_key, **common) as cloud,
        httpx.AsyncClient(base_url=server.url) as http,
    ):
        binaries = await edr.select(Binary)[:8].all()
        ctx = Context(edr, cloud, binaries, http)
        await _check(ctx, _tasks())  # a clean start (and the baseline of tasks)
        baseline = _tasks()
        ran: dict[str, int] = {}
        cancelled = 0
        for seed in seeds:
            name, how, finished = await _trial(ctx, seed)
            ran[name] = ran.get(name, 0) + 1
            cancelled += not finished
            try:
                await _check(ctx, baseline)
            except AssertionError as exc:
                raise AssertionError(
                    f"{anyio_backend} trial seed={seed} ({name}, cancelled {how}): {exc}\n"
                    f"replay: CBASYNC_CANCEL_SEED={seed} pytest {__file__} -k {anyio_backend}"
                ) from None
    if REPLAY is None and TRIALS >= 50:
        assert set(ran) == set(OPERATIONS), ran
        # Most trials cancel their operation part way (the others finish first, as a
        # cancellation that comes too late does).
        assert cancelled >= len(seeds) // 2, (cancelled, len(seeds))
    print(f"{anyio_backend}: {len(seeds)} trials, {cancelled} cancelled part way: {ran}")


async def _trial(ctx: Context, seed: int) -> tuple[str, str, bool]:
    rng = random.Random(seed)
    name = rng.choice(sorted(OPERATIONS))
    operation, longest, most_checkpoints = OPERATIONS[name]
    problems: list[str] = []
    finished = False
    with _watch(problems):
        if rng.random() < 0.5:
            delay = rng.uniform(0, longest)
            how = f"after {delay * 1000:.0f} ms"
            with anyio.move_on_after(delay):
                await operation(ctx, rng)
                finished = True
        else:
            checkpoints = rng.randrange(most_checkpoints)
            how = f"after {checkpoints} checkpoints"
            async with anyio.create_task_group() as tg:
                tg.start_soon(_cancel_after, tg.cancel_scope, checkpoints)
                await operation(ctx, rng)
                finished = True
                tg.cancel_scope.cancel()
    if problems:
        raise AssertionError(
            f"trial seed={seed} ({name}, cancelled {how}) left: " + "; ".join(problems)
        )
    return name, how, finished


async def _cancel_after(scope: anyio.CancelScope, checkpoints: int) -> None:
    for _ in range(checkpoints):
        await anyio.lowlevel.checkpoint()
    scope.cancel()


async def _check(ctx: Context, baseline: set[object]) -> None:
    left = _tasks() - baseline
    assert not left, f"tasks still running: {left}"
    counters = (await ctx.http.get("/__emulator__/counters")).json()
    open_sessions = {k: v["open"] for k, v in counters["live_response"].items() if v["open"]}
    assert not open_sessions, f"Live Response sessions open on the server: {open_sessions}"
    for api in (ctx.edr, ctx.cloud):
        client = api.transport._shared.client
        assert client is not None
        pools = _pools(client)
        assert pools, "a client over TCP pools its connections in httpcore"
        for pool in pools:
            busy = [c.info() for c in pool.connections if not (c.is_idle() or c.is_closed())]
            assert not busy, f"{type(api).__name__}: connections checked out: {busy}"
            assert not pool._requests, f"{type(api).__name__}: requests queued in the pool"
        assert api.live_response.sessions_open == 0
        assert api.live_response.slots.in_use == 0
    # Still usable.
    assert (await ctx.edr.transport.request("GET", "/api/info")).status == 200
    assert await ctx.cloud.select(Device).first() is not None


def _tasks() -> set[object]:
    """Every task of the running event loop that has not finished."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        import trio

        found: set[object] = set()
        stack = [trio.lowlevel.current_root_task()]
        while stack:
            task = stack.pop()
            found.add(task)
            for nursery in task.child_nurseries:
                stack.extend(nursery.child_tasks)
        return found
    return {t for t in asyncio.all_tasks() if not t.done()}


@contextmanager
def _watch(problems: list[str]) -> Iterator[None]:
    """Collect warnings, unraisable exceptions and asyncio's logged errors (a destroyed pending
    task) raised during the block or by the garbage it left."""

    class Errors(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            problems.append(f"asyncio logged: {record.getMessage()}")

    def unraisable(info: Any) -> None:
        problems.append(f"unraisable {info.exc_type.__name__}: {info.exc_value} ({info.object!r})")

    handler = Errors(level=logging.ERROR)
    asyncio_logger = logging.getLogger("asyncio")
    asyncio_logger.addHandler(handler)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = unraisable
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                yield
            finally:
                gc.collect()
        problems.extend(f"warning {w.category.__name__}: {w.message}" for w in caught)
    finally:
        sys.unraisablehook = previous_hook
        asyncio_logger.removeHandler(handler)
