"""Carbon Black Cloud: the API object, its model base and its query types, and the Platform
(devices, alerts v6 and v7 with their workflow, the Jobs API), threat intelligence and the
legacy Endpoint Standard (Defense v3) resources."""

from cbasync.cloud._investigate import DetailQuery, FacetResults, InvestigateQuery
from cbasync.cloud.api import (
    CBCloudAPI,
    CbDefenseAPI,
    CbLiveQueryAPI,
    CbPSCBaseAPI,
    CbThreatHunterAPI,
)
from cbasync.cloud.auth_events import AuthEvent, AuthEventDetail, AuthEventGroup, AuthEventQuery
from cbasync.cloud.livequery import (
    DeviceSummary,
    DeviceSummaryQuery,
    Result,
    ResultQuery,
    Run,
    RunQuery,
)
from cbasync.cloud.processes import (
    Process,
    ProcessEvent,
    ProcessEventQuery,
    ProcessQuery,
    ProcessSummary,
    ProcessTree,
)
from cbasync.cloud.query import CloudQuery, JobQuery, SearchQuery

# -- Platform devices and alerts, threat intelligence, Defense v3 ------------------------------
# isort: split
from cbasync.cloud import defense
from cbasync.cloud._facets import FacetValue
from cbasync.cloud.alerts import (
    Alert,
    AlertHistoryEntry,
    AlertNote,
    AlertSearchQuery,
    GroupedAlert,
    GroupedAlertSearchQuery,
)
from cbasync.cloud.defense import Device as DefenseDevice
from cbasync.cloud.defense import Event as DefenseEvent
from cbasync.cloud.defense import Notification as DefenseNotification
from cbasync.cloud.defense import Policy as DefensePolicy
from cbasync.cloud.devices import Device, DeviceSearchQuery
from cbasync.cloud.intel import IOC, Feed, Report, ReportSeverity, Watchlist
from cbasync.cloud.jobs_api import Job
from cbasync.cloud.legacy_alerts import (
    BaseAlert,
    BaseAlertSearchQuery,
    CBAnalyticsAlert,
    CBAnalyticsAlertSearchQuery,
    VMwareAlert,
    WatchlistAlert,
    WatchlistAlertSearchQuery,
)
from cbasync.cloud.workflow import Workflow, WorkflowStatus

__all__ = [
    "IOC",
    "Alert",
    "AlertHistoryEntry",
    "AlertNote",
    "AlertSearchQuery",
    "AuthEvent",
    "AuthEventDetail",
    "AuthEventGroup",
    "AuthEventQuery",
    "BaseAlert",
    "BaseAlertSearchQuery",
    "CBAnalyticsAlert",
    "CBAnalyticsAlertSearchQuery",
    "CBCloudAPI",
    "CbDefenseAPI",
    "CbLiveQueryAPI",
    "CbPSCBaseAPI",
    "CbThreatHunterAPI",
    "CloudQuery",
    "DefenseDevice",
    "DefenseEvent",
    "DefenseNotification",
    "DefensePolicy",
    "DetailQuery",
    "Device",
    "DeviceSearchQuery",
    "DeviceSummary",
    "DeviceSummaryQuery",
    "FacetResults",
    "FacetValue",
    "Feed",
    "GroupedAlert",
    "GroupedAlertSearchQuery",
    "InvestigateQuery",
    "Job",
    "JobQuery",
    "Process",
    "ProcessEvent",
    "ProcessEventQuery",
    "ProcessQuery",
    "ProcessSummary",
    "ProcessTree",
    "Report",
    "ReportSeverity",
    "Result",
    "ResultQuery",
    "Run",
    "RunQuery",
    "SearchQuery",
    "VMwareAlert",
    "Watchlist",
    "WatchlistAlert",
    "WatchlistAlertSearchQuery",
    "Workflow",
    "WorkflowStatus",
    "defense",
]
