"""Fidelity check: the official synchronous cbapi 2.x ``CbProtectionAPI``, unmodified, against
``cbasync emulator``'s App Control server.

Run by ``nox -s compat`` (which installs cbapi and starts ``cbasync emulator --tls --ready-file``):

    python compat/cbapi_protection.py READY_FILE [--json REPORT]

Each check exercises one thing the cbapi manual (seed 000) or cbapi's App Control examples do,
end to end over TLS, and reports PASS or FAIL with the error. The exit status is the number of
failed checks (0 = everything passed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

from cbapi.errors import ObjectNotFoundError
from cbapi.protection import CbProtectionAPI
from cbapi.protection.models import (
    Computer,
    Connector,
    Event,
    FileCatalog,
    FileInstance,
    FileRule,
    Notification,
    Policy,
    ServerConfig,
)

Check = Callable[[CbProtectionAPI], str | None]
# cbapi's App Control models take no force_init (its EDR models do): refresh to read them anew.


def fresh(cb: CbProtectionAPI, model: Any, key: int) -> Any:
    obj = cb.select(model, key)
    obj.refresh()
    return obj


CHECKS: list[tuple[str, Check]] = []


def check(fn: Check) -> Check:
    CHECKS.append((fn.__name__, fn))
    return fn


@check
def connects_and_reads_the_server_version(cb: CbProtectionAPI) -> str:
    # The constructor read serverConfig for ParityServerVersion.
    settings = {s.name: s.value for s in cb.select(ServerConfig)}
    assert str(cb.cb_server_version) == settings["ParityServerVersion"]
    return f"App Control {cb.cb_server_version}"


@check
def the_manuals_example(cb: CbProtectionAPI) -> str:
    """Seed 000: the first file instance, its computer by join, policyId = 3, save."""
    fi = cb.select(FileInstance).first()
    name = fi.computer.name
    fi.computer.policyId = 3
    fi.computer.save()
    again = fresh(cb, Computer, fi.computerId)
    assert again.policyId == 3, again.policyId
    assert again.policyName == "Servers", again.policyName
    return f"{name} moved to {again.policyName}"


@check
def query_len_sort_slices(cb: CbProtectionAPI) -> str:
    q = cb.select(Computer).where("deleted:false").and_("platformId:1").sort("name DESC")
    total = len(q)
    names = [c.name for c in q[:5]]
    assert names == sorted(names, key=str.lower, reverse=True), names
    assert 0 < total < len(cb.select(Computer))
    events = cb.select(Event).where("subtype:801|802")
    assert all(e.subtype in (801, 802) for e in events[:20])
    return f"{total} Windows computers, {len(events)} blocks"


@check
def select_by_id(cb: CbProtectionAPI) -> str:
    lazy = cb.select(Computer, 2)
    assert lazy.name  # fetched on first read
    try:
        cb.select(Computer, 987654).refresh()
    except ObjectNotFoundError:
        return f"computer 2 is {lazy.name}; 987654 not found"
    raise AssertionError("no ObjectNotFoundError for a missing computer")


@check
def file_rule_create_and_delete(cb: CbProtectionAPI) -> str:
    catalog = cb.select(FileCatalog).where("fileState:2").first()
    rule = cb.create(FileRule)
    rule.hash = catalog.md5
    rule.fileState = FileRule.StateBanned
    rule.name = "compat ban"
    rule.save()
    assert rule.id
    assert fresh(cb, FileCatalog, catalog.id).effectiveState == "Banned"
    rule.delete()
    return f"banned and unbanned {catalog.fileName}"


@check
def policy_create_and_delete(cb: CbProtectionAPI) -> str:
    policy = cb.create(Policy)
    policy.name = "compat policy"
    policy.enforcementLevel = 20
    policy.save()
    assert policy.totalComputers == 0
    policy.delete()
    return f"policy {policy.id}"


@check
def tamper_protection_debug_flags_and_template(cb: CbProtectionAPI) -> str:
    clone = cb.select(Computer).where("templateComputerId>0").first()
    assert clone.templateComputer.template is True
    clone.tamperProtectionActive = False
    clone.save()
    clone.debugFlags = 0x20
    clone.save()
    again = fresh(cb, Computer, clone.id)
    assert again.tamperProtectionActive is False
    assert again.debugFlags == 0x20 == again.activeDebugFlags
    password = clone.resetCLIPassword()
    assert password
    return f"{clone.name}, cloned from {clone.templateComputer.name}"


@check
def file_instance_local_approval(cb: CbProtectionAPI) -> str:
    """cbapi's approve_files example: a POST of the instance to its own route."""
    computer = cb.select(Computer).where("deleted:false").first()
    instance = computer.fileInstances.where("localState:1").first()
    assert instance.fileCatalog.prevalence >= 0
    instance.localState = 2
    instance.save()
    assert fresh(cb, FileInstance, instance.id).localState == 2
    return f"approved {instance.fileName} on {computer.name}"


@check
def connector_answers_a_pending_analysis(cb: CbProtectionAPI) -> str:
    """cbapi's empty_analysis_connector example."""
    connector = cb.create(Connector)
    connector.name = connector.analysisName = "compat connector"
    connector.connectorVersion = "1.0"
    connector.canAnalyze = connector.enabled = connector.analysisEnabled = True
    connector.save()
    # cbapi cannot create a FileAnalysis object; its raw post_object can.
    cb.post_object(
        "/api/bit9platform/v1/fileAnalysis",
        {"computerId": 1, "fileCatalogId": 5, "connectorId": connector.id},
    )
    (pending,) = list(connector.pendingAnalyses)
    pending.refresh()
    assert pending.uploaded
    data = pending.file.read()
    assert data
    notification = pending.create_notification(
        data={"analysisResult": Notification.ResultMalicious, "severity": "high", "type": "x"}
    )
    notification.save()
    assert not list(connector.pendingAnalyses)
    return f"{pending.fileHash}: {len(data)} bytes analysed"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("ready_file")
    parser.add_argument("--json", help="write the results as JSON here")
    parser.add_argument("-k", dest="only", help="run only checks whose name contains this")
    args = parser.parse_args(argv)
    with open(args.ready_file, encoding="utf-8") as fh:
        ready = json.load(fh)
    began = time.monotonic()
    cb = CbProtectionAPI(
        url=ready["url"], token=ready["token"], ssl_verify=True, ssl_cert_file=ready["ca_file"]
    )
    results: list[dict[str, Any]] = []
    for name, fn in CHECKS:
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
        results.append({"check": name, "ok": ok, "detail": detail, "seconds": round(elapsed, 3)})
        print(f"{'PASS' if ok else 'FAIL'}  cbapi/protection/{name} ({elapsed:.2f}s): {detail}")
    failed = sum(1 for r in results if not r["ok"])
    print(
        f"cbapi protection {len(results) - failed}/{len(results)} passed in "
        f"{time.monotonic() - began:.1f}s"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)
    return failed


if __name__ == "__main__":
    sys.exit(main())
