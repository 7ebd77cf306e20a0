"""Alerts v6 (``/appservices/v6/orgs/{org_key}``, seed 002, wire §6.2): the per-type searches
(:class:`BaseAlert`, :class:`CBAnalyticsAlert`, :class:`VMwareAlert`, :class:`WatchlistAlert`),
dismissing or reopening one alert, every alert a search matches, or the alerts of threats::

    query = api.select(BaseAlert).set_device_os(["WINDOWS"]).set_process_names(["IEXPLORE.EXE"])
    status = await query.dismiss("Using Chrome")      # a WorkflowStatus, right away
    await status                                       # until FINISHED

The vendor announced the v6 alert API's end "no earlier than May 2024"; :mod:`cbasync.cloud.alerts`
is its successor. ``start`` counts from 1 here, and rows past 10,000 cannot be paged.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn, TypeVar

from typing_extensions import Self

from cbasync import errors
from cbasync.cloud._alert_criteria import AlertCriteria, AnalyticsCriteria
from cbasync.cloud._facets import FacetValue, fetch_facets
from cbasync.cloud._model import CloudModel
from cbasync.cloud._values import choices
from cbasync.cloud.alerts import (
    AlertNote,
    add_note,
    list_notes,
    search_suggestions,
    threat_workflow,
    v6_workflow_body,
)
from cbasync.cloud.devices import Device
from cbasync.cloud.query import SearchQuery, format_time
from cbasync.cloud.workflow import Workflow, WorkflowStatus
from cbasync.model import adapter_for, join
from cbasync.models._generated import cloud

if TYPE_CHECKING:
    from cbasync.cloud.api import CBCloudAPI

__all__ = [
    "BaseAlert",
    "BaseAlertSearchQuery",
    "CBAnalyticsAlert",
    "CBAnalyticsAlertSearchQuery",
    "VMwareAlert",
    "WatchlistAlert",
    "WatchlistAlertSearchQuery",
    "bulk_threat_workflow",
]

M = TypeVar("M", bound="BaseAlert")

V6 = "/appservices/v6/orgs/{org_key}"
STATES = ("OPEN", "DISMISSED")
CATEGORIES = ("THREAT", "MONITORED", "INFO", "MINOR", "SERIOUS", "CRITICAL")


async def _bulk(api: CBCloudAPI, route: str, body: dict[str, Any]) -> WorkflowStatus:
    response = await api.transport.request("POST", route, json=body)
    request_id = response.parse(adapter_for(cloud.WorkflowRequestResponse)).request_id
    # Known only by its id until awaited or refreshed (its other fields are None until then).
    return WorkflowStatus._from_server(api, WorkflowStatus(id=request_id), full=False)


async def bulk_threat_workflow(
    api: CBCloudAPI,
    threat_ids: Iterable[str],
    state: str,
    remediation: str | None,
    comment: str | None,
) -> WorkflowStatus:
    """``POST .../threat/workflow/_criteria``: the alerts of several threats."""
    ids = [threat_ids] if isinstance(threat_ids, str) else list(threat_ids)
    if not ids or not all(isinstance(t, str) and t for t in ids):
        raise ValueError(f"threat ids are non-empty strings: {ids!r}")
    body = {**v6_workflow_body(state, remediation, comment), "threat_id": ids}
    return await _bulk(api, V6 + "/threat/workflow/_criteria", body)


class BaseAlertSearchQuery(AlertCriteria[M], SearchQuery[M]):
    """A v6 alert search over every type, or one type's (``select(CBAnalyticsAlert)``)."""

    start_base: ClassVar[int] = 1
    workflow_values = STATES

    def _route(self) -> str:
        return V6 + "/alerts" + self._model.type_path

    def _search_route(self) -> str:
        return self._route() + "/_search"

    def set_categories(self, categories: str | Iterable[str]) -> Self:
        return self._criterion("category", choices("category", categories, CATEGORIES))

    def set_group_results(self, do_group: bool) -> Self:
        """Group alerts of one threat into one result (a scalar on the wire)."""
        if not isinstance(do_group, bool):
            raise TypeError(f"group_results is True or False, not {do_group!r}")
        rest = tuple((k, v) for k, v in self._criteria if k != "group_results")
        return self._replace(criteria=(*rest, ("group_results", do_group)))

    def set_create_time(
        self,
        *,
        start: datetime.datetime | str | None = None,
        end: datetime.datetime | str | None = None,
        range: str | None = None,  # the wire's (and the cloud SDK's) name
    ) -> Self:
        """Alerts created between ``start`` and ``end``, or within ``range`` (``"-1w"``)."""
        if range is not None and (start is not None or end is not None):
            raise ValueError("give a range, or start and end, not both")
        if range is not None:
            value: dict[str, str] = {"range": range}
        elif start is not None and end is not None:
            value = {"start": format_time(start), "end": format_time(end)}
        else:
            raise ValueError("give a range, or both start and end")
        rest = tuple((k, v) for k, v in self._criteria if k != "create_time")
        return self._replace(criteria=(*rest, ("create_time", value)))

    # The v6 search body has neither exclusions nor a time_range (wire §6.2): refuse them
    # rather than send what the server would ignore.
    def add_exclusions(self, field: str, values: Any) -> NoReturn:
        raise ValueError("v6 alert searches take no exclusions; use the v7 Alert search")

    def time_range(
        self,
        *,
        start: datetime.datetime | str | None = None,
        end: datetime.datetime | str | None = None,
        window: str | None = None,
    ) -> NoReturn:
        raise ValueError("v6 alert searches filter on time with set_create_time(...)")

    def _selection(self) -> dict[str, Any]:
        if self._slices:
            raise ValueError(
                "a workflow change covers everything the search matches, not a slice of it; "
                "select the alerts with set_alert_ids([...]) instead"
            )
        body = self.search_body()
        selection: dict[str, Any] = {"criteria": body.get("criteria", {})}
        if "query" in body:
            selection["query"] = body["query"]
        return selection

    async def facets(
        self, fields: str | Iterable[str], rows: int = 0
    ) -> dict[str, list[FacetValue]]:
        """Counts per value of v6 facet fields (``ALERT_TYPE``, ``CATEGORY``, ``REPUTATION``,
        ``WORKFLOW``, ``TAG``, ``POLICY_ID``, ``DEVICE_NAME``, ``APPLICATION_NAME``, ...)."""
        wanted = [fields] if isinstance(fields, str) else list(fields)
        route = self._route() + "/_facet"
        return await fetch_facets(self._api, route, self._selection(), wanted, rows=rows)

    async def _change(
        self, state: str, remediation: str | None, comment: str | None
    ) -> WorkflowStatus:
        body = {**v6_workflow_body(state, remediation, comment), **self._selection()}
        return await _bulk(self._api, self._route() + "/workflow/_criteria", body)

    async def dismiss(
        self, remediation: str | None = None, comment: str | None = None
    ) -> WorkflowStatus:
        """Dismiss every matching alert; returns the request's :class:`WorkflowStatus`
        (``await`` it to wait until the change is done)."""
        return await self._change("DISMISSED", remediation, comment)

    async def update(
        self, remediation: str | None = None, comment: str | None = None
    ) -> WorkflowStatus:
        """Reopen every matching alert (state OPEN); returns its :class:`WorkflowStatus`."""
        return await self._change("OPEN", remediation, comment)


