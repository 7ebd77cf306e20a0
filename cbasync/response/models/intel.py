"""EDR threat intelligence: watchlists, feeds, threat reports, banned hashes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar
from urllib.parse import parse_qs

from typing_extensions import Self

from cbasync import errors
from cbasync.model import adapter_for, join
from cbasync.models._generated import edr
from cbasync.response._model import EdrModel
from cbasync.response.models.binary import Binary
from cbasync.response.models.process import Process
from cbasync.response.query import ListQuery, ProcessQuery, SolrQuery

if TYPE_CHECKING:
    from cbasync.response.api import CbResponseAPI

R = TypeVar("R", bound="ThreatReport")

__all__ = ["ActionKind", "BannedHash", "Feed", "ThreatReport", "ThreatReportQuery", "Watchlist"]

ActionKind = Literal["email", "syslog", "alert"]


class _ActionTypes:
    """Per-user notification actions of watchlists and feeds (EDR 6.3+)."""

    # Annotations here would become pydantic fields of the models that mix this in.
    action_route: ClassVar[str]
    if TYPE_CHECKING:
        id: Any
        api: CbResponseAPI

    async def action_types(self) -> list[edr.ActionType]:
        response = await self.api.transport.request(
            "GET", f"{self.action_route}/action_type", path_params={"id": self.id}
        )
        return list(response.parse(adapter_for(edr.ActionTypeList)).root)

    async def action_enabled(self, action: ActionKind) -> bool:
        response = await self.api.transport.request(
            "GET",
            f"{self.action_route}/action_type/{{action}}",
            path_params={"id": self.id, "action": action},
        )
        return bool(response.parse(adapter_for(edr.ActionTypeState)).enabled)

    async def set_action(self, action: ActionKind, enabled: bool) -> None:
        await self.api.transport.request(
            "PUT",
            f"{self.action_route}/action_type/{{action}}",
            path_params={"id": self.id, "action": action},
            json={"enabled": enabled},
        )


class Watchlist(_ActionTypes, EdrModel, edr.Watchlist):
    """A saved process or binary search whose hits raise alerts and tags."""

    item_route: ClassVar[str | None] = "/api/v1/watchlist/{id}"
    list_route: ClassVar[str | None] = "/api/v1/watchlist"
    create_route: ClassVar[str | None] = "/api/v1/watchlist"
    action_route: ClassVar[str] = "/api/v1/watchlist/{id}"
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("name", "search_query")

    @classmethod
    def _new_query(cls, api: Any) -> ListQuery[Self]:
        return ListQuery(api, cls)

    def _create_body(self) -> Any:
        body = self._save_payload()
        body.setdefault("index_type", "events")
        body.setdefault("id", None)
        return body

    @property
    def query(self) -> str:
        """The search's ``q``, decoded from ``search_query`` (``q=...&cb.urlver=1``)."""
        values = parse_qs(self.get("search_query") or "").get("q")
        return values[0] if values else ""

    def search(self) -> ProcessQuery[Process] | SolrQuery[Binary]:
        """The watchlist's search as a query: processes, or binaries for a ``modules`` watchlist."""
        if (self.get("index_type") or "events") == "modules":
            return self.api.select(Binary).where(self.query)
        return self.api.select(Process).where(self.query)


class Feed(_ActionTypes, EdrModel, edr.Feed):
    """A threat intelligence feed."""

    item_route: ClassVar[str | None] = "/api/v1/feed/{id}"
    list_route: ClassVar[str | None] = "/api/v1/feed"
    create_route: ClassVar[str | None] = "/api/v1/feed"
    action_route: ClassVar[str] = "/api/v1/feed/{id}"
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("feed_url",)

    @classmethod
    def _new_query(cls, api: Any) -> ListQuery[Self]:
        return ListQuery(api, cls)

    async def synchronize(self, *, full_sync: bool = False) -> None:
        """Fetch the feed's reports now (a disabled feed answers 409, a ``ClientError``)."""
        await self.api.transport.request(
            "POST",
            "/api/v1/feed/{id}/synchronize",
            path_params={"id": self.id},
            json={"full_sync": full_sync},
        )

    def reports(self) -> ThreatReportQuery[ThreatReport]:
        """This feed's threat reports."""
        return self.api.select(ThreatReport).where(f"feed_id:{self.id}")


