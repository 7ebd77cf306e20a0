# GENERATED from spec/edr.yaml by datamodel-code-generator==0.89.0 - DO NOT EDIT.
# Change the spec (or CODEGEN_OPTIONS in noxfile.py) and run `nox -s codegen`, which runs:
#     datamodel-codegen \
#         --input=spec/edr.yaml \
#         --output=cbasync/models/_generated/edr.py \
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

from datetime import date, datetime
from typing import Annotated, Any, Literal

from cbasync.models._base import CbModel
from pydantic import ConfigDict, Field, RootModel


class SuccessResponse(CbModel):
    """
    The usual EDR write answer, {"result": "success"}.
    """

    result: Annotated[str | None, Field(examples=["success"])] = None


class IdResponse(CbModel):
    """
    Answer of a create that returns only an id, e.g. {"id": 710}; cbapi then GETs the object.
    """

    id: int | str


class IdList(RootModel[list[str]]):
    """
    Ids of created objects, e.g. ["1"].
    """

    root: list[str]
    """
    Ids of created objects, e.g. ["1"].
    """


class ErrorResponse(CbModel):
    """
    Error body, e.g. {"reason": "query_malformed_syntax"} on a 400 from a search.
    """

    reason: str | None = None
    message: str | None = None


class Highlight(CbModel):
    """
    A matching field value with the match wrapped in PREPREPRE ... POSTPOSTPOST, and the ids of the matching rows.
    """

    name: str | None = None
    ids: list[str] | None = None


class FacetResult(CbModel):
    """
    One value of a process or binary facet.
    """

    name: str | None = None
    """
    The facet value.
    """
    value: int | None = None
    """
    Count of occurrences.
    """
    percent: int | None = None
    """
    count / max(count) x 100.
    """
    ratio: str | None = None
    """
    count / sum(count) x 100, as a string such as "50.0".
    """


class FacetTermValue(CbModel):
    id: str | None = None
    name: str | None = None
    total: int | None = None


class SolrSearchResponse(CbModel):
    """
    Envelope shared by the Solr searches (process, binary, alert, threat report); 0-based start/rows paging.
    """

    total_results: int | None = None
    """
    Number of matching rows.
    """
    start: int | None = None
    """
    Index of the first row returned.
    """
    elapsed: int | float | None = None
    """
    Seconds the server spent.
    """
    terms: list[str] | None = None
    """
    Tokens as parsed by the query parser.
    """
    highlights: list[Highlight] | None = None
    facets: dict[str, list[FacetResult]] | None = None
    """
    Facet results keyed by field (top 200 values), present when requested.
    """
    tagged_pids: dict[str, Any] | list[Any] | None = None
    """
    Process ids with events tagged into an investigation.
    """
    filtered: dict[str, Any] | int | None = None
    """
    Results filtered by security settings.
    """
    comprehensive_search: bool | None = None
    """
    false when the results may be wrong because of segmentation (use cb.comprehensive_search=true).
    """
    incomplete_results: bool | None = None
    """
    true when a backend timeout left some partitions or minions unsearched.
    """
    all_segments: bool | None = None


class Process(CbModel):
    """
    A process document (one segment of a process) as the EDR server returns it. Times are the sensor's GMT clock except last_server_update and server_added_timestamp (server clock).
    """

    id: str
    """
    Process GUID; with segment_id it identifies a document.
    """
    segment_id: int | None = None
    """
    Segment id, e.g. 1493619174376 (v6 ids are epoch ms).
    """
    unique_id: str | None = None
    """
    <id>-<segment id as 12 hex digits>.
    """
    process_md5: str | None = None
    process_sha256: str | None = None
    process_name: str | None = None
    path: str | None = None
    cmdline: str | None = None
    start: datetime | None = None
    """
    Process start (sensor clock).
    """
    last_update: datetime | None = None
    """
    Most recent event (sensor clock).
    """
    last_server_update: datetime | None = None
    """
    Most recent event arrival (server clock).
    """
    server_added_timestamp: datetime | None = None
    hostname: str | None = None
    host_type: str | None = None
    """
    workstation, server or domain_controller.
    """
    os_type: str | None = None
    """
    windows, linux or osx.
    """
    group: str | None = None
    """
    Sensor group name.
    """
    sensor_id: int | None = None
    process_pid: int | None = None
    username: str | None = None
    uid: str | None = None
    logon_type: int | None = None
    parent_id: str | None = None
    parent_unique_id: str | None = None
    parent_name: str | None = None
    parent_md5: str | None = None
    parent_pid: int | None = None
    comms_ip: int | None = None
    """
    Sensor IPv4 address as a signed 32-bit integer (host byte order).
    """
    interface_ip: int | None = None
    """
    Interface IPv4 address as a signed 32-bit integer.
    """
    modload_count: int | None = None
    regmod_count: int | None = None
    filemod_count: int | None = None
    netconn_count: int | None = None
    childproc_count: int | None = None
    crossproc_count: int | None = None
    processblock_count: int | None = None
    terminated: bool | None = None
    filtering_known_dlls: bool | None = None
    tampered: bool | None = None
    emet_config: str | None = None
    emet_count: int | None = None
    has_emet_event: bool | None = None
    has_emet_config: bool | None = None
    creation_observed: bool | None = None


class ProcessSearchResult(Process):
    """
    One row of a process search (a process segment).
    """


class ProcessSearchResponse(SolrSearchResponse):
    """
    Process search page (GET /api/v1/process).
    """

    results: list[ProcessSearchResult]


class ProcessSummary(Process):
    """
    A process summary object (process, parent, siblings and children of /api/v1/process/{id}/{segment}).
    """


