"""The App Control client end to end against the emulator (in process, over httpx.ASGITransport).

Expected values come from the emulator itself — a plain httpx request to the same app, or its
counters — never from constants, so a test fails when the client and the server disagree.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cbasync import errors
from cbasync.protection import (
    AnalysisResult,
    AnalysisStatus,
    ApprovalRequest,
    CbProtectionAPI,
    Computer,
    Connector,
    DriftReport,
    EnforcementLevel,
    Event,
    FileAnalysis,
    FileCatalog,
    FileInstance,
    FileRule,
    FileState,
    FileUpload,
    GrantedUserPolicyPermission,
    Notification,
    Policy,
    Publisher,
    PublisherCertificate,
)
from cbasync.protection import User as ProtectionUser
from cbasync.testing import EmulatorConfig, create_app
from cbasync.testing.app import EmulatorApp
from tests.clients import EMULATOR_BASE, emulator_client

pytestmark = pytest.mark.anyio

V1 = "/api/bit9platform/v1"
#: 40 computers carry 2,400 file instances: three 1,000-row pages.
CONFIG = EmulatorConfig(seed=5, devices=40, processes=1_000, binaries=300)


@pytest.fixture
def app() -> EmulatorApp:
    return create_app(CONFIG, modules=["protection"])


@pytest.fixture
async def api(app: EmulatorApp) -> AsyncIterator[CbProtectionAPI]:
    async with emulator_client(app, CbProtectionAPI) as client:
        yield client


@pytest.fixture
async def raw(app: EmulatorApp) -> AsyncIterator[httpx.AsyncClient]:
    """A plain client on the same emulator: the ground truth."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=EMULATOR_BASE,
        headers={"X-Auth-Token": app.config.token},
    ) as client:
        yield client


async def rows(raw: httpx.AsyncClient, name: str, *q: str, **params: Any) -> Any:
    """Every matching row (``limit=0``), or what ``params`` ask for."""
    params.setdefault("limit", 0)
    response = await raw.get(f"{V1}/{name}", params=[*(("q", c) for c in q), *params.items()])
    response.raise_for_status()
    return response.json()


async def one_row(raw: httpx.AsyncClient, name: str, oid: Any) -> dict[str, Any]:
    response = await raw.get(f"{V1}/{name}/{oid}")
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def requests(app: EmulatorApp) -> int:
    return app.counters.total_requests


# -- searching -----------------------------------------------------------------------------------


async def test_where_clauses_are_anded_conditions(
    api: CbProtectionAPI, raw: httpx.AsyncClient
) -> None:
    query = api.select(Computer).where("platformId:1").and_("connected:true")
    expected = await rows(raw, "computer", "platformId:1", "connected:true")
    assert expected
    assert [c.id async for c in query] == [c["id"] for c in expected]
    assert await query.count() == len(expected)
    assert query.query_string == "q=platformId:1&q=connected:true"


async def test_operators_and_alternatives(api: CbProtectionAPI, raw: httpx.AsyncClient) -> None:
    for conditions in (
        ("policyId!1|2",),
        ("name:*desktop*",),
        ("memorySize>8000", "processorCount<10"),
        ("computerTag!",),
        ("dateCreated>-3650d",),
    ):
        query = api.select(Computer)
        for condition in conditions:
            query = query.where(condition)
        expected = [c["id"] for c in await rows(raw, "computer", *conditions)]
        assert [c.id for c in await query.all()] == expected, conditions


