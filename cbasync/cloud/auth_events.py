"""Auth Events (seed 004): Windows authentication events, searched with server-side jobs.

::

    query = api.select(AuthEvent).where("auth_username:SYSTEM").time_range(window="-2w")
    async for event in query: ...                      # a search job, paged as it is read
    await query.count(); await query.first()           # the same job: no second submit
    facets = await query.facets("auth_username", "device_name", rows=10)
    async for group in query.group_results("device_name", max_events_per_group=5): ...
    detail = await event.details()                     # a detail job: every field
    async for detail in AuthEvent.details_of(api, alert_id="..."): ...
    await AuthEvent.descriptions(api); await AuthEvent.search_suggestions(api, "auth")

Routes under ``/api/investigate/v2/orgs/{org_key}/auth_events`` (seed 004): ``search_jobs``,
their ``results`` and ``group_results``, ``detail_jobs``, ``facet_jobs``, ``descriptions``,
``search_suggestions`` and ``search_validation`` (a bad query raises ``QuerySyntaxError``
before any job is created).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import pydantic
from typing_extensions import Self

from cbasync import errors
from cbasync._pagination import OffsetPaginator, Page
from cbasync.cloud._investigate import (
    AUTH_EVENTS,
    DetailQuery,
    InvestigateQuery,
    Validation,
)
from cbasync.cloud._model import CloudModel
from cbasync.cloud.query import SEARCH_STATE
from cbasync.model import ItemAccess, adapter_for
from cbasync.models._generated import cloud

if TYPE_CHECKING:
    from cbasync.cloud.api import CBCloudAPI

__all__ = ["AuthEvent", "AuthEventDetail", "AuthEventGroup", "AuthEventQuery"]

M = TypeVar("M", bound=CloudModel)

#: Groups per ``group_results`` request (the server's default; at most 10,000).
GROUP_PAGE = 500


class AuthEvent(CloudModel, cloud.AuthEvent):
    """An authentication event as a search returns it (the default fields). ``await
    event.refresh()`` (or ``details()``) loads every field with a detail job."""

    primary_key: ClassVar[str] = "event_id"
    #: What a repr and a result table show: who signed in (or failed to), and where (a
    #: timestamp's repr is long; the object's own display shows it).
    display_fields: ClassVar[tuple[str, ...]] = (
        "auth_event_action",
        "auth_username",
        "device_name",
    )

    @classmethod
    def _new_query(cls, api: Any) -> AuthEventQuery[Self]:
        return AuthEventQuery(api, cls)

    @classmethod
    async def _fetch(cls, api: Any, key: Any) -> Self:
        found = await DetailQuery(
            api, cls, family=AUTH_EVENTS, body={"event_ids": [str(key)]}, what="auth event details"
        ).first()
        if found is None:
            raise errors.ObjectNotFoundError(
                f"no auth event {key!r}", route=f"{AUTH_EVENTS}/detail_jobs"
            )
        return cls._from_server(api, found, full=True)

    async def refresh(self) -> Self:
        """Load every field of this event (a detail job)."""
        fresh = await type(self)._fetch(self.api, self.event_id)
        self._adopt(fresh)
        return self

    async def details(self) -> AuthEventDetail:
        """Every field of this event, typed (a detail job)."""
        return await AuthEventDetail._fetch(self.api, self.event_id)

    # -- the family's other routes ------------------------------------------------------------

    @staticmethod
    def details_of(
        api: CBCloudAPI,
        *,
        event_ids: Sequence[str] | None = None,
        alert_id: str | None = None,
    ) -> DetailQuery[AuthEventDetail]:
        """The details of the given events, or of the events behind an alert (exactly one of
        the two), as a query over one detail job."""
        if (event_ids is None) == (alert_id is None):
            raise ValueError("give event_ids or an alert_id (exactly one)")
        if event_ids is not None:
            if isinstance(event_ids, str):
                raise TypeError("event_ids is a list of event ids, not one string")
            body: dict[str, Any] = {"event_ids": [str(e) for e in event_ids]}
            if not body["event_ids"]:
                raise ValueError("event_ids is empty")
        else:
            body = {"alert_id": str(alert_id)}
        return DetailQuery(
            api, AuthEventDetail, family=AUTH_EVENTS, body=body, what="auth event details"
        )

    @staticmethod
    async def descriptions(api: CBCloudAPI) -> cloud.AuthEventDescriptions:
        """What the Windows event ids, status codes, logon types and actions mean."""
        response = await api.transport.request("GET", f"{AUTH_EVENTS}/descriptions")
        return response.parse(adapter_for(cloud.AuthEventDescriptions))

    @staticmethod
    async def search_suggestions(
        api: CBCloudAPI, query: str, *, count: int | None = None
    ) -> list[cloud.SearchSuggestion]:
        """Field names that complete ``query`` (none once it has a colon)."""
        params: dict[str, Any] = {"suggest.q": query}
        if count is not None:
            params["suggest.count"] = count
        response = await api.transport.request(
            "GET", f"{AUTH_EVENTS}/search_suggestions", params=params
        )
        return list(response.parse(adapter_for(cloud.SearchSuggestionsResponse)).suggestions or ())

    @staticmethod
    async def validate_query(api: CBCloudAPI, query: str) -> cloud.SearchValidationResponse:
        """What the server says of ``query`` (``valid``, ``invalid_message``...)."""
        return await Validation(api, AUTH_EVENTS).check(query)


class AuthEventDetail(AuthEvent, cloud.AuthEventDetail):
    """An authentication event with every field (what detail jobs and groups return)."""

    @classmethod
    def _new_query(cls, api: Any) -> AuthEventQuery[Self]:
        raise errors.ApiError(
            "search AuthEvent (detail fields come from a detail job: event.details() or "
            "AuthEvent.details_of(api, event_ids=...))"
        )


class AuthEventGroup(ItemAccess, pydantic.BaseModel):
    """One group of ``group_results``: its key and value, its time span, its events (at most
    ``max_events_per_group`` of them) and how many events it has in all."""

    model_config = pydantic.ConfigDict(extra="allow")

    group_key: str | None = None
    group_value: str | None = None
    group_start_timestamp: str | None = None
    group_end_timestamp: str | None = None
    results: list[AuthEventDetail] = pydantic.Field(default_factory=list)
    total_events: int | None = None


class _GroupEnvelope(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")

    group_results: list[AuthEventGroup] | None = None
    groups_num_available: int | None = None
    num_found: int | None = None
    num_available: int | None = None


class AuthEventQuery(InvestigateQuery[M]):
    """An Auth Events search job (seed 004): query, criteria, exclusions, fields, sort, time
    range and collapse; facets and grouped results of the same search."""

    family: ClassVar[str] = AUTH_EVENTS
    noun: ClassVar[str] = "auth event"
    search_state: ClassVar[frozenset[str]] = SEARCH_STATE | {"collapse_fields"}

    def __init__(self, api: CBCloudAPI, model: type[M]) -> None:
        super().__init__(api, model)
        self._collapse_fields: tuple[str, ...] = ()

    def collapse(self, *fields: str) -> Self:
        """One result per value of ``fields`` (the server supports ``device_id``)."""
        return self._replace(collapse_fields=tuple(fields or ("device_id",)))

    def search_body(self) -> dict[str, Any]:
        body = super().search_body()
        if self._collapse_fields:
            body["collapse"] = True
            body["collapse_field"] = list(self._collapse_fields)
        return body

    def group_results(
        self,
        *fields: str,
        max_events_per_group: int | None = None,
        range_duration: str | None = None,
        range_field: str | None = None,
        range_method: str | None = None,
        page_size: int = GROUP_PAGE,
    ) -> OffsetPaginator[AuthEventGroup]:
        """This search's events grouped by the values of ``fields`` and, with a
        ``range_duration`` (``"3h"``, ``"5m"``), by time: ``"interval"`` (events closer than the
        duration join a group; the default) or ``"bucket"`` (a group spans at most the
        duration) over ``range_field`` (a timestamp such as ``device_timestamp``).

        ``await`` it for the first page, ``async for`` for every group; runs the search (once)
        first."""
        if not fields:
            raise ValueError("name at least one field to group by")
        if range_method is not None and range_method not in ("interval", "bucket"):
            raise ValueError(f"range_method is interval or bucket, not {range_method!r}")
        if max_events_per_group is not None and max_events_per_group < 1:
            raise ValueError("max_events_per_group must be at least 1")
        spec: dict[str, Any] = {}
        for key, value in (
            ("duration", range_duration),
            ("field", range_field),
            ("method", range_method),
        ):
            if value is not None:
                spec[key] = value
        body: dict[str, Any] = {"fields": list(fields)}
        if max_events_per_group is not None:
            body["max_events_per_group"] = max_events_per_group
        if spec:
            body["range"] = spec
        return _groups(self, body, page_size)


def _groups(
    query: AuthEventQuery[Any], body: Mapping[str, Any], page_size: int
) -> OffsetPaginator[AuthEventGroup]:
    api = query._api
    job = query.job
    route = f"{AUTH_EVENTS}/search_jobs/{{job_id}}/group_results"

    async def fetch(start: int, rows: int) -> Page[AuthEventGroup]:
        progress = await job.wait()
        if progress.no_data:
            return Page([], 0, start, extra=progress)
        job_id = job.job_id
        assert job_id is not None
        # Reads a finished job's groups: safe to repeat.
        response = await api.transport.request(
            "POST",
            route,
            path_params={"job_id": job_id},
            json={**body, "start": start, "rows": rows},
            idempotent=True,
        )
        envelope = response.parse(adapter_for(_GroupEnvelope))
        groups = envelope.group_results
        for group in groups or ():
            for event in group.results:
                AuthEventDetail._from_server(api, event, full=True)
        return Page.from_envelope(
            groups, envelope.groups_num_available, start, route=response.route, extra=envelope
        )

    return OffsetPaginator(fetch, page_size=page_size, what="auth event groups")