class EmptyObject(RootModel[dict[str, Any]]):
    """
    {}: what the server sends in place of an object it has no record of.
    """

    root: Annotated[dict[str, Any], Field(max_length=0)]


class ProcessSegment(CbModel):
    """
    A segment and its event counts.
    """

    unique_id: str | None = None
    segment_id: int | None = None
    """
    Present in v6 answers.
    """
    last_update: datetime | None = None
    """
    Last event (sensor clock).
    """
    last_server_update: datetime | None = None
    """
    Last push into this segment (server clock).
    """
    event_counts: dict[str, int] | None = None
    """
    Events per type (filemod, netconn, crossproc, childproc, regmod, modload, ...).
    """


class ProcessSegments(CbModel):
    segments: list[ProcessSegment] | None = None


class ProcessSegmentsResponse(CbModel):
    """
    GET /api/v1/process/{id}/segment, and each NDJSON line of GET /api/v6/process/{id}/{segment}/segment.
    """

    process: ProcessSegments | None = None
    elapsed: int | float | None = None


class NetconnEvent(CbModel):
    """
    A network connection (netconn_complete entries of the v2+ event APIs).
    """

    timestamp: datetime | None = None
    domain: str | None = None
    proto: int | None = None
    """
    6 TCP, 17 UDP.
    """
    local_ip: int | str | None = None
    """
    v2/v3 - signed 32-bit integer (host byte order); v4 - dotted quad or IPv6 string.
    """
    local_port: int | None = None
    remote_ip: int | str | None = None
    """
    As local_ip.
    """
    remote_port: int | None = None
    direction: str | bool | None = None
    """
    "true" outbound, "false" inbound.
    """
    block_type: int | None = None
    """
    0 not blocked, 1 blocked because the endpoint is isolated.
    """


class ChildprocEvent(CbModel):
    """
    A child process start or end (childproc_complete entries of the v3+ event APIs; also the data of v6 stream childproc events).
    """

    type: str | None = None
    """
    start or end.
    """
    start: datetime | None = None
    end: datetime | None = None
    processId: str | None = None
    """
    unique_id of the child.
    """
    pid: int | None = None
    path: str | None = None
    md5: str | None = None
    sha256: str | None = None
    commandLine: str | None = None
    """
    Empty unless the child was suppressed.
    """
    userName: str | None = None
    """
    Empty unless the child was suppressed.
    """
    is_suppressed: bool | None = None
    """
    EDR 5.2+ - the child has no process document of its own.
    """
    is_tampered: bool | None = None


class ProcessEvents(Process):
    """
    Process with events, v1 - every *_complete entry is a pipe-delimited string.
    """

    filemod_complete: list[str] | None = None
    modload_complete: list[str] | None = None
    regmod_complete: list[str] | None = None
    netconn_complete: list[str] | None = None
    childproc_complete: list[str] | None = None
    crossproc_complete: list[str] | None = None


class ProcessEventsV2(Process):
    """
    Process with events, v2 - netconn_complete entries are objects; the rest are pipe strings.
    """

    filemod_complete: list[str] | None = None
    modload_complete: list[str] | None = None
    regmod_complete: list[str] | None = None
    netconn_complete: list[NetconnEvent] | None = None
    childproc_complete: list[str] | None = None
    crossproc_complete: list[str] | None = None


class ProcessEventsV3(Process):
    """
    Process with events, v3 and v4 - netconn and childproc entries are objects (v4 - IPs are strings).
    """

    filemod_complete: list[str] | None = None
    modload_complete: list[str] | None = None
    regmod_complete: list[str] | None = None
    netconn_complete: list[NetconnEvent] | None = None
    childproc_complete: list[ChildprocEvent] | None = None
    crossproc_complete: list[str] | None = None


class ProcessEventsResponse(CbModel):
    """
    GET /api/v1/process/{id}/{segment}/event.
    """

    process: ProcessEvents | None = None
    elapsed: int | float | None = None


class ProcessEventsV2Response(CbModel):
    """
    GET /api/v2/process/{id}/{segment}/event.
    """

    process: ProcessEventsV2 | None = None
    elapsed: int | float | None = None


class ProcessEventsV3Response(CbModel):
    """
    GET /api/v3/process/{id}/{segment}/event.
    """

    process: ProcessEventsV3 | None = None
    elapsed: int | float | None = None


class ProcessEventsV4Response(ProcessEventsV3Response):
    """
    GET /api/v4/process/{id}/{segment}/event (the v3 shape with string IP addresses).
    """


class ProcessPreview(Process):
    """
    GET /api/v1/process/{id}/{segment}/preview - a process with tens of events, pipe strings, matches highlighted.
    """

    segment: str | None = None
    filemod_complete: list[str] | None = None
    modload_complete: list[str] | None = None
    regmod_complete: list[str] | None = None
    netconn_complete: list[str] | None = None
    childproc_complete: list[str] | None = None
    crossproc_complete: list[str] | None = None


class ProcessStreamCreateRequest(CbModel):
    """
    POST /api/v6/process/stream.
    """

    process_id: str
    segment_id: int | str
    """
    The seed sends it as a string; an integer is accepted.
    """
    persistent: bool | None = False
    """
    true - the stream does not expire after StreamTTLSecs.
    """


class ProcessStreamCriteria(CbModel):
    """
    Event filter, field -> accepted values. event_type values - filemod, childproc, netconn, regmod, processblock, crossproc, modload; other keys are the facet fields (directory, filemod_action, filemod_filetype, childproc_filepath, childproc_md5, childproc_sha256, ipv4_address, ipv6_address, domain, ja3_fingerprint, ja3s_fingerprint, regmod_action, regmod_hive).
    """

    event_type: list[str] | None = None
    directory: list[str] | None = None
    filemod_action: list[str] | None = None
    filemod_filetype: list[str] | None = None
    childproc_filepath: list[str] | None = None
    childproc_md5: list[str] | None = None
    childproc_sha256: list[str] | None = None
    ipv4_address: list[str] | None = None
    ipv6_address: list[str] | None = None
    domain: list[str] | None = None
    ja3_fingerprint: list[str] | None = None
    ja3s_fingerprint: list[str] | None = None
    regmod_action: list[str] | None = None
    regmod_hive: list[str] | None = None


