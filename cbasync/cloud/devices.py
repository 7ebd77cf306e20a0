"""Platform devices (``/appservices/v6/orgs/{org_key}/devices``, seed 002, wire §6.1): search
with criteria, exclusions and sort, facets, a scroll past the search's 10,000 rows, the CSV
export job, and every device action on one device, a list of ids or a whole query::

    windows = api.select(Device).set_os(["WINDOWS"]).set_status(["ACTIVE"])
    async for device in windows.scroll():          # all of them, 10,000 a request
        ...
    await windows.update_policy(6525)                  # every device the search matches
    await api.device_quarantine([8500001, 8500002], True)
    await (await api.get(Device, 8500003)).quarantine(True)

An action is one ``POST .../device_actions`` (answered 204): the body is seed 002's operation
as wire §6.1 spells it — ``{"action_type", "device_id": [ids], "options"}``, or ``"search"``
(the query's criteria, exclusions and query) in place of the ids.
"""

from __future__ import annotations

import abc
import datetime
from collections.abc import Hashable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from typing_extensions import Self

from cbasync import errors
from cbasync._pagination import CursorPage, CursorPaginator
from cbasync.cloud._facets import FacetValue, fetch_facets
from cbasync.cloud._model import CloudModel
from cbasync.cloud._values import choices, integers, strings
from cbasync.cloud.jobs_api import Job
from cbasync.cloud.query import SearchEnvelope, SearchQuery, format_time
from cbasync.model import adapter_for
from cbasync.models._generated import cloud

if TYPE_CHECKING:
    from cbasync.cloud.api import CBCloudAPI

__all__ = [
    "DEVICE_ACTIONS",
    "DEVICE_DEPLOYMENT_TYPES",
    "DEVICE_OS",
    "DEVICE_STATUSES",
    "DEVICE_TARGET_PRIORITIES",
    "Device",
    "DeviceSearchQuery",
    "device_action",
    "policy_options",
    "sensor_version_options",
    "toggle_options",
]

M = TypeVar("M", bound="Device")

DEVICES = "/appservices/v6/orgs/{org_key}/devices"
DEVICE_ACTIONS_ROUTE = "/appservices/v6/orgs/{org_key}/device_actions"
DEVICE_ACTIONS = (
    "QUARANTINE",
    "BYPASS",
    "BACKGROUND_SCAN",
    "UPDATE_POLICY",
    "UPDATE_SENSOR_VERSION",
    "UNINSTALL_SENSOR",
    "DELETE_SENSOR",
)
DEVICE_OS = ("WINDOWS", "ANDROID", "MAC", "IOS", "LINUX", "OTHER")
DEVICE_STATUSES = (
    "PENDING", "REGISTERED", "UNINSTALLED", "DEREGISTERED", "ACTIVE", "INACTIVE", "ERROR",
    "ALL", "BYPASS_ON", "BYPASS", "QUARANTINE", "SENSOR_OUTOFDATE", "DELETED", "LIVE",
)  # fmt: skip
DEVICE_TARGET_PRIORITIES = ("LOW", "MEDIUM", "HIGH", "MISSION_CRITICAL")
DEVICE_DEPLOYMENT_TYPES = ("ENDPOINT", "WORKLOAD", "VDI", "AWS", "AZURE", "GCP")
#: Rows per scroll request: the most the server hands out at once.
SCROLL_ROWS = 10_000


async def device_action(
    api: CBCloudAPI,
    action_type: str,
    *,
    device_ids: Iterable[int] | None = None,
    search: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
) -> None:
    """One device action on listed devices or on the devices a search matches (wire §6.1)."""
    if action_type not in DEVICE_ACTIONS:
        raise ValueError(
            f"unknown device action {action_type!r}; one of {', '.join(DEVICE_ACTIONS)}"
        )
    body: dict[str, Any] = {"action_type": action_type}
    if (device_ids is None) == (search is None):
        raise ValueError("a device action needs device ids or a search, not both")
    if device_ids is not None:
        ids = list(device_ids)
        if not ids:
            raise ValueError("a device action needs at least one device id")
        if not all(isinstance(d, int) and not isinstance(d, bool) for d in ids):
            raise TypeError(f"device ids are integers: {ids!r}")
        body["device_id"] = ids
    else:
        body["search"] = dict(search or {})
    if options is not None:
        body["options"] = dict(options)
    # A 204 (or a 200 with a JSON body on some servers): nothing to read either way.
    await api.transport.request("POST", DEVICE_ACTIONS_ROUTE, json=body)


def toggle_options(flag: bool) -> dict[str, str]:
    if not isinstance(flag, bool):
        raise TypeError(f"the flag is True or False, not {flag!r}")
    return {"toggle": "ON" if flag else "OFF"}


def policy_options(policy_id: int) -> dict[str, int]:
    if not isinstance(policy_id, int) or isinstance(policy_id, bool):
        raise TypeError(f"a policy id is an integer, not {policy_id!r}")
    return {"policy_id": policy_id}


