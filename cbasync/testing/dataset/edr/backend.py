"""One EDR server: the families of :mod:`cbasync.testing.dataset.edr` combined."""

from __future__ import annotations

from typing import Any

from cbasync.testing.dataset.edr.alerts import Alerts
from cbasync.testing.dataset.edr.binaries import Binaries
from cbasync.testing.dataset.edr.groups import SensorGroups
from cbasync.testing.dataset.edr.process_search import ProcessSearch
from cbasync.testing.dataset.edr.processes import ProcessViews
from cbasync.testing.dataset.edr.sensors import Sensors
from cbasync.testing.dataset.edr.streams import Streams

__all__ = ["EdrBackend"]


class EdrBackend(ProcessSearch, ProcessViews, Streams, Binaries, Sensors, SensorGroups, Alerts):
    """One EDR server: every family over one :class:`~cbasync.testing.dataset.edr.core.EdrCore`
    (each family's ``__init__`` sets up its own state and calls the next)."""

    def info(self) -> dict[str, Any]:
        c = self.config
        version = c.server_version
        parts = version.split(".")
        return {
            "version": version,
            "version_release": f"{'.'.join(parts[:3])}-1",
            "cblrEnabled": c.cblr_enabled,
            "liveResponseAutoAttach": True,
            "banningEnabled": True,
            "vdiGloballyEnabled": False,
            "cloud_install": False,
            "linuxInstallerExists": True,
            "osxInstallerExists": True,
            "maxSearchResultRows": 1000,
            "maxRowsSolrReportQuery": c.max_rows_per_page,
            "searchExportCount": 1000,
            "binaryPageSize": 10,
            "processPageSize": 10,
            "binaryOrder": "server_added_timestamp desc",
            "processOrder": "last_update desc",
            "timestampDeltaThreshold": 5,
            "features": {
                "immutable_documents": True,
                "event_exclusions": True,
                "thirdparty_sharing": False,
                "ipv6_support": True,
            },
            "user_preferences": {},
        }

    def dashboard_statistics(self) -> dict[str, Any]:
        stats = self.sensor_statistics()
        return {
            "sensor_count": stats["sensor_count"],
            "active_sensor_count": stats["active_sensor_count"],
            "process_count": self.config.processes,
            "binary_count": self.binaries.count,
            "alert_count": len(self.alerts),
            "unresolved_alert_count": sum(1 for a in self.alerts if a["status"] == "Unresolved"),
        }
