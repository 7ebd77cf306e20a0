"""Fidelity check: the official synchronous cbapi 2.x, unmodified, against ``cbasync emulator``.

Run by ``nox -s compat`` (which installs cbapi and starts ``cbasync emulator --tls --ready-file``):

    python compat/cbapi_edr.py READY_FILE [--json REPORT]

Each check exercises one documented cbapi feature end to end over TLS (the emulator's CA is
pinned with ``ssl_cert_file``) and reports PASS or FAIL with the error. The exit status is the
number of failed checks (0 = everything passed). Live Response is checked by
``compat/cbapi_lr.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from cbapi.errors import ObjectNotFoundError
from cbapi.response import (
    Alert,
    BannedHash,
    Binary,
    Feed,
    IngressFilter,
    Process,
    Sensor,
    SensorGroup,
    StoragePartition,
    Team,
    ThreatReport,
    User,
    Watchlist,
)
from cbapi.response.rest_api import CbResponseAPI

Check = Callable[[CbResponseAPI], str | None]
CHECKS: list[tuple[str, str, Check]] = []


def check(group: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        CHECKS.append((group, fn.__name__, fn))
        return fn

    return register


# --- processes ---------------------------------------------------------------------------------


@check("process")
def process_query_count_first_slice(cb: CbResponseAPI) -> str:
    q = cb.select(Process).where("process_name:svchost.exe")
    n = len(q)
    assert n > 0, "no svchost.exe"
    first = q.first()
    assert first.process_name == "svchost.exe"
    three = q[:3]
    assert len(three) == 3
    assert all(p.process_name == "svchost.exe" for p in three)
    return f"{n} svchost.exe segments; first on {first.hostname}"


@check("process")
def process_iteration_pages_of_100(cb: CbResponseAPI) -> str:
    q = cb.select(Process).where("process_name:chrome.exe")
    total = len(q)
    seen = [p.unique_id for p in q]
    assert len(seen) == total == len(set(seen)), (len(seen), total)
    return f"iterated {total} documents"


@check("process")
def process_composed_query_sort_and_group(cb: CbResponseAPI) -> str:
    q = (
        cb.select(Process)
        .where("process_name:net.exe")
        .and_("cmdline:use")
        .sort("start asc")
        .group_by("id")
    )
    procs = list(q[:20])
    assert procs, "no net use"
    starts = [p.start for p in procs]
    assert starts == sorted(starts)
    assert len({p.id for p in procs}) == len(procs)
    return f"{len(q)} grouped processes"


@check("process")
def process_time_filters(cb: CbResponseAPI) -> str:
    newest = cb.select(Process).first()
    cutoff = newest.last_update - dt.timedelta(hours=6)
    recent = cb.select(Process).min_last_update(cutoff)
    older = cb.select(Process).max_last_update(cutoff)
    total = len(cb.select(Process))
    assert 0 < len(recent) < total
    assert len(recent) + len(older) == total
    server = cb.select(Process).min_last_server_update(cutoff)
    assert len(server) >= len(recent)
    return f"{len(recent)} of {total} in the last 6 h"


@check("process")
def process_facets(cb: CbResponseAPI) -> str:
    facets = cb.select(Process).where("os_type:windows").facets("process_name", "hostname")
    assert set(facets) == {"process_name", "hostname"}
    top = facets["process_name"][0]
    assert {"name", "value", "percent", "ratio"} <= set(top)
    return f"top process {top['name']} ({top['ratio']}%)"


@check("process")
def process_events_all_kinds(cb: CbResponseAPI) -> str:
    proc = cb.select(Process).where("process_name:explorer.exe").first()
    counts = {
        "modloads": len(list(proc.modloads)),
        "filemods": len(list(proc.filemods)),
        "regmods": len(list(proc.regmods)),
        "netconns": len(list(proc.netconns)),
        "childprocs": len(list(proc.childprocs)),
        "crossprocs": len(list(proc.crossprocs)),
    }
    everything = proc.all_events
    assert everything, "no events"
    assert counts["childprocs"] > 0
    netconn = next(iter(proc.all_netconns()), None)
    if netconn is not None:
        assert netconn.remote_ip.count(".") == 3
    return ", ".join(f"{k}={v}" for k, v in counts.items()) + f", all={len(everything)}"


@check("process")
def process_joins_sensor_group_binary(cb: CbResponseAPI) -> str:
    proc = cb.select(Process).where("process_name:svchost.exe").first()
    sensor = proc.sensor
    group = sensor.group
    binary = proc.binary
    assert sensor.computer_name
    assert group.name
    assert binary.signed is True
    assert binary.signing_data.publisher == "Microsoft Corporation"
    return f"{proc.hostname} in {group.name}, signed by {binary.signing_data.publisher}"


@check("process")
def process_walk_parents_and_children(cb: CbResponseAPI) -> str:
    proc = cb.select(Process).where("process_name:conhost.exe parent_name:cmd.exe").first()
    chain: list[str] = []
    proc.walk_parents(lambda p, depth: chain.append(p.process_name))
    assert chain[:1] == ["cmd.exe"], chain
    parent = proc.parent
    kids = [c.process.process_name for c in parent.children]
    assert "conhost.exe" in kids
    depth = proc.depth
    assert depth >= 1
    return f"parents {' <- '.join(chain)}; siblings {sorted(set(kids))}"


@check("process")
def process_by_id_and_webui(cb: CbResponseAPI) -> str:
    proc = cb.select(Process).first()
    again = cb.select(Process, proc.id, force_init=True)
    assert again.process_name == proc.process_name
    assert proc.webui_link.startswith(cb.url)
    try:
        cb.select(Process, "00000001-0000-0000-0000-000000000000", force_init=True)
    except ObjectNotFoundError:
        pass
    else:
        raise AssertionError("a missing process did not raise ObjectNotFoundError")
    return proc.webui_link


# --- binaries ----------------------------------------------------------------------------------


@check("binary")
def binary_query_download_icon_frequency(cb: CbResponseAPI) -> str:
    binary = cb.select(Binary).where("observed_filename:notepad.exe").first()
    data = binary.file.read()
    assert data[:2] == b"MZ"
    import hashlib

    assert hashlib.md5(data, usedforsecurity=False).hexdigest().upper() == binary.md5sum
    assert binary.icon.startswith(b"\x89PNG")
    freq = binary.frequency
    assert freq.computer_count > 0
    assert binary.version_info.file_desc == "Notepad"
    assert binary.banned is False
    return f"{binary.md5sum}: {len(data)} bytes, on {freq.computer_count} hosts"


@check("binary")
def binary_unsigned_search(cb: CbResponseAPI) -> str:
    q = cb.select(Binary).where("digsig_result:Unsigned")
    n = len(q)
    assert n > 0
    assert all(not b.signed for b in q[:5])
    return f"{n} unsigned binaries"


# --- sensors -----------------------------------------------------------------------------------


@check("sensor")
def sensor_queries(cb: CbResponseAPI) -> str:
    sensors = list(cb.select(Sensor))
    assert sensors
    one = sensors[0]
    by_name = cb.select(Sensor).where(f"hostname:{one.hostname}").first()
    assert by_name.id == one.id
    by_ip = cb.select(Sensor).where(f"ip:{one.network_interfaces[0].ipaddr}").first()
    assert by_ip.id == one.id
    in_group = list(cb.select(Sensor).where(f"groupid:{one.group_id}"))
    assert all(s.group_id == one.group_id for s in in_group)
    return f"{len(sensors)} sensors; {one.hostname} mac {one.network_interfaces[0].macaddr}"


@check("sensor")
def sensor_isolation_round_trip(cb: CbResponseAPI) -> str:
    sensor = next(s for s in cb.select(Sensor) if s.status == "Online")
    began = time.monotonic()
    assert sensor.isolate(timeout=60) is True
    assert sensor.is_isolating is True
    assert sensor.unisolate(timeout=60) is True
    assert sensor.is_isolating is False
    return f"isolated and released {sensor.hostname} in {time.monotonic() - began:.1f}s"


@check("sensor")
def sensor_flush_restart_group_change(cb: CbResponseAPI) -> str:
    sensor = next(s for s in cb.select(Sensor) if s.status == "Online")
    sensor.flush_events()
    assert sensor.event_log_flush_time is not None
    sensor.restart_sensor()
    old = sensor.group_id
    target = next(g for g in cb.select(SensorGroup) if g.id != old)
    sensor.group = target
    sensor.save()
    assert cb.select(Sensor, sensor.id, force_init=True).group_id == target.id
    sensor.group_id = old
    sensor.save()
    assert sensor.queued_stats
    return f"flushed, restarted, moved {sensor.hostname} to {target.name} and back"


@check("sensor")
def sensor_group_crud_and_installer(cb: CbResponseAPI) -> str:
    group = cb.create(SensorGroup)
    group.name = f"compat-{int(time.time())}"
    group.site_id = 1
    group.sensorbackend_server = cb.url
    group.save()
    assert group.id
    installer = group.get_installer("windows/exe")
    assert installer[:2] == b"PK"
    group.delete()
    return f"group {group.id} created, installer {len(installer)} bytes, deleted"


# --- alerts, watchlists, feeds, reports ------------------------------------------------------


@check("alert")
def alert_query_and_updates(cb: CbResponseAPI) -> str:
    q = cb.select(Alert).where("status:Unresolved")
    n = len(q)
    assert n > 0
    alert = q.first()
    alert.change_status("Resolved")
    refreshed = cb.select(Alert, alert.unique_id)
    assert refreshed.status == "Resolved"
    assert alert.process is not None
    bulk = cb.select(Alert).where(f"hostname:{alert.hostname} status:Unresolved")
    bulk.change_status("In Progress")
    assert len(cb.select(Alert).where(f"hostname:{alert.hostname} status:Unresolved")) == 0
    return f"{n} unresolved; resolved {alert.unique_id}"


@check("watchlist")
def watchlist_create_query_search_disable(cb: CbResponseAPI) -> str:
    existing = list(cb.select(Watchlist))
    assert existing
    query = cb.select(Process).where("process_name:net.exe").and_(r"cmdline:\\test\blah")
    expected = len(query)
    wl = query.create_watchlist(f"[WARN] compat {int(time.time())}")
    wl = cb.select(Watchlist, wl.id, force_init=True)
    assert wl.query == r"process_name:net.exe cmdline:\\test\blah", wl.query
    # cbapi 2.0.0's Watchlist.search() loses the raw query on the way to select() and searches
    # for everything; the emulator answers the query it is sent.
    hits = len(wl.search())
    wl.enabled = False
    wl.save()
    assert cb.select(Watchlist, wl.id, force_init=True).enabled is False
    wl.delete()
    return f"{len(existing)} watchlists; query finds {expected}, cbapi's search() sent q= ({hits})"


@check("feed")
def feed_reports_ignore_and_synchronize(cb: CbResponseAPI) -> str:
    feed = cb.select(Feed).where("name:SOC").one()
    reports = feed.reports.where("title:FUZZYWOMBAT")
    n = len(reports)
    reports.set_ignored()
    assert all(r.is_ignored for r in feed.reports.where("title:FUZZYWOMBAT"))
    feed.synchronize(full_sync=False)
    report = feed.reports.first()
    single = cb.select(ThreatReport, f"{report.feed_id}:{report.id}")
    single.refresh()
    assert single.title == report.title
    return f"{n} FUZZYWOMBAT reports ignored; synchronized {feed.name}"


@check("ban")
def banned_hash_create_and_disable(cb: CbResponseAPI) -> str:
    md5 = f"{int(time.time() * 1000):032x}"
    ban = cb.create(BannedHash)
    ban.md5hash = md5
    ban.text = "banned from API"
    ban.enabled = True  # as the cbapi manual does: cbapi posts the record only when enabling
    ban.save()
    ban = cb.select(BannedHash, md5, force_init=True)
    assert ban.enabled is True
    ban.enabled = False
    ban.save()
    assert cb.select(BannedHash, md5, force_init=True).enabled is False
    listed = [b.md5hash for b in cb.select(BannedHash)]
    assert md5 in listed
    return f"banned and released {md5}"


@check("admin")
def users_teams_partitions_ingress(cb: CbResponseAPI) -> str:
    user = cb.create(User)
    user.username = f"compat{int(time.time())}"
    user.first_name, user.last_name = "Compat", "Check"
    user.email, user.password, user.global_admin = "compat@example.com", "S3cret!", False
    user.teams = []
    user.save()
    assert cb.select(User, user.username, force_init=True).email == "compat@example.com"
    user.delete()
    teams = list(cb.select(Team))
    partitions = list(cb.select(StoragePartition))
    filters = list(cb.select(IngressFilter))
    return (
        f"user round trip; {len(teams)} teams, {len(partitions)} partitions, {len(filters)} filters"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("ready_file")
    parser.add_argument("--json", help="write the results as JSON here")
    parser.add_argument("-k", dest="only", help="run only checks whose name contains this")
    args = parser.parse_args(argv)
    with open(args.ready_file, encoding="utf-8") as fh:
        ready = json.load(fh)
    began = time.monotonic()
    cb = CbResponseAPI(
        url=ready["url"], token=ready["token"], ssl_verify=True, ssl_cert_file=ready["ca_file"]
    )
    results: list[dict[str, Any]] = []
    for group, name, fn in CHECKS:
        if args.only and args.only not in name:
            continue
        started = time.monotonic()
        try:
            detail = fn(cb) or ""
            ok = True
        except Exception as exc:  # a check reports any failure
            ok = False
            detail = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=4)}"
        elapsed = time.monotonic() - started
        results.append(
            {
                "group": group,
                "check": name,
                "ok": ok,
                "detail": detail,
                "seconds": round(elapsed, 3),
            }
        )
        print(f"{'PASS' if ok else 'FAIL'}  cbapi/{group}/{name} ({elapsed:.2f}s): {detail}")
    failed = sum(1 for r in results if not r["ok"])
    print(f"cbapi {len(results) - failed}/{len(results)} passed in {time.monotonic() - began:.1f}s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)
    return failed


if __name__ == "__main__":
    sys.exit(main())