class ProcessStreamFilterRequest(CbModel):
    """
    PATCH /api/v6/process/stream/{stream_id}.
    """

    criteria: ProcessStreamCriteria


class StreamBinaryInfo(CbModel):
    digsig_result: str | None = None
    digsig_publisher: str | None = None


class ProcessStreamEvent(CbModel):
    """
    One event of a v6 stream.
    """

    type: str | None = None
    """
    childproc, filemod, netconn, regmod, modload, crossproc, processblock, ...
    """
    time: datetime | None = None
    """
    Event time, e.g. "2021-05-24 19:01:56.564000" (no zone).
    """
    segment_id: int | None = None
    data: dict[str, Any] | None = None
    """
    Type-specific fields (a childproc event carries the ChildprocEvent fields).
    """
    binary_info: StreamBinaryInfo | None = None
    alliance_hits: Any | None = None
    """
    Alliance feed hits, null when none.
    """
    ondemand_feeds: Any | None = None
    """
    On-demand feed hits, null when none.
    """
    ondemand_classification: Any | None = None
    """
    On-demand classification, null when none.
    """


class ProcessStream(CbModel):
    """
    A v6 event stream and the rows read by the last operation.
    """

    stream_id: str | None = None
    status_fw: str | None = None
    """
    ready, current (end reached), complete (end reached and terminated) or void (out of bounds).
    """
    status_bw: str | None = None
    """
    As status_fw, backwards.
    """
    ref_segment_id: int | None = None
    cur_segment_id: int | None = None
    head_as_ref_segment_offset: int | None = None
    head_as_cur_segment_offset: int | None = None
    events: list[ProcessStreamEvent] | None = None


class OnDemandHits(CbModel):
    threatintel: dict[str, Any] | None = None


class ProcessMetadata(CbModel):
    """
    All non-event fields of a process (v6). Unlike search documents, process_pid, cmdline and username are lists.
    """

    id: str
    unique_id: str | None = None
    segment_id: int | None = None
    parent_id: str | None = None
    parent_unique_id: str | None = None
    sensor_id: int | None = None
    hostname: str | None = None
    group: str | None = None
    os_type: str | None = None
    host_type: str | None = None
    interface_ip: int | None = None
    comms_ip: int | None = None
    start: datetime | None = None
    last_update: datetime | None = None
    last_server_update: datetime | None = None
    server_added_timestamp: datetime | None = None
    day_of_week: int | None = None
    hour_of_day: int | None = None
    process_pid: list[int] | None = None
    parent_pid: int | None = None
    process_md5: str | None = None
    process_sha256: str | None = None
    cmdline: list[str] | None = None
    uid: str | None = None
    username: list[str] | None = None
    parent_name: str | None = None
    path: str | None = None
    process_name: str | None = None
    logon_type: int | None = None
    creation_observed: bool | None = None
    alliance_score_srsthreat: int | None = None
    alliance_link_srsthreat: str | None = None
    alliance_data_srsthreat: list[str] | None = None
    alliance_updated_srsthreat: datetime | None = None
    facet_id: int | None = None
    terminated: bool | None = None
    filtering_known_dlls: bool | None = None
    tampered: bool | None = None
    has_emet_event: bool | None = None
    has_emet_config: bool | None = None


class ProcessMetadataResponse(CbModel):
    """
    GET /api/v6/process/{id}/metadata.
    """

    process_metadata: ProcessMetadata | None = None


class SegmentVerifyResponse(CbModel):
    """
    GET /api/v6/process/{id}/{segment}/verify.
    """

    segment_id: int | None = None


class SuppressionStatus(CbModel):
    is_suppressed: bool | None = None
    timeout: bool | None = None
    """
    true when SuppressionStatusCheckTimeoutSecs elapsed.
    """


class BinaryFrequency(CbModel):
    hostCount: int | None = None
    globalCount: int | None = None
    numDocs: int | None = None


class ThreatIntelHits(RootModel[list[dict[str, Any]]]):
    """
    Threat intelligence hits of a process (shape not documented).
    """

    root: list[dict[str, Any]]
    """
    Threat intelligence hits of a process (shape not documented).
    """


class Binary(CbModel):
    """
    A binary (module) document, as returned by /api/v1/binary/{md5}/summary.
    """

    md5: str
    """
    Upper-case MD5.
    """
    server_added_timestamp: datetime | None = None
    """
    First seen by the server (server GMT).
    """
    timestamp: datetime | None = None
    orig_mod_len: int | None = None
    """
    File size in bytes.
    """
    copied_mod_len: int | None = None
    """
    Bytes copied from the host; smaller than orig_mod_len above 25 MB.
    """
    observed_filename: list[str] | None = None
    is_executable_image: bool | None = None
    is_64bit: bool | None = None
    product_version: str | None = None
    product_name: str | None = None
    file_version: str | None = None
    company_name: str | None = None
    internal_name: str | None = None
    legal_copyright: str | None = None
    legal_trademark: str | None = None
    file_desc: str | None = None
    original_filename: str | None = None
    private_build: str | None = None
    special_build: str | None = None
    signed: str | None = None
    """
    Signed, Unsigned, Expired, Bad Signature, Invalid Signature, Invalid Chain, Untrusted Root, Explicit Distrust.
    """
    digsig_result: str | None = None
    """
    As signed.
    """
    digsig_result_code: str | None = None
    """
    HRESULT_FROM_WIN32 of WinVerifyTrust, as a string.
    """
    digsig_sign_time: datetime | None = None
    digsig_publisher: str | None = None
    digsig_prog_name: str | None = None
    digsig_issuer: str | None = None
    digsig_subject: str | None = None
    alliance_score_virustotal: int | None = None
    alliance_score_srs: int | None = None
    alliance_score_tis: int | None = None
    os_type: str | None = None
    host_count: int | None = None
    endpoint: list[str] | None = None
    """
    "hostname|sensor_id" pairs where the binary was seen.
    """
    group: list[str] | None = None
    version_: Annotated[int | None, Field(alias="_version_")] = None
    """
    Solr document version.
    """
    product_version_facet: str | None = None
    product_name_facet: str | None = None
    file_version_facet: str | None = None
    company_name_facet: str | None = None
    digsig_publisher_facet: str | None = None
    observed_filename_facet: list[str] | None = None


