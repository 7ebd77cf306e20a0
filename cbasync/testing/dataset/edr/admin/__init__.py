"""EDR administrative objects: watchlists, feeds and their threat reports, banned hashes, users,
teams, sites, throttle rules, storage partitions, ingress filters, approved IPs, license and the
App Control integration settings.

They are small, so they live in ordinary in-memory collections seeded when the administration is
first used; every write persists for the life of the state. Methods raise the domain errors of
:mod:`cbasync.testing.dataset.errors` where the real server refuses. One module per family;
:class:`EdrAdmin` combines them.
"""

from typing import Any

from cbasync.testing.dataset.edr.admin.accounts import Accounts
from cbasync.testing.dataset.edr.admin.actions import Actions
from cbasync.testing.dataset.edr.admin.bans import Bans
from cbasync.testing.dataset.edr.admin.ingress import Ingress
from cbasync.testing.dataset.edr.admin.settings import Settings
from cbasync.testing.dataset.edr.admin.storage import Storage
from cbasync.testing.dataset.edr.admin.tables import ACTION_TYPES
from cbasync.testing.dataset.edr_binary import BinaryCatalog
from cbasync.testing.state import EmulatorState

__all__ = ["ACTION_TYPES", "EdrAdmin"]


class EdrAdmin(Actions, Bans, Accounts, Storage, Ingress, Settings):
    """Administrative collections of one EDR server (watchlists and feeds come with Actions)."""

    def __init__(
        self,
        state: EmulatorState,
        *,
        groups: dict[int, dict[str, Any]],
        binaries: BinaryCatalog,
    ) -> None:
        super().__init__(state, groups=groups, binaries=binaries)
        self._set_up_watchlists()
        self._set_up_actions()
        self._set_up_feeds()
        self._set_up_bans()
        self._set_up_accounts()
        self._set_up_storage()
        self._set_up_ingress()
        self._set_up_settings()
