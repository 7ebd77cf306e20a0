# GENERATED from spec/cloud.yaml by datamodel-code-generator==0.89.0 - DO NOT EDIT.
# Change the spec (or CODEGEN_OPTIONS in noxfile.py) and run `nox -s codegen`, which runs:
#     datamodel-codegen \
#         --input=spec/cloud.yaml \
#         --output=cbasync/models/_generated/cloud.py \
#         --input-file-type=openapi \
#         --openapi-scopes=schemas \
#         --output-model-type=pydantic_v2.BaseModel \
#         --target-python-version=3.10 \
#         --target-pydantic-version=2 \
#         --base-class=cbasync.models._base.CbModel \
#         --output-datetime-class=datetime \
#         --enum-field-as-literal=all \
#         --use-annotated \
#         --field-constraints \
#         --use-schema-description \
#         --use-field-description \
#         --use-double-quotes \
#         --use-standard-collections \
#         --use-union-operator \
#         --remove-special-field-name-prefix \
#         --disable-timestamp \
#         --formatters=builtin

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from cbasync.models._base import CbModel
from pydantic import Field, RootModel


class ErrorResponse(CbModel):
    """
    Error body, e.g. {"error_code": "INVALID_ENUM_VALUE", "message": "Malformed JSON input: terms.fields[0]", "field", "invalid_value", "known_values"} or {"error_code": "NOT_FOUND"}.
    """

    error_code: str | None = None
    message: str | None = None
    field: str | None = None
    invalid_value: Any | None = None
    known_values: list[Any] | None = None
    success: bool | None = None


class SuccessResponse(CbModel):
    """
    {"success": true} answer of feed and watchlist writes.
    """

    success: bool | None = None
    message: str | None = None


class ActionResponse(CbModel):
    """
    Optional JSON answer of device_actions (usually 204 without a body).
    """

    success: bool | None = None
    message: str | None = None


class SortCriterion(CbModel):
    field: Annotated[str, Field(examples=["device_timestamp"])]
    order: Annotated[str | None, Field(examples=["asc", "desc"])] = None
    """
    asc or desc (v6 devices - ASC or DESC).
    """


class TimeRange(CbModel):
    """
    A time window. Search jobs take start/end (ISO-8601 UTC) or window ("-2w"; units y, w, d, h, m, s; window wins over start/end); alerts and criteria take start/end or range ("-1w").
    """

    start: datetime | None = None
    end: datetime | None = None
    window: Annotated[str | None, Field(examples=["-2w", "-10w"])] = None
    range: Annotated[str | None, Field(examples=["-1d", "-2w"])] = None


class FacetTermsRequest(CbModel):
    fields: list[str]
    rows: Annotated[int | None, Field(ge=0)] = None
    """
    Top values per field (search jobs - default 100; v6 alerts - 0 means all).
    """


class FacetRangeRequest(CbModel):
    """
    A range facet - numbers, or ISO timestamps with a Solr DateMath bucket size such as "+1DAY".
    """

    field: Annotated[str | None, Field(examples=["process_duration", "process_start_time"])] = None
    bucket_size: int | float | str | None = None
    start: int | float | str | None = None
    end: int | float | str | None = None


class FacetValue(CbModel):
    total: int | None = None
    id: str | None = None
    name: str | None = None


class FacetTerm(CbModel):
    field: str | None = None
    values: list[FacetValue] | None = None


class FacetRange(CbModel):
    field: str | None = None
    start: int | float | str | None = None
    end: int | float | str | None = None
    bucket_size: int | float | str | None = None
    values: list[dict[str, Any]] | None = None


class JobCreatedResponse(CbModel):
    """
    Answer of a job submission, {"job_id": "..."}.
    """

    job_id: str


class SearchJobResults(CbModel):
    """
    Progress and counts shared by search and detail job results. The job is done when contacted > 0 and completed >= contacted; page against num_available.
    """

    num_found: int | None = None
    """
    Total matches (can exceed num_available).
    """
    num_available: int | None = None
    """
    Retrievable rows (<= the job's rows <= 10,000).
    """
    approximate_unaggregated: int | None = None
    num_aggregated: int | None = None
    contacted: int | None = None
    completed: int | None = None
    message: str | None = None
    """
    "No data available..." with contacted 0 - the job will never progress.
    """


class SearchJobRequest(CbModel):
    """
    A search job over processes, observations or enriched events; query and/or criteria/exclusions.
    """

    query: Annotated[str | None, Field(examples=["process_name:chrome.exe"])] = None
    criteria: dict[str, list[Any]] | None = None
    """
    field -> values that must match.
    """
    exclusions: dict[str, list[Any]] | None = None
    """
    field -> values that must not match.
    """
    fields: list[str] | None = ["*"]
    """
    "*" for the default fields, plus extra fields.
    """
    sort: list[SortCriterion] | None = None
    start: Annotated[int | None, Field(ge=0)] = 0
    rows: Annotated[int | None, Field(ge=0, le=10000)] = 500
    """
    Caps the retrievable results (hard cap 10,000).
    """
    time_range: TimeRange | None = None


class EmptyObject(RootModel[dict[str, Any]]):
    """
    {}: what the server sends in place of an object it has no record of.
    """

    root: Annotated[dict[str, Any], Field(max_length=0)]


class SearchJobStatus(CbModel):
    """
    Legacy job status (v1).
    """

    contacted: int | None = None
    completed: int | None = None
    query: dict[str, Any] | None = None
    """
    The search the job runs, as the backend's parameters (q, fl, fq, rows, start, cb.*).
    """
    search_initiated_time: int | None = None
    connector_id: str | None = None


class SearchJobIds(CbModel):
    query_ids: list[str] | None = None


class TimeBounds(CbModel):
    upper: int | None = None
    lower: int | None = None


class SearchLimits(CbModel):
    status_code: int | None = None
    time_bounds: TimeBounds | None = None


class SearchValidationRequest(CbModel):
    query: str


class SearchValidationResponse(CbModel):
    valid: bool | None = None
    value_search_query: bool | None = None
    invalid_message: str | None = None
    invalid_trigger_offset: int | None = None


class SearchSuggestion(CbModel):
    term: str | None = None
    weight: int | None = None
    required_skus_all: list[str] | None = None
    required_skus_some: list[str] | None = None


class SearchSuggestionsResponse(CbModel):
    suggestions: list[SearchSuggestion] | None = None


class FacetJobRequest(CbModel):
    """
    A facet job (processes, observations, enriched events); at least one term field or range.
    """

    query: str | None = None
    criteria: dict[str, list[Any]] | None = None
    exclusions: dict[str, list[Any]] | None = None
    time_range: TimeRange | None = None
    terms: FacetTermsRequest | None = None
    ranges: list[FacetRangeRequest] | None = None


class FacetJobResults(CbModel):
    terms: list[FacetTerm] | None = None
    ranges: list[FacetRange] | None = None
    num_found: int | None = None
    contacted: int | None = None
    completed: int | None = None
    job_id: str | None = None


class DeviceAssetGroup(CbModel):
    """
    An asset group a device belongs to (membership MANUAL or DYNAMIC).
    """

    id: str | None = None
    name: str | None = None
    membership_type: str | None = None


class DeviceSearchCriteria(CbModel):
    """
    Device criteria - arrays of accepted values; last_contact_time is a time range.
    """

    id: list[int] | None = None
    os: list[str] | None = None
    status: list[str] | None = None
    policy_id: list[int] | None = None
    target_priority: list[str] | None = None
    ad_group_id: list[int] | None = None
    deployment_type: list[str] | None = None
    cloud_provider_account_id: list[str] | None = None
    auto_scaling_group_name: list[str] | None = None
    virtual_private_cloud_id: list[str] | None = None
    last_contact_time: TimeRange | None = None


class DeviceSearchRequest(CbModel):
    criteria: DeviceSearchCriteria | None = None
    exclusions: DeviceSearchCriteria | None = None
    query: str | None = None
    start: Annotated[int | None, Field(ge=0)] = None
    rows: Annotated[int | None, Field(ge=0, le=10000)] = None
    sort: list[SortCriterion] | None = None


class DeviceFacetRequest(CbModel):
    criteria: DeviceSearchCriteria | None = None
    exclusions: DeviceSearchCriteria | None = None
    query: str | None = None
    terms: FacetTermsRequest | None = None


class DeviceFacetResponse(CbModel):
    """
    Facet fields - policy_id, status, os, ad_group_id, cloud_provider_account_id, auto_scaling_group_name, virtual_private_cloud_id, deployment_type.
    """

    results: list[FacetTerm] | None = None