class BinarySearchResult(Binary):
    """
    One row of a binary search.
    """


class BinarySearchResponse(SolrSearchResponse):
    """
    Binary search page (GET /api/v1/binary).
    """

    results: list[BinarySearchResult]


class Alert(CbModel):
    """
    An EDR alert (v2 search row).
    """

    unique_id: str
    alert_type: Annotated[str | None, Field(examples=["watchlist.hit.ingress.process"])] = None
    status: str | None = None
    """
    Unresolved, Resolved, In Progress, False Positive.
    """
    assigned_to: str | None = None
    created_time: datetime | None = None
    alert_severity: int | float | None = None
    report_score: int | None = None
    report_ignored: bool | None = None
    ioc_type: str | None = None
    ioc_value: str | None = None
    ioc_confidence: int | float | None = None
    feed_id: int | None = None
    feed_name: str | None = None
    feed_rating: int | None = None
    watchlist_id: str | None = None
    watchlist_name: str | None = None
    description: str | None = None
    link: str | None = None
    username: str | None = None
    hostname: str | None = None
    group: str | None = None
    sensor_id: int | None = None
    sensor_criticality: int | None = None
    os_type: str | None = None
    comms_ip: str | int | None = None
    interface_ip: str | int | None = None
    md5: str | None = None
    process_name: str | None = None
    process_path: str | None = None
    process_id: str | None = None
    process_unique_id: str | None = None
    segment_id: int | None = None
    total_hosts: str | None = None
    modload_count: int | None = None
    regmod_count: int | None = None
    filemod_count: int | None = None
    netconn_count: int | None = None
    childproc_count: int | None = None
    crossproc_count: int | None = None
    version_: Annotated[int | None, Field(alias="_version_")] = None


class AlertSearchResponse(SolrSearchResponse):
    """
    Alert search page (GET/POST /api/v2/alert).
    """

    results: list[Alert]


class AlertSearchForm(CbModel):
    """
    The search parameters of POST /api/v2/alert.
    """

    q: str | None = None
    rows: Annotated[int | None, Field(ge=0)] = 10
    start: Annotated[int | None, Field(ge=0)] = 0
    sort: str | None = None
    facets: Literal["true", "false"] | None = "false"
    cb_urlver: Annotated[int | None, Field(alias="cb.urlver")] = None


class AlertUpdateRequest(CbModel):
    """
    POST /api/v1/alert/{alert_id}.
    """

    unique_id: str
    status: Annotated[
        str, Field(examples=["Resolved", "Unresolved", "In Progress", "False Positive"])
    ]


class AlertBulkUpdateRequest(CbModel):
    """
    POST /api/v1/alerts - by alert_ids or by an URL-encoded query; assigned_to needs requested_status.
    """

    alert_ids: list[str] | None = None
    query: str | None = None
    """
    URL-encoded query string, e.g. cb.urlver=1&cb.fq.status=unresolved&sort=alert_severity%20desc&rows=10.
    """
    requested_status: Literal["Resolved", "Unresolved", "In Progress", "False Positive"] | None = (
        None
    )
    set_ignored: bool | None = None
    assigned_to: str | None = None


class ServerFeatures(CbModel):
    immutable_documents: bool | None = None
    event_exclusions: bool | None = None
    thirdparty_sharing: bool | None = None
    ipv6_support: bool | None = None


class ServerInfo(CbModel):
    """
    GET /api/info. `version` gates features (5.1.1+ facet=false, 6.0+ partitions, 6.3+ LR active_only, 7.1+ sensor PUT limits, 7.7 route renames).
    """

    version: Annotated[str | None, Field(examples=["6.2.0.171114.1158"])] = None
    version_release: str | None = None
    cblrEnabled: bool | None = None
    liveResponseAutoAttach: bool | None = None
    banningEnabled: bool | None = None
    vdiGloballyEnabled: bool | None = None
    cloud_install: bool | None = None
    linuxInstallerExists: bool | None = None
    osxInstallerExists: bool | None = None
    maxSearchResultRows: int | None = None
    maxRowsSolrReportQuery: int | None = None
    searchExportCount: int | None = None
    binaryPageSize: int | None = None
    processPageSize: int | None = None
    binaryOrder: str | None = None
    processOrder: str | None = None
    timestampDeltaThreshold: int | float | None = None
    features: ServerFeatures | None = None
    user_preferences: Any | None = None
    """
    Large UI settings blob.
    """