async def test_every_row_in_thousand_row_pages_fetched_concurrently(
    api: CbProtectionAPI, raw: httpx.AsyncClient, app: EmulatorApp
) -> None:
    expected = [r["id"] for r in await rows(raw, "fileInstance")]
    assert len(expected) > 2_000
    before = requests(app)
    got = [fi.id async for fi in api.select(FileInstance)]
    assert got == expected
    # One count (limit=-1) with the first page, then the remaining pages of 1,000.
    pages = -(-len(expected) // 1_000)
    assert requests(app) - before == 1 + pages


async def test_pages_overlap_on_the_wire() -> None:
    """Once the count is known, the pages after the first are in flight together."""
    app = create_app(CONFIG.replace(latency_ms=20), modules=["protection"])
    async with emulator_client(app, CbProtectionAPI) as api:
        total = await api.select(FileInstance).count()
        got = await api.select(FileInstance).batch_size(400).all()
    assert len(got) == total
    assert app.counters.max_in_flight >= 2


async def test_slices_first_one_and_sort(
    api: CbProtectionAPI, raw: httpx.AsyncClient, app: EmulatorApp
) -> None:
    everything = [r["id"] for r in await rows(raw, "fileInstance", sort="fileName DESC")]
    query = api.select(FileInstance).sort("fileName desc")
    assert [fi.id for fi in await query[1_500:1_510].all()] == everything[1_500:1_510]
    assert [fi.id for fi in await query[-3:].all()] == everything[-3:]
    assert await query[10:25].count() == 15
    before = requests(app)
    first = await query.first()
    assert first is not None
    assert first.id == everything[0]
    assert requests(app) - before == 1  # one page of one row, no count
    assert (await api.select(Computer).where("id:7").one()).id == 7
    with pytest.raises(errors.MoreThanOneResultError):
        await api.select(Computer).where("policyId:1").one()
    assert await api.select(Computer).where("name:no-such-host").first() is None


async def test_group_counts(api: CbProtectionAPI, raw: httpx.AsyncClient) -> None:
    expected = (await raw.get(f"{V1}/computer", params={"group": "policyId"})).json()
    groups = await api.select(Computer).group_counts("policyId")
    assert [(g.value, g.count) for g in groups] == [(g["value"], g["count"]) for g in expected]
    windows = await api.select(Computer).where("platformId:1").group_counts("connected")
    assert sum(g.count for g in windows) == len(await rows(raw, "computer", "platformId:1"))


async def test_malformed_searches(api: CbProtectionAPI, app: EmulatorApp) -> None:
    before = requests(app)
    for bad in (
        "policyId = 3",
        "a b:1",
        ":3",
        "policyId",
        "ip.address:10.*",
        "policyId:3 AND deleted:false",
        "fileName:a.exe or fileName:b.exe",
    ):
        with pytest.raises(errors.QuerySyntaxError):
            api.select(Computer).where(bad)
    # A value may hold spaces and words: only a second condition after AND/OR is refused.
    assert api.select(Policy).where("name:Servers and Desktops").conditions == (
        "name:Servers and Desktops",
    )
    with pytest.raises(errors.QuerySyntaxError):
        api.select(Computer).sort("name sideways")
    with pytest.raises(ValueError, match="1000"):
        api.select(Computer).batch_size(5_000)
    assert requests(app) == before  # refused before anything was sent
    with pytest.raises(errors.QuerySyntaxError) as caught:
        await api.select(Computer).where("noSuchField:1").count()
    assert caught.value.status == 400
    assert caught.value.route == f"{V1}/computer"


# -- joins -----------------------------------------------------------------------------------------


async def test_file_instance_joins(
    api: CbProtectionAPI, raw: httpx.AsyncClient, app: EmulatorApp
) -> None:
    instance = await api.select(FileInstance).where("localState:2").first()
    assert instance is not None
    computer = await instance.computer()
    assert computer.name == (await one_row(raw, "computer", instance.computerId))["name"]
    catalog = await instance.file_catalog()
    assert catalog.md5 == (await one_row(raw, "fileCatalog", instance.fileCatalogId))["md5"]
    policy = await instance.policy()
    assert policy.id == instance.policyId
    # A join is fetched once per client: the same computer again costs nothing.
    before = requests(app)
    assert await instance.computer() is computer
    assert requests(app) == before
    assert [fi.id async for fi in computer.file_instances()] == [
        r["id"] for r in await rows(raw, "fileInstance", f"computerId:{computer.id}")
    ]


async def test_computer_policy_and_template_joins(
    api: CbProtectionAPI, raw: httpx.AsyncClient
) -> None:
    clone = await api.select(Computer).where("templateComputerId>0").first()
    assert clone is not None
    template = await clone.template_computer()
    assert template is not None
    assert template.id == clone.templateComputerId
    assert template.template is True
    assert await template.template_computer() is None
    policy = await clone.policy()
    assert policy.name == (await one_row(raw, "policy", clone.policyId))["name"]
    members = [c.id async for c in policy.computers()]
    assert members == [c["id"] for c in await rows(raw, "computer", f"policyId:{policy.id}")]


async def test_catalog_publisher_and_certificate_joins(
    api: CbProtectionAPI, raw: httpx.AsyncClient
) -> None:
    catalog = await api.select(FileCatalog).where("publisherId>0").first()
    assert catalog is not None
    assert catalog.file_hash == catalog.md5
    publisher = await catalog.publisher()
    assert publisher is not None
    assert publisher.name == (await one_row(raw, "publisher", catalog.publisherId))["name"]
    certificate = await catalog.certificate()
    assert certificate is not None
    assert await certificate.publisher() == await api.get(Publisher, certificate.publisherId)
    first_seen = await certificate.first_seen_computer()
    assert first_seen is not None
    assert first_seen.id == certificate.firstSeenComputerId
    assert await certificate.parent() is None  # parentCertificateId 0: none
    assert [c.id async for c in publisher.certificates()] == [
        r["id"] for r in await rows(raw, "certificate", f"publisherId:{publisher.id}")
    ]
    link = await api.select(PublisherCertificate).first()
    assert link is not None
    assert (await link.certificate()).id == link.certificateId
    seen_on = await catalog.computer()
    assert seen_on is not None
    assert seen_on.id == catalog.computerId
    copies = await catalog.file_instances().count()
    assert copies == len(await rows(raw, "fileInstance", f"fileCatalogId:{catalog.id}"))


async def test_event_approval_and_permission_joins(
    api: CbProtectionAPI, raw: httpx.AsyncClient
) -> None:
    event = await api.select(Event).where("subtype:801|802").first()
    assert event is not None
    assert (await event.computer()) is not None
    catalog = await event.file_catalog()
    assert catalog is not None
    assert catalog.fileName == event.fileName
    event_policy = await event.policy()
    assert event_policy is not None
    assert event_policy.name == event.policyName
    request = await api.select(ApprovalRequest).first()
    assert request is not None
    requested = await request.file_catalog()
    assert requested is not None
    assert requested.fileName == request.fileName
    assert await request.installer_file_catalog() is None
    runner = await request.process_file_catalog()
    assert runner is not None
    assert runner.id == request.processFileCatalogId
    grant = await api.select(GrantedUserPolicyPermission).first()
    assert grant is not None
    assert (await grant.user()).id == grant.userId
    assert (await grant.policy()).id == grant.policyId
    notification = await api.select(Notification).first()
    assert notification is not None
    connector = await notification.connector()
    assert connector is not None
    assert connector.name == (await one_row(raw, "connector", notification.connectorId))["name"]
    analysis = await notification.file_analysis()
    assert analysis is not None
    assert analysis.id == notification.fileAnalysisId
    report = await api.select(DriftReport).first()
    assert report is not None
    contents = await report.contents().all()
    assert [c.id for c in contents] == [
        r["id"] for r in await rows(raw, "driftReportContents", f"driftReportId:{report.id}")
    ]
    assert (await contents[0].drift_report()).id == report.id


async def test_a_join_on_an_empty_id_is_an_error_for_a_required_relation(
    api: CbProtectionAPI,
) -> None:
    instance = await api.select(FileInstance).first()
    assert instance is not None
    instance.__dict__["computerId"] = 0  # as if the server had none
    with pytest.raises(errors.InvalidObjectError, match="computerId"):
        await instance.computer()


# -- the Computer behaviours the manual names ----------------------------------------------------


async def test_changing_a_computers_policy(api: CbProtectionAPI, raw: httpx.AsyncClient) -> None:
    """The manual: the first file instance, its computer by join, ``policyId = 3``, save."""
    instance = await api.select(FileInstance).first()
    assert instance is not None
    computer = await instance.computer()
    new_policy = 3 if computer.policyId != 3 else 4
    computer.policyId = new_policy
    assert computer.dirty_fields() == {"policyId": "*"}
    await computer.save()
    on_server = await one_row(raw, "computer", computer.id)
    assert on_server["policyId"] == new_policy
    assert computer.policyName == on_server["policyName"]
    assert not computer.is_dirty()
    # change_policy takes a Policy too, and the join sees the new policy.
    kiosk = await api.select(Policy).where("name:Visibility").one()
    await computer.change_policy(kiosk)
    assert (await one_row(raw, "computer", computer.id))["policyId"] == kiosk.id
    assert (await (await instance.computer()).policy()).id == kiosk.id


async def test_tamper_protection_set_and_cleared(
    api: CbProtectionAPI, raw: httpx.AsyncClient
) -> None:
    computer = await api.get(Computer, 4)
    assert computer.tamperProtectionActive is True
    await computer.set_tamper_protection(False)
    assert (await one_row(raw, "computer", 4))["tamperProtectionActive"] is False
    assert computer.tamperProtectionActive is False
    computer.tamperProtectionActive = True  # the cbapi way: set the field and save
    await computer.save()
    assert (await one_row(raw, "computer", 4))["tamperProtectionActive"] is True


async def test_debug_flags_go_with_change_diagnostics(
    api: CbProtectionAPI, raw: httpx.AsyncClient
) -> None:
    computer = await api.get(Computer, 5)
    computer.debugFlags = 0x2A
    await computer.save()
    on_server = await one_row(raw, "computer", 5)
    assert on_server["debugFlags"] == on_server["activeDebugFlags"] == 0x2A
    await computer.set_debug(level=4, kernel_level=2, duration=30)
    on_server = await one_row(raw, "computer", 5)
    assert (on_server["debugLevel"], on_server["kernelDebugLevel"]) == (4, 2)
    assert on_server["debugDuration"] == 30
    with pytest.raises(ValueError, match="at least one"):
        await computer.set_debug()


async def test_template_fields_go_with_change_template(
    api: CbProtectionAPI, raw: httpx.AsyncClient
) -> None:
    template = await api.select(Computer).where("template:true").one()
    template.templateTrackModsOnly = True
    template.templateCloneCleanupTime = 14
    await template.save()
    on_server = await one_row(raw, "computer", template.id)
    assert on_server["templateTrackModsOnly"] is True
    assert on_server["templateCloneCleanupTime"] == 14


async def test_cli_password_reset(api: CbProtectionAPI, raw: httpx.AsyncClient) -> None:
    computer = api.select(Computer, 6)  # not fetched: the reset needs only the id
    password = await computer.reset_cli_password()
    assert password
    assert password == (await one_row(raw, "computer", 6))["CLIPassword"]
    # A credential: masked wherever the object is shown.
    assert password not in str(computer)
    assert "CLIPassword: **********" in str(computer)


async def test_a_users_api_token_is_masked(api: CbProtectionAPI) -> None:
    user = api.create(ProtectionUser)
    user.name = "integration"
    user.apiToken = "0123456789ABCDEF0123"
    await user.save()
    assert user.apiToken == "0123456789ABCDEF0123"
    assert "0123456789ABCDEF0123" not in str(user)
    assert "apiToken: **********" in str(user)


async def test_computer_fields_the_api_cannot_change_are_refused_at_once(
    api: CbProtectionAPI, app: EmulatorApp
) -> None:
    computer = await api.get(Computer, 2)
    before = requests(app)
    for name, hint in (
        ("policyName", "change_policy"),
        ("CLIPassword", "reset_cli_password"),
        ("templateComputerId", "cloned from a template"),
        ("policy", "change_policy"),
    ):
        with pytest.raises(AttributeError, match=hint):
            setattr(computer, name, 1)
    with pytest.raises(AttributeError, match="cannot be changed through the API"):
        computer.ipAddress = "10.9.9.9"
    with pytest.raises(AttributeError, match="template_computer"):
        _ = computer.templateComputer  # type: ignore[attr-defined]
    assert requests(app) == before


async def test_deleting_a_computer_marks_it_deleted(
    api: CbProtectionAPI, raw: httpx.AsyncClient
) -> None:
    computer = await api.get(Computer, 8)
    await computer.delete()
    assert (await one_row(raw, "computer", 8))["deleted"] is True
    remaining = await api.select(Computer).where("deleted:false").count()
    assert remaining == len(await rows(raw, "computer", "deleted:false"))


# -- creating, changing and deleting --------------------------------------------------------------


async def test_file_rule_create_change_delete(api: CbProtectionAPI, raw: httpx.AsyncClient) -> None:
    catalog = await api.select(FileCatalog).where("fileState:2").first()
    assert catalog is not None
    rule = api.create(FileRule)
    rule.hash = catalog.md5
    rule.fileState = FileState.BANNED
    rule.name = "Ban from the API"
    await rule.save()
    assert rule.id is not None
    assert not rule.is_new
    stored = await one_row(raw, "fileRule", rule.id)
    assert (stored["fileState"], stored["name"]) == (3, "Ban from the API")
    assert rule.createdBy == stored["createdBy"]
    assert (await one_row(raw, "fileCatalog", catalog.id))["effectiveState"] == "Banned"
    ruled = await rule.file_catalog()
    assert ruled is not None
    assert ruled.id == catalog.id
    creator = await rule.created_by_user()
    assert creator is not None
    assert creator.name == stored["createdBy"]
    rule.fileState = FileState.APPROVED
    rule.policyIds = "1,2"
    await rule.save()
    assert rule.policy_ids == [1, 2]
    assert (await one_row(raw, "fileRule", rule.id))["policyIds"] == "1,2"
    with pytest.raises(AttributeError, match="cannot be changed"):
        rule.hash = "00" * 16
    await rule.delete()
    assert (await raw.get(f"{V1}/fileRule/{rule.id}")).status_code == 404


async def test_a_file_rule_needs_a_file_and_a_state(api: CbProtectionAPI, app: EmulatorApp) -> None:
    before = requests(app)
    rule = api.create(FileRule)
    with pytest.raises(errors.InvalidObjectError, match="fileState") as caught:
        await rule.save()
    assert caught.value.missing == ("fileState",)
    rule.fileState = FileState.BANNED
    with pytest.raises(errors.InvalidObjectError, match="hash"):
        await rule.save()
    rule.hash = "ab" * 16
    rule.fileState = 7
    with pytest.raises(errors.InvalidObjectError, match="fileState must be"):
        await rule.save()
    assert requests(app) == before


async def test_policy_create_change_delete(api: CbProtectionAPI, raw: httpx.AsyncClient) -> None:
    policy = api.create(Policy)
    policy.name = "Kiosks"
    policy.enforcementLevel = EnforcementLevel.HIGH
    await policy.save()
    assert policy.totalComputers == 0
    assert (await one_row(raw, "policy", policy.id))["name"] == "Kiosks"
    policy.enforcementLevel = EnforcementLevel.VISIBILITY
    await policy.save()
    assert (await one_row(raw, "policy", policy.id))["enforcementLevel"] == 60
    with pytest.raises(AttributeError, match="totalComputers"):
        policy.totalComputers = 5
    twin = api.create(Policy)
    twin.name = "kiosks"
    with pytest.raises(errors.ClientError) as caught:
        await twin.save()
    assert caught.value.status == 400
    assert not isinstance(caught.value, errors.QuerySyntaxError)
    await policy.delete()
    assert (await raw.get(f"{V1}/policy/{policy.id}")).status_code == 404
    read_only = await api.select(Policy).where("readOnly:true").first()
    assert read_only is not None
    read_only.description = "mine now"
    with pytest.raises(errors.ClientError) as refused:
        await read_only.save()
    assert refused.value.status == 403


async def test_file_instance_local_approval(api: CbProtectionAPI, raw: httpx.AsyncClient) -> None:
    instance = await api.select(FileInstance).where("localState:1").first()
    assert instance is not None
    instance.localState = FileState.APPROVED
    await instance.save()
    assert (await one_row(raw, "fileInstance", instance.id))["localState"] == 2
    with pytest.raises(AttributeError, match="localState"):
        instance.fileName = "renamed.exe"


async def test_objects_the_api_does_not_create_or_change(api: CbProtectionAPI) -> None:
    with pytest.raises(errors.ApiError, match="cannot be created"):
        await api.create(Computer).save()
    event = await api.select(Event).first()
    assert event is not None
    with pytest.raises(AttributeError, match="does not update Event"):
        event.description = "x"
    with pytest.raises(errors.ApiError, match="cannot be deleted"):
        await event.delete()
    never_fetched = api.select(Policy, 1)
    never_fetched.description = "x"
    with pytest.raises(errors.InvalidObjectError, match="never fetched"):
        await never_fetched.save()


async def test_server_config(api: CbProtectionAPI, raw: httpx.AsyncClient) -> None:
    settings = {s["name"]: s["value"] for s in await rows(raw, "serverConfig")}
    assert await api.server_config() == settings
    version = tuple(int(p) for p in settings["ParityServerVersion"].split("."))
    assert await api.server_version() == version


# -- connectors and files ----------------------------------------------------------------------


async def test_a_connector_answers_its_pending_analyses(
    api: CbProtectionAPI, raw: httpx.AsyncClient
) -> None:
    """cbapi's example connector: register, fetch each pending file, post a notification."""
    connector = api.create(Connector)
    connector.name = connector.analysisName = "EmptyAnalysis"
    connector.connectorVersion = "1.0"
    connector.canAnalyze = connector.enabled = connector.analysisEnabled = True
    await connector.save()
    catalog = await api.select(FileCatalog).where("fileType:Application").first()
    assert catalog is not None
    analysis = api.create(FileAnalysis)
    analysis.computerId = 2
    analysis.fileCatalogId = catalog.id
    analysis.connectorId = connector.id
    await analysis.save()
    (pending,) = await connector.pending_analyses().all()
    assert pending.id == analysis.id
    assert pending.uploaded
    assert pending.file_hash == catalog.md5
    async with pending.download(unzip=True) as chunks:
        data = b"".join([chunk async for chunk in chunks])
    assert hashlib.md5(data).hexdigest().upper() == catalog.md5
    notification = pending.create_notification()
    notification.analysisResult = AnalysisResult.MALICIOUS
    notification.malwareName = "TEST MALWARE"
    notification.severity = "high"
    await notification.save()
    assert notification.connectorId == connector.id
    assert await connector.pending_analyses().count() == 0
    done = await one_row(raw, "fileAnalysis", analysis.id)
    assert (done["analysisStatus"], done["analysisResult"]) == (
        AnalysisStatus.ANALYZED,
        AnalysisResult.MALICIOUS,
    )


async def test_uploaded_files_download(
    api: CbProtectionAPI, raw: httpx.AsyncClient, tmp_path: Path
) -> None:
    catalog = await api.get(FileCatalog, 9)
    upload = api.create(FileUpload)
    upload.computerId = 1
    upload.fileCatalogId = catalog.id
    await upload.save()
    assert upload.uploadStatus == (await one_row(raw, "fileUpload", upload.id))["uploadStatus"]
    saved = await upload.download_to(tmp_path / "sample.bin")
    assert hashlib.md5(saved.read_bytes()).hexdigest().upper() == catalog.md5
    async with upload.download() as chunks:
        assert b"".join([chunk async for chunk in chunks]) == saved.read_bytes()
    async with upload.download(unzip=False) as chunks:
        archive = b"".join([chunk async for chunk in chunks])
    expected = await raw.get(f"{V1}/fileUpload/{upload.id}", params={"downloadFile": "true"})
    assert archive == expected.content
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        assert zf.namelist() == [catalog.fileName]