class DeviceScrollRequest(CbModel):
    criteria: DeviceSearchCriteria | None = None
    exclusions: DeviceSearchCriteria | None = None
    query: str | None = None
    rows: Annotated[int | None, Field(ge=1, le=10000)] = None
    search_after: str | None = None


class DeviceExportRequest(DeviceSearchRequest):
    """
    A device search plus the export format.
    """

    format: Literal["CSV"]


class DeviceActionOptions(CbModel):
    toggle: Literal["ON", "OFF"] | None = None
    policy_id: int | None = None
    sensor_version: dict[str, str] | None = None
    """
    OS or kit type -> version, e.g. {"RHEL" - "2.3.4.5"}.
    """


class DeviceActionRequest(CbModel):
    """
    A device action for listed device ids or for the devices a search matches.
    """

    action_type: Literal["QUARANTINE", "BYPASS", "BACKGROUND_SCAN", "UPDATE_POLICY", "UPDATE_SENSOR_VERSION", "UNINSTALL_SENSOR", "DELETE_SENSOR"]
    device_id: list[int] | None = None
    search: DeviceSearchRequest | None = None
    options: DeviceActionOptions | None = None


class Workflow(CbModel):
    """
    The user-updatable status of a v6 alert (cbapi Workflow).
    """

    state: str | None = None
    """
    OPEN or DISMISSED.
    """
    remediation: str | None = None
    """
    Remediation code - the result of the investigation.
    """
    comment: str | None = None
    changed_by: str | None = None
    last_update_time: datetime | None = None


class ThreatIndicator(CbModel):
    process_name: str | None = None
    sha256: str | None = None
    ttps: list[str] | None = None


class BaseAlert(CbModel):
    """
    A v6 alert (cbapi BaseAlert); type-specific fields are typed on the subclasses and kept as extra fields here.
    """

    id: str
    legacy_alert_id: Annotated[str | None, Field(json_schema_extra={"deprecated": True})] = None
    org_key: str | None = None
    type: str | None = None
    """
    CB_ANALYTICS, WATCHLIST, DEVICE_CONTROL, CONTAINER_RUNTIME, VMWARE.
    """
    category: str | None = None
    """
    THREAT or MONITORED (older servers - INFO, MINOR, SERIOUS, CRITICAL).
    """
    severity: int | None = None
    reason: str | None = None
    threat_id: str | None = None
    create_time: datetime | None = None
    first_event_time: datetime | None = None
    last_event_time: datetime | None = None
    last_update_time: datetime | None = None
    device_id: int | None = None
    device_name: str | None = None
    device_os: str | None = None
    device_os_version: str | None = None
    device_username: str | None = None
    policy_id: int | str | None = None
    policy_name: str | None = None
    target_value: str | None = None
    notes_present: bool | None = None
    tags: list[str] | None = None
    group_details: dict[str, Any] | None = None
    workflow: Workflow | None = None
    threat_cause_actor_name: str | None = None
    threat_cause_actor_sha256: str | None = None
    threat_cause_actor_md5: str | None = None
    threat_cause_reputation: str | None = None
    threat_cause_parent_guid: str | None = None
    threat_cause_cause_event_id: str | None = None
    created_by_event_id: str | None = None
    threat_indicators: list[ThreatIndicator] | None = None


class CBAnalyticsAlert(BaseAlert):
    """
    A CB Analytics alert (v6).
    """

    blocked_threat_category: str | None = None
    not_blocked_threat_category: str | None = None
    device_location: str | None = None
    """
    ONSITE, OFFSITE, UNKNOWN.
    """
    kill_chain_status: list[str] | None = None
    policy_applied: str | None = None
    """
    APPLIED or NOT_APPLIED.
    """
    reason_code: str | None = None
    run_state: str | None = None
    """
    DID_NOT_RUN, RAN, UNKNOWN.
    """
    sensor_action: str | None = None
    """
    POLICY_NOT_APPLIED, ALLOW, ALLOW_AND_LOG, TERMINATE, DENY.
    """
    threat_cause_vector: str | None = None


class VMwareAlert(BaseAlert):
    """
    A VMware alert (v6).
    """


class WatchlistRef(CbModel):
    id: str | None = None
    name: str | None = None


class WatchlistAlert(BaseAlert):
    """
    A watchlist alert (v6).
    """

    watchlists: list[WatchlistRef] | None = None
    process_guid: str | None = None
    report_id: str | None = None
    report_name: str | None = None
    ioc_id: str | None = None
    ioc_field: str | None = None
    ioc_hit: str | None = None


class AlertSearchCriteriaV6(CbModel):
    """
    v6 alert criteria - arrays unless noted; time fields take a time range.
    """

    category: list[str] | None = None
    device_id: list[int] | None = None
    device_name: list[str] | None = None
    device_os: list[str] | None = None
    device_os_version: list[str] | None = None
    device_username: list[str] | None = None
    id: list[str] | None = None
    legacy_alert_id: list[str] | None = None
    policy_id: list[int] | None = None
    policy_name: list[str] | None = None
    process_name: list[str] | None = None
    process_sha256: list[str] | None = None
    reputation: list[str] | None = None
    tag: list[str] | None = None
    target_value: list[str] | None = None
    threat_id: list[str] | None = None
    type: list[str] | None = None
    workflow: list[str] | None = None
    minimum_severity: int | None = None
    group_results: bool | None = None
    create_time: TimeRange | None = None
    first_event_time: TimeRange | None = None
    last_event_time: TimeRange | None = None
    last_update_time: TimeRange | None = None
    blocked_threat_category: list[str] | None = None
    not_blocked_threat_category: list[str] | None = None
    device_location: list[str] | None = None
    kill_chain_status: list[str] | None = None
    policy_applied: list[str] | None = None
    reason_code: list[str] | None = None
    run_state: list[str] | None = None
    sensor_action: list[str] | None = None
    threat_cause_vector: list[str] | None = None
    watchlist_id: list[str] | None = None
    watchlist_name: list[str] | None = None


class AlertSearchRequestV6(CbModel):
    criteria: AlertSearchCriteriaV6 | None = None
    query: str | None = None
    rows: Annotated[int | None, Field(ge=0, le=10000)] = None
    start: Annotated[int | None, Field(ge=0)] = None
    sort: list[SortCriterion] | None = None


class AlertSearchResponseV6(CbModel):
    results: list[BaseAlert]
    num_found: int | None = None


class CBAnalyticsAlertSearchResponseV6(CbModel):
    results: list[CBAnalyticsAlert]
    num_found: int | None = None


class VMwareAlertSearchResponseV6(CbModel):
    results: list[VMwareAlert]
    num_found: int | None = None


class WatchlistAlertSearchResponseV6(CbModel):
    results: list[WatchlistAlert]
    num_found: int | None = None


class AlertFacetRequestV6(CbModel):
    """
    Facet fields - ALERT_TYPE, CATEGORY, REPUTATION, WORKFLOW, TAG, POLICY_ID, POLICY_NAME, DEVICE_ID, DEVICE_NAME, APPLICATION_HASH, APPLICATION_NAME, STATUS, RUN_STATE, POLICY_APPLIED_STATE, POLICY_APPLIED, SENSOR_ACTION.
    """

    criteria: AlertSearchCriteriaV6 | None = None
    query: str | None = None
    terms: FacetTermsRequest | None = None


class AlertWorkflowRequestV6(CbModel):
    state: Literal["OPEN", "DISMISSED"]
    remediation_state: str | None = None
    comment: str | None = None


class AlertBulkWorkflowRequestV6(CbModel):
    state: Literal["OPEN", "DISMISSED"]
    criteria: AlertSearchCriteriaV6 | None = None
    query: str | None = None
    remediation_state: str | None = None
    comment: str | None = None


class ThreatBulkWorkflowRequest(CbModel):
    state: Literal["OPEN", "DISMISSED"]
    threat_id: list[str]
    remediation_state: str | None = None
    comment: str | None = None


class WorkflowRequestResponse(CbModel):
    """
    Answer of a bulk workflow change, {"request_id": "..."} - poll WorkflowStatus (v6) or the Jobs API (v7).
    """

    request_id: str


class WorkflowStatus(CbModel):
    """
    Progress of a v6 bulk workflow request; poll until status is FINISHED.
    """

    id: str | None = None
    """
    Time-based, not unique across orgs.
    """
    status: str | None = None
    """
    QUEUED, IN_PROGRESS, FINISHED.
    """
    num_hits: int | None = None
    num_success: int | None = None
    failed_ids: list[str] | None = None
    errors: list[Any] | None = None
    workflow: Workflow | None = None