class LicenseStatus(CbModel):
    license_valid: bool | None = None
    """
    A valid license may be expired.
    """
    license_end_date: date | None = None
    licensed_sensor_count: int | None = None
    server_token: str | None = None
    license_expired: bool | None = None
    licensed_sensor_count_exceeded: bool | None = None
    actual_sensor_count: int | None = None
    """
    Sensors serviced during the previous day.
    """
    license_request_block: str | None = None
    """
    Opaque block for license renewal.
    """


class LicenseRequest(CbModel):
    license: str


class PlatformServerSettings(CbModel):
    """
    App Control integration; auth_token is write-only.
    """

    server_url: str | None = None
    """
    Host name or IP, without protocol or path.
    """
    ssl_certificate_verify: Literal["true", "false"] | None = None
    watchlist_export: Literal["true", "false"] | None = None
    auth_token: str | None = None


class DashboardStatistics(CbModel):
    """
    Shape not documented.
    """

    model_config = ConfigDict(
        extra="allow",
    )


class Investigation(CbModel):
    """
    An investigation (shape not documented beyond id and name).
    """

    id: int | None = None
    name: str | None = None


class InvestigationList(RootModel[list[Investigation]]):
    root: list[Investigation]


class TaggedEvent(CbModel):
    """
    An event tagged into an investigation (shape not documented).
    """

    id: int | None = None
    investigation_id: int | None = None
    unique_id: str | None = None


class TaggedEventList(RootModel[list[TaggedEvent]]):
    root: list[TaggedEvent]


class BannedHashAudit(CbModel):
    username: str | None = None
    user_id: int | None = None
    timestamp: datetime | None = None
    text: str | None = None
    enabled: bool | None = None


class BannedHash(CbModel):
    """
    A banned MD5 hash. Times are server-local with offset, e.g. 2015-10-21 00:10:10.369349-07:00.
    """

    md5hash: str
    text: str | None = None
    enabled: bool | None = None
    username: str | None = None
    user_id: int | None = None
    timestamp: datetime | None = None
    """
    When the hash was banned.
    """
    block_count: int | None = None
    last_block_time: datetime | None = None
    last_block_sensor_id: int | None = None
    last_block_hostname: str | None = None
    audit: list[BannedHashAudit] | None = None


class BannedHashList(RootModel[list[BannedHash]]):
    root: list[BannedHash]


class BannedHashCreateRequest(CbModel):
    """
    POST a ban.
    """

    md5hash: str
    text: str | None = None
    enabled: bool | str | None = None
    last_ban_time: str | None = None
    ban_count: str | None = None
    last_ban_host: str | None = None


class Watchlist(CbModel):
    """
    An EDR watchlist (a saved query run periodically).
    """

    id: str | int
    name: str | None = None
    search_query: str | None = None
    """
    URL-encoded query string.
    """
    description: str | None = None
    index_type: str | None = None
    """
    events (process) or modules (binary).
    """
    enabled: bool | None = None
    readonly: bool | None = None
    alliance_id: str | None = None
    from_alliance: bool | None = None
    group_id: int | None = None
    date_added: datetime | None = None
    last_hit: datetime | None = None
    last_hit_count: int | None = None
    search_timestamp: datetime | None = None
    last_execution_result: int | None = None
    last_execution_time_ms: str | None = None
    """
    Milliseconds, as a string.
    """
    total_hits: str | None = None
    total_tags: str | None = None


class WatchlistList(RootModel[list[Watchlist]]):
    root: list[Watchlist]


class WatchlistCreateRequest(CbModel):
    """
    POST /api/v1/watchlist.
    """

    id: str | int | None = None
    """
    Optional known id to create the watchlist with (cbapi sends null).
    """
    name: str
    search_query: str
    description: str | None = None
    index_type: Literal["events", "modules"] | None = "events"


class WatchlistUpdateRequest(CbModel):
    """
    PUT /api/v1/watchlist/{id} - the changed fields (cbapi sends the whole record).
    """

    id: str | int | None = None
    name: str | None = None
    search_query: str | None = None
    description: str | None = None
    index_type: str | None = None
    enabled: bool | None = None
    readonly: bool | None = None
    alliance_id: str | None = None
    from_alliance: bool | None = None
    group_id: int | None = None
    date_added: datetime | None = None
    last_hit: datetime | None = None
    last_hit_count: int | None = None
    search_timestamp: datetime | None = None
    total_hits: str | None = None
    total_tags: str | None = None


class ActionType(CbModel):
    action_type: Annotated[str | None, Field(examples=["email", "syslog", "alert"])] = None
    enabled: bool | None = None


class ActionTypeList(RootModel[list[ActionType]]):
    root: list[ActionType]


class ActionTypeState(CbModel):
    """
    Whether one action is enabled for the current user; also the PUT body.
    """

    enabled: bool


class LegacyAction(CbModel):
    """
    Deprecated numeric action (0 Email, 1 Syslog, 2 HTTPPost, 3 Alert).
    """

    id: str | int | None = None
    action_type: Literal[0, 1, 2, 3] | None = None
    group_id: int | None = None
    """
    For a feed action, the feed id.
    """
    watchlist_id: int | None = None
    """
    -1 for a feed action.
    """


class LegacyActionList(RootModel[list[LegacyAction]]):
    root: list[LegacyAction]


class Feed(CbModel):
    """
    An EDR threat intelligence feed.
    """

    id: int
    name: str | None = None
    """
    Alphanumeric internal name (used in alliance_score_<name> queries).
    """
    display_name: str | None = None
    feed_url: str | None = None
    """
    file://, http:// or https:// URL.
    """
    provider_url: str | None = None
    summary: str | None = None
    tech_data: str | None = None
    category: str | None = None
    enabled: bool | None = None
    manually_added: bool | None = None
    validate_server_cert: bool | None = None
    use_proxy: bool | None = None
    order: int | None = None
    icon: str | None = None
    """
    Base64-encoded icon.
    """
    icon_small: str | None = None
    provider_rating: int | float | None = None
    """
    Integral in the examples; kept as sent.
    """
    local_rating: int | float | None = None
    username: str | None = None
    password: str | None = None
    ssl_client_crt: str | None = None
    ssl_client_key: str | None = None
    requires: str | None = None
    requires_who: str | None = None
    requires_what: str | None = None