def sensor_version_options(sensor_version: Mapping[str, str]) -> dict[str, dict[str, str]]:
    if not isinstance(sensor_version, Mapping) or not sensor_version:
        raise ValueError(
            'sensor_version maps a kit or OS to a version, e.g. {"WINDOWS": "3.9.1.2451"}'
        )
    return {"sensor_version": {str(k): str(v) for k, v in sensor_version.items()}}


class DeviceActions(abc.ABC):
    """The seed 002 actions, for whatever :meth:`_act` applies them to (one device, a query)."""

    @abc.abstractmethod
    async def _act(self, action_type: str, options: Mapping[str, Any] | None = None) -> None:
        """Send ``action_type`` with ``options`` for the devices this object stands for."""

    async def quarantine(self, enable: bool) -> None:
        """Cut the device(s) off the network (``True``) or let them back (``False``)."""
        await self._act("QUARANTINE", toggle_options(enable))

    async def bypass(self, enable: bool) -> None:
        """Put the sensor(s) in bypass mode (no policy enforcement) or take them out."""
        await self._act("BYPASS", toggle_options(enable))

    async def background_scan(self, scan: bool) -> None:
        """Turn the background scan on or off."""
        await self._act("BACKGROUND_SCAN", toggle_options(scan))

    async def update_policy(self, policy_id: int) -> None:
        """Move the device(s) to a policy."""
        await self._act("UPDATE_POLICY", policy_options(policy_id))

    async def update_sensor_version(self, sensor_version: Mapping[str, str]) -> None:
        """Upgrade the sensor(s): ``{"WINDOWS": "3.9.1.2451"}`` (an OS or kit type → version)."""
        await self._act("UPDATE_SENSOR_VERSION", sensor_version_options(sensor_version))

    async def uninstall_sensor(self) -> None:
        await self._act("UNINSTALL_SENSOR")

    async def delete_sensor(self) -> None:
        """Delete deregistered devices' records."""
        await self._act("DELETE_SENSOR")