class AlertNote(CbModel):
    """
    A note on an alert or a threat.
    """

    id: str | None = None
    note: str | None = None
    author: str | None = None
    create_timestamp: datetime | None = None
    last_update_timestamp: datetime | None = None
    source: str | None = None
    """
    CUSTOMER or MDR.
    """
    parent_id: str | None = None
    read_history: list[Any] | None = None
    thread: list[Any] | None = None


class AlertNotesResponse(CbModel):
    results: list[AlertNote] | None = None
    num_found: int | None = None
    num_available: int | None = None


class AlertNoteRequest(CbModel):
    note: str


class AlertWorkflow(CbModel):
    """
    The workflow of a v7 alert.
    """

    status: str | None = None
    """
    OPEN, IN_PROGRESS, CLOSED.
    """
    change_timestamp: datetime | None = None
    changed_by_type: str | None = None
    changed_by: str | None = None
    closure_reason: str | None = None
    note: str | None = None


class AlertDetermination(CbModel):
    value: str | None = None
    """
    TRUE_POSITIVE, FALSE_POSITIVE, NONE.
    """
    change_timestamp: datetime | None = None
    changed_by_type: str | None = None
    changed_by: str | None = None


class Alert(CbModel):
    """
    A v7 alert. v6 names map - create_time -> backend_timestamp, policy_id -> device_policy_id, workflow.state -> workflow.status, threat_indicators -> ttps, ...
    """

    id: str
    org_key: str | None = None
    type: str | None = None
    """
    CB_ANALYTICS, WATCHLIST, DEVICE_CONTROL, CONTAINER_RUNTIME, HOST_BASED_FIREWALL, INTRUSION_DETECTION_SYSTEM.
    """
    severity: int | None = None
    reason: str | None = None
    reason_code: str | None = None
    threat_id: str | None = None
    alert_url: str | None = None
    alert_origin: str | None = None
    alert_notes_present: bool | None = None
    tags: list[str] | None = None
    backend_timestamp: datetime | None = None
    backend_update_timestamp: datetime | None = None
    detection_timestamp: datetime | None = None
    first_event_timestamp: datetime | None = None
    last_event_timestamp: datetime | None = None
    user_update_timestamp: datetime | None = None
    mdr_determination_change_timestamp: datetime | None = None
    mdr_workflow_change_timestamp: datetime | None = None
    workflow: AlertWorkflow | None = None
    determination: AlertDetermination | None = None
    device_id: int | None = None
    device_name: str | None = None
    device_os: str | None = None
    device_os_version: str | None = None
    device_username: str | None = None
    device_policy_id: int | None = None
    device_policy: str | None = None
    device_target_value: str | None = None
    device_location: str | None = None
    device_external_ip: str | None = None
    device_internal_ip: str | None = None
    process_guid: str | None = None
    process_name: str | None = None
    process_sha256: str | None = None
    process_md5: str | None = None
    process_pid: int | None = None
    process_cmdline: str | None = None
    process_username: str | None = None
    process_reputation: str | None = None
    process_effective_reputation: str | None = None
    parent_guid: str | None = None
    primary_event_id: str | None = None
    ttps: list[str] | None = None
    k8s_cluster: str | None = None
    k8s_namespace: str | None = None
    k8s_pod_name: str | None = None
    k8s_kind: str | None = None
    k8s_workload_name: str | None = None
    netconn_remote_ip: str | None = None
    netconn_remote_domain: str | None = None
    netconn_local_port: int | None = None
    netconn_protocol: str | None = None
    netconn_remote_port: int | None = None
    netconn_local_ip: str | None = None
    netconn_remote_ipv4: str | None = None
    netconn_local_ipv4: str | None = None
    k8s_policy_id: str | None = None
    k8s_policy: str | None = None
    k8s_rule_id: str | None = None
    k8s_rule: str | None = None
    connection_type: str | None = None
    """
    CONTAINER_RUNTIME - EGRESS, INGRESS, ...
    """
    egress_group_id: str | None = None
    egress_group_name: str | None = None
    ip_reputation: int | None = None
    remote_is_private: bool | None = None
    rule_id: str | None = None
    """
    HOST_BASED_FIREWALL and INTRUSION_DETECTION_SYSTEM - the rule that fired.
    """
    rule_category_id: str | None = None
    tms_rule_id: str | None = None
    threat_name: str | None = None
    attack_tactic: str | None = None
    attack_technique: str | None = None
    vendor_name: str | None = None
    """
    DEVICE_CONTROL - the USB device.
    """
    vendor_id: str | None = None
    product_name: str | None = None
    product_id: str | None = None
    serial_number: str | None = None
    external_device_friendly_name: str | None = None
    policy_applied: str | None = None
    run_state: str | None = None
    sensor_action: str | None = None
    threat_notes_present: bool | None = None
    is_updated: bool | None = None


class AlertSearchCriteria(CbModel):
    """
    v7 criteria and exclusions - v7 field names with arrays of values, minimum_severity a scalar, time keys a time range.
    """

    id: list[str] | None = None
    type: list[str] | None = None
    minimum_severity: int | None = None
    threat_id: list[str] | None = None
    device_id: list[int] | None = None
    device_name: list[str] | None = None
    device_os: list[str] | None = None
    device_policy_id: list[int] | None = None
    process_name: list[str] | None = None
    process_sha256: list[str] | None = None
    tags: list[str] | None = None
    alert_origin: list[str] | None = None
    backend_update_timestamp: TimeRange | None = None
    detection_timestamp: TimeRange | None = None
    first_event_timestamp: TimeRange | None = None
    last_event_timestamp: TimeRange | None = None
    mdr_determination_change_timestamp: TimeRange | None = None
    mdr_workflow_change_timestamp: TimeRange | None = None
    user_update_timestamp: TimeRange | None = None
    workflow_change_timestamp: TimeRange | None = None


class AlertSearchRequest(CbModel):
    time_range: TimeRange | None = None
    criteria: AlertSearchCriteria | None = None
    exclusions: AlertSearchCriteria | None = None
    query: str | None = None
    rows: Annotated[int | None, Field(ge=0, le=10000)] = None
    start: Annotated[int | None, Field(ge=0)] = None
    sort: list[SortCriterion] | None = None


class AlertSearchResponse(CbModel):
    results: list[Alert]
    num_found: int | None = None
    num_available: int | None = None


class AlertFacetRequest(CbModel):
    time_range: TimeRange | None = None
    criteria: AlertSearchCriteria | None = None
    exclusions: AlertSearchCriteria | None = None
    query: str | None = None
    terms: FacetTermsRequest | None = None


class AlertFacetResponse(CbModel):
    """
    Facets of an alert search (v6 and v7).
    """

    results: list[FacetTerm] | None = None


class GroupBy(CbModel):
    field: Annotated[str, Field(examples=["THREAT_ID"])]


class GroupedAlertSearchRequest(AlertSearchRequest):
    group_by: GroupBy | None = None


class GroupedAlertFacetRequest(AlertFacetRequest):
    group_by: GroupBy | None = None


class AlertGroup(CbModel):
    count: int | None = None
    workflow_states: dict[str, int] | None = None
    determination_values: dict[str, int] | None = None
    most_recent_alert: Alert | None = None


class GroupedAlertSearchResponse(CbModel):
    results: list[AlertGroup]
    num_found: int | None = None
    num_available: int | None = None
    group_by_total_count: int | None = None


class AlertExportRequest(CbModel):
    time_range: TimeRange | None = None
    criteria: AlertSearchCriteria | None = None
    exclusions: AlertSearchCriteria | None = None
    query: str | None = None
    format: Literal["CSV"]
    fields: list[str] | None = None


class AlertWorkflowRequest(CbModel):
    """
    A v7 workflow change for the alerts a selection matches.
    """

    time_range: TimeRange | None = None
    criteria: AlertSearchCriteria | None = None
    exclusions: AlertSearchCriteria | None = None
    query: str | None = None
    status: Literal["OPEN", "IN_PROGRESS", "CLOSED"]
    closure_reason: Literal["NO_REASON", "RESOLVED", "RESOLVED_BENIGN_KNOWN_GOOD", "DUPLICATE_CLEANUP", "OTHER"] | None = (
        None
    )
    determination: Literal["TRUE_POSITIVE", "FALSE_POSITIVE", "NONE"] | None = None
    note: str | None = None


class AlertHistoryEntry(CbModel):
    """
    One change to an alert or threat - USER_WORKFLOW_UPDATE (with workflow), USER_DETERMINATION_UPDATE (with determination), ALERT_NOTE_ADDED or THREAT_NOTE_ADDED (with note).
    """

    type: str
    workflow: AlertWorkflow | None = None
    determination: AlertDetermination | None = None
    note: AlertNote | None = None


