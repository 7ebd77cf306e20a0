"""Endpoint Standard (formerly CB Defense) v3, ``/integrationServices/v3`` (seed 001, wire §7):
devices, events, policies and their rules, and the notification queue — under the seed's
names (``from cbasync.cloud.defense import Device, Event, Policy``; from ``cbasync.cloud``
they are ``DefenseDevice``, ``DefenseEvent``, ``DefensePolicy``)::

    device = await api.select(defense.Device).where("hostNameExact:WIN-IA9NQ1GN8OI").first()
    device.policyName = "Restrictive_Windows_Workstation"
    await device.save()                                # PATCH of the changed field

    async for notification in api.notification_listener(interval=60):
        ...                                            # each queued alert once, forever

No org key in these routes: the API key names the org, and notifications need a SIEM key.
Lists take ``field:value`` clauses as query parameters (cbapi's ``where``), count from 1 and
stop at 100,000 rows (``results`` is null past it). A failure may come as ``"success": false``
in a 200, which is an error here like any other.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import pydantic
from typing_extensions import Self

from cbasync import errors
from cbasync._iterators import StepIterator
from cbasync._pagination import Page
from cbasync._polling import poll_new_items
from cbasync.cloud._model import CloudModel
from cbasync.model import ItemAccess, adapter_for
from cbasync.models._generated import cloud
from cbasync.query import Query

if TYPE_CHECKING:
    from cbasync.cloud.api import CBCloudAPI

__all__ = [
    "DEFAULT_NOTIFICATION_INTERVAL",
    "AuditLog",
    "Device",
    "Event",
    "Notification",
    "Policy",
    "PolicyRule",
    "V3Model",
    "V3Query",
    "get_auditlogs",
    "get_notifications",
    "notification_listener",
]

M = TypeVar("M", bound="V3Model")

V3 = "/integrationServices/v3"
#: Rows past this are not served: ``start`` beyond it answers ``"results": null`` (wire §7).
V3_RESULT_CAP = 100_000
#: Seconds between polls of the notification queue; cbapi's listener waited a minute, which
#: keeps a SIEM integration well inside the v3 API's rate limits.
DEFAULT_NOTIFICATION_INTERVAL = 60.0


class _V3List(pydantic.BaseModel):
    """The v3 list envelope: ``results`` (null past the cap) and ``totalResults``."""

    model_config = pydantic.ConfigDict(extra="allow")

    results: list[dict[str, Any]] | None = None
    totalResults: int | None = None


class V3Model(CloudModel):
    """A v3 object: its list is searched at :attr:`search_route`."""

    __slots__ = ()

    search_route: ClassVar[str] = ""


class V3Query(Query[M]):
    """A v3 list search: each ``where("field:value")`` clause is a query parameter
    (``hostNameExact:WIN-1``, ``ipAddress:192.168.215.150``, ``searchWindow:1d``, ...); clauses
    on the same field are refused, since a parameter has one value."""

    default_page_size: ClassVar[int] = 100
    max_offset: ClassVar[int | None] = V3_RESULT_CAP

    def _params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        for clause in self._clauses:
            name, sep, value = clause.partition(":")
            name = name.strip()
            if not sep or not name or " " in name:
                raise errors.QuerySyntaxError(
                    f"v3 searches take one field:value per where(), not {clause!r}"
                )
            if name in params:
                raise errors.QuerySyntaxError(f"{name} is given twice; a v3 filter has one value")
            params[name] = value.strip()
        return params

    def sort(self, order: str) -> Self:
        raise ValueError("v3 lists come in the server's order; they cannot be sorted")

    async def _fetch_page(self, start: int, rows: int) -> Page[M]:
        api, model = self._api, self._model
        params: dict[str, Any] = {**self._params(), "start": start + 1, "rows": rows}
        response = await api.transport.request("GET", model.search_route, params=params)
        envelope = response.parse(adapter_for(_V3List))
        total = envelope.totalResults
        if envelope.results is None:
            # Past the 100,000-row cap, or nothing to say: no rows, not an error.
            return Page([], total, start, route=response.route)
        items = [
            model._from_server(api, model.model_validate(row), full=True)
            for row in envelope.results
        ]
        return Page(items, total, start, route=response.route)


class Device(V3Model, cloud.DefenseDevice):
    """An Endpoint Standard device (``deviceId``), with the v3 field names
    (``policyName``, ``lastContact``, ...). ``save()`` PATCHes the fields you changed."""

    primary_key: ClassVar[str] = "deviceId"
    search_route: ClassVar[str] = V3 + "/device"
    item_route: ClassVar[str | None] = V3 + "/device/{id}"
    can_update: ClassVar[bool] = True
    settable_fields: ClassVar[frozenset[str] | None] = frozenset(
        {"policyName", "policyId", "targetPriorityType"}
    )

    @classmethod
    def _new_query(cls, api: Any) -> V3Query[Self]:
        return V3Query(api, cls)

    @classmethod
    async def _fetch(cls, api: Any, key: Any) -> Self:
        response = await api.transport.request("GET", V3 + "/device/{id}", path_params={"id": key})
        info = response.parse(adapter_for(cloud.DefenseDeviceResponse)).deviceInfo
        if info is None:
            raise errors.ObjectNotFoundError(f"no device {key}", route=response.route)
        return cls._from_server(api, cls.model_validate(info.model_dump(by_alias=True)), full=True)

    async def save(self) -> Self:
        """Send the changed fields (``PATCH``, wire §7), then read the device back."""
        if not self.is_dirty():
            return self
        changed = {name: getattr(self, name) for name in self.dirty_fields()}
        response = await self.api.transport.request(
            "PATCH", V3 + "/device/{id}", path_params={"id": self.key}, json=changed
        )
        answer = response.parse(adapter_for(cloud.DefenseDeviceUpdateResponse))
        if answer.deviceInfo is not None:
            fresh = type(self).model_validate(answer.deviceInfo.model_dump(by_alias=True))
            self._adopt(fresh)
        else:
            await self.refresh()
        return self


class Event(V3Model, cloud.DefenseEvent):
    """An Endpoint Standard event (``eventId``). Search with ``where`` clauses such as
    ``searchWindow:1d``, ``hostNameExact:...``, ``eventType:NETWORK``, ``sha256Hash:...``."""

    primary_key: ClassVar[str] = "eventId"
    search_route: ClassVar[str] = V3 + "/event"
    item_route: ClassVar[str | None] = V3 + "/event/{id}"

    @classmethod
    def _new_query(cls, api: Any) -> V3Query[Self]:
        return V3Query(api, cls)

    @classmethod
    async def _fetch(cls, api: Any, key: Any) -> Self:
        response = await api.transport.request("GET", V3 + "/event/{id}", path_params={"id": key})
        info = response.parse(adapter_for(cloud.DefenseEventResponse)).eventInfo
        if info is None:
            raise errors.ObjectNotFoundError(f"no event {key}", route=response.route)
        return cls._from_server(api, cls.model_validate(info.model_dump(by_alias=True)), full=True)


class PolicyRule(ItemAccess, cloud.DefensePolicyRule):
    """A rule of a policy: ``action``, ``application`` ``{type, value}``, ``operation``,
    ``required``."""


class Policy(V3Model, cloud.DefensePolicyInfo):
    """An Endpoint Standard policy (``id``): ``name``, ``priorityLevel``, and ``policy`` (its
    body: sensor settings, rules, ...). ``save()`` sends the whole ``policyInfo`` (PUT) or
    creates it (POST); rules change one by one with :meth:`add_rule` and friends."""

    search_route: ClassVar[str] = V3 + "/policy"
    item_route: ClassVar[str | None] = V3 + "/policy/{id}"
    create_route: ClassVar[str | None] = V3 + "/policy"
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("name",)

    @classmethod
    def _new_query(cls, api: Any) -> V3Query[Self]:
        return V3Query(api, cls)

    @classmethod
    async def _fetch(cls, api: Any, key: Any) -> Self:
        response = await api.transport.request("GET", V3 + "/policy/{id}", path_params={"id": key})
        info = response.parse(adapter_for(cloud.DefensePolicyResponse)).policyInfo
        if info is None:
            raise errors.ObjectNotFoundError(f"no policy {key}", route=response.route)
        return cls._from_server(api, cls.model_validate(info.model_dump(by_alias=True)), full=True)

    def _info(self) -> dict[str, Any]:
        info = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        info.setdefault("policy", {})
        return info

    def _create_body(self) -> Any:
        return {"policyInfo": self._info()}

    def _update_body(self) -> Any:
        return {"policyInfo": self._info()}

    def _key_from_create(self, body: Any) -> Any:
        if isinstance(body, dict) and body.get("policyId") is not None:
            return body["policyId"]
        return super()._key_from_create(body)

    @property
    def rules(self) -> list[PolicyRule]:
        """The policy's rules, as last read."""
        raw = (self.policy or {}).get("rules") or []
        return [PolicyRule.model_validate(rule) for rule in raw]

    async def add_rule(self, rule: Mapping[str, Any] | PolicyRule) -> int:
        """Add a rule (``POST .../policy/{id}/rule``); returns its id, and re-reads the policy."""
        response = await self.api.transport.request(
            "POST",
            V3 + "/policy/{id}/rule",
            path_params={"id": self.key},
            json={"ruleInfo": _rule(rule)},
        )
        rule_id = response.parse(adapter_for(cloud.DefensePolicyRuleResponse)).ruleId
        await self.refresh()
        if rule_id is None:
            raise errors.ServerError("adding a rule answered no ruleId", route=response.route)
        return rule_id

    async def replace_rule(self, rule_id: int, rule: Mapping[str, Any] | PolicyRule) -> None:
        """Replace rule ``rule_id`` (``PUT .../rule/{ruleId}``), and re-read the policy."""
        await self.api.transport.request(
            "PUT",
            V3 + "/policy/{id}/rule/{rule_id}",
            path_params={"id": self.key, "rule_id": rule_id},
            json={"ruleInfo": {**_rule(rule), "id": rule_id}},
        )
        await self.refresh()

    async def delete_rule(self, rule_id: int) -> None:
        await self.api.transport.request(
            "DELETE",
            V3 + "/policy/{id}/rule/{rule_id}",
            path_params={"id": self.key, "rule_id": rule_id},
        )
        await self.refresh()


