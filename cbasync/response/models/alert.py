"""EDR alerts: search, update, and bulk changes sent in batches of 500."""

from __future__ import annotations

from typing import Any, ClassVar, Literal, TypeVar

from typing_extensions import Self

from cbasync import errors
from cbasync.model import join
from cbasync.models._generated import edr
from cbasync.response._model import EdrModel
from cbasync.response.models.binary import Binary
from cbasync.response.models.process import Process
from cbasync.response.models.sensor import Sensor
from cbasync.response.query import SolrQuery

M = TypeVar("M", bound="Alert")

__all__ = ["Alert", "AlertQuery", "AlertStatus"]

AlertStatus = Literal["Resolved", "Unresolved", "In Progress", "False Positive"]
#: Alerts per bulk request; the server handles 500 at a time (cbapi 1.3.5).
BULK_BATCH = 500


class AlertQuery(SolrQuery[M]):
    """Alert search; the bulk methods change every matching alert."""

    async def _bulk(self, body: dict[str, Any]) -> int:
        # Collect the ids first: a change of status could move alerts out of the query while
        # it is being paged.
        ids = [alert.unique_id async for alert in self]
        for start in range(0, len(ids), BULK_BATCH):
            await self._api.transport.request(
                "POST",
                "/api/v1/alerts",
                json={"alert_ids": ids[start : start + BULK_BATCH], **body},
            )
        return len(ids)

    async def change_status(self, status: AlertStatus) -> int:
        """Set the status of every matching alert; returns how many were changed."""
        return await self._bulk({"requested_status": status})

    async def set_ignored(self, ignored: bool = True) -> int:
        return await self._bulk({"set_ignored": ignored})

    async def assign_to(self, user: str, *, status: AlertStatus = "In Progress") -> int:
        """Assign every matching alert (the server wants a status with an assignment)."""
        return await self._bulk({"assigned_to": user, "requested_status": status})


class Alert(EdrModel, edr.Alert):
    """An EDR alert (``unique_id``)."""

    primary_key: ClassVar[str] = "unique_id"
    search_route: ClassVar[str] = "/api/v2/alert"
    #: Seed 003 documents GET and POST for the alert search; a query too long for a URL goes
    #: in a POST body (the process and binary searches take GET only).
    search_accepts_post: ClassVar[bool] = True
    item_route: ClassVar[str | None] = "/api/v1/alert/{id}"
    can_update: ClassVar[bool] = True
    #: What ``save()`` sends (``POST /api/v1/alert/{unique_id}``).
    settable_fields: ClassVar[frozenset[str] | None] = frozenset({"status", "assigned_to"})

    @classmethod
    def _new_query(cls, api: Any) -> AlertQuery[Self]:
        return AlertQuery(api, cls)

    @classmethod
    async def _fetch(cls, api: Any, key: Any) -> Alert:
        query = api.select(Alert).where(f'unique_id:"{key}"')
        alert: Alert | None = await query.first()
        if alert is None:
            raise errors.ObjectNotFoundError(f"no alert {key}", route=cls.search_route)
        alert._state.full = True
        return alert

    async def update(self, *, status: AlertStatus) -> Alert:
        """Change this alert's status (``POST /api/v1/alert/{unique_id}``)."""
        self.status = status
        return await self.save()

    async def save(self) -> Alert:
        if not self.is_dirty():
            return self
        body: dict[str, Any] = {"unique_id": self.unique_id, "status": self.status}
        if "assigned_to" in self.dirty_fields():
            body["assigned_to"] = self.assigned_to
        await self.api.transport.request(
            "POST", "/api/v1/alert/{id}", path_params={"id": self.unique_id}, json=body
        )
        self._state.original.clear()
        return self

    @join
    async def process(self) -> Process:
        """The process that raised the alert (all segments: alerts carry a truncated segment id)."""
        if not self.process_id:
            raise errors.InvalidObjectError(f"alert {self.unique_id} has no process")
        return await self.api.get(Process, (self.process_id, 0), cached=True)

    @join
    async def binary(self) -> Binary:
        if not self.md5:
            raise errors.InvalidObjectError(f"alert {self.unique_id} has no md5")
        return await self.api.get(Binary, self.md5.upper(), cached=True)

    @join
    async def sensor(self) -> Sensor:
        if self.sensor_id is None:
            raise errors.InvalidObjectError(f"alert {self.unique_id} has no sensor_id")
        return await self.api.get(Sensor, self.sensor_id, cached=True)