class AlertHistory(CbModel):
    """
    The history of an alert or a threat, oldest first.
    """

    history: list[AlertHistoryEntry] | None = None


class ThreatTags(CbModel):
    tags: list[str] | None = None


class ThreatTagList(CbModel):
    """
    GET .../threats/{threat_id}/tags answers {"list" - [...]} (the POST answers {"tags" - [...]}).
    """

    list_: Annotated[list[str] | None, Field(alias="list")] = None


class Process(CbModel):
    """
    An Enterprise EDR process (one row per process, aggregated over segments). Several fields are lists (process_pid, process_username, process_cmdline, process_hash = [md5, sha256]). ingress_time is epoch milliseconds; the *_timestamp and *_time fields are ISO-8601.
    """

    process_guid: str
    process_name: str | None = None
    process_pid: list[int] | None = None
    process_username: list[str] | None = None
    process_cmdline: list[str] | None = None
    process_hash: list[str] | None = None
    process_sha256: str | None = None
    process_start_time: datetime | None = None
    process_terminated: bool | None = None
    process_reputation: str | None = None
    process_effective_reputation: str | None = None
    parent_guid: str | None = None
    parent_pid: int | None = None
    parent_name: str | None = None
    parent_hash: list[str] | None = None
    backend_timestamp: datetime | None = None
    device_timestamp: datetime | None = None
    ingress_time: int | None = None
    device_id: int | None = None
    device_name: str | None = None
    device_group_id: int | None = None
    device_policy_id: int | None = None
    device_policy: str | None = None
    device_os: str | None = None
    device_internal_ip: str | None = None
    device_external_ip: str | None = None
    org_id: str | None = None
    event_type: list[str] | str | None = None
    alert_id: list[str] | None = None
    watchlist_hit: list[str] | None = None
    enriched: bool | None = None
    enriched_event_type: list[str] | None = None
    legacy: bool | None = None
    ttp: list[str] | None = None
    """
    Tactics and techniques seen (MITRE_T1003_CREDENTIAL_DUMP, INJECT_CODE...).
    """
    childproc_count: int | None = None
    crossproc_count: int | None = None
    filemod_count: int | None = None
    modload_count: int | None = None
    netconn_count: int | None = None
    regmod_count: int | None = None
    scriptload_count: int | None = None


class ProcessSearchJobRequest(SearchJobRequest):
    """
    A process search job; process_guid limits it to one process.
    """

    process_guid: str | None = None


class ProcessSearchJobResults(SearchJobResults):
    """
    A page of process search job results (GET .../processes/search_jobs/{job_id}/results).
    """

    results: list[Process]


class ProcessDetailJobRequest(CbModel):
    process_guids: list[str]


class ProcessDetailJobResults(SearchJobResults):
    """
    Process details (num_found 0 - no details).
    """

    results: list[Process]


class ProcessSummaryJobRequest(CbModel):
    process_guid: str
    parent_guid: str | None = None
    time_range: TimeRange | None = None


class ProcessSummary(CbModel):
    """
    A process with its parent, siblings and children ({} while the job runs).
    """

    process: Process | None = None
    parent: Process | EmptyObject | None = None
    siblings: list[Process] | None = None
    children: list[Process] | None = None


class ProcessTreeNode(Process):
    """
    A process and its children, recursively.
    """

    children: list[ProcessTreeNode] | None = None
    has_children: bool | None = None
    hits: bool | None = None
    """
    Whether the node matched the search (the root).
    """
    process_filename: Annotated[str | None, Field(alias="_process_filename")] = None
    """
    The file name of process_name.
    """


class ProcessSummaryJobResults(CbModel):
    """
    Results of a summary job - summary (format=summary) or tree (format=tree).
    """

    exception: str | None = None
    """
    "" success, "NOT_FOUND" unknown GUID.
    """
    summary: ProcessSummary | None = None
    tree: ProcessTreeNode | EmptyObject | None = None
    contacted: int | None = None
    completed: int | None = None


class ProcessTreeLegacyResponse(CbModel):
    incomplete_results: bool | None = None
    nodes: ProcessTreeNode | None = None


class ProcessSummaryLegacyResponse(CbModel):
    incomplete_results: bool | None = None
    process: Process | None = None
    parent: Process | EmptyObject | None = None
    siblings: list[Process] | None = None
    children: list[Process] | None = None


class ProcessEvent(CbModel):
    """
    An event of one process (fields depend on event_type - childproc, crossproc, filemod, modload, netconn, regmod, scriptload).
    """

    event_guid: str | None = None
    """
    22 URL-safe base64 characters.
    """
    event_hash: str | None = None
    event_type: str | None = None
    event_timestamp: datetime | None = None
    created_timestamp: datetime | None = None
    legacy: bool | None = None
    process_pid: int | None = None
    process_name: str | None = None
    modload_action: str | None = None
    modload_name: str | None = None
    modload_md5: str | None = None
    modload_sha256: str | None = None
    modload_effective_reputation: str | None = None
    modload_publisher: str | None = None
    modload_publisher_state: list[str] | None = None
    backend_timestamp: datetime | None = None
    device_timestamp: datetime | None = None
    process_guid: str | None = None
    device_id: int | None = None
    device_name: str | None = None
    event_description: str | None = None


class ProcessEventSearchRequest(CbModel):
    query: str | None = None
    criteria: dict[str, list[Any]] | None = None
    fields: list[str] | None = None
    start: Annotated[int | None, Field(ge=0)] = None
    rows: Annotated[int | None, Field(ge=0, le=10000)] = None
    sort: list[SortCriterion] | None = None
    time_range: TimeRange | None = None
    process_guid: str | None = None


class ProcessEventSearchResponse(CbModel):
    """
    Re-issue the request until processed_segments == total_segments.
    """

    results: list[ProcessEvent]
    num_found: int | None = None
    num_available: int | None = None
    total_segments: int | None = None
    processed_segments: int | None = None


class ProcessEventFacetRequest(CbModel):
    query: str | None = None
    criteria: dict[str, list[Any]] | None = None
    terms: FacetTermsRequest | None = None
    ranges: list[FacetRangeRequest] | None = None
    time_range: TimeRange | None = None


class ProcessEventFacetResponse(CbModel):
    terms: list[FacetTerm] | None = None
    ranges: list[FacetRange] | None = None
    num_found: int | None = None
    total_segments: int | None = None
    processed_segments: int | None = None


class Observation(CbModel):
    """
    An observation (fields beyond these are kept as extra fields).
    """

    observation_id: str | None = None
    alert_id: list[str] | None = None
    event_id: str | None = None
    observation_type: str | None = None
    observation_description: str | None = None
    process_guid: str | None = None
    device_id: int | None = None
    device_name: str | None = None
    backend_timestamp: datetime | None = None
    device_timestamp: datetime | None = None


class ObservationSearchJobResults(SearchJobResults):
    results: list[Observation]


class ObservationDetailJobRequest(CbModel):
    """
    Exactly one of observation_ids and alert_id.
    """

    observation_ids: list[str] | None = None
    alert_id: str | None = None


class EnrichedEvent(CbModel):
    """
    An enriched event (fields beyond these are kept as extra fields).
    """

    event_id: str | None = None
    event_type: str | None = None
    event_description: str | None = None
    process_guid: str | None = None
    device_id: int | None = None
    device_name: str | None = None
    backend_timestamp: datetime | None = None
    device_timestamp: datetime | None = None


class EnrichedEventSearchJobResults(SearchJobResults):
    results: list[EnrichedEvent]


class EnrichedEventDetailJobRequest(CbModel):
    event_ids: list[str]


class QueryTranslation(CbModel):
    query: str


class FeedInfo(CbModel):
    id: Annotated[str | None, Field(examples=["pv65TYVQy8YWMX9KsQUg"])] = None
    name: str | None = None
    owner: str | None = None
    provider_url: str | None = None
    summary: str | None = None
    category: str | None = None
    source_label: str | None = None
    access: str | None = None
    """
    public or private.
    """
    alertable: bool | None = None


class IocQuery(CbModel):
    index_type: str | None = None
    search_query: str | None = None


class LegacyIocs(CbModel):
    md5: list[str] | None = None
    ipv4: list[str] | None = None
    ipv6: list[str] | None = None
    dns: list[str] | None = None
    query: list[IocQuery] | None = None


class IocV2(CbModel):
    id: str | None = None
    match_type: str | None = None
    """
    equality, regex or query.
    """
    values: list[str] | None = None
    field: str | None = None
    link: str | None = None


