"""Carbon Black Cloud: the API object, its model base and its query types."""

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

__all__ = [
    "AuthEvent",
    "AuthEventDetail",
    "AuthEventGroup",
    "AuthEventQuery",
    "CBCloudAPI",
    "CbDefenseAPI",
    "CbLiveQueryAPI",
    "CbPSCBaseAPI",
    "CbThreatHunterAPI",
    "CloudQuery",
    "DetailQuery",
    "DeviceSummary",
    "DeviceSummaryQuery",
    "FacetResults",
    "InvestigateQuery",
    "JobQuery",
    "Process",
    "ProcessEvent",
    "ProcessEventQuery",
    "ProcessQuery",
    "ProcessSummary",
    "ProcessTree",
    "Result",
    "ResultQuery",
    "Run",
    "RunQuery",
    "SearchQuery",
]
