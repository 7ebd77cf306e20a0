"""EDR sensors and sensor groups: isolation that waits for the sensor, restart, event flush,
group changes, installers."""

from __future__ import annotations

import datetime
import os
import shlex
from collections.abc import AsyncGenerator
from contextlib import AbstractAsyncContextManager, aclosing
from email.utils import format_datetime
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from typing_extensions import Self

from cbasync import errors
from cbasync._files import save_stream
from cbasync._iterators import ClosingStream
from cbasync._pagination import Page
from cbasync._polling import Backoff, wait_until
from cbasync.live_response import ACTIVATION_WAIT, LiveResponseSession
from cbasync.model import adapter_for, join
from cbasync.models._generated import edr
from cbasync.query import Query
from cbasync.response._model import EdrModel

M = TypeVar("M", bound="Sensor")

__all__ = ["InstallerKind", "Sensor", "SensorGroup", "SensorQuery"]

#: Fields EDR 7.1+ accepts in a sensor PUT; anything else is refused, so nothing else is sent.
SETTABLE_FIELDS = (
    "network_isolation_enabled",
    "restart_queued",
    "uninstall",
    "liveresponse_init",
    "group_id",
    "notes",
    "event_log_flush_time",
)
#: Sensors check in every 30-60 s by default; isolation is confirmed at a check-in.
DEFAULT_ISOLATION_WAIT = 300.0
_FILTERS = {"hostname": "hostname", "ip": "ip", "ipaddr": "ip", "groupid": "groupid", "group_id": "groupid",
            "inactive_filter_days": "inactive_filter_days"}  # fmt: skip

InstallerKind = Literal["windows/exe", "windows/msi", "osx", "linux"]


class SensorQuery(Query[M]):
    """Sensors, filtered by the server on ``hostname:``, ``ip:``, ``groupid:`` and
    ``inactive_filter_days:`` terms, paged with ``/api/v2/sensor``."""

    default_page_size: ClassVar[int] = 100

    def _params(self) -> list[tuple[str, str]]:
        params: list[tuple[str, str]] = []
        for clause in self._clauses:
            for term in shlex.split(clause):
                name, sep, value = term.partition(":")
                key = _FILTERS.get(name.lower())
                if not sep or key is None:
                    raise errors.QuerySyntaxError(
                        f"sensors filter on {', '.join(sorted(set(_FILTERS)))} terms, not {term!r}"
                    )
                params.append((key, value))
        return params

    async def _fetch_page(self, start: int, rows: int) -> Page[M]:
        api = self._api
        column, _, direction = (self._sort or "computer_name asc").partition(" ")
        params: list[tuple[str, str | int]] = [
            ("start", start),
            ("rows", rows),
            ("sort.col", column),
            ("sort.dir", direction.strip() or "asc"),
            *self._params(),
        ]
        # Every server error is raised (after the retry policy), never read as "no more rows".
        # Old servers answered 500 when a filter matched nothing, but on /api/v1/sensor (seed
        # 000, cbapi 1.3.4), which this query does not use; on a page of /api/v2/sensor a 500
        # is indistinguishable from a real failure, and reading it as the end lost the rest.
        response = await api.transport.request("GET", "/api/v2/sensor", params=params)
        page = response.parse(adapter_for(edr.SensorSearchResponse))
        items = [
            self._model._from_server(
                api, self._model.model_validate(row.model_dump(by_alias=True)), full=True
            )
            for row in page.results
        ]
        return Page.from_envelope(items, page.total_results, start, route=response.route)