class Report(CbModel):
    """
    A feed or watchlist report.
    """

    id: str | None = None
    timestamp: int | None = None
    title: str | None = None
    description: str | None = None
    severity: Annotated[int | None, Field(ge=1, le=10)] = None
    link: str | None = None
    tags: list[str] | None = None
    visibility: str | None = None
    iocs: LegacyIocs | None = None
    iocs_v2: list[IocV2] | None = None


class Feed(CbModel):
    """
    A feed with its reports (GET /feeds/{id}; also the create body).
    """

    feedinfo: FeedInfo | None = None
    reports: list[Report] | None = None


class FeedList(CbModel):
    results: list[FeedInfo] | None = None


class ReportList(CbModel):
    results: list[Report] | None = None


class ReportsRequest(CbModel):
    reports: list[Report]


class WatchlistClassifier(CbModel):
    key: Annotated[str | None, Field(examples=["feed_id"])] = None
    value: str | None = None


class Watchlist(CbModel):
    """
    An Enterprise EDR watchlist; report_ids entries look like <feed_id>-<report_id>.
    """

    id: Annotated[str | None, Field(examples=["5LKpHr2SHiaE2QprfPhQ"])] = None
    name: str | None = None
    description: str | None = None
    tags_enabled: bool | None = None
    alerts_enabled: bool | None = None
    create_timestamp: int | None = None
    last_update_timestamp: int | None = None
    report_ids: list[str] | None = None
    classifier: WatchlistClassifier | None = None


class WatchlistList(CbModel):
    results: list[Watchlist] | None = None


class ReportIgnoreStatus(CbModel):
    ignored: bool | None = None


class ReportSeverity(CbModel):
    report_id: str
    severity: Annotated[int, Field(ge=1, le=10)]


class ReportSeverityList(CbModel):
    results: list[ReportSeverity] | None = None


class BinaryMetadata(CbModel):
    sha256: str | None = None
    md5: str | None = None
    file_size: int | None = None
    file_available: bool | None = None
    original_filename: str | None = None
    product_name: str | None = None
    company_name: str | None = None
    os_type: str | None = None


class BinaryDeviceSummary(CbModel):
    sha256: str | None = None
    num_devices: int | None = None
    first_seen_device_id: int | None = None
    first_seen_device_name: str | None = None
    first_seen_device_timestamp: datetime | None = None
    last_seen_device_id: int | None = None
    last_seen_device_name: str | None = None
    last_seen_device_timestamp: datetime | None = None


class BinaryDownloadRequest(CbModel):
    sha256: list[str]
    expiration_seconds: Annotated[int | None, Field(ge=1)] = 3600


class BinaryDownloadUrl(CbModel):
    sha256: str | None = None
    url: str | None = None
    """
    Pre-signed S3 URL - fetch with no auth header.
    """


class BinaryDownloadResponse(CbModel):
    found: list[BinaryDownloadUrl] | None = None
    not_found: list[str] | None = None
    error: list[Any] | None = None


class DeviceFilter(CbModel):
    """
    Devices a run targets. Servers answer with either spelling; send the current names.
    """

    device_id: list[int] | None = None
    os: list[str] | None = None
    """
    WINDOWS, MAC, LINUX.
    """
    policy_id: list[int] | None = None
    deployment_type: list[str] | None = None
    device_ids: Annotated[list[int] | None, Field(json_schema_extra={"deprecated": True})] = None
    device_types: Annotated[list[str] | None, Field(json_schema_extra={"deprecated": True})] = None
    policy_ids: Annotated[list[int] | None, Field(json_schema_extra={"deprecated": True})] = None


class RunSchedule(CbModel):
    rrule: str | None = None
    timezone: str | None = None
    status: str | None = None
    """
    CANCELLED cancels a template.
    """


class Run(CbModel):
    """
    A LiveQuery run. Status ACTIVE, COMPLETE, TIMED_OUT, CANCELLED.
    """

    id: str
    org_key: str | None = None
    name: str | None = None
    sql: str | None = None
    created_by: str | None = None
    destinations: list[str] | None = None
    device_filter: DeviceFilter | None = None
    notify_on_finish: bool | None = None
    recommended_query_id: str | None = None
    template_id: str | None = None
    schedule: RunSchedule | None = None
    schema_: Annotated[str | None, Field(alias="schema")] = None
    status: str | None = None
    active_org_devices: int | None = None
    create_time: datetime | None = None
    status_update_time: datetime | None = None
    timeout_time: datetime | None = None
    """
    create_time + 7 days.
    """
    cancellation_time: datetime | None = None
    cancelled_by: str | None = None
    archive_time: datetime | None = None
    archived_by: str | None = None
    last_result_time: datetime | None = None
    total_results: int | None = None
    match_count: int | None = None
    no_match_count: int | None = None
    success_count: int | None = None
    error_count: int | None = None
    in_progress_count: int | None = None
    not_started_count: int | None = None
    not_supported_count: int | None = None
    cancelled_count: int | None = None


class RunCreateRequest(CbModel):
    sql: str
    name: str | None = None
    notify_on_finish: bool | None = None
    device_filter: DeviceFilter | None = None


class RunStatusRequest(CbModel):
    status: Literal["CANCELLED"]


class RunSearchRequest(CbModel):
    """
    Search runs, templates or results - criteria keys such as template_id, device.id, status, time_received.
    """

    query: str | None = None
    criteria: dict[str, Any] | None = None
    start: Annotated[int | None, Field(ge=0)] = None
    rows: Annotated[int | None, Field(ge=0, le=10000)] = None
    sort: list[SortCriterion] | None = None


class RunSearchResponse(CbModel):
    org_key: str | None = None
    num_found: int | None = None
    results: list[Run]


class ResultDevice(CbModel):
    id: int | None = None
    name: str | None = None
    policy_id: int | None = None
    policy_name: str | None = None
    os: str | None = None


class Result(CbModel):
    """
    A LiveQuery result row - one device's answer (status matched, not_matched, error, in_progress, ... lower case).
    """

    id: str | None = None
    """
    The run id.
    """
    device: ResultDevice | None = None
    status: str | None = None
    time_received: datetime | None = None
    device_message: str | None = None
    fields: dict[str, Any] | None = None
    """
    The SQL columns.
    """
    metrics: dict[str, Any] | None = None


class ResultSearchRequest(RunSearchRequest):
    """
    Result search body - start is 0-based; about 10,000 rows are reachable.
    """


class ResultSearchResponse(CbModel):
    org_key: str | None = None
    num_found: int | None = None
    results: list[Result]


class DeviceSummary(CbModel):
    id: str | None = None
    device: ResultDevice | None = None
    status: str | None = None
    total_results: int | None = None
    error_description: str | None = None
    metrics: dict[str, float] | None = None
    """
    The device's osquery metrics by name (average_system_memory_in_use, osquery_creation_time_unix_ms, total_cpu_peak, ...).
    """
    start_time: datetime | None = None
    finish_time: datetime | None = None
    update_time: datetime | None = None


class DeviceSummarySearchResponse(CbModel):
    org_key: str | None = None
    num_found: int | None = None
    results: list[DeviceSummary]


class ResultFacetRequest(CbModel):
    query: str | None = None
    criteria: dict[str, Any] | None = None
    terms: FacetTermsRequest | None = None


class ResultFacetResponse(CbModel):
    terms: list[FacetTerm] | None = None


class ResultScrollRequest(CbModel):
    """
    criteria run_id [...] or time_received {start, end}; no start.
    """

    criteria: dict[str, Any] | None = None
    query: str | None = None
    rows: Annotated[int | None, Field(ge=1, le=10000)] = None
    search_after: str | None = None


class ResultScrollResponse(CbModel):
    org_key: str | None = None
    num_found: int | None = None
    num_remaining: int | None = None
    search_after: str | None = None
    """
    "" when exhausted.
    """
    results: list[Result]


class Template(Run):
    """
    A scheduled run (template); the schedule field carries rrule and timezone.
    """


class TemplateCreateRequest(RunCreateRequest):
    schedule: RunSchedule


class TemplateSearchResponse(CbModel):
    org_key: str | None = None
    num_found: int | None = None
    results: list[Template]


class AsyncExportResponse(CbModel):
    """
    An asynchronous export; ref_url ends in a Jobs API job id.
    """

    ref_url: str | None = None
    job_id: str | None = None


