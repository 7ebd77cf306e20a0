"""An in-process cloud emulator with short jobs, and a plain client to ask it for the truth."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cbasync.testing import EmulatorConfig, create_app
from cbasync.testing.app import EmulatorApp

#: Jobs finish in a fifth of a second: long enough to be polled a few times.
JOB_SECONDS = 0.2


def cloud_app(**config: Any) -> EmulatorApp:
    base: dict[str, Any] = {
        "seed": 13,
        "devices": 20,
        "processes": 4_000,
        "auth_events": 2_000,
        "job_duration": JOB_SECONDS,
        "job_searchers": 4,
    }
    base.update(config)
    return create_app(EmulatorConfig(**base))


@pytest.fixture
def app() -> EmulatorApp:
    return cloud_app()


@pytest.fixture
async def http(app: EmulatorApp) -> AsyncIterator[httpx.AsyncClient]:
    """A plain client on the same emulator: what the server says, without cbasync."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://cbserver.emulator",
        headers={"X-Auth-Token": app.config.token},
    ) as client:
        yield client


def counters(app: EmulatorApp) -> dict[str, Any]:
    snapshot: dict[str, Any] = app.state.counters.snapshot()
    return snapshot