class Sensor(EdrModel, edr.Sensor):
    """An EDR sensor. Isolation, restart and flush are requests the sensor acts on at its next
    check-in; :meth:`isolate` and :meth:`unisolate` wait (bounded) until it has."""

    item_route: ClassVar[str | None] = "/api/v1/sensor/{id}"
    can_update: ClassVar[bool] = True
    settable_fields: ClassVar[frozenset[str] | None] = frozenset(SETTABLE_FIELDS)
    setter_hints: ClassVar[dict[str, str]] = {
        "group": "`await sensor.set_group(group)`",
        "isolated": "`await sensor.isolate()` or `await sensor.unisolate()`",
    }

    @classmethod
    def _new_query(cls, api: Any) -> SensorQuery[Self]:
        return SensorQuery(api, cls)

    @property
    def webui_link(self) -> str:
        return f"{self.api.url}/#/host/{self.id}"

    @property
    def hostname(self) -> str | None:
        return self.computer_name

    @property
    def ip_addresses(self) -> list[str]:
        """The IPs in ``network_adapters`` (``"ip,mac|ip,mac|"``)."""
        adapters = self.get("network_adapters") or ""
        return [pair.split(",")[0] for pair in adapters.split("|") if pair.strip()]

    @property
    def is_online(self) -> bool:
        return (self.get("status") or "").lower() == "online"

    def _save_payload(self) -> dict[str, Any]:
        payload = {}
        for name in SETTABLE_FIELDS:
            value = self.__dict__.get(name)
            if value is not None:
                payload[name] = value.isoformat() if isinstance(value, datetime.datetime) else value
        return payload

    async def save(self) -> Sensor:
        """Send the settable fields (EDR 7.1+ refuses others), then refresh."""
        if not self.is_dirty():
            return self
        await self.api.transport.request(
            "PUT", "/api/v1/sensor/{id}", path_params={"id": self.id}, json=self._save_payload()
        )
        await self.refresh()
        return self

    async def _request_change(self, **fields: Any) -> None:
        for name, value in fields.items():
            setattr(self, name, value)
        await self.save()

    async def isolate(
        self, *, max_wait: float = DEFAULT_ISOLATION_WAIT, poll_interval: float = 1.0
    ) -> Sensor:
        """Isolate the endpoint from the network and wait until the sensor confirms it
        (``is_isolating``); ``TimeoutError`` with the last sensor state after ``max_wait``
        seconds (an offline sensor never confirms). Polls start every ``poll_interval`` seconds
        and back off to ten times that."""
        await self._request_change(network_isolation_enabled=True)
        return await self._wait_isolation(True, max_wait, poll_interval)

    async def unisolate(
        self, *, max_wait: float = DEFAULT_ISOLATION_WAIT, poll_interval: float = 1.0
    ) -> Sensor:
        """Lift the isolation and wait (at most ``max_wait`` seconds) until the sensor confirms."""
        await self._request_change(network_isolation_enabled=False)
        return await self._wait_isolation(False, max_wait, poll_interval)

    async def _wait_isolation(
        self, isolated: bool, max_wait: float, poll_interval: float
    ) -> Sensor:
        async def fetch() -> Sensor:
            return await Sensor._fetch(self.api, self.id)

        state = await wait_until(
            fetch,
            success=lambda s: (
                bool(s.is_isolating) is isolated and bool(s.network_isolation_enabled) is isolated
            ),
            max_wait=max_wait,
            backoff=Backoff(initial=poll_interval, maximum=10 * poll_interval),
            what=f"{'isolation' if isolated else 'lifting the isolation'} of sensor {self.id}",
        )
        self._adopt(state)
        return self

    def lr_session(
        self, *, max_wait: float = ACTIVATION_WAIT, keepalive: bool | float = False
    ) -> AbstractAsyncContextManager[LiveResponseSession]:
        """A Live Response session on this sensor: ``async with sensor.lr_session() as lr:``
        (``api.live_response.session(sensor)``)."""
        return self.api.live_response.session(self, max_wait=max_wait, keepalive=keepalive)

    async def restart(self) -> None:
        """Ask the sensor to restart at its next check-in."""
        await self._request_change(restart_queued=True)

    async def flush_events(self) -> None:
        """Ask the sensor to send every event it holds (sets ``event_log_flush_time`` a day
        ahead, in the RFC 822 form EDR 6.x requires)."""
        when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)
        await self._request_change(event_log_flush_time=format_datetime(when, usegmt=True))

    @join
    async def group(self) -> SensorGroup:
        if self.group_id is None:
            raise errors.InvalidObjectError(f"sensor {self.id} has no group_id")
        return await self.api.get(SensorGroup, self.group_id, cached=True)

    async def set_group(self, group: SensorGroup | int) -> None:
        """Move the sensor to another group."""
        await self._request_change(group_id=group if isinstance(group, int) else group.id)

    async def _sub_resource(self, name: str) -> list[dict[str, Any]]:
        response = await self.api.transport.request(
            "GET", f"/api/v1/sensor/{{id}}/{name}", path_params={"id": self.id}
        )
        return response.parse(adapter_for(edr.SensorSubresourceList)).root

    async def queued(self) -> list[dict[str, Any]]:
        return await self._sub_resource("queued")

    async def activity(self) -> list[dict[str, Any]]:
        return await self._sub_resource("activity")

    async def resource_status(self) -> list[dict[str, Any]]:
        return await self._sub_resource("resourcestatus")


class SensorGroup(EdrModel, edr.SensorGroup):
    """A sensor group (``/api/group``); a GET of one group answers an array of one."""

    item_route: ClassVar[str | None] = "/api/group/{id}"
    list_route: ClassVar[str | None] = "/api/group"
    create_route: ClassVar[str | None] = "/api/group"
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("name",)

    def _save_payload(self) -> dict[str, Any]:
        payload = super()._save_payload()
        if self._state.new:
            payload.setdefault("id", None)
            payload.setdefault("site_id", 1)
        return payload

    def sensors(self) -> SensorQuery[Sensor]:
        """The sensors in this group."""
        return self.api.select(Sensor).where(f"groupid:{self.id}")

    def installer(self, kind: InstallerKind) -> ClosingStream[bytes]:
        """The signed installer package (a ZIP; ``tar.gz`` for Linux), as it streams in; close
        it (``async with``) to stop early."""
        return ClosingStream(self._installer(kind))

    async def _installer(self, kind: InstallerKind) -> AsyncGenerator[bytes, None]:
        async with (
            self.api.transport.stream(
                "GET", f"/api/v1/group/{{id}}/installer/{kind}", path_params={"id": self.id}
            ) as response,
            aclosing(response.aiter_bytes()) as chunks,
        ):
            async for chunk in chunks:
                yield chunk

    async def download_installer(self, kind: InstallerKind, path: str | os.PathLike[str]) -> Path:
        async with self.installer(kind) as chunks:
            return await save_stream(chunks, path)