class AuthEvent(CbModel):
    """
    A Windows authentication event as search jobs return it - the 28 default fields of the fields enum plus auth_remote_device (more fields requested with `fields` are kept as extra fields; AuthEventDetail types them all). backend/device timestamps are ISO-8601; ingress_time is epoch milliseconds; process_hash is [md5, sha256].
    """

    event_id: str
    org_id: str | None = None
    windows_event_id: int | None = None
    """
    4624, 4625, 4634, 4647, 4648, 4672, 4740, 4776, 4777, 6272 (see descriptions).
    """
    auth_event_action: str | None = None
    """
    ACCOUNT_LOCKED, LOGOFF_INITIATED, LOGOFF_SUCCESS, LOGON_DISCOVERED, LOGON_FAILED, LOGON_SUCCESS, PRIVILEGES_GRANTED.
    """
    auth_username: str | None = None
    auth_domain_name: str | None = None
    auth_remote_device: str | None = None
    auth_remote_port: int | None = None
    backend_timestamp: datetime | None = None
    device_timestamp: datetime | None = None
    ingress_time: int | None = None
    device_id: int | None = None
    device_name: str | None = None
    device_group_id: int | None = None
    device_policy_id: int | None = None
    process_guid: str | None = None
    process_name: str | None = None
    """
    Full path.
    """
    process_pid: list[int] | None = None
    process_username: list[str] | None = None
    process_hash: list[str] | None = None
    parent_guid: str | None = None
    parent_pid: int | None = None
    childproc_count: int | None = None
    crossproc_count: int | None = None
    filemod_count: int | None = None
    modload_count: int | None = None
    netconn_count: int | None = None
    regmod_count: int | None = None
    scriptload_count: int | None = None


class AuthEventDetail(AuthEvent):
    """
    An auth event with every field (detail jobs and group results carry them all); process_start_time is ISO-8601, parent_hash is [md5, sha256].
    """

    document_guid: str | None = None
    auth_user_id: str | None = None
    """
    SID.
    """
    auth_logon_id: str | None = None
    auth_logon_type: int | None = None
    auth_package: str | None = None
    auth_impersonation_level: str | None = None
    auth_key_length: int | None = None
    auth_failed_logon_count: int | None = None
    auth_remote_ipv4: str | None = None
    auth_privileges: list[str] | None = None
    auth_cleartext_credentials_logon: bool | None = None
    auth_daemon_logon: bool | None = None
    auth_elevated_token_logon: bool | None = None
    auth_interactive_logon: bool | None = None
    auth_remote_logon: bool | None = None
    auth_restricted_admin_logon: bool | None = None
    auth_virtual_account_logon: bool | None = None
    device_policy: str | None = None
    device_os: str | None = None
    device_os_version: str | None = None
    device_sensor_version: str | None = None
    device_target_priority: str | None = None
    device_location: str | None = None
    device_external_ip: str | None = None
    device_internal_ip: str | None = None
    device_installed_by: str | None = None
    process_sha256: str | None = None
    process_cmdline: list[str] | None = None
    process_cmdline_length: list[int] | None = None
    process_start_time: datetime | None = None
    process_elevated: bool | None = None
    process_integrity_level: str | None = None
    process_privileges: list[str] | None = None
    process_company_name: str | None = None
    process_file_description: str | None = None
    process_internal_name: str | None = None
    process_original_filename: str | None = None
    process_product_name: str | None = None
    process_product_version: str | None = None
    process_publisher: list[str] | None = None
    process_publisher_state: list[str] | None = None
    process_reputation: str | None = None
    process_effective_reputation: str | None = None
    process_effective_reputation_source: str | None = None
    parent_name: str | None = None
    parent_hash: list[str] | None = None
    parent_cmdline: str | None = None
    parent_cmdline_length: int | None = None
    parent_publisher: list[str] | None = None
    parent_publisher_state: list[str] | None = None
    parent_reputation: str | None = None
    parent_effective_reputation: str | None = None
    parent_effective_reputation_source: str | None = None


class AuthEventSearchJobRequest(SearchJobRequest):
    """
    POST .../auth_events/search_jobs - query or criteria/exclusions required.
    """

    collapse: bool | None = None
    collapse_field: list[str] | None = None


class AuthEventSearchJobResults(SearchJobResults):
    """
    A page of Auth Events search results (GET .../auth_events/search_jobs/{job_id}/results).
    """

    results: list[AuthEvent]


class AuthEventDetailJobRequest(CbModel):
    alert_id: str | None = None
    """
    Fetch the observations associated with an alert.
    """
    event_ids: list[str] | None = None


class AuthEventDetailJobResults(SearchJobResults):
    """
    Auth Events details (GET .../auth_events/detail_jobs/{job_id}/results).
    """

    results: list[AuthEventDetail]


class GroupRange(CbModel):
    """
    Group by time - interval (consecutive sorted events closer than duration) or bucket (at most duration from the group's first event).
    """

    method: Literal["interval", "bucket"] | None = "interval"
    field: Annotated[str | None, Field(examples=["device_timestamp"])] = None
    duration: Annotated[str | None, Field(examples=["3h", "5m", "100s"])] = None


class AuthEventGroupResultsRequest(CbModel):
    fields: list[str] | None = ["*"]
    max_events_per_group: Annotated[int | None, Field(ge=1)] = None
    """
    All events when absent.
    """
    range: GroupRange | None = None
    rows: Annotated[int | None, Field(ge=0, le=10000)] = 500
    start: Annotated[int | None, Field(ge=0)] = 0


class AuthEventGroup(CbModel):
    group_key: str | None = None
    group_value: str | None = None
    group_start_timestamp: datetime | None = None
    group_end_timestamp: datetime | None = None
    results: list[AuthEventDetail] | None = None
    """
    Detail-style events (the seed's examples carry every field).
    """
    total_events: int | None = None


class AuthEventGroupResults(CbModel):
    group_results: list[AuthEventGroup]
    num_found: int | None = None
    num_available: int | None = None
    groups_num_available: int | None = None
    approximate_unaggregated: int | None = None
    num_aggregated: int | None = None
    contacted: int | None = None
    completed: int | None = None


class AuthEventFacetJobRequest(FacetJobRequest):
    """
    POST .../auth_events/facet_jobs (terms.rows default 100).
    """


class AuthEventFacetJobResults(FacetJobResults):
    """
    Auth Events facet results (cbc_sdk AuthEventFacet).
    """


class AuthEventStatusDescription(CbModel):
    status_id: Annotated[str | None, Field(examples=["0xC0000106L"])] = None
    message_code: str | None = None
    message_description: str | None = None


class LogonTypeDescription(CbModel):
    title: str | None = None
    description: str | None = None


class AuthEventDescriptions(CbModel):
    event: dict[str, str] | None = None
    """
    windows_event_id -> text.
    """
    status: list[AuthEventStatusDescription] | None = None
    logon_type: dict[str, LogonTypeDescription] | None = None
    auth_event_action: dict[str, str] | None = None


class DefenseDevice(CbModel):
    """
    An Endpoint Standard v3 device (cbapi.defense Device, primary key deviceId, under the deviceInfo key of single answers). Time fields are epoch milliseconds or ISO-8601 (cbapi 1.3.5+ converts them to datetimes); both are accepted and kept as sent.
    """

    deviceId: int | None = None
    deviceGuid: str | None = None
    deviceSessionId: str | int | None = None
    deviceType: str | None = None
    deviceOwnerId: int | None = None
    name: str | None = None
    email: str | None = None
    firstName: str | None = None
    middleName: str | None = None
    lastName: str | None = None
    assignedToId: int | None = None
    assignedToName: str | None = None
    organizationId: int | None = None
    organizationName: str | None = None
    osVersion: str | None = None
    windowsPlatform: str | None = None
    linuxKernelVersion: str | None = None
    sensorVersion: str | None = None
    sensorStates: list[str] | None = None
    status: str | None = None
    policyId: int | None = None
    policyName: str | None = None
    quarantined: bool | None = None
    passiveMode: bool | None = None
    targetPriorityType: str | None = None
    testId: int | None = None
    vdiBaseDevice: str | int | None = None
    activationCode: str | None = None
    activationCodeExpiryTime: int | datetime | None = None
    lastExternalIpAddress: str | None = None
    lastInternalIpAddress: str | None = None
    lastLocation: str | None = None
    avEngine: str | None = None
    avMaster: bool | None = None
    avStatus: list[str] | None = None
    avUpdateServers: list[str] | None = None
    avLastScanTime: int | datetime | None = None
    messages: list[Any] | None = None
    rootedByAnalytics: bool | None = None
    rootedByAnalyticsTime: int | datetime | None = None
    rootedBySensor: bool | None = None
    rootedBySensorTime: int | datetime | None = None
    scanStatus: str | None = None
    scanLastActionTime: int | datetime | None = None
    scanLastCompleteTime: int | datetime | None = None
    createTime: int | datetime | None = None
    registeredTime: int | datetime | None = None
    deregisteredTime: int | datetime | None = None
    uninstalledTime: int | datetime | None = None
    lastContact: int | datetime | None = None
    lastReportedTime: int | datetime | None = None
    lastResetTime: int | datetime | None = None
    lastShutdownTime: int | datetime | None = None
    firstVirusActivityTime: int | datetime | None = None
    lastVirusActivityTime: int | datetime | None = None