class FeedList(RootModel[list[Feed]]):
    root: list[Feed]


class FeedRequest(CbModel):
    """
    Body of feed create and update.
    """

    name: str | None = None
    display_name: str | None = None
    feed_url: str | None = None
    provider_url: str | None = None
    summary: str | None = None
    tech_data: str | None = None
    category: str | None = None
    enabled: bool | None = None
    manually_added: bool | None = None
    validate_server_cert: bool | None = None
    use_proxy: bool | None = None
    order: int | None = None
    icon: str | None = None
    icon_small: str | None = None
    username: str | None = None
    password: str | None = None
    ssl_client_crt: str | None = None
    ssl_client_key: str | None = None


class FeedSyncRequest(CbModel):
    full_sync: bool | None = False


class ThreatReport(CbModel):
    """
    A threat report of a feed.
    """

    internal_id: Annotated[str | None, Field(alias="_internal_id")] = None
    id: str | None = None
    feed_id: int | None = None
    title: str | None = None
    is_ignored: bool | None = None


class ThreatReportSearchResponse(SolrSearchResponse):
    """
    Threat report search page (GET /api/v1/threat_report).
    """

    results: list[ThreatReport]


class ThreatReportUpdates(CbModel):
    is_ignored: bool


class ThreatReportBulkUpdateRequest(CbModel):
    """
    POST /api/v1/threat_report - ids or query, and updates.
    """

    ids: dict[str, list[str]] | None = None
    """
    feed id -> report ids.
    """
    query: str | None = None
    """
    URL-encoded threat report query.
    """
    updates: ThreatReportUpdates


class Sensor(CbModel):
    """
    A sensor. Times are server-local with offset (2013-09-10 07:08:37.378860-07:00); sizes, uptimes and boot_id are strings. Isolation - (network_isolation_enabled, is_isolating) = (F,F) normal, (T,F) requested, (T,T) active, (F,T) lifted but still active.
    """

    id: int
    computer_name: str | None = None
    computer_dns_name: str | None = None
    computer_sid: str | None = None
    group_id: int | None = None
    build_id: int | None = None
    build_version_string: str | None = None
    os_environment_id: int | None = None
    os_environment_display_string: str | None = None
    physical_memory_size: str | None = None
    systemvolume_total_size: str | None = None
    systemvolume_free_size: str | None = None
    uptime: str | None = None
    """
    Endpoint uptime in seconds, as a string.
    """
    sensor_uptime: str | None = None
    boot_id: str | None = None
    status: Annotated[str | None, Field(examples=["Online", "Offline"])] = None
    sensor_health_status: int | None = None
    """
    0-100, higher is better.
    """
    sensor_health_message: str | None = None
    registration_time: datetime | None = None
    last_checkin_time: datetime | None = None
    next_checkin_time: datetime | None = None
    license_expiration: datetime | None = None
    event_log_flush_time: datetime | str | None = None
    """
    Flush all data before this time; null once flushed.
    """
    network_adapters: str | None = None
    """
    "ip,mac|" pairs.
    """
    network_isolation_enabled: bool | None = None
    is_isolating: bool | None = None
    restart_queued: bool | None = None
    uninstall: bool | None = None
    uninstalled: bool | None = None
    liveresponse_init: datetime | str | bool | None = None
    supports_cblr: bool | None = None
    display: Annotated[bool | None, Field(json_schema_extra={"deprecated": True})] = None
    notes: str | None = None
    cookie: int | None = None
    power_state: int | None = None
    node_id: int | None = None
    parity_host_id: str | int | None = None
    """
    App Control agent host id; zero when not installed.
    """
    num_eventlog_bytes: str | None = None
    num_storefiles_bytes: str | None = None


class SensorList(RootModel[list[Sensor]]):
    """
    GET /api/v1/sensor.
    """

    root: list[Sensor]
    """
    GET /api/v1/sensor.
    """


class SensorSearchResponse(CbModel):
    """
    GET /api/v2/sensor page.
    """

    results: list[Sensor]
    total_results: int | None = None
    facets: dict[str, list[FacetResult]] | None = None


class SensorUpdateRequest(CbModel):
    """
    PUT /api/v1/sensor/{id} - the fields EDR 7.1+ accepts.
    """

    network_isolation_enabled: bool | None = None
    restart_queued: bool | None = None
    uninstall: bool | None = None
    liveresponse_init: str | bool | None = None
    group_id: int | None = None
    notes: str | None = None
    event_log_flush_time: str | None = None
    """
    RFC 822 on 6.x (Wed, 01 Jan 2025 00:00:00 GMT); far future forces a flush.
    """


class SensorStatistics(CbModel):
    sensor_count: int | str | None = None
    active_sensor_count: int | str | None = None
    """
    Active within the last 24 hours.
    """
    num_eventlog_bytes: int | str | None = None
    """
    Event log backlog; never reaches zero.
    """
    num_storefile_bytes: int | str | None = None


class SensorSubresourceList(RootModel[list[dict[str, Any]]]):
    root: list[dict[str, Any]]


class SensorBuild(CbModel):
    version_string: str | None = None


class SensorBuilds(RootModel[dict[str, list[SensorBuild]]]):
    """
    OS (Windows, Linux, OSX) -> builds.
    """

    root: dict[str, list[SensorBuild]]


