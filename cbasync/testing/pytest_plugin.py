"""pytest fixtures for testing code that uses cbasync against the emulator.

Registered automatically (entry point ``pytest11: cbasync``) when cbasync is installed. Importing
this module costs nothing and needs no extra: the emulator (starlette) is only imported when a
test asks for one of these fixtures, and a missing ``cbasync[emulator]`` extra then fails that
test with an explanation.

Fixtures (override ``cb_emulator_config`` or ``cb_emulator_clock`` in your ``conftest.py`` to
change the installation or its time)::

    cb_emulator_config    EmulatorConfig (seed 0, a small dataset: 2,000 processes, 20 devices)
    cb_emulator_clock     the emulator's ManualClock, running at CLOCK_SPEED times real time
    cb_emulator           the in-process EmulatorApp (its .counters, .state)
    cb_emulator_recorder  every request the fixture clients made; scripted answers per route
    cb_emulator_http      an httpx.AsyncClient bound to the emulator, token set
    cb_response_api       a CbResponseAPI bound to the emulator
    cb_protection_api     a CbProtectionAPI bound to the emulator
    cb_cloud_api          a CBCloudAPI bound to the emulator, org key set
    cb_emulator_server    a real loopback server (TLS) in a subprocess: its ServerInfo

**Any async test runner.** Every fixture is a plain (synchronous) fixture, so the same fixtures
work under pytest-asyncio (strict and auto mode), under anyio's pytest plugin (asyncio and trio)
and under any other runner, with no ``pytest_asyncio.fixture`` or ``anyio_backend`` of ours in
the way. That holds because nothing they hand out needs the event loop before the test uses it:

- a client fixture returns an *unopened* client on ``httpx.ASGITransport``; it opens on its
  first request, inside the test's own event loop (``async with cb_response_api as api:`` works
  too, and closes it);
- nothing needs closing afterwards: an in-process transport holds no socket, no thread and no
  task, so a client the test leaves open is dropped with the test and no warning is raised;
- each test gets its own emulator, clock and clients (function scope), so no client outlives the
  event loop that opened it.

**Time.** The emulator's delays (a sensor isolation converging in 5 s, a search job taking 3 s,
a Live Response session activating in 2 s) run on ``cb_emulator_clock``, a
:class:`~cbasync.testing.ManualClock` that runs by itself at :data:`CLOCK_SPEED` times real time.
Code under test polls in real time, so its waits end within a poll or two (an isolation's 5 s
take 0.1 s) and a test never stalls waiting for emulated time. Latency and slow-response faults
jump the clock instead of waiting. To control every instant instead, override the clock::

    @pytest.fixture
    def cb_emulator_clock():
        return ManualClock()            # time moves only when the test calls advance()

and advance it while the code under test waits (``clock.advance(5)`` from a task beside it).

**Requests and answers, without respx.** ``cb_emulator_recorder`` (a
:class:`~cbasync.testing.Recorder`) sees every request the fixture clients send::

    async def test_isolation(cb_response_api, cb_emulator_recorder):
        cb_emulator_recorder.answer("GET /api/v1/sensor/{id}", status=503)   # once, then real
        await isolate_host(cb_response_api, "WIN-DESKTOP-01")
        (put,) = cb_emulator_recorder.calls_to("PUT /api/v1/sensor/{id}")
        assert put.json["network_isolation_enabled"] is True

The emulator's counters (``cb_emulator.counters.requests("GET /api/v1/process")``) count by
route and status, scripted answers included.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import httpx

    from cbasync import CBCloudAPI, CbProtectionAPI, CbResponseAPI
    from cbasync.testing import EmulatorConfig, ManualClock
    from cbasync.testing.app import EmulatorApp
    from cbasync.testing.recorder import Recorder
    from cbasync.testing.server import ServerInfo

__all__ = ["CLOCK_SPEED"]

#: Emulated seconds per real second on the plugin's clock. At 50 the emulator's default delays
#: (isolation 5 s, search jobs 3 s, LR activation 2 s, LR commands 0.5 s) take 10-100 ms, within
#: a client's first or second poll (0.25 s apart at first), while EDR's 300 s Live Response idle
#: timeout still takes 6 real seconds of silence to expire a session.
CLOCK_SPEED = 50.0


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
    """The emulator's clock: it runs at ``CLOCK_SPEED`` times real time, sleeps jump it, and
    ``advance(seconds)`` moves it further. Override with ``ManualClock()`` to stop it."""
    from cbasync.testing._clock import ManualClock

    return ManualClock(speed=CLOCK_SPEED)


@pytest.fixture
def cb_emulator(cb_emulator_config: EmulatorConfig, cb_emulator_clock: ManualClock) -> EmulatorApp:
    """An in-process emulator (an ASGI app) on ``cb_emulator_clock``."""
    _require_extra()
    from cbasync.testing.app import create_app

    return create_app(cb_emulator_config, clock=cb_emulator_clock)


@pytest.fixture
def cb_emulator_recorder(cb_emulator: EmulatorApp) -> Recorder:
    """Records every request the fixture clients send, and serves scripted answers."""
    from cbasync.testing.recorder import Recorder

    return Recorder(cb_emulator)


def _transport(recorder: Recorder) -> httpx.ASGITransport:
    import httpx

    return httpx.ASGITransport(app=recorder)


@pytest.fixture
def cb_emulator_http(cb_emulator: EmulatorApp, cb_emulator_recorder: Recorder) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` talking to ``cb_emulator`` in process, with the token set."""
    import httpx

    from cbasync.testing.app import BASE_URL

    return httpx.AsyncClient(
        transport=_transport(cb_emulator_recorder),
        base_url=BASE_URL,
        headers={"X-Auth-Token": cb_emulator.config.token},
    )