class DefenseDeviceListResponse(CbModel):
    """
    v3 list envelope; results is null past the 100,000 cap.
    """

    results: list[DefenseDevice] | None = None
    totalResults: int | None = None
    success: bool | None = None
    message: str | None = None
    elapsed: int | float | None = None


class DefenseDeviceResponse(CbModel):
    deviceInfo: DefenseDevice | None = None
    success: bool | None = None
    message: str | None = None


class DefenseDeviceUpdateRequest(CbModel):
    """
    Only the changed fields, e.g. {"policyName" - "Restrictive_Windows_Workstation"}.
    """

    policyName: str | None = None
    policyId: int | None = None
    targetPriorityType: str | None = None


class DefenseDeviceUpdateResponse(CbModel):
    """
    success false is a failure whatever the status code.
    """

    success: bool | None = None
    message: str | None = None
    deviceId: int | None = None
    deviceInfo: DefenseDevice | None = None


class DefenseEvent(CbModel):
    """
    A v3 event (primary key eventId); seed 001 lists no fields.
    """

    eventId: str | None = None
    eventType: str | None = None
    eventTime: int | datetime | None = None
    createTime: int | datetime | None = None
    shortDescription: str | None = None
    longDescription: str | None = None
    deviceDetails: dict[str, Any] | None = None
    processDetails: dict[str, Any] | None = None
    netFlow: dict[str, Any] | None = None
    selectedApp: dict[str, Any] | None = None
    threatIndicators: list[Any] | None = None


class DefenseEventListResponse(CbModel):
    results: list[DefenseEvent] | None = None
    totalResults: int | None = None
    success: bool | None = None
    message: str | None = None
    elapsed: int | float | None = None


class DefenseEventResponse(CbModel):
    eventInfo: DefenseEvent | None = None
    success: bool | None = None
    message: str | None = None


class DefensePolicyInfo(CbModel):
    id: int | None = None
    name: str | None = None
    description: str | None = None
    priorityLevel: str | None = None
    systemPolicy: bool | None = None
    latestRevision: int | datetime | None = None
    version: int | None = None
    policy: dict[str, Any] | None = None
    """
    The policy body (rules, sensor settings, ...).
    """


class DefensePolicyRequest(CbModel):
    policyInfo: DefensePolicyInfo


class DefensePolicyResponse(CbModel):
    policyInfo: DefensePolicyInfo | None = None
    success: bool | None = None
    message: str | None = None


class DefensePolicyListResponse(CbModel):
    results: list[DefensePolicyInfo] | None = None
    success: bool | None = None
    message: str | None = None


class DefensePolicyCreateResponse(CbModel):
    success: bool | None = None
    policyId: int | None = None
    message: str | None = None


class DefenseRuleApplication(CbModel):
    type: Annotated[str | None, Field(examples=["REPUTATION"])] = None
    value: Annotated[str | None, Field(examples=["KNOWN_MALWARE"])] = None


class DefensePolicyRule(CbModel):
    id: int | None = None
    action: Annotated[str | None, Field(examples=["TERMINATE"])] = None
    application: DefenseRuleApplication | None = None
    operation: Annotated[str | None, Field(examples=["INVOKE_SCRIPT"])] = None
    required: bool | None = None


class DefensePolicyRuleRequest(CbModel):
    ruleInfo: DefensePolicyRule


class DefensePolicyRuleResponse(CbModel):
    success: bool | None = None
    ruleId: int | None = None
    message: str | None = None


class DefenseNotification(CbModel):
    """
    A queued notification (an alert); shape not in the seeds.
    """

    type: str | None = None
    url: str | None = None
    eventTime: int | datetime | None = None
    ruleName: str | None = None
    threatInfo: dict[str, Any] | None = None
    deviceInfo: dict[str, Any] | None = None


class DefenseNotificationResponse(CbModel):
    notifications: list[DefenseNotification] | None = None
    success: bool | None = None
    message: str | None = None


class DefenseAuditLog(CbModel):
    eventId: str | None = None
    eventTime: int | datetime | None = None
    loginName: str | None = None
    orgName: str | None = None
    requestUrl: str | None = None
    clientIp: str | None = None
    description: str | None = None
    flagged: bool | None = None
    verbose: bool | None = None


class DefenseAuditLogResponse(CbModel):
    notifications: list[DefenseAuditLog] | None = None
    success: bool | None = None
    message: str | None = None


class DefenseSuccessResponse(CbModel):
    """
    v3 write answer; success false is a failure whatever the status code.
    """

    success: bool | None = None
    message: str | None = None


class LiveResponseSessionCreateRequest(CbModel):
    device_id: int


class LiveResponseSession(CbModel):
    """
    A v6 Live Response session; id is "<n>:<device_id>". Status PENDING -> ACTIVE (or ERROR); compare case-insensitively. Time fields arrive as ISO-8601 (create reply) or epoch milliseconds (GET); both are accepted and kept as sent.
    """

    id: str
    device_id: int | None = None
    org_key: str | None = None
    status: str | None = None
    hostname: str | None = None
    address: str | None = None
    os_version: str | None = None
    current_working_directory: str | None = None
    drives: list[str] | None = None
    supported_commands: list[str] | None = None
    """
    null while pending.
    """
    check_in_timeout: int | None = None
    session_timeout: int | None = None
    current_command_index: int | None = None
    create_time: datetime | int | None = None
    device_check_in_time: datetime | int | None = None
    sensor_check_in_time: datetime | int | None = None


class LiveResponseCommandRequest(CbModel):
    """
    A v6 command - the target goes in path (kill - pid); process list takes none.
    """

    name: Literal["get file", "put file", "delete file", "directory list", "create directory", "reg enum key", "reg query value", "reg create key", "reg delete key", "reg delete value", "reg set value", "process list", "kill", "create process", "memdump"]
    path: str | None = None
    pid: int | None = None
    session_id: str | None = None
    offset: int | None = None
    get_count: int | None = None
    file_id: str | int | None = None
    value_type: str | None = None
    value_data: str | int | list[str] | None = None
    overwrite: bool | None = None
    wait: bool | None = None
    working_directory: str | None = None
    output_file: str | None = None
    compress: bool | None = None


class LiveResponseFileDetails(CbModel):
    offset: int | None = None
    count: int | None = None
    file_id: str | None = None
    """
    A UUID - download with it once COMPLETE.
    """


class LiveResponseCommandInput(CbModel):
    name: str | None = None
    object: str | int | None = None


class LiveResponseProcess(CbModel):
    """
    A v6 process list entry (v6 names - process_pid, process_path, process_cmdline, process_username, parent_pid).
    """

    process_pid: int | None = None
    parent_pid: int | None = None
    parent_guid: str | None = None
    proc_guid: str | None = None
    process_path: str | None = None
    process_cmdline: str | None = None
    process_username: str | None = None
    sid: str | None = None
    create_time: int | None = None


class LiveResponseDirectoryEntry(CbModel):
    """
    A directory list entry (. and .. included); times are epoch seconds.
    """

    filename: str | None = None
    alt_name: str | None = None
    attributes: list[str] | None = None
    size: int | None = None
    create_time: int | None = None
    last_access_time: int | None = None
    last_write_time: int | None = None


class RegistryValue(CbModel):
    value_name: str | None = None
    value_type: str | None = None
    value_data: Any | None = None
    """
    String, integer or list of strings.
    """


class LiveResponseCommand(CbModel):
    """
    A v6 command. Status PENDING -> COMPLETE, ERROR or CANCELLED (case varies); the id can be 0. A WinHresult error comes with status ERROR, e.g. result_code -2147024894, "File not found".
    """

    id: int
    session_id: str | None = None
    device_id: int | None = None
    name: str | None = None
    object: str | int | None = None
    status: str | None = None
    command_timeout: int | None = None
    create_time: datetime | int | None = None
    finish_time: datetime | int | None = None
    completion_time: int | float | datetime | None = None
    """
    0 until done.
    """
    result_code: int | None = None
    result_type: str | None = None
    result_desc: str | None = None
    file_details: LiveResponseFileDetails | None = None
    input: LiveResponseCommandInput | None = None
    processes: list[LiveResponseProcess] | None = None
    files: list[LiveResponseDirectoryEntry] | None = None
    values: list[RegistryValue] | None = None
    sub_keys: list[str] | None = None
    value: RegistryValue | None = None
    pid: int | None = None
    return_code: int | None = None
    compressing: bool | None = None
    complete: bool | None = None
    percentdone: int | None = None
    dumping: bool | None = None