class SensorGroup(CbModel):
    """
    A sensor group (/api/group).
    """

    id: int | None = None
    name: str | None = None
    site_id: int | None = None


class SensorGroupList(RootModel[list[SensorGroup]]):
    root: list[SensorGroup]


class IngressFilter(CbModel):
    """
    An ingress (exclusion) filter. Defaults apply on create.
    """

    id: str | None = None
    """
    Client-chosen on the first POST only.
    """
    name: str | None = None
    description: str | None = None
    version: int | str | None = None
    priority: int | None = None
    """
    Default 0; higher first.
    """
    internal: Any | None = None
    """
    Not used.
    """
    enabled: bool | None = None
    """
    Default true.
    """
    filter_on_sensor: bool | None = None
    """
    Default false.
    """
    filter_on_server: bool | None = None
    """
    Default true.
    """
    track_metrics: bool | None = None
    """
    Default true.
    """
    hit_rate: int | float | None = None
    os_mask: int | None = None
    """
    Bit mask 1 windows, 2 osx, 4 linux; default 7.
    """
    global_: Annotated[bool | None, Field(alias="global")] = None
    """
    Default true; group_ids/sensor_ids are ignored when true.
    """
    group_ids: list[int] | None = None
    sensor_ids: list[int] | None = None
    path_filters: list[str] | None = None
    cmdline_filters: list[str] | None = None
    command_line_filters: list[str] | None = None
    md5_filters: list[str] | None = None
    descendant_filtering_level: int | None = None
    """
    0 the process only, N levels, -1 all descendants.
    """
    filter_all_events: bool | None = None
    """
    Default true.
    """
    regmod_filters: list[str] | None = None
    modload_filters: list[str] | None = None
    filemod_filters: list[str] | None = None
    non_binary_filemod_filters: list[str] | None = None
    netconn_filters: list[str] | None = None
    crossproc_filters: list[str] | None = None
    create_timestamp: datetime | None = None
    modify_timestamp: datetime | None = None
    create_user_id: int | None = None
    modify_user_id: int | None = None


class IngressFilterList(RootModel[list[IngressFilter]]):
    root: list[IngressFilter]


class ApprovedIp(CbModel):
    id: int | None = None
    ipaddr: str | None = None
    """
    Address or CIDR block.
    """


class ApprovedIpList(RootModel[list[ApprovedIp]]):
    root: list[ApprovedIp]


class ApprovedIpRequest(CbModel):
    ipaddr: str | list[str]
    """
    One address (or CIDR), or a list of them (EDR 7.7 bulk).
    """


class ApprovedIpAddResponse(RootModel[Any]):
    root: Any
    """
    The id (or ids) of the added entries - documented in prose only.
    """


class ApprovedIpState(CbModel):
    state: bool


class StoragePartitionInfo(CbModel):
    sizeInBytes: int | None = None
    startDate: datetime | None = None
    endDate: datetime | None = None
    partitionId: int | None = None
    numDocs: int | None = None
    maxDoc: int | None = None
    maxDocs: int | None = None
    deletedDocs: int | None = None
    segmentCount: int | None = None
    userMounted: bool | None = None
    isLegacy: bool | None = None
    dir: str | None = None
    schema_: Annotated[str | None, Field(alias="schema")] = None


class StoragePartition(CbModel):
    name: str | None = None
    status: str | None = None
    """
    hot, warm or cold.
    """
    info: StoragePartitionInfo | None = None


class StoragePartitions(RootModel[dict[str, StoragePartition]]):
    """
    Partitions keyed by name (the hot one is "writer").
    """

    root: dict[str, StoragePartition]


class StorageOperationResult(CbModel):
    results: str | None = None
    """
    Outcome text.
    """


class UserTeam(CbModel):
    id: int | None = None
    name: str | None = None


class User(CbModel):
    """
    An EDR console user; username is the primary key.
    """

    username: str | None = None
    id: str | int | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    password: str | None = None
    global_admin: bool | None = None
    teams: list[UserTeam] | None = None
    auth_token: str | None = None


class UserList(RootModel[list[User]]):
    root: list[User]


class TeamGroupAccess(CbModel):
    group_id: int | None = None
    group_name: str | None = None
    access_category: Annotated[str | None, Field(examples=["Viewer", "Administrator"])] = None


class Team(CbModel):
    id: int | None = None
    name: str | None = None
    group_access: list[TeamGroupAccess] | None = None


class TeamList(RootModel[list[Team]]):
    root: list[Team]


class Site(CbModel):
    id: int | None = None
    name: str | None = None


class SiteList(RootModel[list[Site]]):
    root: list[Site]


class ThrottleRule(CbModel):
    id: int | None = None
    site_id: int | None = None
    day_of_week: int | None = None
    from_: Annotated[int | None, Field(alias="from")] = None
    to: int | None = None
    bytes_per_second: int | float | None = None


class ThrottleRuleList(RootModel[list[ThrottleRule]]):
    root: list[ThrottleRule]


class LiveResponseSession(CbModel):
    """
    An EDR Live Response session. Status pending -> active; also timeout, inactive, close (PUT the object with status "close" to end it). Timeouts are seconds.
    """

    id: int
    sensor_id: int | None = None
    status: Annotated[
        str | None, Field(examples=["pending", "active", "timeout", "inactive", "close"])
    ] = None
    hostname: str | None = None
    address: str | None = None
    os_version: str | None = None
    drives: list[str] | None = None
    current_working_directory: str | None = None
    supported_commands: list[str] | None = None
    """
    Command names this sensor accepts (empty until check-in).
    """
    storage_size: int | str | None = None
    """
    A string in recorded traffic, an integer in the doc; both accepted.
    """
    storage_ttl: int | float | None = None
    """
    Days.
    """
    create_time: int | float | None = None
    """
    Epoch seconds (float).
    """
    session_timeout: int | None = None
    """
    Idle seconds before the sensor quits (300 seen).
    """
    sensor_wait_timeout: int | None = None
    check_in_timeout: int | None = None


