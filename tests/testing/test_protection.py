"""App Control: the search language below HTTP, and the routes over httpx.ASGITransport."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cbasync.testing import EmulatorConfig, ManualClock, create_app
from cbasync.testing.app import EmulatorApp
from cbasync.testing.dataset.errors import Invalid
from cbasync.testing.dataset.protection import Condition, condition_predicate

NOW = 1_714_521_600.0
BASE = "/api/bit9platform/v1"


def holds(cond: str, row: dict[str, Any]) -> bool:
    return condition_predicate(Condition.parse(cond), NOW)(row)


ROW = {
    "name": "ACME\\WIN-01",
    "ipAddress": "fe00::1",
    "policyId": 3,
    "computerTag": "",
    "flags": 0b1011,
    "connected": True,
    "dateCreated": "2024-04-30T20:00:00Z",
}


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        ("name:acme\\win-01", True),  # equality is case-insensitive
        ("name:*win*", True),  # LIKE with *
        ("name:*mac*", False),
        ("ipAddress:fe00*|ff00*", True),  # | ORs alternatives
        ("policyId:3", True),
        ("policyId!3", False),
        ("policyId!1|2", True),
        ("policyId>2", True),
        ("policyId<3", False),
        ("computerTag!", False),  # empty value with ! means "not empty"
        ("name!", True),
        ("flags+3", True),  # all bits of 3 set
        ("flags+4", False),
        ("flags-4", True),  # none of the bits of 4
        ("flags-1", False),
        ("connected:true", True),
        ("dateCreated>-10h", True),  # relative dates
        ("dateCreated>-1h", False),
        ("dateCreated<2024-05-01T00:00:00Z", True),
    ],
)
def test_conditions(cond: str, expected: bool) -> None:
    assert holds(cond, ROW) is expected


def test_malformed_conditions() -> None:
    for bad in ("novalue", ":x", "name~x"):
        with pytest.raises(Invalid):
            Condition.parse(bad)


@pytest.fixture
def app() -> EmulatorApp:
    return create_app(
        EmulatorConfig(devices=12, processes=1_000, binaries=300),
        clock=ManualClock(),
        modules=["protection"],
    )


@pytest.fixture
async def http(app: EmulatorApp) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://appcontrol",
        headers={"X-Auth-Token": app.config.token},
    ) as client:
        yield client


pytestmark = pytest.mark.anyio


async def test_search_paging_count_group_sort(http: httpx.AsyncClient) -> None:
    count = (await http.get(f"{BASE}/computer", params={"limit": -1})).json()
    assert count == {"count": 12}
    everything = (await http.get(f"{BASE}/computer")).json()  # no limit: first 1,000
    assert isinstance(everything, list)
    assert len(everything) == 12
    page = (
        await http.get(f"{BASE}/computer", params={"offset": 5, "limit": 4, "sort": "name DESC"})
    ).json()
    names = [c["name"] for c in everything]
    assert [c["name"] for c in page] == sorted(names, key=str.lower, reverse=True)[5:9]
    groups = (await http.get(f"{BASE}/computer", params={"group": "policyId"})).json()
    assert sum(g["count"] for g in groups) == 12
    assert {"value", "count"} == set(groups[0])
    windows = (
        await http.get(f"{BASE}/computer", params=[("q", "platformId:1"), ("q", "connected:true")])
    ).json()
    assert all(c["platformId"] == 1 and c["connected"] for c in windows)


async def test_bad_requests(http: httpx.AsyncClient) -> None:
    assert (await http.get(f"{BASE}/computer", params={"bogus": 1})).status_code == 400
    assert (await http.get(f"{BASE}/computer", params={"q": "noSuchField:1"})).status_code == 400
    assert (await http.get(f"{BASE}/computer", params={"limit": "lots"})).status_code == 400
    assert (await http.get(f"{BASE}/computer/999")).status_code == 404
    assert (await http.get(f"{BASE}/nothing")).status_code == 404
    assert (await http.post(f"{BASE}/computer", json={"name": "x"})).status_code == 403
    assert (await http.put(f"{BASE}/event/1", json={"description": "x"})).status_code == 403


async def test_file_rule_ban_changes_catalog_and_instances(http: httpx.AsyncClient) -> None:
    instance = (
        await http.get(f"{BASE}/fileInstance", params={"q": "localState:2", "limit": 1})
    ).json()[0]
    catalog = (await http.get(f"{BASE}/fileCatalog/{instance['fileCatalogId']}")).json()
    assert catalog["fileState"] == 2
    r = await http.post(
        f"{BASE}/fileRule",
        json={"hash": catalog["md5"], "fileState": 3, "policyIds": "0", "name": "ban it"},
    )
    assert r.status_code == 201
    rule = r.json()
    assert rule["id"] > 0
    assert rule["fileCatalogId"] == catalog["id"]
    assert (await http.get(f"{BASE}/fileCatalog/{catalog['id']}")).json()[
        "effectiveState"
    ] == "Banned"
    assert (await http.get(f"{BASE}/fileInstance/{instance['id']}")).json()["localState"] == 3
    # POST with an existing id updates (200)
    again = await http.post(f"{BASE}/fileRule", json={**rule, "fileState": 2})
    assert again.status_code == 200
    assert again.json()["fileState"] == 2
    assert (await http.delete(f"{BASE}/fileRule/{rule['id']}")).status_code == 200
    assert (await http.get(f"{BASE}/fileRule/{rule['id']}")).status_code == 404
    bad = await http.post(f"{BASE}/fileRule", json={"hash": "xyz", "fileState": 3})
    assert bad.status_code == 400


async def test_policies(http: httpx.AsyncClient) -> None:
    created = await http.post(f"{BASE}/policy", json={"name": "Kiosk", "enforcementLevel": 20})
    assert created.status_code == 201
    policy = created.json()
    assert policy["readOnly"] is False
    dup = await http.post(f"{BASE}/policy", json={"name": "kiosk", "enforcementLevel": 20})
    assert dup.status_code == 400
    read_only = next(p for p in (await http.get(f"{BASE}/policy")).json() if p["readOnly"])
    assert (
        await http.put(f"{BASE}/policy/{read_only['id']}", json={"name": "x"})
    ).status_code == 403
    updated = await http.put(f"{BASE}/policy/{policy['id']}", json={"enforcementLevel": 60})
    assert updated.json()["enforcementLevel"] == 60


async def test_computer_update_flags(http: httpx.AsyncClient) -> None:
    r = await http.put(f"{BASE}/computer/1", json={"debugLevel": 4, "policyId": 2})
    body = r.json()
    assert body["policyId"] == 2
    assert body["policyName"] == "Local Approval"
    assert body["debugLevel"] == 0  # needs ?changeDiagnostics=true
    r = await http.put(f"{BASE}/computer/1?changeDiagnostics=true", json={"debugLevel": 4})
    assert r.json()["debugLevel"] == 4
    r = await http.put(f"{BASE}/computer/1?newTamperProtectionActive=false", json={})
    assert r.json()["tamperProtectionActive"] is False
    r = await http.put(f"{BASE}/computer/1?resetCLIPassword=true", json={})
    assert r.json()["CLIPassword"]
    assert (await http.put(f"{BASE}/computer/1?changeEverything=true", json={})).status_code == 400
    assert (await http.put(f"{BASE}/computer/1", json={"policyId": 999})).status_code == 400
    await http.delete(f"{BASE}/computer/2")
    assert (await http.get(f"{BASE}/computer/2")).json()["deleted"] is True


async def test_every_documented_object_answers(http: httpx.AsyncClient) -> None:
    for name in (
        "fileInstanceDeleted",
        "fileInstanceGroup",
        "approvalRequest",
        "certificate",
        "connector",
        "driftReport",
        "driftReportContents",
        "event",
        "fileAnalysis",
        "fileUpload",
        "grantedUserPolicyPermission",
        "internalEvent",
        "meteredExecution",
        "notification",
        "notifier",
        "pendingAnalysis",
        "publisher",
        "publisherCertificate",
        "scriptRule",
        "serverConfig",
        "serverPerformance",
        "trustedDirectory",
        "trustedUser",
        "updater",
        "user",
        "userGroup",
    ):
        r = await http.get(f"{BASE}/{name}", params={"limit": 5})
        assert r.status_code == 200, name
        assert isinstance(r.json(), list), name
    templates = await http.get("/api/bit9platform/restricted/appTemplate")
    assert templates.status_code == 200


async def test_a_post_with_an_id_updates_objects_that_cannot_be_created(
    http: httpx.AsyncClient,
) -> None:
    """cbapi saves a file instance with a POST carrying its id (wire §9.1: POST upserts)."""
    instance = (await http.get(f"{BASE}/fileInstance", params={"limit": 1})).json()[0]
    changed = await http.post(f"{BASE}/fileInstance", json={**instance, "localState": 2})
    assert changed.status_code == 200
    assert changed.json()["localState"] == 2
    assert (await http.get(f"{BASE}/fileInstance/{instance['id']}")).json()["localState"] == 2
    assert (await http.post(f"{BASE}/fileInstance", json={"localState": 2})).status_code == 403


async def test_template_fields_need_change_template(http: httpx.AsyncClient) -> None:
    computers = (await http.get(f"{BASE}/computer")).json()
    (template,) = [c for c in computers if c["template"]]
    clones = [c for c in computers if c["templateComputerId"]]
    assert clones
    assert {c["templateComputerId"] for c in clones} == {template["id"]}
    target = clones[0]["id"]
    ignored = await http.put(f"{BASE}/computer/{target}", json={"templateTrackModsOnly": True})
    assert ignored.json()["templateTrackModsOnly"] is False
    applied = await http.put(
        f"{BASE}/computer/{target}?changeTemplate=true", json={"templateTrackModsOnly": True}
    )
    assert applied.json()["templateTrackModsOnly"] is True
    # Where a computer came from is the server's to say.
    kept = await http.put(f"{BASE}/computer/{target}", json={"templateComputerId": 0})
    assert kept.json()["templateComputerId"] == template["id"]


async def test_updates_keep_what_the_server_maintains(http: httpx.AsyncClient) -> None:
    policy = (await http.get(f"{BASE}/policy/1")).json()
    changed = await http.put(
        f"{BASE}/policy/1",
        json={**policy, "totalComputers": 999, "dateCreated": "2001-01-01T00:00:00Z"},
    )
    assert changed.json()["totalComputers"] == policy["totalComputers"]
    assert changed.json()["dateCreated"] == policy["dateCreated"]


async def test_creates_need_the_documented_fields(http: httpx.AsyncClient) -> None:
    missing = await http.post(f"{BASE}/notification", json={"analysisResult": 3})
    assert missing.status_code == 400
    assert "fileAnalysisId" in missing.text
    created = await http.post(
        f"{BASE}/notification", json={"analysisResult": 3, "fileAnalysisId": 1, "severity": "high"}
    )
    assert created.status_code == 201
    assert (await http.post(f"{BASE}/trustedUser", json={"name": "x"})).status_code == 400


async def test_server_config_names_the_version_and_internal_users_are_read_only(
    http: httpx.AsyncClient,
) -> None:
    settings = {s["name"]: s["value"] for s in (await http.get(f"{BASE}/serverConfig")).json()}
    assert settings["ParityServerVersion"].count(".") == 3
    (system,) = (await http.get(f"{BASE}/user", params={"q": "readOnly:true"})).json()
    refused = await http.put(f"{BASE}/user/{system['id']}", json={"comments": "x"})
    assert refused.status_code == 403


async def test_app_templates_page_like_the_other_objects(http: httpx.AsyncClient) -> None:
    route = "/api/bit9platform/restricted/appTemplate"
    everything = (await http.get(route)).json()
    page = (await http.get(route, params={"offset": 1, "limit": 1, "sort": "name ASC"})).json()
    assert page == sorted(everything, key=lambda t: t["name"].lower())[1:2]
    assert (await http.get(route, params={"limit": -1})).json() == {"count": len(everything)}


async def test_analyses_wait_until_a_connector_answers(http: httpx.AsyncClient) -> None:
    (waiting,) = (await http.get(f"{BASE}/pendingAnalysis")).json()
    analysis = (await http.get(f"{BASE}/fileAnalysis/{waiting['id']}")).json()
    assert waiting["fileCatalogId"] == analysis["fileCatalogId"]
    catalog = (await http.get(f"{BASE}/fileCatalog/{waiting['fileCatalogId']}")).json()
    assert (waiting["md5"], waiting["fileName"]) == (catalog["md5"], catalog["fileName"])
    asked = await http.post(
        f"{BASE}/fileAnalysis", json={"computerId": 2, "fileCatalogId": 4, "connectorId": 2}
    )
    assert asked.status_code == 201
    pending = {p["id"] for p in (await http.get(f"{BASE}/pendingAnalysis")).json()}
    assert pending == {waiting["id"], asked.json()["id"]}
    answer = await http.post(
        f"{BASE}/notification", json={"fileAnalysisId": waiting["id"], "analysisResult": 3}
    )
    assert answer.json()["connectorId"] == waiting["connectorId"]
    done = (await http.get(f"{BASE}/fileAnalysis/{waiting['id']}")).json()
    assert (done["analysisStatus"], done["analysisResult"]) == (3, 3)
    assert (await http.get(f"{BASE}/pendingAnalysis/{waiting['id']}")).status_code == 404
    unknown = await http.post(
        f"{BASE}/fileAnalysis", json={"computerId": 2, "fileCatalogId": 4, "connectorId": 99}
    )
    assert unknown.status_code == 400


async def test_uploads_and_pending_analyses_serve_the_file(http: httpx.AsyncClient) -> None:
    upload = await http.post(f"{BASE}/fileUpload", json={"computerId": 1, "fileCatalogId": 7})
    assert upload.status_code == 201
    row = upload.json()
    assert row["uploadStatus"] == 3
    catalog = (await http.get(f"{BASE}/fileCatalog/7")).json()
    for route in (f"{BASE}/fileUpload/{row['id']}", f"{BASE}/pendingAnalysis/2"):
        download = await http.get(route, params={"downloadFile": "true"})
        assert download.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
            (member,) = archive.namelist()
            data = archive.read(member)
        if "fileUpload" in route:
            assert member == catalog["fileName"]
            assert hashlib.md5(data).hexdigest().upper() == catalog["md5"]
            assert len(data) == row["uploadedFileSize"]
    assert (await http.get(f"{BASE}/fileUpload/{row['id']}")).json()["id"] == row["id"]
    assert (await http.get(f"{BASE}/event/1", params={"downloadFile": "true"})).status_code == 400
