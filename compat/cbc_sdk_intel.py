"""carbon-black-cloud-sdk 1.5.10, unmodified, against ``cbasync emulator --tls``: threat
intelligence (feeds, reports, watchlists, ignores, custom severities) and what the SDK reads of
alerts and devices beyond a search (typed alert classes, history, notes, asset groups).

Usage: ``python compat/cbc_sdk_intel.py READY_FILE`` (as ``compat/cbc_sdk_cloud.py``; run by
``nox -s compat``). One ``PASS``/``FAIL`` line per check; exit status 1 if any failed.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from cbc_sdk import CBCloudAPI
from cbc_sdk.enterprise_edr import Feed, Report, Watchlist
from cbc_sdk.platform import Alert, Device

CHECKS: list[tuple[str, Callable[[], Any]]] = []
STATE: dict[str, Any] = {}


def check(name: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    def register(fn: Callable[[], Any]) -> Callable[[], Any]:
        CHECKS.append((name, fn))
        return fn

    return register


def api() -> CBCloudAPI:
    return STATE["api"]


# ------------------------------------------------------------------------------- threat intel
@check("feeds: select(Feed).where(include_public=True), a feed with its reports")
def _feeds() -> None:
    feeds = list(api().select(Feed).where(include_public=True))
    assert feeds, "no feeds"
    public = next(f for f in feeds if f.access == "public")
    full = api().select(Feed, public.id)
    assert full.reports, "the feed has no reports"
    STATE["feed"] = full


@check("feeds: create, append_reports, delete")
def _feed_create() -> None:
    builder = Feed.create(
        api(), "compat feed", "https://compat.example.com", "made by compat", "Test"
    )
    feed = builder.build()
    feed.save()
    report = (
        Report.create(api(), "compat report", "a report", 5)
        .add_ioc(_ioc("c1", "process_name", "compat.exe"))
        .build()
    )
    report.id = "compat-report-1"  # (the builder leaves the id to the caller)
    feed.append_reports([report])
    assert [r.title for r in feed.reports] == ["compat report"]
    feed.delete()


def _ioc(ioc_id: str, field: str, value: str) -> Any:
    from cbc_sdk.enterprise_edr import IOC_V2

    return IOC_V2.create_equality(api(), ioc_id, field, value)


@check("watchlists: the reports a watchlist lists, fetched by the ids it lists")
def _watchlist_reports() -> None:
    watchlists = list(api().select(Watchlist))
    listing = next(w for w in watchlists if w.report_ids)
    reports = listing.reports
    assert len(reports) == len(listing.report_ids), (len(reports), listing.report_ids)
    assert all(r.iocs_v2 for r in reports)
    following = next(w for w in watchlists if w.classifier)
    assert following.feed.id == following.classifier["value"]


@check("reports: a feed report's ignore flag and custom severity (by its bare id)")
def _report_severity() -> None:
    report = STATE["feed"].reports[0]
    report.ignore()
    assert report.ignored is True
    report.unignore()
    assert report.ignored is False
    assert report.custom_severity.severity == report.severity
    report.custom_severity = 2
    assert report.custom_severity.severity == 2
    report.custom_severity = None
    assert report.custom_severity.severity == report.severity


@check("watchlists: create from a feed, enable alerts, delete")
def _watchlist_create() -> None:
    watchlist = Watchlist.create_from_feed(STATE["feed"], name="compat follow")
    watchlist.save()
    watchlist.enable_alerts()
    assert api().select(Watchlist, watchlist.id).alerts_enabled is True
    watchlist.delete()


# ------------------------------------------------------------------------------- alerts
@check("alerts: each type arrives as its typed class with its own fields")
def _alert_types() -> None:
    from cbc_sdk.platform.alerts import (
        ContainerRuntimeAlert,
        DeviceControlAlert,
        HostBasedFirewallAlert,
        IntrusionDetectionSystemAlert,
    )

    wanted = {
        "CONTAINER_RUNTIME": (ContainerRuntimeAlert, "k8s_cluster"),
        "DEVICE_CONTROL": (DeviceControlAlert, "serial_number"),
        "HOST_BASED_FIREWALL": (HostBasedFirewallAlert, "rule_id"),
        "INTRUSION_DETECTION_SYSTEM": (IntrusionDetectionSystemAlert, "threat_name"),
    }
    for kind, (cls, field) in wanted.items():
        query = api().select(Alert).add_criteria("type", [kind]).set_time_range(range="-4w")
        alert = next(iter(query))
        assert isinstance(alert, cls), (kind, type(alert))
        # (_info: the SDK's get() maps some v6 names onto v7 ones, rule_id onto k8s_rule_id)
        assert alert._info.get(field), (kind, field)


@check("alerts: history entries and notes in the shapes the SDK reads")
def _alert_history() -> None:
    alert = next(iter(api().select(Alert).set_time_range(range="-4w")))
    alert.create_note("compat note")
    notes = alert.notes_()
    assert notes[-1].note == "compat note"
    history = alert.get_history()
    assert history[0]["type"] == "USER_WORKFLOW_UPDATE"
    assert history[-1]["type"] == "ALERT_NOTE_ADDED"
    assert history[-1]["note"]["note"] == "compat note"


# ------------------------------------------------------------------------------- devices
@check("devices: asset groups and the VMware fields of a workload")
def _device_fields() -> None:
    devices = list(api().select(Device))
    grouped = [d for d in devices if d.asset_group]
    assert grouped, "no device is in an asset group"
    assert {"id", "name", "membership_type"} <= set(grouped[0].asset_group[0])
    virtual = [d for d in devices if d.virtual_machine]
    assert virtual, "no virtual machines"
    assert virtual[0].vcenter_uuid


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        ready = json.load(f)
    STATE["api"] = CBCloudAPI(
        url=ready["url"],
        token=ready["token"],
        org_key=ready["org_key"],
        ssl_cert_file=ready.get("ca_file"),
        ssl_verify=True,
    )
    failed = 0
    for name, fn in CHECKS:
        started = time.perf_counter()
        try:
            fn()
        except Exception as exc:  # a failing check must not stop the others
            failed += 1
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            print(f"FAIL  {name}  ({time.perf_counter() - started:.2f}s)\n      {detail}")
            if "-v" in sys.argv:
                traceback.print_exc()
        else:
            print(f"PASS  {name}  ({time.perf_counter() - started:.2f}s)")
    print(
        f"\ncarbon-black-cloud-sdk (threat intelligence, alert and device shapes): "
        f"{len(CHECKS) - failed}/{len(CHECKS)} checks passed"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main([a for a in sys.argv if a != "-v"]))
