"""Cancellation at random points over a real network connection: the emulator runs in its own
process, so a request the client abandons is still handled there — a session it creates must
not be left open. (In process, cancelling the client also cancels the server's handler.)"""

from __future__ import annotations

import random

import anyio
import pytest

from cbasync import CBCloudAPI, CbResponseAPI
from cbasync._api import BaseAPI
from cbasync.live_response import LiveResponse, LiveResponseSession
from cbasync.testing import EmulatorConfig
from cbasync.testing.dataset.endpoints import DEVICE_ID_BASE
from cbasync.testing.server import spawn_server

pytestmark = pytest.mark.anyio


async def open_sessions(api: BaseAPI) -> dict[str, int]:
    counters = await api.get_object("/__emulator__/counters")
    return {name: c["open"] for name, c in counters["live_response"].items()}


@pytest.mark.parametrize("api_class", [CbResponseAPI, CBCloudAPI])
async def test_cancelling_at_random_points_leaves_no_session_open(
    api_class: type[BaseAPI],
) -> None:
    config = EmulatorConfig(
        devices=12, latency_ms=20, lr_activation=0.05, lr_command_delay=0.01, online_ratio=1.0
    )
    rng = random.Random(api_class.__name__)
    base = 1 if api_class is CbResponseAPI else DEVICE_ID_BASE
    devices = [base + i for i in (0, 1, 2, 3, 5, 6, 7, 8)]

    async def job(lr: LiveResponseSession) -> int:
        return len(await lr.list_processes())

    with spawn_server(config, tls=False) as info:
        async with info.client(api_class) as api:
            lr: LiveResponse = api.live_response  # type: ignore[attr-defined]
            for _ in range(10):
                with anyio.move_on_after(rng.uniform(0.0, 0.3)):
                    async with lr.run(job, devices, slots=4) as results:
                        async for _result in results:
                            pass
                assert lr.slots.in_use == 0
                assert lr.sessions_open == 0
                assert set((await open_sessions(api)).values()) <= {0}
