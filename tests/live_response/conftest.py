"""Live Response against the emulator, the same on every server: a :class:`Server` is one
dialect (EDR, Cloud v6, legacy Cloud v3) with its client, its device ids and its counters."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest

from cbasync import CBCloudAPI, CbResponseAPI
from cbasync._api import BaseAPI
from cbasync.live_response import LiveResponse
from cbasync.testing import EmulatorConfig, LiveResponseCounters, create_app
from cbasync.testing.app import EmulatorApp
from cbasync.testing.dataset.endpoints import DEVICE_ID_BASE
from cbasync.testing.dataset.vfs import EndpointImage, image_store
from tests.clients import emulator_client

#: The fixed endpoints of the emulated population (tests can rely on them).
WINDOWS, WINDOWS_SERVER, MAC, LINUX, OFFLINE = 0, 1, 2, 3, 4
DIALECTS = ("edr", "v6", "v3")

#: Fast sensors: tests wait for real (milliseconds), timing is never asserted.
FAST = {
    "devices": 12,
    "lr_activation": 0.02,
    "lr_command_delay": 0.005,
    "lr_memdump_bytes": 256 * 1024,
}


@dataclasses.dataclass
class Server:
    """One Live Response server of an emulator, as a test sees it."""

    dialect: str
    app: EmulatorApp
    api: BaseAPI

    @property
    def lr(self) -> LiveResponse:
        if isinstance(self.api, CbResponseAPI):
            return self.api.live_response
        assert isinstance(self.api, CBCloudAPI)
        return self.api.live_response_v3 if self.dialect == "v3" else self.api.live_response

    def device(self, index: int) -> int:
        """The id this server gives endpoint ``index``."""
        return index + 1 if self.dialect == "edr" else DEVICE_ID_BASE + index

    def image(self, index: int) -> EndpointImage:
        """Endpoint ``index``'s disk, registry and processes: the truth the results come from."""
        return image_store(self.app.state).of(self.app.state.endpoints[index])

    @property
    def counters(self) -> LiveResponseCounters:
        return self.app.counters.lr("edr" if self.dialect == "edr" else "cloud")


def make_app(**config: Any) -> EmulatorApp:
    settings: dict[str, Any] = {**FAST, **config}
    return create_app(
        EmulatorConfig(**settings), modules=("edr", "cloud_platform", "lr_edr", "lr_cloud", "lr_v3")
    )


def api_class(dialect: str) -> type[BaseAPI]:
    return CbResponseAPI if dialect == "edr" else CBCloudAPI


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def config() -> dict[str, Any]:
    """Emulator settings on top of :data:`FAST`; a test module overrides it to change them."""
    return {}


@pytest.fixture
async def server(dialect: str, config: dict[str, Any]) -> AsyncIterator[Server]:
    app = make_app(**config)
    async with emulator_client(app, api_class(dialect)) as api:
        yield Server(dialect, app, api)
