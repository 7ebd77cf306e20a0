"""pytest fixtures for testing code that uses cbasync against the emulator.

Registered automatically (entry point ``pytest11: cbasync``) when cbasync is installed. Importing
this module costs nothing and needs no extra: the emulator (starlette) is only imported when a
test asks for one of these fixtures, and a missing ``cbasync[emulator]`` extra then fails that
test with an explanation.

Fixtures (override ``cb_emulator_config`` in your ``conftest.py`` to change the installation)::

    cb_emulator_config  EmulatorConfig (seed 0, a small dataset: 2,000 processes, 20 devices)
    cb_emulator_clock   ManualClock driving the emulator (advance it instead of sleeping)
    cb_emulator         the in-process EmulatorApp
    cb_emulator_http    an httpx.AsyncClient bound to it, token set (async; use with anyio)
    cb_emulator_server  a real loopback server (TLS) with its ServerInfo (url, token, ca_file)
    cb_response_api     a CbResponseAPI bound to cb_emulator (async)
    cb_protection_api   a CbProtectionAPI bound to cb_emulator (async)
    cb_cloud_api        a CBCloudAPI bound to cb_emulator, org key set (async)

Example::

    pytestmark = pytest.mark.anyio

    async def test_hunt(cb_emulator_http):
        r = await cb_emulator_http.get("/api/v1/process", params={"q": "process_name:cmd.exe"})
        assert r.json()["total_results"] > 0
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import httpx

    from cbasync.testing import EmulatorConfig, ManualClock
    from cbasync.testing.app import EmulatorApp
    from cbasync.testing.server import ServerInfo


def _require_extra() -> None:
    try:
        import starlette  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        pytest.fail(
            "the cbasync emulator needs its extra: pip install 'cbasync[emulator]'",
            pytrace=False,
        )


@pytest.fixture
def cb_emulator_config() -> EmulatorConfig:
    """The emulated installation's configuration; override this fixture to change it."""
    from cbasync.testing.config import EmulatorConfig

    return EmulatorConfig(seed=0, processes=2_000, devices=20)


@pytest.fixture
def cb_emulator_clock() -> ManualClock:
    """The emulator's clock: time only moves when the test advances it (or a sleep jumps it)."""
    from cbasync.testing._clock import ManualClock

    return ManualClock()


@pytest.fixture
def cb_emulator(cb_emulator_config: EmulatorConfig, cb_emulator_clock: ManualClock) -> EmulatorApp:
    """An in-process emulator (an ASGI app) on the manual clock."""
    _require_extra()
    from cbasync.testing.app import create_app

    return create_app(cb_emulator_config, clock=cb_emulator_clock)


@pytest.fixture
async def cb_emulator_http(cb_emulator: EmulatorApp) -> AsyncIterator[httpx.AsyncClient]:
    """An ``httpx.AsyncClient`` talking to ``cb_emulator`` in process, with the token set."""
    async with cb_emulator.http_client() as client:
        yield client


@pytest.fixture
async def cb_response_api(cb_emulator: EmulatorApp) -> AsyncIterator[Any]:
    """A ``cbasync.CbResponseAPI`` talking to ``cb_emulator`` in process."""
    from cbasync import CbResponseAPI

    async with cb_emulator.client(CbResponseAPI) as api:
        yield api


@pytest.fixture
async def cb_protection_api(cb_emulator: EmulatorApp) -> AsyncIterator[Any]:
    """A ``cbasync.CbProtectionAPI`` talking to ``cb_emulator`` in process."""
    from cbasync import CbProtectionAPI

    async with cb_emulator.client(CbProtectionAPI) as api:
        yield api


@pytest.fixture
async def cb_cloud_api(cb_emulator: EmulatorApp) -> AsyncIterator[Any]:
    """A ``cbasync.CBCloudAPI`` talking to ``cb_emulator`` in process."""
    from cbasync import CBCloudAPI

    async with cb_emulator.client(CBCloudAPI) as api:
        yield api


@pytest.fixture
def cb_emulator_server(
    cb_emulator_config: EmulatorConfig, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerInfo]:
    """A ``cbasync emulator --tls`` subprocess on loopback; yields its ready-file contents."""
    _require_extra()
    from cbasync.testing.server import spawn_server

    directory = tmp_path_factory.mktemp("cbasync-emulator")
    with spawn_server(cb_emulator_config, directory=directory, tls=True) as info:
        yield info


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers", "cbasync_emulator: the test uses the cbasync emulator fixtures"
    )
