"""Carbon Black Cloud: the API object, its model base and its query types."""

from cbasync.cloud.api import (
    CBCloudAPI,
    CbDefenseAPI,
    CbLiveQueryAPI,
    CbPSCBaseAPI,
    CbThreatHunterAPI,
)
from cbasync.cloud.query import CloudQuery, JobQuery, SearchQuery

__all__ = [
    "CBCloudAPI",
    "CbDefenseAPI",
    "CbLiveQueryAPI",
    "CbPSCBaseAPI",
    "CbThreatHunterAPI",
    "CloudQuery",
    "JobQuery",
    "SearchQuery",
]