class LiveResponseSessionList(RootModel[list[LiveResponseSession]]):
    root: list[LiveResponseSession]


class LiveResponseSessionCreateRequest(CbModel):
    sensor_id: int
    checkin_timeout: int | None = None
    default_command_timeout: int | None = None
    sensor_wait_timeout: int | None = None


class LiveResponseCommandRequest(CbModel):
    """
    A command. `object` is the target - a path (directory list - ending with a separator or a pattern), a registry key (plus value name), a command line, or the PID (kill); null for process list.
    """

    name: Literal["get file", "put file", "delete file", "directory list", "create directory", "reg enum key", "reg query value", "reg create key", "reg delete key", "reg delete value", "reg set value", "process list", "kill", "create process", "memdump"]
    object: str | int | None = None
    session_id: int | None = None
    offset: int | None = None
    """
    get file - byte offset.
    """
    get_count: int | None = None
    """
    get file - bytes to fetch.
    """
    file_id: int | None = None
    """
    put file - id from the file upload.
    """
    value_type: Annotated[
        str | None,
        Field(examples=["REG_SZ", "REG_EXPAND_SZ", "REG_DWORD", "REG_QWORD", "REG_MULTI_SZ"]),
    ] = None
    value_data: str | int | list[str] | None = None
    overwrite: bool | str | None = None
    wait: bool | str | None = None
    """
    create process - wait for exit.
    """
    working_directory: str | None = None
    output_file: str | None = None
    """
    create process - remote file receiving stdout and stderr.
    """
    compress: bool | str | None = None


class LiveResponseDirectoryEntry(CbModel):
    """
    An entry of a directory list (. and .. included). Times are epoch seconds.
    """

    filename: str | None = None
    name: str | None = None
    alt_name: str | None = None
    attributes: list[str] | None = None
    """
    FILE_ATTRIBUTE_* names without the prefix.
    """
    size: int | None = None
    create_time: int | None = None
    last_access_time: int | None = None
    last_write_time: int | None = None


class LiveResponseProcess(CbModel):
    """
    An entry of a process list (EDR and v3 field names).
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


class RegistryValue(CbModel):
    value_name: str | None = None
    value_type: str | None = None
    value_data: Any | None = None
    """
    String, integer or list of strings (REG_MULTI_SZ).
    """


class LiveResponseCommand(CbModel):
    """
    A command. Status pending -> in progress -> complete or error (cancel). An error carries result_type (WinHresult or CbError), result_code (signed or unsigned; normalise with & 0xFFFFFFFF) and result_desc. Result payload fields appear once complete.
    """

    id: int
    session_id: int | None = None
    sensor_id: int | None = None
    name: str | None = None
    object: str | int | None = None
    status: Annotated[
        str | None, Field(examples=["pending", "in progress", "complete", "error", "cancel"])
    ] = None
    username: str | None = None
    create_time: int | float | None = None
    completion: int | float | None = None
    completion_time: int | float | None = None
    command_timeout: int | None = None
    result_code: int | None = None
    result_type: str | None = None
    result_desc: str | None = None
    file_id: int | None = None
    offset: int | None = None
    get_count: int | None = None
    value_type: str | None = None
    value_data: Any | None = None
    overwrite: bool | str | None = None
    wait: bool | str | None = None
    working_directory: str | None = None
    output_file: str | None = None
    compress: bool | str | None = None
    files: list[LiveResponseDirectoryEntry] | None = None
    processes: list[LiveResponseProcess] | None = None
    values: list[RegistryValue] | None = None
    sub_keys: list[str] | None = None
    value: RegistryValue | None = None
    pid: int | None = None
    return_code: int | None = None
    compressing: bool | None = None
    complete: bool | None = None
    percentdone: int | None = None
    dumping: bool | None = None


class LiveResponseCommandList(RootModel[list[LiveResponseCommand]]):
    root: list[LiveResponseCommand]


class LiveResponseFile(CbModel):
    """
    A file stored on the server for a session.
    """

    id: int | None = None
    file_name: str | None = None
    """
    Remote path.
    """
    size: int | None = None
    size_uploaded: int | None = None
    status: int | None = None
    """
    0 ok, non-zero error.
    """
    delete: bool | None = None


class LiveResponseFileList(RootModel[list[LiveResponseFile]]):
    root: list[LiveResponseFile]


class FacetTerm(CbModel):
    """
    A term facet of the v6 bulk API - {field, values}.
    """

    field: str | None = None
    values: list[FacetTermValue] | None = None


class ProcessSummaryResponse(CbModel):
    """
    GET /api/v1/process/{id}/{segment}.
    """

    process: ProcessSummary | None = None
    parent: ProcessSummary | EmptyObject | None = None
    siblings: list[ProcessSummary] | None = None
    """
    The first 15 siblings.
    """
    children: list[ProcessSummary] | None = None


class BulkFacets(CbModel):
    """
    Event facets across the processed segments.
    """

    terms: list[FacetTerm] | None = None
    num_found: int | None = None
    """
    Number of filterable items found.
    """
    processed_segments: int | None = None


class ProcessBulkResponse(CbModel):
    """
    GET /api/v6/process/{id}/{segment}/bulk.
    """

    alliance_hits: dict[str, Any] | None = None
    on_demand_hits: OnDemandHits | None = None
    facets: BulkFacets | None = None
    partial_results: bool | None = None
    """
    true when BulkDataTimeoutSecs stopped the processing.
    """