class DeviceSearchQuery(SearchQuery[M], DeviceActions):
    """A device search (``POST .../devices/_search``): criteria builders named as in
    carbon-black-cloud-sdk, ``where()`` for a query string, ``add_exclusions``, ``sort_by``.

    Iteration pages up to the search's 10,000-row cap; :meth:`scroll` goes past it. The
    device actions act on every device the search matches (one request, the search in the
    body), never on a slice of it.
    """

    #: Both bases have been seen on this route (wire §6.1); carbon-black-cloud-sdk 1.5 sends
    #: 1-based starts, and so does this query.
    start_base: ClassVar[int] = 1

    def _search_route(self) -> str:
        return DEVICES + "/_search"

    # -- criteria ---------------------------------------------------------------------------

    def set_ad_group_ids(self, ad_group_ids: int | Iterable[int]) -> Self:
        return self.add_criteria("ad_group_id", integers("ad_group_ids", ad_group_ids))

    def set_device_ids(self, device_ids: int | Iterable[int]) -> Self:
        return self.add_criteria("id", integers("device ids", device_ids))

    def set_os(self, operating_systems: str | Iterable[str]) -> Self:
        return self.add_criteria("os", choices("os", operating_systems, DEVICE_OS))

    def set_policy_ids(self, policy_ids: int | Iterable[int]) -> Self:
        return self.add_criteria("policy_id", integers("policy ids", policy_ids))

    def set_status(self, statuses: str | Iterable[str]) -> Self:
        return self.add_criteria("status", choices("status", statuses, DEVICE_STATUSES))

    def set_target_priorities(self, target_priorities: str | Iterable[str]) -> Self:
        chosen = choices("target priority", target_priorities, DEVICE_TARGET_PRIORITIES)
        return self.add_criteria("target_priority", chosen)

    def set_deployment_type(self, deployment_types: str | Iterable[str]) -> Self:
        chosen = choices("deployment type", deployment_types, DEVICE_DEPLOYMENT_TYPES)
        return self.add_criteria("deployment_type", chosen)

    def set_cloud_provider_account_id(self, account_ids: str | Iterable[str]) -> Self:
        return self.add_criteria("cloud_provider_account_id", strings("account ids", account_ids))

    def set_auto_scaling_group_name(self, group_names: str | Iterable[str]) -> Self:
        return self.add_criteria("auto_scaling_group_name", strings("group names", group_names))

    def set_virtual_private_cloud_id(self, cloud_ids: str | Iterable[str]) -> Self:
        return self.add_criteria("virtual_private_cloud_id", strings("VPC ids", cloud_ids))

    def set_exclude_sensor_versions(self, sensor_versions: str | Iterable[str]) -> Self:
        """Leave out devices running these sensor versions."""
        return self.add_exclusions("sensor_version", strings("sensor versions", sensor_versions))

    def set_last_contact_time(
        self,
        *,
        start: datetime.datetime | str | None = None,
        end: datetime.datetime | str | None = None,
        range: str | None = None,  # the wire's (and the cloud SDK's) name
    ) -> Self:
        """Devices last seen between ``start`` and ``end``, or within ``range`` (``"-2w"``)."""
        if range is not None and (start is not None or end is not None):
            raise ValueError("give a range, or start and end, not both")
        if range is not None:
            return self._replace_criterion("last_contact_time", {"range": range})
        if start is None or end is None:
            raise ValueError("give a range, or both start and end")
        return self._replace_criterion(
            "last_contact_time", {"start": format_time(start), "end": format_time(end)}
        )

    def _replace_criterion(self, field: str, value: Mapping[str, str]) -> Self:
        rest = tuple((k, v) for k, v in self._criteria if k != field)
        return self._replace(criteria=(*rest, (field, dict(value))))

    # -- more than the search --------------------------------------------------------------

    def _filter_body(self) -> dict[str, Any]:
        """What selects the devices, without sort or paging (facets, scroll, actions)."""
        return {
            k: v for k, v in self.search_body().items() if k in ("criteria", "exclusions", "query")
        }

    async def facets(
        self, fields: str | Iterable[str], rows: int = 0
    ) -> dict[str, list[FacetValue]]:
        """Counts per value of ``fields`` (``policy_id``, ``status``, ``os``, ``ad_group_id``,
        ``deployment_type``, ...) over the devices the search matches."""
        wanted = [fields] if isinstance(fields, str) else list(fields)
        return await fetch_facets(
            self._api, DEVICES + "/_facet", self._filter_body(), wanted, rows=rows
        )

    def scroll(self, rows: int = SCROLL_ROWS) -> CursorPaginator[M]:
        """Every matching device, past the search's 10,000-row cap: ``POST .../_scroll`` with
        the last answer's ``search_after`` until it comes back empty. ``async for`` it."""
        if not isinstance(rows, int) or not 1 <= rows <= SCROLL_ROWS:
            raise ValueError(f"rows must be between 1 and {SCROLL_ROWS}, not {rows!r}")
        self._no_slices("scroll()")
        api, model, body = self._api, self._model, self._filter_body()

        async def fetch(cursor: Hashable | None) -> CursorPage[M]:
            request: dict[str, Any] = {**body, "rows": rows}
            if cursor is not None:
                request["search_after"] = cursor
            response = await api.transport.request(
                "POST", DEVICES + "/_scroll", json=request, idempotent=True
            )
            page = response.parse(adapter_for(_ScrollPage[model]))  # type: ignore[valid-type]
            if page.results is None:
                raise errors.ServerError("the scroll answer has no results", route=response.route)
            items = model._from_rows(api, page.results, full=False)
            after = page.search_after or None
            return CursorPage(items, after, progress=after, route=response.route, extra=page)

        return CursorPaginator(fetch, what=f"{model.__name__} scroll")

    async def export(self) -> Job:
        """Start a CSV export of the matching devices (a Jobs API job; ``await`` it, then
        ``await job.output()``)."""
        self._no_slices("export()")
        body = {**self.search_body(), "format": "CSV"}
        response = await self._api.transport.request("POST", DEVICES + "/_export", json=body)
        return Job._from_server(self._api, response.parse(adapter_for(Job)), full=True)

    async def _act(self, action_type: str, options: Mapping[str, Any] | None = None) -> None:
        self._no_slices(f"a device action ({action_type})")
        await device_action(self._api, action_type, search=self._filter_body(), options=options)

    def _no_slices(self, what: str) -> None:
        if self._slices:
            raise ValueError(
                f"{what} covers everything the search matches, not a slice of it; act on "
                "chosen devices with api.device_*([ids], ...)"
            )


class Device(CloudModel, cloud.Device, DeviceActions):
    """A Platform device (``id``). Its actions are requests to the server; ``await
    device.refresh()`` afterwards to see their effect (a quarantine is confirmed when the
    sensor next checks in)."""

    item_route: ClassVar[str | None] = DEVICES + "/{id}"
    #: What a repr and a result table show: which machine, and whether it is reachable.
    display_fields: ClassVar[tuple[str, ...]] = ("name", "os", "status")

    @classmethod
    def _new_query(cls, api: Any) -> DeviceSearchQuery[Self]:
        return DeviceSearchQuery(api, cls)

    @property
    def deviceId(self) -> int:  # the cloud SDK's (and Defense v3's) spelling
        return self.id

    async def _act(self, action_type: str, options: Mapping[str, Any] | None = None) -> None:
        await device_action(self.api, action_type, device_ids=[self.id], options=options)


class _ScrollPage(SearchEnvelope[M]):
    # After Device: its bound names Device, which must exist for the class to be complete.
    search_after: str | None = None
