"""Threat intelligence: feeds with their reports, watchlists with their own reports, and the
translation of EDR query field names into Enterprise EDR's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cbasync.testing.dataset.cloud.alert_rows import ALERT_WATCHLISTS
from cbasync.testing.dataset.cloud.common import short_id
from cbasync.testing.search import (
    CriteriaError,
)

__all__ = ["EDR_TO_EEDR_FIELDS", "ThreatIntelStore", "translate_edr_query"]


_FEED_SEEDS: tuple[tuple[str, str, str, str, bool], ...] = (
    # name, category, summary, source_label, public
    ("AlienVault", "Open Source", "Indicators from the AlienVault Open Threat Exchange.", "OTX", True),
    ("Carbon Black Advanced Threats", "Carbon Black", "Threat research of the Carbon Black Threat Analysis Unit.", "TAU", True),
    ("ATT&CK Framework", "Carbon Black", "Behaviours mapped to MITRE ATT&CK techniques.", "MITRE", True),
    ("Internal IOCs", "Internal", "Indicators curated by the security team.", "SOC", False),
)  # fmt: skip


_REPORT_SEEDS: tuple[tuple[str, str, int, str, str], ...] = (
    # title, description, severity, field, value
    ("Credential dumping with mimikatz", "mimikatz read the memory of lsass.exe.", 9, "process_name", "mimikatz.exe"),
    ("Certutil used to download a file", "certutil.exe fetched a remote file.", 6, "process_name", "certutil.exe"),
    ("Encoded PowerShell", "powershell.exe ran an encoded command.", 7, "process_cmdline", "-enc"),
    ("Cryptominer pool traffic", "Connections to a known mining pool.", 8, "netconn_domain", "pool.example.net"),
    ("Rundll32 loading from a public folder", "rundll32.exe loaded a DLL from C:\\Users\\Public.", 6, "process_cmdline", "c:\\users\\public"),
    ("Suspicious download address", "Traffic to an address tied to malware hosting.", 5, "netconn_ipv4", "203.0.113.77"),
)  # fmt: skip


class ThreatIntelStore:
    """Feeds (with their reports) and watchlists (with their own reports), seeded and mutable."""

    def __init__(self, org_key: str, seed: int, epoch: float) -> None:
        self.org_key = org_key
        self.seed = seed
        self.feeds: dict[str, dict[str, Any]] = {}
        self.feed_reports: dict[str, list[dict[str, Any]]] = {}
        self.watchlists: dict[str, dict[str, Any]] = {}
        self.reports: dict[str, dict[str, Any]] = {}
        self.ignored: set[str] = set()
        self.ignored_iocs: set[tuple[str, str]] = set()
        self.severities: dict[str, int] = {}
        self._counter = 0
        for n, (name, category, summary, label, public) in enumerate(_FEED_SEEDS):
            feed_id = short_id("feed", seed, n)
            self.feeds[feed_id] = {
                "id": feed_id,
                "name": name,
                "owner": "CB" if public else org_key,
                "provider_url": f"https://feeds.example.com/{label.lower()}",
                "summary": summary,
                "category": category,
                "source_label": label,
                "access": "public" if public else "private",
                "alertable": True,
            }
            self.feed_reports[feed_id] = [
                self._seed_report(feed_id, k, epoch)
                for k in range(len(_REPORT_SEEDS))
                if (k + n) % 2 == 0 or n == 2
            ]
        attack = next(f for f in self.feeds.values() if f["name"] == "ATT&CK Framework")
        internal = next(f for f in self.feeds.values() if f["name"] == "Internal IOCs")
        for wl_id, wl_name in ALERT_WATCHLISTS:
            classifier = (
                {"key": "feed_id", "value": attack["id"]} if wl_name == "ATT&CK Framework" else None
            )
            report_ids = (
                None
                if classifier
                else [f"{internal['id']}-{r['id']}" for r in self.feed_reports[internal["id"]][:2]]
            )
            self.watchlists[wl_id] = {
                "id": wl_id,
                "name": wl_name,
                "description": f"Watchlist {wl_name}",
                "tags_enabled": True,
                "alerts_enabled": wl_name != "AMSI Threat Intelligence",
                "create_timestamp": int(epoch) - 90 * 86_400,
                "last_update_timestamp": int(epoch) - 7 * 86_400,
                "report_ids": report_ids,
                "classifier": classifier,
            }

    def _seed_report(self, feed_id: str, k: int, epoch: float) -> dict[str, Any]:
        title, description, severity, field_name, value = _REPORT_SEEDS[k]
        report_id = short_id("report", feed_id, k, length=22)
        return {
            "id": report_id,
            "timestamp": int(epoch) - (k + 1) * 86_400,
            "title": title,
            "description": description,
            "severity": severity,
            "link": f"https://intel.example.com/reports/{report_id}",
            "tags": [field_name.split("_")[0]],
            "iocs_v2": [
                {
                    "id": short_id("ioc", report_id, length=12),
                    "match_type": "equality" if field_name != "process_cmdline" else "query",
                    "values": [value]
                    if field_name != "process_cmdline"
                    else [f"process_cmdline:{value}"],
                    "field": field_name if field_name != "process_cmdline" else None,
                    "link": None,
                }
            ],
            "visibility": None,
        }

    def feed_report(self, report_id: str) -> tuple[str, dict[str, Any]] | None:
        """A feed's report and its feed id, by ``<feed_id>-<report_id>`` (how watchlists list
        them and how the ignore routes address them) or by the report's bare id (how the
        severity routes address them)."""
        feed_id, sep, rid = report_id.partition("-")
        if sep and feed_id in self.feed_reports:
            found = next((r for r in self.feed_reports[feed_id] if r["id"] == rid), None)
            if found is not None:
                return feed_id, found
        for feed_id, reports in self.feed_reports.items():
            for report in reports:
                if report["id"] == report_id:
                    return feed_id, report
        return None

    def new_id(self, kind: str, length: int = 20) -> str:
        self._counter += 1
        return short_id(kind, self.seed, self._counter, "new", length=length)

    @staticmethod
    def check_report(report: Any) -> dict[str, Any]:
        if not isinstance(report, Mapping):
            raise CriteriaError("a report must be an object", field="reports")
        for key in ("id", "timestamp", "title", "description", "severity"):
            if key not in report:
                raise CriteriaError(f"report field {key!r} is required", field=f"report.{key}")
        severity = report["severity"]
        if not isinstance(severity, int) or not 1 <= severity <= 10:
            raise CriteriaError("severity must be an integer from 1 to 10", field="report.severity")
        if not report.get("iocs") and not report.get("iocs_v2"):
            raise CriteriaError("a report needs iocs or iocs_v2", field="report.iocs_v2")
        return dict(report)

    @staticmethod
    def check_feedinfo(info: Any) -> dict[str, Any]:
        if not isinstance(info, Mapping):
            raise CriteriaError("feedinfo must be an object", field="feedinfo")
        for key in ("name", "provider_url", "summary", "category"):
            if not info.get(key):
                raise CriteriaError(f"feedinfo field {key!r} is required", field=f"feedinfo.{key}")
        if not re.match(r"^https?://", str(info["provider_url"])):
            raise CriteriaError("provider_url must be a URL", field="feedinfo.provider_url")
        return dict(info)


# An EDR query word -> the Enterprise EDR field it becomes (feedmgr query/translate).
EDR_TO_EEDR_FIELDS = {
    "process_name": "process_name",
    "path": "process_name",
    "cmdline": "process_cmdline",
    "md5": "process_hash",
    "sha256": "process_hash",
    "hostname": "device_name",
    "username": "process_username",
    "ipaddr": "netconn_ipv4",
    "ipport": "netconn_port",
    "domain": "netconn_domain",
    "parent_name": "parent_name",
    "childproc_name": "childproc_name",
    "filemod": "filemod_name",
    "regmod": "regmod_name",
    "modload": "modload_name",
    "crossproc_name": "crossproc_name",
    "process_id": "process_guid",
    "sensor_id": "device_id",
    "group": "device_group",
    "os_type": "device_os",
    "digsig_result": "process_publisher_state",
    "company_name": "process_company_name",
    "product_name": "process_product_name",
}


def translate_edr_query(query: str) -> str:
    """Rewrite ``field:`` prefixes of an EDR query into their Enterprise EDR names."""

    def swap(match: re.Match[str]) -> str:
        name = match.group(1)
        return EDR_TO_EEDR_FIELDS.get(name.lower(), name) + ":"

    return re.sub(r"(?<![\w.])([A-Za-z_][A-Za-z0-9_]*):", swap, query)