class LiveResponseFile(CbModel):
    """
    An uploaded file; its id is the file_id of put file.
    """

    id: str | int | None = None
    file_name: str | None = None
    size: int | None = None
    size_uploaded: int | None = None
    status: int | None = None
    delete: bool | None = None


class LiveResponseSessionV3CreateRequest(CbModel):
    sensor_id: int


class LiveResponseSessionV3CloseRequest(CbModel):
    session_id: str
    status: Literal["CLOSE"]


class LiveResponseSessionV3(CbModel):
    """
    A legacy v3 session (id like "428:1234", sensor_id, EDR field names).
    """

    id: str
    sensor_id: int | None = None
    status: str | None = None
    hostname: str | None = None
    address: str | None = None
    os_version: str | None = None
    current_working_directory: str | None = None
    drives: list[str] | None = None
    supported_commands: list[str] | None = None
    create_time: int | float | datetime | None = None
    session_timeout: int | None = None
    sensor_wait_timeout: int | None = None
    check_in_timeout: int | None = None
    storage_size: int | str | None = None
    storage_ttl: int | float | None = None


class LiveResponseSessionV3List(RootModel[list[LiveResponseSessionV3]]):
    root: list[LiveResponseSessionV3]


class LiveResponseCommandV3Request(CbModel):
    """
    A v3 command - same bodies as EDR (name, object, extras).
    """

    name: Literal["get file", "put file", "delete file", "directory list", "create directory", "reg enum key", "reg query value", "reg create key", "reg delete key", "reg delete value", "reg set value", "process list", "kill", "create process", "memdump"]
    object: str | int | None = None
    session_id: str | None = None
    offset: int | None = None
    get_count: int | None = None
    file_id: int | None = None
    value_type: str | None = None
    value_data: str | int | list[str] | None = None
    overwrite: bool | str | None = None
    wait: bool | str | None = None
    working_directory: str | None = None
    output_file: str | None = None
    compress: bool | str | None = None


class RegistryValueV3(CbModel):
    """
    v3 registry values are camelCase.
    """

    valueName: str | None = None
    valueType: str | None = None
    valueData: Any | None = None


class LiveResponseProcessV3(CbModel):
    """
    A v3 process list entry (EDR field names).
    """

    pid: int | None = None
    parent: int | None = None
    parent_guid: str | None = None
    proc_guid: str | None = None
    path: str | None = None
    command_line: str | None = None
    username: str | None = None
    sid: str | None = None
    create_time: int | None = None


class LiveResponseCommandV3(CbModel):
    """
    A v3 command (completed status is lower-case complete).
    """

    id: int
    session_id: str | None = None
    sensor_id: int | None = None
    name: str | None = None
    object: str | int | None = None
    status: str | None = None
    username: str | None = None
    create_time: int | float | None = None
    completion: int | float | None = None
    command_timeout: int | None = None
    result_code: int | None = None
    result_type: str | None = None
    result_desc: str | None = None
    file_id: int | None = None
    files: list[LiveResponseDirectoryEntry] | None = None
    processes: list[LiveResponseProcessV3] | None = None
    values: list[RegistryValueV3] | None = None
    sub_keys: list[str] | None = None
    value: RegistryValueV3 | None = None
    pid: int | None = None
    return_code: int | None = None
    complete: bool | None = None
    percentdone: int | None = None
    dumping: bool | None = None


class LiveResponseCommandV3List(RootModel[list[LiveResponseCommandV3]]):
    root: list[LiveResponseCommandV3]


class JobProgress(CbModel):
    num_total: int | None = None
    num_completed: int | None = None
    message: str | None = None


class JobParameters(CbModel):
    job_parameters: dict[str, Any] | None = None


class Job(CbModel):
    """
    A Jobs service job; status CREATED, IN_PROGRESS, COMPLETED or FAILED; types include user_workflow_update, livequery_export, ENDPOINTS.
    """

    id: int | str
    type: str | None = None
    status: str | None = None
    job_parameters: JobParameters | None = None
    connector_id: str | None = None
    org_key: str | None = None
    progress: JobProgress | None = None
    create_time: datetime | None = None
    last_update_time: datetime | None = None


class JobList(CbModel):
    num_found: int | None = None
    results: list[Job] | None = None


class Device(CbModel):
    """
    A Platform (v6) device. Times are ISO-8601 UTC.
    """

    id: int
    device_id: int | None = None
    name: str | None = None
    os: str | None = None
    """
    WINDOWS, ANDROID, MAC, IOS, LINUX, OTHER.
    """
    os_version: str | None = None
    status: str | None = None
    """
    PENDING, REGISTERED, UNINSTALLED, DEREGISTERED, ACTIVE, INACTIVE, ERROR, BYPASS_ON, BYPASS, QUARANTINE, SENSOR_OUTOFDATE, DELETED, LIVE.
    """
    deployment_type: str | None = None
    """
    ENDPOINT, WORKLOAD, VDI, AWS, AZURE, GCP.
    """
    quarantined: bool | None = None
    passive_mode: bool | None = None
    policy_id: int | None = None
    policy_name: str | None = None
    policy_override: bool | None = None
    current_sensor_policy_name: str | None = None
    target_priority: str | None = None
    """
    LOW, MEDIUM, HIGH, MISSION_CRITICAL.
    """
    target_priority_type: str | None = None
    sensor_version: str | None = None
    sensor_out_of_date: bool | None = None
    sensor_states: list[str] | None = None
    organization_id: int | None = None
    organization_name: str | None = None
    ad_group_id: int | None = None
    asset_group: list[DeviceAssetGroup] | None = None
    login_user_name: str | None = None
    email: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    device_owner_id: int | None = None
    mac_address: str | None = None
    last_external_ip_address: str | None = None
    last_internal_ip_address: str | None = None
    last_location: str | None = None
    linux_kernel_version: str | None = None
    windows_platform: str | None = None
    virtual_machine: bool | None = None
    virtualization_provider: str | None = None
    """
    UNKNOWN, VMW_ESX, VMW_WS, HYPER_V, ...
    """
    vdi_base_device: str | int | None = None
    sensor_kit_type: str | None = None
    sensor_pending_update: bool | None = None
    appliance_name: str | None = None
    """
    VMware workloads - the appliance the vCenter is reached through.
    """
    appliance_uuid: str | None = None
    cluster_name: str | None = None
    datacenter_name: str | None = None
    esx_host_name: str | None = None
    esx_host_uuid: str | None = None
    vcenter_name: str | None = None
    vcenter_uuid: str | None = None
    vcenter_host_url: str | None = None
    vm_ip: str | None = None
    vm_name: str | None = None
    vm_uuid: str | None = None
    vuln_score: float | None = None
    vuln_severity: str | None = None
    cloud_provider_account_id: str | None = None
    auto_scaling_group_name: str | None = None
    virtual_private_cloud_id: str | None = None
    activation_code: str | None = None
    activation_code_expiry_time: datetime | None = None
    encoded_activation_code: str | None = None
    uninstall_code: str | None = None
    av_ave_version: str | None = None
    av_engine: str | None = None
    av_last_scan_time: datetime | None = None
    av_master: bool | None = None
    av_pack_version: str | None = None
    av_product_version: str | None = None
    av_status: list[str] | None = None
    av_update_servers: list[str] | None = None
    av_vdf_version: str | None = None
    device_meta_data_item_list: list[dict[str, Any]] | None = None
    registered_time: datetime | None = None
    deregistered_time: datetime | None = None
    last_contact_time: datetime | None = None
    last_reported_time: datetime | None = None
    last_reset_time: datetime | None = None
    last_shutdown_time: datetime | None = None
    last_device_policy_changed_time: datetime | None = None
    last_device_policy_requested_time: datetime | None = None
    last_policy_updated_time: datetime | None = None
    scan_last_action_time: datetime | None = None
    scan_last_complete_time: datetime | None = None
    scan_status: str | None = None


class DeviceSearchResponse(CbModel):
    results: list[Device]
    num_found: int | None = None


class DeviceScrollResponse(CbModel):
    """
    No num_remaining - compute it from num_found.
    """

    results: list[Device]
    num_found: int | None = None
    search_after: str | None = None


ProcessTreeNode.model_rebuild()
