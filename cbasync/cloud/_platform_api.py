"""The API-level methods of seed 001 and 002 (``CbPSCBaseAPI.device_quarantine(ids, True)``,
``bulk_threat_dismiss(...)``, ``CbDefenseAPI.get_notifications()``, ...), mixed into
:class:`~cbasync.cloud.api.CBCloudAPI`. Each is a thin door to the module that does the work."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, cast

from cbasync._iterators import StepIterator
from cbasync.cloud import defense
from cbasync.cloud.alerts import search_suggestions
from cbasync.cloud.devices import (
    device_action,
    policy_options,
    sensor_version_options,
    toggle_options,
)
from cbasync.cloud.legacy_alerts import V6, bulk_threat_workflow
from cbasync.cloud.workflow import WorkflowStatus
from cbasync.models._generated import cloud

if TYPE_CHECKING:
    from cbasync.cloud.api import CBCloudAPI

__all__ = ["PlatformMethods"]


class PlatformMethods:
    """Device actions on lists of ids, bulk threat workflow, alert suggestions (seed 002),
    and the Endpoint Standard queues (seed 001)."""

    __slots__ = ()

    # -- devices (each one POST .../device_actions with "device_id": [ids]) --------------------

    async def device_quarantine(self, device_ids: Iterable[int], enable: bool) -> None:
        await device_action(
            _api(self), "QUARANTINE", device_ids=device_ids, options=toggle_options(enable)
        )

    async def device_bypass(self, device_ids: Iterable[int], enable: bool) -> None:
        await device_action(
            _api(self), "BYPASS", device_ids=device_ids, options=toggle_options(enable)
        )

    async def device_background_scan(self, device_ids: Iterable[int], scan: bool) -> None:
        options = toggle_options(scan)
        await device_action(_api(self), "BACKGROUND_SCAN", device_ids=device_ids, options=options)

    async def device_update_policy(self, device_ids: Iterable[int], policy_id: int) -> None:
        options = policy_options(policy_id)
        await device_action(_api(self), "UPDATE_POLICY", device_ids=device_ids, options=options)

    async def device_update_sensor_version(
        self, device_ids: Iterable[int], sensor_version: Mapping[str, str]
    ) -> None:
        options = sensor_version_options(sensor_version)
        await device_action(
            _api(self), "UPDATE_SENSOR_VERSION", device_ids=device_ids, options=options
        )

    async def device_uninstall_sensor(self, device_ids: Iterable[int]) -> None:
        await device_action(_api(self), "UNINSTALL_SENSOR", device_ids=device_ids)

    async def device_delete_sensor(self, device_ids: Iterable[int]) -> None:
        await device_action(_api(self), "DELETE_SENSOR", device_ids=device_ids)

    # -- alerts v6 -----------------------------------------------------------------------------

    async def alert_search_suggestions(self, query: str) -> list[cloud.SearchSuggestion]:
        """Field names and values that complete ``query`` (v6)."""
        return await search_suggestions(_api(self), V6 + "/alerts/search_suggestions", query)

    async def bulk_threat_dismiss(
        self,
        threat_ids: Iterable[str],
        remediation: str | None = None,
        comment: str | None = None,
    ) -> WorkflowStatus:
        """Dismiss the alerts of these threats; ``await`` the status to wait for it."""
        return await bulk_threat_workflow(_api(self), threat_ids, "DISMISSED", remediation, comment)

    async def bulk_threat_update(
        self,
        threat_ids: Iterable[str],
        remediation: str | None = None,
        comment: str | None = None,
    ) -> WorkflowStatus:
        """Reopen the alerts of these threats; ``await`` the status to wait for it."""
        return await bulk_threat_workflow(_api(self), threat_ids, "OPEN", remediation, comment)

    # -- Endpoint Standard (Defense v3) queues ------------------------------------------------

    async def get_notifications(self) -> list[defense.Notification]:
        """The queued notifications (a SIEM key); what this returns leaves the queue."""
        return await defense.get_notifications(_api(self))

    def notification_listener(
        self, interval: float = defense.DEFAULT_NOTIFICATION_INTERVAL
    ) -> StepIterator[defense.Notification]:
        """``async for`` every notification, once each, polling the queue every ``interval``
        seconds until the loop breaks."""
        return defense.notification_listener(_api(self), interval)

    async def get_auditlogs(self) -> list[defense.AuditLog]:
        return await defense.get_auditlogs(_api(self))


def _api(methods: PlatformMethods) -> CBCloudAPI:
    """The client these methods belong to: :class:`PlatformMethods` is mixed into
    :class:`~cbasync.cloud.api.CBCloudAPI` only."""
    return cast("CBCloudAPI", methods)
