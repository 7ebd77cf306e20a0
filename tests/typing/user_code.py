"""Code a user writes against cbasync, checked with ``mypy --strict`` in CI (nox -s typecheck).

It uses every product query method and join with no ``cast`` and no ``type: ignore``: if a query
method or a join loses its type, mypy fails here. It is never run; the end-to-end tests run the
same calls against the emulator.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from cbasync import CbProtectionAPI, CbResponseAPI
from cbasync.protection import (
    AnalysisResult,
    ApprovalRequest,
    ApprovalResolution,
    ApprovalStatus,
    Certificate,
    Computer,
    Connector,
    EnforcementLevel,
    Event,
    FileCatalog,
    FileInstance,
    FileRule,
    FileState,
    FileUpload,
    GroupedCount,
    Notification,
    Policy,
    ProtectionQuery,
    Publisher,
)
from cbasync.protection import User as ProtectionUser
from cbasync.response import (
    Alert,
    AlertQuery,
    BannedHash,
    Binary,
    Feed,
    IngressFilter,
    ListQuery,
    Process,
    ProcessEvents,
    ProcessQuery,
    Sensor,
    SensorGroup,
    SensorQuery,
    Site,
    SolrQuery,
    StoragePartition,
    Team,
    ThreatReport,
    ThreatReportQuery,
    ThrottleRule,
    User,
    Watchlist,
)
from cbasync.response.query import FacetValue


async def edr_processes(api: CbResponseAPI) -> None:
    since = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    query: ProcessQuery[Process] = (
        api.select(Process)
        .where("process_name:net.exe")
        .and_(r"cmdline:\\test\blah")
        .sort("start desc")
        .group_by("id")
        .min_last_update(since)
        .max_last_update(since)
        .min_last_server_update(since)
        .max_last_server_update(since)
        .use_comprehensive_search()
        .batch_size(500)
        .concurrency(4)
    )
    count: int = await query.count()
    first: Process | None = await query.first()
    only: Process = await query[:1].one()
    everything: list[Process] = await query[10:20].all()
    records: list[dict[str, Any]] = [proc.model_dump() for proc in everything]  # for pandas
    table: str = (await query[:5].all())._repr_html_()  # Jupyter's table
    print(len(records), len(table))
    facets: dict[str, list[FacetValue]] = await query.facets("process_name", "hostname")
    name: str | None = facets["process_name"][0].name
    link: str = query.webui_link
    watchlist: Watchlist = await query.create_watchlist("net use", description="mounts")
    async for proc in query:
        hostname: str | None = proc.hostname
        sensor: Sensor = await proc.sensor()
        group: SensorGroup = await sensor.group()
        binary: Binary = await proc.binary()
        parent: Process | None = await proc.parent()
        events: ProcessEvents = await proc.events()
        async for child in proc.children():
            child_name: str | None = child.process_name
        async for ancestor in proc.walk_parents(max_depth=5):
            depth: int = ancestor.depth
        print(hostname, group.name, binary.is_signed, parent, events.modloads, child_name, depth)
    print(count, first, only, everything, name, link, watchlist.query)


async def edr_objects(api: CbResponseAPI) -> None:
    sensors: SensorQuery[Sensor] = api.select(Sensor).where("hostname:HOST")
    sensor = await sensors.first()
    if sensor is not None:
        await sensor.isolate(max_wait=60)
        await sensor.unisolate(max_wait=60)
        group_sensors: SensorQuery[Sensor] = (await sensor.group()).sensors()
        print(await group_sensors.count())
    alerts: AlertQuery[Alert] = api.select(Alert).where("status:Unresolved")
    changed: int = await alerts.change_status("Resolved")
    assigned: int = await alerts.assign_to("analyst")
    ignored: int = await alerts.set_ignored()
    alert = await alerts.first()
    if alert is not None:
        proc: Process = await alert.process()
        alert_binary: Binary = await alert.binary()
        alert_sensor: Sensor = await alert.sensor()
        print(proc.id, alert_binary.md5, alert_sensor.id)
    binaries: SolrQuery[Binary] = api.select(Binary).where("digsig_result:Signed")
    watchlists: ListQuery[Watchlist] = api.select(Watchlist).where("name:SOC*")
    async for watchlist in watchlists:
        search: ProcessQuery[Process] | SolrQuery[Binary] = watchlist.search()
        print(await search.count())
    feed = await api.select(Feed).where("name:SOC").one()
    reports: ThreatReportQuery[ThreatReport] = feed.reports().where("title:FUZZYWOMBAT")
    print(await reports.set_ignored())
    report = await reports.first()
    if report is not None:
        report_feed: Feed = await report.feed()
        print(report_feed.name)
    banned = await api.select(BannedHash).first()
    if banned is not None:
        print((await banned.binary()).md5)
    lists = (
        api.select(User),
        api.select(Team),
        api.select(Site),
        api.select(ThrottleRule),
        api.select(StoragePartition),
        api.select(IngressFilter),
    )
    for each in lists:
        print(await each.count())
    print(changed, assigned, ignored, await binaries.count())


async def raw_requests(api: CbResponseAPI) -> None:
    info = await api.get_object("/api/info")
    response = await api.request("GET", "/api/v1/sensor/{id}", path_params={"id": 1})
    status: int = response.status
    print(info, status)


async def app_control(api: CbProtectionAPI, path: Path) -> None:
    computers: ProtectionQuery[Computer] = (
        api.select(Computer)
        .where("ipAddress:10.201.*|10.202.*")
        .and_("deleted:false")
        .sort("name desc")
        .batch_size(500)
        .concurrency(4)
    )
    count: int = await computers.count()
    groups: list[GroupedCount] = await computers.group_counts("policyId")
    first: Computer | None = await computers.first()
    only: Computer = await computers[:1].one()
    some: list[Computer] = await computers[10:20].all()
    async for computer in computers:
        policy: Policy = await computer.policy()
        template: Computer | None = await computer.template_computer()
        members: ProtectionQuery[Computer] = policy.computers()
        files: ProtectionQuery[FileInstance] = computer.file_instances().where("localState:1")
        moved: Computer = await computer.change_policy(policy)
        await computer.set_tamper_protection(False)
        await computer.set_debug(level=4, flags=0x20, duration=60)
        password: str = await computer.reset_cli_password()
        computer.tamperProtectionActive = True
        computer.debugFlags = 0
        saved: Computer = await computer.save()
        print(template, await members.count(), await files.count(), moved.policyName, password)
        print(saved.templateComputerId)
    instance = await api.select(FileInstance).first()
    if instance is not None:
        on: Computer = await instance.computer()
        catalog: FileCatalog = await instance.file_catalog()
        publisher: Publisher | None = await catalog.publisher()
        certificate: Certificate | None = await catalog.certificate()
        seen_on: Computer | None = await catalog.computer()
        digest: str | None = catalog.file_hash
        instance.localState = FileState.APPROVED
        await instance.save()
        print(on.name, publisher, certificate, seen_on, digest)
    rule = api.create(FileRule)
    rule.hash = "0123456789abcdef0123456789abcdef"
    rule.fileState = FileState.BANNED
    rule.policyIds = "1,2"
    saved_rule: FileRule = await rule.save()
    ruled: FileCatalog | None = await saved_rule.file_catalog()
    creator: ProtectionUser | None = await saved_rule.created_by_user()
    policy_ids: list[int] = saved_rule.policy_ids
    await saved_rule.delete()
    new_policy = api.create(Policy)
    new_policy.name = "Kiosks"
    new_policy.enforcementLevel = EnforcementLevel.HIGH
    await new_policy.save()
    by_id: Computer = await api.select(Computer, 1, force_init=True)
    lazy: Computer = api.select(Computer, 2)
    fetched: Computer = await api.get(Computer, 3)
    events: ProtectionQuery[Event] = api.select(Event).where("subtype:801")
    event = await events.first()
    if event is not None:
        event_computer: Computer | None = await event.computer()
        print(event_computer)
    request = await api.select(ApprovalRequest).where("status:1").first()
    if request is not None:
        request.status = ApprovalStatus.CLOSED
        request.resolution = ApprovalResolution.APPROVED
        await request.save()
    connector = await api.select(Connector).first()
    if connector is not None:
        async for pending in connector.pending_analyses():
            async with pending.download(unzip=True) as chunks:
                async for chunk in chunks:
                    print(len(chunk))
            notification: Notification = pending.create_notification()
            notification.analysisResult = AnalysisResult.MALICIOUS
            await notification.save()
    upload = await api.select(FileUpload).first()
    if upload is not None:
        saved_to: Path = await upload.download_to(path)
        print(saved_to)
    version: tuple[int, ...] = await api.server_version()
    settings: dict[str, Any] = await api.server_config()
    print(count, groups, first, only, some, ruled, creator, policy_ids, by_id, lazy, fetched)
    print(version, settings)