def _rule(rule: Mapping[str, Any] | PolicyRule) -> dict[str, Any]:
    body = (
        rule.model_dump(mode="json", exclude_none=True)
        if isinstance(rule, PolicyRule)
        else dict(rule)
    )
    missing = [key for key in ("action", "application", "operation") if key not in body]
    if missing:
        raise errors.InvalidObjectError(
            f"a rule needs {', '.join(missing)}", missing=tuple(missing)
        )
    return body


# -- the queues ----------------------------------------------------------------------------------


class Notification(ItemAccess, cloud.DefenseNotification):
    """A queued notification (an alert): ``type``, ``url``, ``eventTime``, ``threatInfo``,
    ``deviceInfo`` (``notification["deviceInfo"]["deviceId"]`` is the device to act on)."""


class AuditLog(ItemAccess, cloud.DefenseAuditLog):
    """An audit-log entry: who did what through the console or the API."""


class _Notifications(cloud.DefenseNotificationResponse):
    notifications: list[Notification] | None = None  # type: ignore[assignment]


class _AuditLogs(cloud.DefenseAuditLogResponse):
    notifications: list[AuditLog] | None = None  # type: ignore[assignment]


async def get_notifications(api: CBCloudAPI) -> list[Notification]:
    """The notifications queued now; what this returns leaves the queue (a SIEM key)."""
    response = await api.transport.request("GET", V3 + "/notification")
    return response.parse(adapter_for(_Notifications)).notifications or []


async def get_auditlogs(api: CBCloudAPI) -> list[AuditLog]:
    """The audit-log entries queued now (the answer's key really is ``notifications``)."""
    response = await api.transport.request("GET", V3 + "/auditlogs")
    return response.parse(adapter_for(_AuditLogs)).notifications or []


def _identity(notification: Notification) -> Hashable:
    """What tells notifications apart: the incident and time when the server names them,
    otherwise the whole notification."""
    threat = notification.threatInfo or {}
    incident = threat.get("incidentId")
    if incident is not None:
        return (notification.type, incident, str(notification.eventTime))
    return json.dumps(notification.model_dump(mode="json"), sort_keys=True)


def notification_listener(
    api: CBCloudAPI, interval: float = DEFAULT_NOTIFICATION_INTERVAL
) -> StepIterator[Notification]:
    """Poll the notification queue every ``interval`` seconds, forever, and yield each
    notification once (the one watch helper, :func:`cbasync._polling.poll_new_items`)."""

    async def fetch() -> list[Notification]:
        return await get_notifications(api)

    return poll_new_items(fetch, interval=interval, key=_identity)