def _api_options(emulator: EmulatorApp, recorder: Recorder) -> dict[str, Any]:
    from cbasync.testing.app import BASE_URL

    return {
        "url": BASE_URL,
        "token": emulator.config.token,
        "transport": _transport(recorder),
        # Neither the developer's credential files nor CBAPI_* variables leak into a test.
        "environ": {},
        "credential_file": (),
    }


@pytest.fixture
def cb_response_api(cb_emulator: EmulatorApp, cb_emulator_recorder: Recorder) -> CbResponseAPI:
    """A ``cbasync.CbResponseAPI`` talking to ``cb_emulator`` in process (opens on first use)."""
    from cbasync import CbResponseAPI

    return CbResponseAPI(**_api_options(cb_emulator, cb_emulator_recorder))


@pytest.fixture
def cb_protection_api(cb_emulator: EmulatorApp, cb_emulator_recorder: Recorder) -> CbProtectionAPI:
    """A ``cbasync.CbProtectionAPI`` talking to ``cb_emulator`` in process (opens on first use)."""
    from cbasync import CbProtectionAPI

    return CbProtectionAPI(**_api_options(cb_emulator, cb_emulator_recorder))


@pytest.fixture
def cb_cloud_api(cb_emulator: EmulatorApp, cb_emulator_recorder: Recorder) -> CBCloudAPI:
    """A ``cbasync.CBCloudAPI`` talking to ``cb_emulator`` in process, its org key set."""
    from cbasync import CBCloudAPI

    return CBCloudAPI(
        org_key=cb_emulator.config.org_key, **_api_options(cb_emulator, cb_emulator_recorder)
    )


@pytest.fixture
def cb_emulator_server(
    cb_emulator_config: EmulatorConfig, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerInfo]:
    """A ``cbasync emulator --tls`` subprocess on loopback; yields its ready-file contents
    (``url``, ``token``, ``org_key``, ``ca_file``). It runs on real time."""
    _require_extra()
    from cbasync.testing.server import spawn_server

    directory = tmp_path_factory.mktemp("cbasync-emulator")
    with spawn_server(cb_emulator_config, directory=directory, tls=True) as info:
        yield info


def pytest_configure(config: Any) -> None:
    config.addinivalue_line(
        "markers", "cbasync_emulator: the test uses the cbasync emulator fixtures"
    )