class ThreatReportQuery(SolrQuery[R]):
    """Threat report search; :meth:`set_ignored` changes every matching report."""

    async def set_ignored(self, ignored: bool = True) -> int:
        """Ignore (or stop ignoring) every matching report; returns how many."""
        ids: dict[str, list[str]] = {}
        count = 0
        async for report in self:
            if report.feed_id is None or report.report_id is None:
                raise errors.ServerError(f"threat report {report.internal_id} has no feed_id or id")
            ids.setdefault(str(report.feed_id), []).append(report.report_id)
            count += 1
        if ids:
            await self._api.transport.request(
                "POST",
                "/api/v1/threat_report",
                json={"ids": ids, "updates": {"is_ignored": ignored}},
            )
        return count


class ThreatReport(EdrModel, edr.ThreatReport):
    """A report of a feed; its key is ``_internal_id`` (the pair feed id, report id)."""

    primary_key: ClassVar[str] = "_internal_id"
    search_route: ClassVar[str] = "/api/v1/threat_report"

    @classmethod
    def _new_query(cls, api: Any) -> ThreatReportQuery[Self]:
        return ThreatReportQuery(api, cls)

    @property
    def report_id(self) -> str | None:
        return self.__dict__.get("id")

    @classmethod
    async def _fetch(cls, api: Any, key: Any) -> ThreatReport:
        feed_id, report_id = key if isinstance(key, tuple) else str(key).split(":", 1)
        response = await api.transport.request(
            "GET",
            "/api/v1/feed/{feed_id}/report/{report_id}",
            path_params={"feed_id": feed_id, "report_id": report_id},
        )
        return cls._from_server(api, cls._parse_one(response), full=True)

    async def refresh(self) -> ThreatReport:
        fresh = await type(self)._fetch(self.api, (self.feed_id, self.report_id))
        self._adopt(fresh)
        return self

    async def set_ignored(self, ignored: bool = True) -> None:
        await self.api.transport.request(
            "POST",
            "/api/v1/threat_report",
            json={"ids": {str(self.feed_id): [self.report_id]}, "updates": {"is_ignored": ignored}},
        )
        self.__dict__["is_ignored"] = ignored

    @join
    async def feed(self) -> Feed:
        if self.feed_id is None:
            raise errors.InvalidObjectError("this report has no feed_id")
        return await self.api.get(Feed, self.feed_id, cached=True)


class BannedHash(EdrModel, edr.BannedHash):
    """A banned MD5. EDR 7.7 serves these at ``/api/v1/banning/bannedlist``, older servers at
    ``.../blacklist``; the client picks by the server's version. Deleting disables the ban
    (the record stays with ``enabled: false``)."""

    primary_key: ClassVar[str] = "md5hash"
    item_route: ClassVar[str | None] = "/api/v1/banning/bannedlist/{id}"
    create_route: ClassVar[str | None] = "/api/v1/banning/bannedlist"
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("md5hash",)

    @classmethod
    def _new_query(cls, api: Any) -> ListQuery[Self]:
        return ListQuery(api, cls)

    #: Without ``count`` the server lists only the first 500 (cbapi's ">500" workaround).
    list_params: ClassVar[dict[str, Any] | None] = {"count": 100_000}

    @classmethod
    async def _route_for(cls, api: Any, which: str) -> str | None:
        base: str = (await api.route_names())["banned"]
        return f"{base}/{{id}}" if which == "item" else base  # create and list

    @classmethod
    def _unfetched(cls, api: Any, key: Any) -> BannedHash:
        return super()._unfetched(api, str(key).lower())

    def _create_body(self) -> Any:
        body = {"md5hash": self.md5hash.lower(), "text": self.get("text") or "", "enabled": True}
        self.__dict__["md5hash"] = body["md5hash"]
        return body

    def _update_body(self) -> Any:
        return {
            "md5hash": self.md5hash,
            "text": self.get("text") or "",
            "enabled": bool(self.get("enabled", True)),
        }

    @join
    async def binary(self) -> Binary:
        return await self.api.get(Binary, self.md5hash.upper(), cached=True)
