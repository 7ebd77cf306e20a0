"""Alerts v7 (``/api/alerts/v7/orgs/{org_key}``, wire §6.3): the current alert search, its
facets and grouping by threat, the workflow (a Jobs API job), notes, history and threat tags::

    query = api.select(Alert).set_minimum_severity(7).set_time_range(range="-1d")
    async for alert in query: ...
    job = await query.close("RESOLVED", "FALSE_POSITIVE", "triaged")   # every match
    await job                                                          # until COMPLETED
    async for group in api.select(GroupedAlert).set_time_range(range="-1w"):
        print(group.count, group.most_recent_alert.reason)

Without a time range the server searches the last two weeks. Rows past 10,000 cannot be paged
(``num_available``); narrow the search to reach them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

from typing_extensions import Self

from cbasync import errors
from cbasync._pagination import Page
from cbasync.cloud._alert_criteria import AnalyticsCriteria
from cbasync.cloud._facets import FacetValue, fetch_facets
from cbasync.cloud._model import CloudModel
from cbasync.cloud._values import choices
from cbasync.cloud.devices import Device
from cbasync.cloud.jobs_api import Job
from cbasync.cloud.query import SearchQuery, format_time
from cbasync.cloud.workflow import Workflow
from cbasync.model import adapter_for, join
from cbasync.models._generated import cloud

if TYPE_CHECKING:
    from cbasync.cloud.api import CBCloudAPI

__all__ = [
    "CLOSURE_REASONS",
    "DETERMINATIONS",
    "Alert",
    "AlertHistoryEntry",
    "AlertNote",
    "AlertSearchQuery",
    "GroupedAlert",
    "GroupedAlertSearchQuery",
    "search_suggestions",
    "threat_workflow",
]

A = TypeVar("A", bound=CloudModel)
M = TypeVar("M", bound="Alert")
G = TypeVar("G", bound="GroupedAlert")

V7 = "/api/alerts/v7/orgs/{org_key}"
V6 = "/appservices/v6/orgs/{org_key}"
STATUSES = ("OPEN", "IN_PROGRESS", "CLOSED")
CLOSURE_REASONS = (
    "NO_REASON",
    "RESOLVED",
    "RESOLVED_BENIGN_KNOWN_GOOD",
    "DUPLICATE_CLEANUP",
    "OTHER",
)
DETERMINATIONS = ("TRUE_POSITIVE", "FALSE_POSITIVE", "NONE")
TIME_CRITERIA = (
    "backend_timestamp", "backend_update_timestamp", "detection_timestamp",
    "first_event_timestamp", "last_event_timestamp", "mdr_determination_change_timestamp",
    "mdr_workflow_change_timestamp", "user_update_timestamp", "workflow_change_timestamp",
)  # fmt: skip
#: v6 criterion names → their v7 names (wire §6.3).
V7_NAMES = {
    "policy_id": "device_policy_id",
    "policy_name": "device_policy",
    "target_value": "device_target_value",
    "reputation": "process_reputation",
    "legacy_alert_id": "id",
    "tag": "tags",
    "cluster_name": "k8s_cluster",
    "namespace": "k8s_namespace",
    "workload_kind": "k8s_kind",
    "workload_name": "k8s_workload_name",
    "replica_id": "k8s_pod_name",
    "remote_ip": "netconn_remote_ip",
    "remote_domain": "netconn_remote_domain",
    "protocol": "netconn_protocol",
    "port": "netconn_local_port",
    "rule_name": "k8s_rule",
}


# -- notes and history (v6 and v7 alerts, v7 threats) -------------------------------------------


class AlertNote(CloudModel, cloud.AlertNote):
    """A note on an alert or a threat; ``await note.delete()`` removes it."""

    async def delete(self) -> None:
        where = self._state.extra.get("notes_route")
        if where is None:
            raise errors.InvalidObjectError("this note was not read from an alert or a threat")
        route, params = where
        await self.api.transport.request(
            "DELETE", route + "/{note_id}", path_params={**params, "note_id": self.id}
        )


class _Notes(cloud.AlertNotesResponse):
    results: list[AlertNote] | None = None  # type: ignore[assignment]


class AlertHistoryEntry(cloud.AlertHistoryEntry):
    """One change in an alert's or a threat's history: ``type`` (``USER_WORKFLOW_UPDATE``,
    ``USER_DETERMINATION_UPDATE``, ``ALERT_NOTE_ADDED``, ``THREAT_NOTE_ADDED``) and the
    ``workflow``, ``determination`` or ``note`` it set."""


class _History(cloud.AlertHistory):
    history: list[AlertHistoryEntry] | None = None  # type: ignore[assignment]


async def list_notes(api: CBCloudAPI, route: str, params: dict[str, Any]) -> list[AlertNote]:
    response = await api.transport.request("GET", route, path_params=params)
    notes = response.parse(adapter_for(_Notes)).results or []
    for note in notes:
        AlertNote._from_server(api, note, full=True)._state.extra["notes_route"] = (route, params)
    return notes


async def add_note(api: CBCloudAPI, route: str, params: dict[str, Any], text: str) -> AlertNote:
    if not isinstance(text, str) or not text:
        raise ValueError("a note is a non-empty string")
    response = await api.transport.request("POST", route, path_params=params, json={"note": text})
    note = AlertNote._from_server(api, response.parse(adapter_for(AlertNote)), full=True)
    note._state.extra["notes_route"] = (route, params)
    return note


async def threat_workflow(
    api: CBCloudAPI, threat_id: str, state: str, remediation: str | None, comment: str | None
) -> Workflow:
    """``POST .../threat/{threat_id}/workflow``: the state of the threat's past and future
    alerts (the route is v6's; v7 keeps using it, wire §6.3)."""
    body = v6_workflow_body(state, remediation, comment)
    response = await api.transport.request(
        "POST", V6 + "/threat/{threat_id}/workflow", path_params={"threat_id": threat_id}, json=body
    )
    return response.parse(adapter_for(Workflow))


def v6_workflow_body(state: str, remediation: str | None, comment: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"state": state}
    if remediation is not None:
        body["remediation_state"] = remediation
    if comment is not None:
        body["comment"] = comment
    return body


async def search_suggestions(
    api: CBCloudAPI, route: str, query: str
) -> list[cloud.SearchSuggestion]:
    response = await api.transport.request("GET", route, params={"suggest.q": query})
    return response.parse(adapter_for(cloud.SearchSuggestionsResponse)).suggestions or []


# -- the v7 workflow -----------------------------------------------------------------------------


def workflow_request(
    status: str,
    closure_reason: str | None,
    determination: str | None,
    note: str | None,
) -> dict[str, Any]:
    """The change part of a v7 ``POST .../alerts/workflow`` body (checked against wire §6.3's
    values)."""
    body: dict[str, Any] = {"status": choices("status", status, STATUSES)[0]}
    if closure_reason is not None:
        body["closure_reason"] = choices("closure_reason", closure_reason, CLOSURE_REASONS)[0]
    if determination is not None:
        body["determination"] = choices("determination", determination, DETERMINATIONS)[0]
    if note is not None:
        body["note"] = note
    return body


async def post_workflow(api: CBCloudAPI, body: dict[str, Any]) -> Job:
    """Send a v7 workflow change; its ``request_id`` is a Jobs API job (wire §6.5)."""
    response = await api.transport.request("POST", V7 + "/alerts/workflow", json=body)
    request_id = response.parse(adapter_for(cloud.WorkflowRequestResponse)).request_id
    return Job._from_id(api, request_id)


# -- the search ----------------------------------------------------------------------------------


class _AlertSearch(AnalyticsCriteria[A], SearchQuery[A]):
    """What the alert search and the grouped search share: the v7 names, time criteria,
    facets, and the workflow change and export of everything they match."""

    start_base: ClassVar[int] = 1
    #: Rows per request. The search hands out up to 10,000 a request, and the cloud's rate
    #: limit counts requests (the vendor's example: 1,000 per 5 minutes per source address):
    #: 1,000-row pages read 10,000 alerts in 10 requests instead of 100.
    default_page_size: ClassVar[int] = 1_000
    field_names = V7_NAMES
    workflow_values = STATUSES

    def set_time_range(
        self,
        *,
        start: datetime.datetime | str | None = None,
        end: datetime.datetime | str | None = None,
        range: str | None = None,  # the wire's (and the cloud SDK's) name
    ) -> Self:
        """When the alerts were created: ``range="-1d"``, or ``start`` and ``end``."""
        return self.time_range(start=start, end=end, window=range)

    def add_time_criteria(
        self,
        key: str,
        *,
        start: datetime.datetime | str | None = None,
        end: datetime.datetime | str | None = None,
        range: str | None = None,
        exclude: bool = False,
    ) -> Self:
        """A time criterion (``first_event_timestamp``, ``workflow_change_timestamp``, ...),
        in ``criteria`` or, with ``exclude=True``, in ``exclusions``."""
        choices("time criterion", key, TIME_CRITERIA)
        if range is not None and (start is not None or end is not None):
            raise ValueError("give a range, or start and end, not both")
        if range is not None:
            value: dict[str, str] = {"range": range}
        elif start is not None and end is not None:
            value = {"start": format_time(start), "end": format_time(end)}
        else:
            raise ValueError("give a range, or both start and end")
        if exclude:
            return self.add_exclusions(key, value)
        return self.add_criteria(key, value)

    def set_alert_notes_present(self, present: bool, *, exclude: bool = False) -> Self:
        return self._flag("alert_notes_present", present, exclude)

    def set_threat_notes_present(self, present: bool, *, exclude: bool = False) -> Self:
        return self._flag("threat_notes_present", present, exclude)

    def set_remote_is_private(self, private: bool, *, exclude: bool = False) -> Self:
        return self._flag("remote_is_private", private, exclude)

    def _flag(self, field: str, value: bool, exclude: bool) -> Self:
        if not isinstance(value, bool):
            raise TypeError(f"{field} is True or False, not {value!r}")
        return self.add_exclusions(field, [value]) if exclude else self.add_criteria(field, [value])

    def set_group_by(
        self, field: Literal["THREAT_ID"] = "THREAT_ID"
    ) -> GroupedAlertSearchQuery[GroupedAlert]:
        """The same search, grouped by threat (``POST .../grouped_alerts/_search``)."""
        choices("group_by field", field, ("THREAT_ID",))
        grouped: GroupedAlertSearchQuery[GroupedAlert] = GroupedAlertSearchQuery(
            self._api, GroupedAlert
        )
        return _with_search_of(grouped, self)

    def _selection(self) -> dict[str, Any]:
        """What a workflow change or an export selects: the search without sort or fields."""
        if self._slices:
            raise ValueError(
                "a workflow change or an export covers everything the search matches, not a "
                "slice of it; select the alerts with set_alert_ids([...]) instead"
            )
        keep = ("criteria", "exclusions", "query", "time_range")
        return {k: v for k, v in self.search_body().items() if k in keep}

    def _facet_route(self) -> str:
        return V7 + "/alerts/_facet"

    async def facets(
        self, fields: str | Iterable[str], rows: int = 0
    ) -> dict[str, list[FacetValue]]:
        """Counts per value of v7 fields (``type``, ``device_os``, ``workflow_status``, ...)."""
        wanted = [fields] if isinstance(fields, str) else list(fields)
        return await fetch_facets(
            self._api, self._facet_route(), self._selection(), wanted, rows=rows
        )

    async def update(
        self,
        status: str,
        closure_reason: str | None = None,
        determination: str | None = None,
        note: str | None = None,
    ) -> Job:
        """Set the workflow of every matching alert; returns the job (``await`` it)."""
        change = workflow_request(status, closure_reason, determination, note)
        return await post_workflow(self._api, {**self._selection(), **change})

    async def close(
        self,
        closure_reason: str | None = None,
        determination: str | None = None,
        note: str | None = None,
    ) -> Job:
        """Close every matching alert; returns the job (``await`` it)."""
        return await self.update("CLOSED", closure_reason, determination, note)

    async def export(self, output_format: str = "CSV", fields: Iterable[str] | None = None) -> Job:
        """Start an export of the matching alerts (a Jobs API job; ``await job.output()``
        once it is done)."""
        body: dict[str, Any] = {
            **self._selection(),
            "format": choices("format", output_format, ("CSV",))[0],
        }
        if fields is not None:
            body["fields"] = list(fields)
        response = await self._api.transport.request("POST", V7 + "/alerts/_export", json=body)
        job_id = response.parse(adapter_for(cloud.JobCreatedResponse)).job_id
        return Job._from_id(self._api, job_id)


Q = TypeVar("Q", bound="_AlertSearch[Any]")


def _with_search_of(target: Q, source: _AlertSearch[Any]) -> Q:
    """``target`` searching what ``source`` searches (another result type, same search)."""
    return target._replace(
        clauses=source._clauses,
        sort=source._sort,
        criteria=source._criteria,
        exclusions=source._exclusions,
        time_range=source._time_range,
        sort_fields=source._sort_fields,
    )


class AlertSearchQuery(_AlertSearch[M]):
    """The v7 alert search. Criteria builders write v7 names; ``add_criteria`` takes any v7
    field. ``update``/``close`` change every matching alert (a Jobs API job)."""

    def _search_route(self) -> str:
        return V7 + "/alerts/_search"


class GroupedAlertSearchQuery(_AlertSearch[G]):
    """Alerts grouped by threat (``group_by: {"field": "THREAT_ID"}``); each result is a
    :class:`GroupedAlert`. ``update``/``close`` change every alert of every group."""

    def _search_route(self) -> str:
        return V7 + "/grouped_alerts/_search"

    def _facet_route(self) -> str:
        return V7 + "/grouped_alerts/_facet"

    def search_body(self) -> dict[str, Any]:
        return {**super().search_body(), "group_by": {"field": "THREAT_ID"}}

    def alert_query(self) -> AlertSearchQuery[Alert]:
        """The alerts of these groups, one by one."""
        alerts: AlertSearchQuery[Alert] = AlertSearchQuery(self._api, Alert)
        return _with_search_of(alerts, self)

    async def _fetch_page(self, start: int, rows: int) -> Page[G]:
        page = await super()._fetch_page(start, rows)
        for group in page.items:
            group._bind_alert()
        return page


# -- the models ----------------------------------------------------------------------------------


class Alert(CloudModel, cloud.Alert):
    """A v7 alert (``id``). Changes are jobs: ``await (await alert.close(...))``."""

    item_route: ClassVar[str | None] = V7 + "/alerts/{id}"
    #: What a repr and a result table show: what, how bad, where, and which process.
    display_fields: ClassVar[tuple[str, ...]] = ("type", "severity", "device_name", "process_name")

    @classmethod
    def _new_query(cls, api: Any) -> AlertSearchQuery[Self]:
        return AlertSearchQuery(api, cls)

    @staticmethod
    async def search_suggestions(api: CBCloudAPI, query: str) -> list[cloud.SearchSuggestion]:
        """Field names and values that complete ``query`` (``GET .../search_suggestions``)."""
        return await search_suggestions(api, V7 + "/alerts/search_suggestions", query)

    @join
    async def device(self) -> Device:
        """The device the alert was raised on (none for a container alert)."""
        if not self.device_id:
            raise errors.InvalidObjectError(f"alert {self.id} names no device")
        return await self.api.get(Device, self.device_id, cached=True)

    async def update(
        self,
        status: str,
        closure_reason: str | None = None,
        determination: str | None = None,
        note: str | None = None,
    ) -> Job:
        """Change this alert's workflow (a job: ``await`` it, then ``await alert.refresh()``)."""
        body = {
            "criteria": {"id": [self.id]},
            **workflow_request(status, closure_reason, determination, note),
        }
        return await post_workflow(self.api, body)

    async def close(
        self,
        closure_reason: str | None = None,
        determination: str | None = None,
        note: str | None = None,
    ) -> Job:
        return await self.update("CLOSED", closure_reason, determination, note)

    async def dismiss_threat(
        self, remediation: str | None = None, comment: str | None = None
    ) -> Workflow:
        """Dismiss this alert's threat: its past and future alerts."""
        return await threat_workflow(self.api, self._threat(), "DISMISSED", remediation, comment)

    async def update_threat(
        self, remediation: str | None = None, comment: str | None = None
    ) -> Workflow:
        """Reopen this alert's threat."""
        return await threat_workflow(self.api, self._threat(), "OPEN", remediation, comment)

    def _threat(self) -> str:
        if not self.threat_id:
            raise errors.InvalidObjectError(f"alert {self.id} has no threat_id")
        return self.threat_id

    def _notes_route(self, threat: bool) -> tuple[str, dict[str, Any]]:
        if threat:
            return V7 + "/threats/{threat_id}/notes", {"threat_id": self._threat()}
        return V7 + "/alerts/{alert_id}/notes", {"alert_id": self.id}

    async def notes_(self, threat_note: bool = False) -> list[AlertNote]:
        """The notes on this alert (or, with ``threat_note=True``, on its threat)."""
        return await list_notes(self.api, *self._notes_route(threat_note))

    async def create_note(self, note: str, threat_note: bool = False) -> AlertNote:
        return await add_note(self.api, *self._notes_route(threat_note), note)

    async def get_history(self, threat: bool = False) -> list[AlertHistoryEntry]:
        """What was done to this alert (or its threat): workflow changes, determinations,
        notes, oldest first."""
        if threat:
            route, params = V7 + "/threats/{threat_id}/history", {"threat_id": self._threat()}
        else:
            route, params = V7 + "/alerts/{alert_id}/history", {"alert_id": self.id}
        response = await self.api.transport.request("GET", route, path_params=params)
        return response.parse(adapter_for(_History)).history or []

    async def get_threat_tags(self) -> list[str]:
        response = await self.api.transport.request(
            "GET", V7 + "/threats/{threat_id}/tags", path_params={"threat_id": self._threat()}
        )
        return response.parse(adapter_for(cloud.ThreatTagList)).list_ or []

    async def add_threat_tags(self, tags: Iterable[str]) -> list[str]:
        wanted = [tags] if isinstance(tags, str) else list(tags)
        if not wanted or not all(isinstance(t, str) and t for t in wanted):
            raise ValueError(f"tags are non-empty strings: {wanted!r}")
        response = await self.api.transport.request(
            "POST",
            V7 + "/threats/{threat_id}/tags",
            path_params={"threat_id": self._threat()},
            json={"tags": wanted},
        )
        return response.parse(adapter_for(cloud.ThreatTags)).tags or []

    async def delete_threat_tag(self, tag: str) -> list[str]:
        response = await self.api.transport.request(
            "DELETE",
            V7 + "/threats/{threat_id}/tags/{tag}",
            path_params={"threat_id": self._threat(), "tag": tag},
        )
        return response.parse(adapter_for(cloud.ThreatTags)).tags or []


class GroupedAlert(CloudModel, cloud.AlertGroup):
    """A group of alerts of one threat: ``count``, ``workflow_states``, ``most_recent_alert``
    (an :class:`Alert`), ``device_count``, ..."""

    most_recent_alert: Alert | None = None

    @classmethod
    def _new_query(cls, api: Any) -> GroupedAlertSearchQuery[Self]:
        return GroupedAlertSearchQuery(api, cls)

    @property
    def threat_id(self) -> str | None:
        return None if self.most_recent_alert is None else self.most_recent_alert.threat_id

    def _bind_alert(self) -> None:
        if self.most_recent_alert is not None:
            Alert._from_server(self.api, self.most_recent_alert, full=True)

    def alert_query(self) -> AlertSearchQuery[Alert]:
        """The alerts of this group's threat."""
        if self.threat_id is None:
            raise errors.InvalidObjectError(
                "this group has no most recent alert to name its threat"
            )
        query: AlertSearchQuery[Alert] = AlertSearchQuery(self.api, Alert)
        return query.set_threat_ids([self.threat_id])
