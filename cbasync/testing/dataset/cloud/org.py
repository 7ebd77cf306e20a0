"""The Carbon Black Cloud org of an emulator state: the composition root of the cloud stores.

Stores receive what they need (the state, the stores they read), never the org, so no store
depends on this module.
"""

from __future__ import annotations

from functools import cached_property

from cbasync.testing.dataset.cloud.alerts import AlertStore
from cbasync.testing.dataset.cloud.auth_events import AuthEventStore
from cbasync.testing.dataset.cloud.common import RowSpec
from cbasync.testing.dataset.cloud.defense import DefenseStore
from cbasync.testing.dataset.cloud.devices import DeviceStore
from cbasync.testing.dataset.cloud.livequery import LiveQueryStore
from cbasync.testing.dataset.cloud.processes import ProcessStore
from cbasync.testing.dataset.cloud.threat_intel import ThreatIntelStore
from cbasync.testing.state import EmulatorState

__all__ = ["CLOUD_BACKEND", "CloudOrg", "cloud_org"]


CLOUD_BACKEND = "cloud_org"


class CloudOrg:
    """The Carbon Black Cloud org of an emulator state: every cloud store, composed.

    Devices and alerts exist from the start (most cloud routes need them); the other stores are
    built on first use, so a route module nobody calls costs nothing.
    """

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        config = state.config
        self.config = config
        self.org_key = config.org_key
        self.seed = config.seed
        self.anchor = config.data_epoch
        """End of the generated history: relative time windows count back from here."""
        self.devices = DeviceStore(
            state.endpoints,
            org_name=config.org_name,
            now=state.clock.time,
            monotonic=state.clock.monotonic,
            isolation_delay=config.isolation_delay,
        )
        self.alerts = AlertStore(self._rows(config.cloud_alerts), now=state.clock.time)

    def _rows(self, count: int) -> RowSpec:
        """The spec of a generated store of ``count`` rows of this org."""
        c = self.config
        return RowSpec(
            self.state.endpoints,
            seed=c.seed,
            count=count,
            org_key=c.org_key,
            epoch=c.data_epoch,
            history_days=c.history_days,
        )

    @cached_property
    def processes(self) -> ProcessStore:
        c = self.config
        return ProcessStore(
            self._rows(c.processes if c.cloud_processes is None else c.cloud_processes)
        )

    @cached_property
    def auth_events(self) -> AuthEventStore:
        return AuthEventStore(self._rows(self.config.auth_events))

    @cached_property
    def livequery(self) -> LiveQueryStore:
        return LiveQueryStore(self.state, self.devices)

    @cached_property
    def threat_intel(self) -> ThreatIntelStore:
        return ThreatIntelStore(self.org_key, self.seed, self.anchor)

    @cached_property
    def defense(self) -> DefenseStore:
        return DefenseStore(
            self.state, devices=self.devices, alerts=self.alerts, processes=self.processes
        )

    @property
    def has_online_endpoints(self) -> bool:
        """Whether any sensor answers (a search job over an org with none never progresses)."""
        return any(ep.online for ep in self.state.endpoints)


def cloud_org(state: EmulatorState) -> CloudOrg:
    """The state's cloud org (created on first use, shared by every cloud route module)."""
    org: CloudOrg = state.backend(CLOUD_BACKEND, CloudOrg)
    return org
