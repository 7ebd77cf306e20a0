"""carbon-black-cloud-sdk 1.5.10, unmodified, against ``cbasync emulator --tls``.

Usage: ``python compat/cbc_sdk_cloud.py READY_FILE`` (the JSON ``cbasync emulator --ready-file``
writes). Each check calls the official SDK the way its documentation shows and asserts on what
comes back; the script prints one ``PASS``/``FAIL`` line per check and exits non-zero if any
failed. Run by ``nox -s compat``; needs only the SDK and a running emulator.

The emulator should be started with short delays so the run takes seconds, e.g.
``cbasync emulator --tls --ready-file f --activation-ms 300 --command-ms 100 --job-seconds 1``.
"""

from __future__ import annotations

import io
import json
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from cbc_sdk import CBCloudAPI
from cbc_sdk.audit_remediation import DeviceSummary, Result, ResultFacet, Run
from cbc_sdk.enterprise_edr import AuthEvent, AuthEventFacet
from cbc_sdk.platform import Alert, Device, Process, ProcessFacet

RESULTS: list[tuple[str, bool, str]] = []


def check(name: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    def register(fn: Callable[[], Any]) -> Callable[[], Any]:
        CHECKS.append((name, fn))
        return fn

    return register


CHECKS: list[tuple[str, Callable[[], Any]]] = []
STATE: dict[str, Any] = {}


def wait(predicate: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def api() -> CBCloudAPI:
    return STATE["api"]


# ------------------------------------------------------------------------------------------- devices
@check("devices: select(Device) iterates every device")
def _devices_all() -> None:
    query = api().select(Device)
    devices = list(query)
    assert devices, "no devices"
    assert len(devices) == len(query), (len(devices), len(query))
    assert len({d.id for d in devices}) == len(devices), "duplicate devices across pages"
    STATE["devices"] = devices


@check("devices: set_os / set_status criteria and sort_by")
def _devices_filtered() -> None:
    windows = list(
        api().select(Device).set_os(["WINDOWS"]).set_status(["ALL"]).sort_by("name", "ASC")
    )
    assert windows, "no Windows devices"
    assert all(d.os == "WINDOWS" for d in windows)
    names = [d.name for d in windows]
    assert names == sorted(names, key=str.lower), names[:5]


@check("devices: select(Device, id) and refresh")
def _device_single() -> None:
    first = STATE["devices"][0]
    device = api().select(Device, first.id)
    assert device.name == first.name
    device.refresh()
    assert device.os_version


@check("devices: facets(['os', 'policy_id'])")
def _device_facets() -> None:
    facets = api().select(Device).facets(["os", "policy_id"])
    fields = {f.field: f for f in facets}
    assert set(fields) == {"os", "policy_id"}, fields
    assert sum(v["total"] for v in fields["os"].values_) == len(STATE["devices"])


@check("devices: quarantine / bypass / background scan / update policy actions")
def _device_actions() -> None:
    device = next(d for d in STATE["devices"] if d.os == "WINDOWS")
    device.quarantine(True)
    device.quarantine(False)
    api().device_bypass([device.id], True)
    api().device_bypass([device.id], False)
    api().device_background_scan([device.id], True)
    api().device_update_policy([device.id], 6526)
    assert api().select(Device, device.id).policy_id == 6526
    api().device_update_sensor_version([device.id], {"WINDOWS": "3.9.9.9999"})


# ------------------------------------------------------------------------------------------- alerts
@check("alerts: select(Alert) with minimum severity, len() and iteration")
def _alerts() -> None:
    query = api().select(Alert).set_minimum_severity(3).set_time_range(range="-4w")
    total = len(query)
    assert total > 0
    alerts = list(query[:150])
    assert len(alerts) == min(150, total)
    assert all(a.severity >= 3 for a in alerts)
    STATE["alert"] = alerts[0]


@check("alerts: add_criteria on type, facets(['type'])")
def _alert_criteria() -> None:
    query = api().select(Alert).add_criteria("type", ["WATCHLIST"]).set_time_range(range="-4w")
    found = list(query[:20])
    assert found
    # (the SDK's attribute access wraps ``type`` in a list; the wire value is the string)
    assert all(a._info["type"] == "WATCHLIST" for a in found)
    facets = api().select(Alert).set_time_range(range="-4w").facets(["type"])
    assert facets[0]["field"] == "type"


@check("alerts: select(Alert, id), notes, history, search_suggestions")
def _alert_single() -> None:
    alert = api().select(Alert, STATE["alert"].id)
    assert alert.device_id == STATE["alert"].device_id
    alert.create_note("looked at by the compat check")
    assert any(n.note == "looked at by the compat check" for n in alert.notes_())
    assert alert.get_history()
    assert Alert.search_suggestions(api(), "device")


@check("alerts: close() returns a Job that completes and changes the workflow")
def _alert_close() -> None:
    alert = api().select(Alert, STATE["alert"].id)
    job = alert.close("RESOLVED", "FALSE_POSITIVE", "closed by the compat check")
    job.await_completion().result(timeout=30)
    alert.refresh()
    assert alert.workflow["status"] == "CLOSED", alert.workflow


# ------------------------------------------------------------------------------------------- processes
@check("processes: select(Process).where(...) search job, results and len()")
def _processes() -> None:
    query = api().select(Process).where("process_name:cmd.exe")
    processes = list(query[:30])
    assert processes
    assert all(p.process_name.endswith("cmd.exe") for p in processes)
    assert len(query) >= len(processes)
    STATE["process"] = processes[0]


@check("processes: summary, tree, parents/children, get_details")
def _process_tree() -> None:
    process = STATE["process"]
    summary = process.summary
    assert summary.process["process_guid"] == process.process_guid
    tree = process.tree
    assert tree._info["process_name"] == process.process_name
    assert [c.process_guid for c in process.children] == [
        c["process_guid"] for c in tree._info["children"]
    ]
    details = process.get_details()
    assert details["process_cmdline"]


@check("processes: events(event_type=...)")
def _process_events() -> None:
    process = STATE["process"]
    events = list(process.events(event_type="modload"))
    assert events
    assert all(e.event_type == "modload" for e in events)


@check("processes: ProcessFacet terms")
def _process_facets() -> None:
    facet = (
        api()
        .select(ProcessFacet)
        .where("process_name:svchost.exe")
        .add_facet_field("device_name")
        .results
    )
    assert facet.terms_.facets["device_name"]


# ------------------------------------------------------------------------------------------- auth events
@check("auth events: search, detail, group_results")
def _auth_events() -> None:
    events = list(api().select(AuthEvent).where("auth_username:SYSTEM")[:10])
    assert events
    assert all(e.auth_username == "SYSTEM" for e in events)
    details = events[0].get_details()
    assert details.auth_logon_type is not None
    groups = list(
        api().select(AuthEvent).where("auth_username:SYSTEM").group_results("device_name")
    )
    assert groups
    assert all(g.group_key == "device_name" for g in groups)


@check("auth events: descriptions, suggestions, AuthEventFacet")
def _auth_misc() -> None:
    descriptions = AuthEvent.get_auth_events_descriptions(api())
    assert descriptions["event"]["4624"] == "An account was successfully logged on"
    assert any(s["term"] == "auth_username" for s in AuthEvent.search_suggestions(api(), "auth"))
    facet = (
        api()
        .select(AuthEventFacet)
        .where("auth_username:SYSTEM")
        .add_facet_field("process_name")
        .results
    )
    assert facet.terms_.facets["process_name"]


# ------------------------------------------------------------------------------------------- livequery
@check("livequery: submit a run, wait for COMPLETE, results, summaries, facets")
def _livequery() -> None:
    online = [
        d
        for d in STATE["devices"]
        if d.os == "WINDOWS" and "LIVE_RESPONSE_ENABLED" in d.sensor_states
    ]
    target = online[:2]
    run = api().select(Run).where("SELECT name, pid FROM processes WHERE name = 'svchost.exe'")
    run = run.device_ids([d.id for d in target]).name("compat check").submit()
    assert run.status == "ACTIVE"

    def done() -> bool:
        run.refresh()
        return bool(run.status == "COMPLETE")

    wait(done, what="the LiveQuery run")
    results = list(api().select(Result).run_id(run.id))
    assert results
    assert all(r.fields_["name"] == "svchost.exe" for r in results)
    summaries = list(api().select(DeviceSummary).run_id(run.id))
    assert {s.id for s in summaries} == {d.id for d in target}
    # (iterate: list() would call the SDK's unimplemented FacetQuery.__len__)
    facets = []
    for facet in api().select(ResultFacet).run_id(run.id).facet_field("device.name"):
        facets.append(facet)
    assert facets


# ------------------------------------------------------------------------------------------- live response
@check("live response: session, processes, directory, get/put file, process output, registry")
def _live_response() -> None:
    device = next(
        d
        for d in STATE["devices"]
        if d.os == "WINDOWS" and "LIVE_RESPONSE_ENABLED" in d.sensor_states
    )
    with device.lr_session() as session:
        processes = session.list_processes()
        assert any(p["process_pid"] == 4 for p in processes)
        listing = session.list_directory("C:\\Windows\\")
        assert {"..", "."} <= {e["filename"] for e in listing}
        hosts = session.get_file("C:\\Windows\\System32\\drivers\\etc\\hosts")
        assert b"Microsoft" in hosts
        session.put_file(
            io.BytesIO(b"uploaded by the compat check"), "C:\\Windows\\Temp\\compat.txt"
        )
        assert session.get_file("C:\\Windows\\Temp\\compat.txt") == b"uploaded by the compat check"
        output = session.create_process("cmd.exe /c echo hello from the emulator")
        assert b"hello from the emulator" in output, output
        session.create_directory(f"C:\\Windows\\Temp\\compat-{time.time_ns()}")
        session.delete_file("C:\\Windows\\Temp\\compat.txt")
        key = "HKLM\\SOFTWARE\\CompatCheck"
        session.create_registry_key(key)
        session.set_registry_value(key + "\\Level", 7)
        assert session.get_registry_value(key + "\\Level")["value_data"] == 7
        walked = list(session.walk("C:\\Users\\"))
        assert walked


@check("live response: errors are LiveResponseError with the Win32 code")
def _live_response_errors() -> None:
    from cbc_sdk.live_response_api import LiveResponseError

    device = next(
        d
        for d in STATE["devices"]
        if d.os == "WINDOWS" and "LIVE_RESPONSE_ENABLED" in d.sensor_states
    )
    with device.lr_session() as session:
        error: LiveResponseError | None = None
        try:
            session.get_file("C:\\does\\not\\exist.txt")
        except LiveResponseError as exc:
            error = exc
        assert error is not None, "reading a missing file did not fail"
        assert error.win32_error is not None


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
    print(f"\ncarbon-black-cloud-sdk: {len(CHECKS) - failed}/{len(CHECKS)} checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main([a for a in sys.argv if a != "-v"]))
