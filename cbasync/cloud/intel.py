"""Threat intelligence (Enterprise EDR, wire §4.5-4.6): feeds and their reports
(``/threathunter/feedmgr/v2``), watchlists and watchlist reports, ignores and custom severities
(``/threathunter/watchlistmgr/v3``), IOCs, and query validation::

    feed = api.create(Feed)
    feed.name, feed.provider_url, feed.summary, feed.category = "SOC", "https://soc.example", "Ours", "Internal"
    await feed.save()
    await feed.append_reports([report])                # the server replaces; we re-send all
    watchlist = await feed.subscribe()                 # a watchlist that follows the feed
    async for wl in api.select(Watchlist): ...
    await (await watchlist.reports())[0].ignore()

A feed report is addressed by the watchlist manager as ``<feed_id>-<report_id>`` (its ignore
flag) and by its bare id (its custom severity); :class:`Report` knows which it is and picks.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from typing_extensions import Self

from cbasync import errors
from cbasync._pagination import DEFAULT_CONCURRENCY, Page
from cbasync._tasks import gather
from cbasync.cloud._model import CloudModel
from cbasync.model import ItemAccess, adapter_for, join
from cbasync.models._generated import cloud
from cbasync.query import Query

if TYPE_CHECKING:
    from cbasync.cloud.api import CBCloudAPI

__all__ = [
    "IOC",
    "Feed",
    "Report",
    "ReportSeverity",
    "ThreatIntelListQuery",
    "Watchlist",
    "translate_query",
    "validate_query",
]

M = TypeVar("M", bound=CloudModel)

FEEDS = "/threathunter/feedmgr/v2/orgs/{org_key}/feeds"
WATCHLISTS = "/threathunter/watchlistmgr/v3/orgs/{org_key}/watchlists"
REPORTS = "/threathunter/watchlistmgr/v3/orgs/{org_key}/reports"
VALIDATION = "/api/investigate/v2/orgs/{org_key}/processes/search_validation"
MATCH_TYPES = ("equality", "regex", "query")


async def validate_query(api: CBCloudAPI, query: str) -> cloud.SearchValidationResponse:
    """Ask the server whether ``query`` parses (``POST .../processes/search_validation``)."""
    response = await api.transport.request(
        "POST", VALIDATION, json={"query": query}, idempotent=True
    )
    return response.parse(adapter_for(cloud.SearchValidationResponse))


async def translate_query(api: CBCloudAPI, query: str) -> str:
    """An EDR (CB Response) query in Enterprise EDR field names (``md5:`` → ``process_hash:``)."""
    response = await api.transport.request(
        "POST", "/threathunter/feedmgr/v2/query/translate", json={"query": query}, idempotent=True
    )
    return response.parse(adapter_for(cloud.QueryTranslation)).query


class ThreatIntelListQuery(Query[M]):
    """A list the server answers whole (``{"results": [...]}``): feeds, watchlists."""

    route: ClassVar[str] = ""

    def __init__(self, api: Any, model: type[M]) -> None:
        super().__init__(api, model)
        self._params: tuple[tuple[str, str], ...] = ()
        self._page_size = 1 << 30
        self._concurrency = 1

    def where(self, query: str) -> Self:
        raise errors.QuerySyntaxError(
            f"{self._model.__name__} lists are not searched on the server; filter the objects"
        )

    async def _fetch_page(self, start: int, rows: int) -> Page[M]:
        api, model = self._api, self._model
        response = await api.transport.request("GET", self.route, params=dict(self._params) or None)
        rows_in = response.parse(adapter_for(_Results)).results or []
        items = [model._from_server(api, model.model_validate(row), full=True) for row in rows_in]
        return Page(items[start : start + rows], len(items), start, route=response.route)


class _Results(cloud.FeedList):
    results: list[dict[str, Any]] | None = None  # type: ignore[assignment]


class FeedQuery(ThreatIntelListQuery[M]):
    route: ClassVar[str] = FEEDS

    def include_public(self, include: bool = True) -> Self:
        """Public feeds too (the org's own only by default)."""
        return self._replace(params=(("include_public", "true" if include else "false"),))


class WatchlistQuery(ThreatIntelListQuery[M]):
    route: ClassVar[str] = WATCHLISTS


# -- IOCs and reports ----------------------------------------------------------------------------


class IOC(CloudModel, cloud.IocV2):
    """An indicator of a report (``iocs_v2``): ``match_type`` equality, regex or query, its
    ``values``, and the ``field`` they match (none for a query)."""

    @classmethod
    def create_query(cls, ioc_id: str, query: str) -> IOC:
        return cls(id=ioc_id, match_type="query", values=[query])

    @classmethod
    def create_equality(cls, ioc_id: str, field: str, *values: str) -> IOC:
        return cls(id=ioc_id, match_type="equality", field=field, values=list(values))

    @classmethod
    def create_regex(cls, ioc_id: str, field: str, *values: str) -> IOC:
        return cls(id=ioc_id, match_type="regex", field=field, values=list(values))

    def validate_locally(self) -> None:
        """``InvalidObjectError`` naming what is wrong before anything is sent."""
        if not self.id:
            raise errors.InvalidObjectError("an IOC needs an id", missing=("id",))
        if self.match_type not in MATCH_TYPES:
            raise errors.InvalidObjectError(
                f"match_type is one of {', '.join(MATCH_TYPES)}: {self.match_type!r}"
            )
        if not self.values:
            raise errors.InvalidObjectError(f"IOC {self.id} has no values", missing=("values",))
        if self.match_type != "query" and not self.field:
            raise errors.InvalidObjectError(
                f"{self.match_type} IOC {self.id} needs a field", missing=("field",)
            )

    def _ignore_route(self) -> tuple[str, dict[str, Any]]:
        report_id = self._state.extra.get("report_ref")
        if report_id is None:
            raise errors.InvalidObjectError("this IOC was not read from a saved report")
        return REPORTS + "/{report_id}/iocs/{ioc_id}/ignore", {
            "report_id": report_id,
            "ioc_id": self.id,
        }

    async def ignored(self) -> bool:
        route, params = self._ignore_route()
        response = await self.api.transport.request("GET", route, path_params=params)
        return bool(response.parse(adapter_for(cloud.ReportIgnoreStatus)).ignored)

    async def ignore(self) -> None:
        route, params = self._ignore_route()
        await self.api.transport.request("PUT", route, path_params=params)

    async def unignore(self) -> None:
        route, params = self._ignore_route()
        await self.api.transport.request("DELETE", route, path_params=params)


class ReportSeverity(ItemAccess, cloud.ReportSeverity):
    """A feed report's custom severity (``report_id``, ``severity``)."""


class Report(CloudModel, cloud.Report):
    """A report of a feed, or of the watchlist manager. ``iocs_v2`` are :class:`IOC` objects.

    A new report is a watchlist report: ``api.create(Report)``, set ``title``,
    ``description``, ``severity`` and ``iocs_v2``, then ``await report.save_watchlist()``. A
    feed's reports are written with :meth:`Feed.replace_reports` / :meth:`Feed.append_reports`.
    """

    item_route: ClassVar[str | None] = REPORTS + "/{id}"
    create_route: ClassVar[str | None] = REPORTS
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("title", "description", "severity")

    iocs_v2: list[IOC] | None = None  # type: ignore[assignment]

    @property
    def feed_id(self) -> str | None:
        """The feed of a feed report (``None`` for a watchlist report)."""
        value: str | None = self._state.extra.get("feed_id")
        return value

    def _bind(self, api: Any, feed_id: str | None) -> Self:
        Report._from_server(api, self, full=True)
        self._state.extra["feed_id"] = feed_id
        for ioc in self.iocs_v2 or ():
            IOC._from_server(api, ioc, full=True)
            ioc._state.extra["report_ref"] = self._ignore_id()
        return self

    def _ignore_id(self) -> str:
        """How the watchlist manager names this report: ``<feed_id>-<id>`` for a feed's."""
        return f"{self.feed_id}-{self.id}" if self.feed_id else str(self.id)

    def _route(self) -> tuple[str, dict[str, Any]]:
        if self.feed_id:
            return FEEDS + "/{feed_id}/reports/{id}", {"feed_id": self.feed_id, "id": self.id}
        return REPORTS + "/{id}", {"id": self.id}

    @classmethod
    async def _fetch(cls, api: Any, key: Any) -> Self:
        response = await api.transport.request("GET", REPORTS + "/{id}", path_params={"id": key})
        report: Self = response.parse(adapter_for(cls))
        return report._bind(api, None)

    async def refresh(self) -> Self:
        if self.feed_id:
            for report in await Feed._reports(self.api, self.feed_id):
                if report.id == self.id:
                    self._adopt(report)
                    self._bind(self.api, report.feed_id)
                    return self
            raise errors.ObjectNotFoundError(f"feed {self.feed_id} has no report {self.id}")
        fresh = await type(self)._fetch(self.api, self.key)
        self._adopt(fresh)
        return self

    def _payload(self) -> dict[str, Any]:
        body = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        body.setdefault("timestamp", int(time.time()))
        return body

    async def check(self) -> None:
        """Check the report before it is sent: required fields, each IOC, and every query
        IOC against the server's query parser (``QuerySyntaxError`` naming the IOC)."""
        await _check_report(self.api, self)

    async def save_watchlist(self) -> Self:
        """Create this report in the watchlist manager (``POST .../reports``)."""
        await self.check()
        response = await self.api.transport.request("POST", REPORTS, json=self._payload())
        fresh = response.parse(adapter_for(type(self)))
        self._adopt(fresh)
        return self._bind(self.api, None)

    async def save(self) -> Self:
        """A new report is saved as a watchlist report; an existing one is replaced whole
        (``PUT``, with a new timestamp: the watchlist manager wants one)."""
        if self.is_new:
            return await self.save_watchlist()
        await self.check()
        route, params = self._route()
        self.__dict__["timestamp"] = int(time.time())
        response = await self.api.transport.request(
            "PUT", route, path_params=params, json=self._payload()
        )
        feed_id = self.feed_id
        if response.content[:1] == b"{" and b'"id"' in response.content:
            self._adopt(response.parse(adapter_for(type(self))))
        self._state.original.clear()
        return self._bind(self.api, feed_id)

    async def update(self, **fields: Any) -> Self:
        """Change fields and save: ``await report.update(title="...")``."""
        for name, value in fields.items():
            setattr(self, name, value)
        return await self.save()

    async def delete(self) -> None:
        route, params = self._route()
        await self.api.transport.request("DELETE", route, path_params=params)

    def _ignore_route(self) -> tuple[str, dict[str, Any]]:
        return REPORTS + "/{id}/ignore", {"id": self._ignore_id()}

    async def ignored(self) -> bool:
        route, params = self._ignore_route()
        response = await self.api.transport.request("GET", route, path_params=params)
        return bool(response.parse(adapter_for(cloud.ReportIgnoreStatus)).ignored)

    async def ignore(self) -> None:
        """Stop this report from tagging and alerting (for every watchlist)."""
        route, params = self._ignore_route()
        await self.api.transport.request("PUT", route, path_params=params)

    async def unignore(self) -> None:
        route, params = self._ignore_route()
        await self.api.transport.request("DELETE", route, path_params=params)

    def _severity_route(self) -> tuple[str, dict[str, Any]]:
        if not self.feed_id:
            raise errors.InvalidObjectError("watchlist reports have no custom severity")
        return REPORTS + "/{id}/severity", {"id": self.id}

    async def custom_severity(self) -> ReportSeverity:
        """This feed report's severity as the org sees it (its own when none was set)."""
        route, params = self._severity_route()
        response = await self.api.transport.request("GET", route, path_params=params)
        return response.parse(adapter_for(ReportSeverity))

    async def set_custom_severity(self, severity: int | None) -> ReportSeverity | None:
        """Override this feed report's severity for the org (1-10), or clear it (``None``)."""
        route, params = self._severity_route()
        if severity is None:
            await self.api.transport.request("DELETE", route, path_params=params)
            return None
        if not isinstance(severity, int) or isinstance(severity, bool) or not 1 <= severity <= 10:
            raise ValueError(f"a severity is an integer from 1 to 10, not {severity!r}")
        response = await self.api.transport.request(
            "PUT", route, path_params=params, json={"report_id": self.id, "severity": severity}
        )
        return response.parse(adapter_for(ReportSeverity))

    @staticmethod
    async def custom_severities(api: CBCloudAPI) -> list[ReportSeverity]:
        """Every custom severity the org set (``GET .../reports/severity``)."""
        response = await api.transport.request("GET", REPORTS + "/severity")
        return response.parse(adapter_for(_Severities)).results or []


async def _check_report(api: CBCloudAPI, report: Report) -> None:
    report._check_required()
    if not report.iocs_v2 and report.iocs is None:
        raise errors.InvalidObjectError(
            "a report needs iocs_v2 (or legacy iocs)", missing=("iocs_v2",)
        )
    for ioc in report.iocs_v2 or ():
        ioc.validate_locally()
    queries = [
        (ioc.id, value)
        for ioc in report.iocs_v2 or ()
        if ioc.match_type == "query"
        for value in ioc.values or ()
    ]
    verdicts = await gather([functools.partial(validate_query, api, q) for _, q in queries])
    for (ioc_id, query), verdict in zip(queries, verdicts, strict=True):
        if not verdict.valid:
            raise errors.QuerySyntaxError(
                f"IOC {ioc_id}: {verdict.invalid_message or 'invalid query'} in {query!r}"
            )


class _Severities(cloud.ReportSeverityList):
    results: list[ReportSeverity] | None = None  # type: ignore[assignment]


class _ReportList(cloud.ReportList):
    results: list[Report] | None = None  # type: ignore[assignment]


class _FeedDocument(cloud.Feed):
    reports: list[Report] | None = None  # type: ignore[assignment]


# -- feeds and watchlists ------------------------------------------------------------------------


class Feed(CloudModel, cloud.FeedInfo):
    """A feed (its ``feedinfo`` fields); its reports come with :meth:`reports`."""

    item_route: ClassVar[str | None] = FEEDS + "/{id}"
    create_route: ClassVar[str | None] = FEEDS
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("name", "provider_url", "summary", "category")

    @classmethod
    def _new_query(cls, api: Any) -> FeedQuery[Self]:
        return FeedQuery(api, cls)

    @classmethod
    async def _fetch(cls, api: Any, key: Any) -> Self:
        response = await api.transport.request("GET", FEEDS + "/{id}", path_params={"id": key})
        document = response.parse(adapter_for(_FeedDocument))
        if document.feedinfo is None:
            raise errors.ObjectNotFoundError(f"no feed {key}", route=response.route)
        feed = cls._from_server(api, cls.model_validate(document.feedinfo.model_dump()), full=True)
        feed._state.extra["reports"] = [r._bind(api, str(key)) for r in document.reports or ()]
        return feed

    @staticmethod
    async def _reports(api: Any, feed_id: str) -> list[Report]:
        response = await api.transport.request(
            "GET", FEEDS + "/{id}/reports", path_params={"id": feed_id}
        )
        return [
            r._bind(api, feed_id) for r in response.parse(adapter_for(_ReportList)).results or ()
        ]

    async def reports(self) -> list[Report]:
        """The feed's reports (``GET .../feeds/{id}/reports``)."""
        return await Feed._reports(self.api, str(self.id))

    def _info(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    async def save(self, public: bool = False) -> Self:
        """Create the feed (private, or ``public=True``) or send its changed feedinfo."""
        self._check_required()
        if self.is_new:
            route = FEEDS + ("/public" if public else "")
            initial = [r._payload() for r in self._state.extra.get("new_reports", ())]
            response = await self.api.transport.request(
                "POST", route, json={"feedinfo": self._info(), "reports": initial}
            )
            created = response.parse(adapter_for(cloud.FeedInfo))
            self.__dict__["id"] = created.id
            self._state.new = False
        elif self.is_dirty():
            await self.api.transport.request(
                "PUT", FEEDS + "/{id}/feedinfo", path_params={"id": self.id}, json=self._info()
            )
        else:
            return self
        await self.refresh()
        return self

    async def update(self, **fields: Any) -> Self:
        """Change feedinfo fields and save: ``await feed.update(summary="...")``."""
        for name, value in fields.items():
            setattr(self, name, value)
        return await self.save()

    async def replace_reports(self, reports: Iterable[Report]) -> None:
        """Make ``reports`` the feed's reports (the server replaces them all)."""
        chosen = list(reports)
        await gather([functools.partial(_check_report, self.api, r) for r in chosen])
        await self.api.transport.request(
            "POST",
            FEEDS + "/{id}/reports",
            path_params={"id": self.id},
            json={"reports": [r._payload() for r in chosen]},
        )

    async def append_reports(self, reports: Iterable[Report]) -> None:
        """Add reports (the API has no append: the current reports are re-sent with them)."""
        current = await self.reports()
        await self.replace_reports([*current, *reports])

    def create_watchlist(
        self,
        name: str | None = None,
        description: str | None = None,
        *,
        enable_alerts: bool = False,
        enable_tags: bool = True,
    ) -> Watchlist:
        """An unsaved watchlist that follows this feed (its ``classifier``); ``await`` its
        ``save()``, or use :meth:`subscribe`."""
        watchlist: Watchlist = self.api.create(Watchlist)
        watchlist.name = name or f"Feed {self.name}"
        watchlist.description = description if description is not None else self.summary
        watchlist.alerts_enabled = enable_alerts
        watchlist.tags_enabled = enable_tags
        watchlist.classifier = cloud.WatchlistClassifier(key="feed_id", value=self.id)
        return watchlist

    async def subscribe(
        self,
        name: str | None = None,
        description: str | None = None,
        *,
        enable_alerts: bool = False,
        enable_tags: bool = True,
    ) -> Watchlist:
        """Subscribe the org to this feed: create a watchlist that follows it."""
        watchlist = self.create_watchlist(
            name, description, enable_alerts=enable_alerts, enable_tags=enable_tags
        )
        return await watchlist.save()


class Watchlist(CloudModel, cloud.Watchlist):
    """A watchlist: reports it lists (``report_ids``), or a feed it follows (``classifier``)."""

    item_route: ClassVar[str | None] = WATCHLISTS + "/{id}"
    create_route: ClassVar[str | None] = WATCHLISTS
    can_update: ClassVar[bool] = True
    can_delete: ClassVar[bool] = True
    required_fields: ClassVar[tuple[str, ...]] = ("name",)

    @classmethod
    def _new_query(cls, api: Any) -> WatchlistQuery[Self]:
        return WatchlistQuery(api, cls)

    @classmethod
    def create_from_feed(
        cls,
        feed: Feed,
        name: str | None = None,
        description: str | None = None,
        *,
        enable_alerts: bool = False,
        enable_tags: bool = True,
    ) -> Watchlist:
        """The cloud SDK's name for :meth:`Feed.create_watchlist`."""
        return feed.create_watchlist(
            name, description, enable_alerts=enable_alerts, enable_tags=enable_tags
        )

    def _save_payload(self) -> dict[str, Any]:
        body = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        for computed in ("id", "create_timestamp", "last_update_timestamp"):
            body.pop(computed, None)
        return body

    @join
    async def feed(self) -> Feed:
        """The feed this watchlist follows (``InvalidObjectError`` when it lists reports)."""
        classifier = self.classifier
        if classifier is None or classifier.key != "feed_id" or not classifier.value:
            raise errors.InvalidObjectError(f"watchlist {self.id} does not follow a feed")
        return await self.api.get(Feed, classifier.value, cached=True)

    async def reports(self) -> list[Report]:
        """The reports the watchlist lists, each fetched from the watchlist manager (none for
        a watchlist that follows a feed: ``await (await wl.feed()).reports()``)."""
        ids = list(self.report_ids or ())
        fetched = await gather(
            [functools.partial(Report._fetch, self.api, rid) for rid in ids],
            limit=DEFAULT_CONCURRENCY,
        )
        return list(fetched)

    async def _switch(self, which: str, on: bool) -> None:
        await self.api.transport.request(
            "PUT" if on else "DELETE", WATCHLISTS + "/{id}/" + which, path_params={"id": self.id}
        )
        field = "alerts_enabled" if which == "alert" else "tags_enabled"
        self.__dict__[field] = on

    async def enable_alerts(self) -> None:
        await self._switch("alert", True)

    async def disable_alerts(self) -> None:
        await self._switch("alert", False)

    async def enable_tags(self) -> None:
        await self._switch("tag", True)

    async def disable_tags(self) -> None:
        await self._switch("tag", False)

    async def add_report_ids(self, report_ids: Iterable[str]) -> Self:
        """List more reports (by id) and save."""
        current = list(self.report_ids or ())
        self.report_ids = current + [r for r in report_ids if r not in current]
        return await self.save()

    async def add_reports(self, reports: Iterable[Report]) -> Self:
        """List more reports and save (feed reports are listed as ``<feed_id>-<id>``)."""
        return await self.add_report_ids(r._ignore_id() for r in reports)
