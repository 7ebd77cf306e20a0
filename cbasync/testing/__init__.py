"""cbasync.testing: an emulator of the Carbon Black EDR, App Control and Cloud servers.

Install with the extra: ``pip install "cbasync[emulator]"``. In process::

    from cbasync.testing import EmulatorConfig, create_app
    app = create_app(EmulatorConfig(seed=1, processes=5_000))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="https://cbserver",
                                 headers={"X-Auth-Token": app.config.token}) as http:
        r = await http.get("/api/v1/process", params={"q": "process_name:cmd.exe"})

With the SDK: ``async with app.client(CbResponseAPI) as api: ...`` (also ``CbProtectionAPI``,
``CBCloudAPI``). Out of process: ``cbasync emulator --tls --ready-file ready.json`` or
``with spawn_server(config) as info: async with info.client(CbResponseAPI) as api: ...``.
pytest fixtures (``cb_emulator``, ``cb_emulator_http``, ``cb_response_api``...) come with the
``cbasync.testing.pytest_plugin`` entry point; a :class:`Recorder` in front of an app records the
requests a client made and scripts answers for chosen routes (what respx does, on the emulator).

This package is imported lazily: ``import cbasync`` never imports it, and importing it only loads
the standard-library parts (config, clock, counters) until an attribute that needs starlette is
used, so the pytest plugin stays harmless when the extra is missing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from cbasync.testing._clock import Clock, LoopClock, ManualClock, RealClock
from cbasync.testing.config import (
    DEFAULT_DATA_EPOCH,
    DEFAULT_ORG_KEY,
    DEFAULT_TOKEN,
    EmulatorConfig,
)
from cbasync.testing.counters import Counters, LiveResponseCounters
from cbasync.testing.recorder import Call, Recorder

if TYPE_CHECKING:
    from cbasync.testing.app import EmulatorApp, create_app
    from cbasync.testing.server import EmulatorServer, ServerInfo, running_server, spawn_server
    from cbasync.testing.state import EmulatorState

__all__ = [
    "DEFAULT_DATA_EPOCH",
    "DEFAULT_ORG_KEY",
    "DEFAULT_TOKEN",
    "Call",
    "Clock",
    "Counters",
    "EmulatorApp",
    "EmulatorConfig",
    "EmulatorServer",
    "EmulatorState",
    "LiveResponseCounters",
    "LoopClock",
    "ManualClock",
    "RealClock",
    "Recorder",
    "ServerInfo",
    "create_app",
    "running_server",
    "spawn_server",
]

_LAZY = {
    "EmulatorApp": "cbasync.testing.app",
    "create_app": "cbasync.testing.app",
    "EmulatorState": "cbasync.testing.state",
    "EmulatorServer": "cbasync.testing.server",
    "ServerInfo": "cbasync.testing.server",
    "running_server": "cbasync.testing.server",
    "spawn_server": "cbasync.testing.server",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cbasync.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
