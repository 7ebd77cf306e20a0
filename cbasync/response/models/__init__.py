"""EDR models with behaviour."""

from cbasync.response.models.admin import (
    IngressFilter,
    Site,
    StoragePartition,
    Team,
    ThrottleRule,
    User,
)
from cbasync.response.models.alert import Alert, AlertQuery
from cbasync.response.models.binary import Binary, SigningData
from cbasync.response.models.intel import (
    BannedHash,
    Feed,
    ThreatReport,
    ThreatReportQuery,
    Watchlist,
)
from cbasync.response.models.process import EventStream, Process, ProcessPreview
from cbasync.response.models.sensor import Sensor, SensorGroup, SensorQuery

__all__ = [
    "Alert",
    "AlertQuery",
    "BannedHash",
    "Binary",
    "EventStream",
    "Feed",
    "IngressFilter",
    "Process",
    "ProcessPreview",
    "Sensor",
    "SensorGroup",
    "SensorQuery",
    "SigningData",
    "Site",
    "StoragePartition",
    "Team",
    "ThreatReport",
    "ThreatReportQuery",
    "ThrottleRule",
    "User",
    "Watchlist",
]