class CBAnalyticsAlertSearchQuery(BaseAlertSearchQuery[M], AnalyticsCriteria[M]):
    """CB Analytics alerts (``.../alerts/cbanalytics/_search``) and their own criteria."""


class WatchlistAlertSearchQuery(BaseAlertSearchQuery[M]):
    """Watchlist alerts (``.../alerts/watchlist/_search``)."""

    def set_watchlist_ids(self, ids: str | Iterable[str]) -> Self:
        chosen = [ids] if isinstance(ids, str) else list(ids)
        return self._criterion("watchlist_id", chosen)

    def set_watchlist_names(self, names: str | Iterable[str]) -> Self:
        chosen = [names] if isinstance(names, str) else list(names)
        return self._criterion("watchlist_name", chosen)


class BaseAlert(CloudModel, cloud.BaseAlert):
    """A v6 alert (``id``) of any type; ``workflow`` is its :class:`Workflow`."""

    item_route: ClassVar[str | None] = V6 + "/alerts/{id}"
    #: The type's segment of the search routes (``/cbanalytics``, ...; none for every type).
    type_path: ClassVar[str] = ""

    workflow: Workflow | None = None

    @classmethod
    def _new_query(cls, api: Any) -> BaseAlertSearchQuery[Self]:
        return BaseAlertSearchQuery(api, cls)

    @property
    def workflow_(self) -> Workflow | None:
        """cbapi's name for :attr:`workflow`."""
        return self.workflow

    @join
    async def device(self) -> Device:
        """The device the alert was raised on."""
        if not self.device_id:
            raise errors.InvalidObjectError(f"alert {self.id} names no device")
        return await self.api.get(Device, self.device_id, cached=True)

    async def _workflow(self, state: str, remediation: str | None, comment: str | None) -> Workflow:
        response = await self.api.transport.request(
            "POST",
            V6 + "/alerts/{id}/workflow",
            path_params={"id": self.id},
            json=v6_workflow_body(state, remediation, comment),
        )
        workflow = response.parse(adapter_for(Workflow))
        self.__dict__["workflow"] = workflow  # the server's word, not an unsaved change
        return workflow

    async def dismiss(self, remediation: str | None = None, comment: str | None = None) -> Workflow:
        """Dismiss this alert; returns (and keeps) its new workflow."""
        return await self._workflow("DISMISSED", remediation, comment)

    async def update(self, remediation: str | None = None, comment: str | None = None) -> Workflow:
        """Reopen this alert (state OPEN)."""
        return await self._workflow("OPEN", remediation, comment)

    async def dismiss_threat(
        self, remediation: str | None = None, comment: str | None = None
    ) -> Workflow:
        """Dismiss the past and future alerts of this alert's threat."""
        return await threat_workflow(self.api, self._threat(), "DISMISSED", remediation, comment)

    async def update_threat(
        self, remediation: str | None = None, comment: str | None = None
    ) -> Workflow:
        return await threat_workflow(self.api, self._threat(), "OPEN", remediation, comment)

    def _threat(self) -> str:
        if not self.threat_id:
            raise errors.InvalidObjectError(f"alert {self.id} has no threat_id")
        return self.threat_id

    async def notes_(self) -> list[AlertNote]:
        return await list_notes(self.api, V6 + "/alerts/{alert_id}/notes", {"alert_id": self.id})

    async def create_note(self, note: str) -> AlertNote:
        return await add_note(
            self.api, V6 + "/alerts/{alert_id}/notes", {"alert_id": self.id}, note
        )

    @staticmethod
    async def search_suggestions(api: CBCloudAPI, query: str) -> list[cloud.SearchSuggestion]:
        return await search_suggestions(api, V6 + "/alerts/search_suggestions", query)


class CBAnalyticsAlert(BaseAlert, cloud.CBAnalyticsAlert):
    """A CB Analytics alert (v6)."""

    type_path: ClassVar[str] = "/cbanalytics"
    workflow: Workflow | None = None

    @classmethod
    def _new_query(cls, api: Any) -> CBAnalyticsAlertSearchQuery[Self]:
        return CBAnalyticsAlertSearchQuery(api, cls)


class VMwareAlert(BaseAlert, cloud.VMwareAlert):
    """A VMware alert (v6)."""

    type_path: ClassVar[str] = "/vmware"
    workflow: Workflow | None = None


class WatchlistAlert(BaseAlert, cloud.WatchlistAlert):
    """A watchlist alert (v6)."""

    type_path: ClassVar[str] = "/watchlist"
    workflow: Workflow | None = None

    @classmethod
    def _new_query(cls, api: Any) -> WatchlistAlertSearchQuery[Self]:
        return WatchlistAlertSearchQuery(api, cls)
