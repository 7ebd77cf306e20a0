"""The emulator's two Live Response servers, wired to its state.

``edr_backend(state)`` is the EDR server (sessions by sensor id, 10 slots by default);
``cloud_backend(state)`` is the cloud org (sessions by device id, 100 slots counted per device),
shared by the v6 and the legacy v3 routes. Both see the same endpoints — a machine's disk is one
disk whichever console opens the session — through one :class:`ImageStore`.

Route modules get them with ``state.backend(EDR_BACKEND, edr_backend)`` (and the cloud twin), so
they exist once per state and only when a route needs them.
"""

from __future__ import annotations

from cbasync.testing.dataset.endpoints import Endpoint, EndpointPopulation
from cbasync.testing.dataset.vfs import (
    IMAGE_OS,
    IMAGES_BACKEND,
    EndpointImage,
    ImageStore,
    image_store,
)
from cbasync.testing.live_response.backend import LiveResponseBackend
from cbasync.testing.live_response.model import LrDevice, LrPolicy, Timeline
from cbasync.testing.state import EmulatorState

__all__ = [
    "CLOUD_BACKEND",
    "EDR_BACKEND",
    "IMAGES_BACKEND",
    "EndpointDirectory",
    "cloud_backend",
    "cloud_policy",
    "edr_backend",
    "edr_policy",
    "image_store",
]

EDR_BACKEND = "lr_edr"
CLOUD_BACKEND = "lr_cloud"
TIMELINE_BACKEND = "lr_timeline"


class EndpointDirectory:
    """The endpoint population seen by one LR server, addressed by sensor id or by device id."""

    def __init__(
        self, population: EndpointPopulation, images: ImageStore, *, by: str = "device"
    ) -> None:
        if by not in ("sensor", "device"):
            raise ValueError("by must be 'sensor' or 'device'")
        self.population = population
        self.images = images
        self.by = by

    def endpoint(self, device_id: int) -> Endpoint | None:
        if self.by == "sensor":
            return self.population.by_sensor_id(device_id)
        return self.population.by_device_id(device_id)

    def lr_device(self, device_id: int) -> LrDevice | None:
        ep = self.endpoint(device_id)
        if ep is None or ep.deregistered:
            return None
        return LrDevice(
            device_id=device_id,
            hostname=ep.hostname,
            address=ep.internal_ip,
            os=IMAGE_OS[ep.os_family],
            os_version=ep.os_name if self.by == "sensor" else ep.cloud_os_version,
        )

    def lr_online(self, device_id: int) -> bool:
        ep = self.endpoint(device_id)
        return ep is not None and ep.online and not ep.uninstall and not ep.deregistered

    def lr_image(self, device_id: int) -> EndpointImage:
        ep = self.endpoint(device_id)
        if ep is None:
            raise KeyError(device_id)
        return self.images.of(ep)


def edr_policy(state: EmulatorState) -> LrPolicy:
    c = state.config
    return LrPolicy(
        server="edr",
        slots=c.lr_slots,
        slots_per_device=False,
        session_ids="int",
        first_command_id=1,
        activation_delay=c.lr_activation,
        command_delay=c.lr_command_delay,
        idle_timeout=c.lr_idle_timeout,
        initial_idle_timeout=None,
        check_in_timeout=1200.0,
        sensor_wait_timeout=120.0,
        memdump_bytes=c.lr_memdump_bytes,
        command_delays=dict(c.lr_command_delays),
    )


def cloud_policy(state: EmulatorState) -> LrPolicy:
    c = state.config
    return LrPolicy(
        server="cloud",
        slots=c.cloud_lr_slots,
        slots_per_device=True,
        session_ids="seq:device",
        first_command_id=0,
        activation_delay=c.lr_activation,
        command_delay=c.lr_command_delay,
        # Each command pushes expiry 15 minutes out; a session that never gets a command lasts
        # 30 minutes (twice the idle timeout, whatever it is configured to).
        idle_timeout=c.cloud_lr_idle_timeout,
        initial_idle_timeout=2 * c.cloud_lr_idle_timeout,
        check_in_timeout=900.0,
        sensor_wait_timeout=120.0,
        max_commands=250,
        memdump_bytes=c.lr_memdump_bytes,
        command_delays=dict(c.lr_command_delays),
    )


def edr_backend(state: EmulatorState) -> LiveResponseBackend:
    return LiveResponseBackend(
        edr_policy(state),
        EndpointDirectory(state.endpoints, image_store(state), by="sensor"),
        state.clock,
        state.counters,
        state.backend(TIMELINE_BACKEND, lambda s: Timeline()),
    )


def cloud_backend(state: EmulatorState) -> LiveResponseBackend:
    return LiveResponseBackend(
        cloud_policy(state),
        EndpointDirectory(state.endpoints, image_store(state), by="device"),
        state.clock,
        state.counters,
        state.backend(TIMELINE_BACKEND, lambda s: Timeline()),
    )
