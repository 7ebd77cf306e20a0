"""Code a user writes against cbasync, checked with ``mypy --strict`` in CI (nox -s typecheck).

It uses every product query method and join, and the Live Response API (sessions, every command,
runs, pools), with no ``cast`` and no ``type: ignore``: if a method or a join loses its type, mypy
fails here. It is never run; the end-to-end tests run the same calls against the emulator.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio

from cbasync import (
    CBCloudAPI,
    CbProtectionAPI,
    CbResponseAPI,
    LiveResponseError,
    SessionLimitError,
    TimeoutError,
)
from cbasync.cloud import (
    AuthEvent,
    AuthEventDetail,
    AuthEventQuery,
    DetailQuery,
    DeviceSummary,
    FacetResults,
    ProcessEvent,
    ProcessEventQuery,
    ProcessSummary,
    ProcessTree,
    Result,
    ResultQuery,
    Run,
    RunQuery,
)
from cbasync.cloud import Process as CloudProcess
from cbasync.cloud import (
    ProcessQuery as CloudProcessQuery,
)
from cbasync.live_response import (
    CreatedProcess,
    DirectoryEntry,
    JobHandle,
    JobResult,
    LiveResponse,
    LiveResponseSession,
    Memdump,
    ProcessEntry,
    Progress,
    RegistryKey,
    RegistryValue,
    SessionSlots,
)
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

# isort: split
from cbasync import cloud as cbc
from cbasync.cloud import defense


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


# -- Carbon Black Cloud search jobs (issue 13) ---------------------------------------------------


async def cloud_auth_events(api: CBCloudAPI) -> None:
    query: AuthEventQuery[AuthEvent] = (
        api.select(AuthEvent)
        .where("auth_username:SYSTEM")
        .criteria(auth_event_action=["LOGON_SUCCESS"])
        .exclusions(device_name=["build01"])
        .time_range(window="-2w")
        .sort_by("device_timestamp", "desc")
        .set_fields("*", "device_os")
        .collapse("device_id")
        .batch_size(1_000)
    )
    progress = await query.wait(max_wait=60)
    found: int | None = progress.num_found
    count: int = await query.count()
    first: AuthEvent | None = await query.first()
    events: list[AuthEvent] = await query[:10].all()
    async for event in query:
        detail: AuthEventDetail = await event.details()
        logon: int | None = detail.auth_logon_type
        fresh: AuthEvent = await event.refresh()
    facets: FacetResults = await query.facets("auth_username", rows=5)
    values: list[str | None] = [v.name for v in facets.values("auth_username")]
    groups = query.group_results("device_name", max_events_per_group=3, range_duration="1h")
    page_of_groups = await groups
    async for group in groups:
        members: list[AuthEventDetail] = group.results
    by_alert: DetailQuery[AuthEventDetail] = AuthEvent.details_of(api, alert_id="alert")
    details: list[AuthEventDetail] = await AuthEvent.details_of(api, event_ids=["e"]).all()
    descriptions = await AuthEvent.descriptions(api)
    actions: dict[str, str] | None = descriptions.auth_event_action
    suggestions = await AuthEvent.search_suggestions(api, "auth", count=5)
    valid: bool | None = (await query.validate()).valid
    print(found, count, first, events, logon, fresh, values, page_of_groups, members)
    print(by_alert, details, actions, suggestions, valid)


async def cloud_processes(api: CBCloudAPI) -> None:
    query: CloudProcessQuery[CloudProcess] = (
        api.select(CloudProcess).where("process_name:powershell.exe").time_range(window="-1d")
    )
    proc: CloudProcess | None = await query.first()
    if proc is None:
        return
    parent: CloudProcess | None = await proc.parent()
    children: list[CloudProcess] = await proc.children()
    siblings: list[CloudProcess] = await proc.siblings()
    summary: ProcessSummary = await proc.summary()
    tree: ProcessTree = await proc.tree(max_wait=30)
    nodes: list[ProcessTree] = tree.walk()
    events: ProcessEventQuery = proc.events().where("event_type:netconn")
    netconns: list[ProcessEvent] = await events.all()
    event_facets: FacetResults = await proc.events().facets("event_type")
    facets: FacetResults = await query.facets("device_name", ranges=[{"field": "x"}])
    loaded: CloudProcess = await proc.refresh()
    details: list[CloudProcess] = await CloudProcess.details_of(api, ["guid"]).all()
    print(parent, children, siblings, summary, nodes, netconns, event_facets, facets, loaded)
    print(details)


async def cloud_livequery(api: CBCloudAPI) -> None:
    run: Run = await Run.submit(api, "SELECT * FROM users", os=["WINDOWS"], name="users")
    finished: Run = await run.wait(max_wait=600, keep_running=True)
    async for row in run.stream_results(max_wait=600):
        columns: dict[str, object] | None = row.fields
    results: ResultQuery = run.results().criteria(status=["matched"])
    rows: list[Result] = await results.all()
    facets: FacetResults = await run.results().facets("device.name")
    summaries: list[DeviceSummary] = await run.device_summaries().all()
    history: RunQuery[Run] = api.select(Run).where("name:users")
    older: list[Run] = await history.all()
    stopped: Run = await run.stop()
    await run.delete()
    print(finished, columns, rows, facets, summaries, older, stopped)


# -- Carbon Black Cloud: devices, alerts, jobs, threat intelligence, Defense v3 ------------------


async def cloud_devices(api: cbc.CBCloudAPI) -> None:
    query: cbc.DeviceSearchQuery[cbc.Device] = (
        api.select(cbc.Device)
        .set_os(["WINDOWS", "LINUX"])
        .set_status(["ACTIVE"])
        .set_policy_ids([6525])
        .set_target_priorities("HIGH")
        .set_ad_group_ids([1004])
        .set_device_ids(8500001)
        .set_deployment_type(["ENDPOINT"])
        .set_cloud_provider_account_id(["acct"])
        .set_auto_scaling_group_name("asg")
        .set_virtual_private_cloud_id("vpc")
        .set_exclude_sensor_versions(["3.4.0.0"])
        .set_last_contact_time(range="-2w")
        .where("name:web*")
        .add_exclusions("os", ["MAC"])
        .sort_by("last_contact_time", "DESC")
        .batch_size(500)
    )
    count: int = await query.count()
    first: cbc.Device | None = await query.first()
    async for device in query.scroll(rows=5_000):
        device_id: int = device.id
        print(device_id, device.asset_group, device.vcenter_uuid)
    facets: dict[str, list[cbc.FacetValue]] = await query.facets(["os", "policy_id"], rows=10)
    total: int | None = facets["os"][0].total
    await query.quarantine(True)
    await query.bypass(False)
    await query.background_scan(True)
    await query.update_policy(6526)
    await query.update_sensor_version({"WINDOWS": "3.9.1.2451"})
    await query.uninstall_sensor()
    await query.delete_sensor()
    export: cbc.Job = await query.export()
    csv_bytes: bytes = await (await export).output()
    if first is not None:
        await first.quarantine(True)
        await first.update_policy(6525)
        refreshed: cbc.Device = await first.refresh()
        print(refreshed.quarantined)
    await api.device_quarantine([8500001], True)
    await api.device_bypass([8500001], False)
    await api.device_background_scan([8500001], True)
    await api.device_update_policy([8500001], 6525)
    await api.device_update_sensor_version([8500001], {"LINUX": "2.14.0.1"})
    await api.device_uninstall_sensor([8500001])
    await api.device_delete_sensor([8500001])
    print(count, total, len(csv_bytes))


async def cloud_alerts(api: cbc.CBCloudAPI) -> None:
    query: cbc.AlertSearchQuery[cbc.Alert] = (
        api.select(cbc.Alert)
        .set_minimum_severity(7)
        .set_time_range(range="-1d")
        .add_time_criteria("first_event_timestamp", range="-2h", exclude=True)
        .set_types(["CB_ANALYTICS", "WATCHLIST"])
        .set_device_os("WINDOWS")
        .set_policy_ids([6525])
        .set_process_names(["powershell.exe"])
        .set_workflows(["OPEN"])
        .set_run_states(["RAN"])
        .set_alert_notes_present(True)
        .add_criteria("device_id", [8500001])
    )
    alert = await query.first()
    if alert is not None:
        job: cbc.Job = await alert.close("RESOLVED", "FALSE_POSITIVE", "benign")
        done: cbc.Job = await job
        print(done.status, done.progress)
        await alert.refresh()
        notes = await alert.notes_()
        history = await alert.get_history(threat=True)
        tags: list[str] = await alert.add_threat_tags(["apt"])
        device: cbc.Device = await alert.device()
        workflow: cbc.Workflow = await alert.dismiss_threat("RESOLVED", "triaged")
        print(notes, history, tags, device.name, workflow.state, alert.k8s_cluster)
    bulk: cbc.Job = await query.update("IN_PROGRESS", note="looking")
    await bulk.wait(max_wait=60)
    exported: cbc.Job = await query.export(fields=["id", "type"])
    print(await exported.output())
    groups: cbc.GroupedAlertSearchQuery[cbc.GroupedAlert] = query.set_group_by("THREAT_ID")
    async for group in api.select(cbc.GroupedAlert).set_time_range(range="-1w"):
        recent: cbc.Alert | None = group.most_recent_alert
        members: cbc.AlertSearchQuery[cbc.Alert] = group.alert_query()
        print(group.count, recent, await members.count())
    print(await groups.alert_query().count(), await cbc.Alert.search_suggestions(api, "device"))
    jobs = [j async for j in api.select(cbc.Job).status("COMPLETED")]
    print(jobs)


async def cloud_alerts_v6(api: cbc.CBCloudAPI) -> None:
    query: cbc.BaseAlertSearchQuery[cbc.BaseAlert] = (
        api.select(cbc.BaseAlert)
        .set_device_os(["WINDOWS"])
        .set_process_name(["IEXPLORE.EXE"])
        .set_categories(["THREAT"])
        .set_create_time(range="-1w")
        .set_group_results(True)
    )
    status: cbc.WorkflowStatus = await query.dismiss("Using Chrome")
    finished: cbc.WorkflowStatus = await status
    print(finished.finished, finished.num_success)
    analytics: cbc.CBAnalyticsAlertSearchQuery[cbc.CBAnalyticsAlert] = api.select(
        cbc.CBAnalyticsAlert
    ).set_sensor_actions(["DENY"])
    watchlist: cbc.WatchlistAlertSearchQuery[cbc.WatchlistAlert] = api.select(
        cbc.WatchlistAlert
    ).set_watchlist_names(["ATT&CK Framework"])
    vmware: cbc.BaseAlertSearchQuery[cbc.VMwareAlert] = api.select(cbc.VMwareAlert)
    one = await analytics.first()
    if one is not None:
        workflow: cbc.Workflow = await one.dismiss("FP", "not malicious")
        print(workflow.state, await one.device())
    threats: cbc.WorkflowStatus = await api.bulk_threat_dismiss(["T1"], "RESOLVED", "done")
    await threats.wait(max_wait=30)
    print(await watchlist.count(), await vmware.count(), await api.alert_search_suggestions("d"))
    print(await query.facets(["ALERT_TYPE"]))


async def cloud_threat_intel(api: cbc.CBCloudAPI) -> None:
    feed = api.create(cbc.Feed)
    feed.name = "SOC"
    feed.provider_url = "https://soc.example"
    feed.summary = "ours"
    feed.category = "Internal"
    await feed.save(public=False)
    report = api.create(cbc.Report)
    report.title = "Bad tool"
    report.description = "a bad tool"
    report.severity = 7
    report.iocs_v2 = [cbc.IOC.create_equality("i1", "process_name", "bad.exe")]
    await feed.append_reports([report])
    for each in await feed.reports():
        await each.ignore()
        severity: cbc.ReportSeverity | None = await each.set_custom_severity(3)
        print(severity, await each.ignored())
    watchlist: cbc.Watchlist = await feed.subscribe(enable_alerts=True)
    followed: cbc.Feed = await watchlist.feed()
    async for listed in api.select(cbc.Watchlist):
        reports: list[cbc.Report] = await listed.reports()
        print(reports)
    await watchlist.enable_tags()
    await watchlist.delete()
    print(followed.id, [f async for f in api.select(cbc.Feed).include_public()])


async def cloud_defense(api: cbc.CBCloudAPI) -> None:
    device = await api.select(defense.Device).where("hostNameExact:WIN-1").first()
    if device is not None:
        device.policyName = "Restrictive_Windows_Workstation"
        saved: defense.Device = await device.save()
        print(saved.policyId)
    async for event in api.select(defense.Event).where("searchWindow:1d")[:100]:
        print(event.eventId, event.eventType)
    policy = await api.get(defense.Policy, 6525)
    rule_id: int = await policy.add_rule({"action": "DENY", "application": {}, "operation": "RUN"})
    rules: list[defense.PolicyRule] = policy.rules
    await policy.delete_rule(rule_id)
    notifications: list[defense.Notification] = await api.get_notifications()
    async for notification in api.notification_listener(interval=30):
        print(notification.deviceInfo, rules, notifications)
        break


async def collect(lr: LiveResponseSession) -> tuple[int, bytes]:
    """A Live Response job: what ``run`` and ``submit_job`` take."""
    entries: list[DirectoryEntry] = await lr.list_directory("C:\\Windows\\Temp\\")
    data: bytes = await lr.get_file("C:\\Windows\\win.ini", offset=0, count=100)
    return len(entries), data


async def live_response_session(api: CbResponseAPI, path: Path) -> None:
    lr: LiveResponse = api.live_response
    lr.max_sessions = 20
    slots: SessionSlots = lr.slots
    print(slots.in_use, slots.limit, lr.sessions_open, lr.most_sessions_open)
    sensor = await api.get(Sensor, 1)
    async with sensor.lr_session(max_wait=60, keepalive=True) as session:
        sensor_id: int = session.sensor_id
        await session.put_file(b"bytes", "C:\\x.txt")
        await session.put_file(path, "C:\\y.txt")

        async def chunks() -> AsyncIterator[bytes]:
            yield b"streamed"

        await session.put_file(chunks(), "C:\\z.txt")
        async with session.stream_file("C:\\z.txt") as stream:
            async for chunk in stream:
                print(len(chunk))
        saved: Path = await session.download_file("C:\\z.txt", path / "z.txt")
        await session.delete_file("C:\\x.txt")
        await session.create_directory("C:\\new")
        async for top, dirs, files in session.walk("C:\\Users", topdown=False, onerror=print):
            dirs.sort()
            print(top, files)
        processes: list[ProcessEntry] = await session.list_processes()
        pid: int | None = processes[0].pid
        await session.kill_process(4, max_wait=5)
        created: CreatedProcess = await session.create_process(
            "cmd.exe /c whoami", wait_for_output=True, working_directory="C:\\", max_wait=30
        )
        output: bytes | None = created.output
        key: RegistryKey = await session.list_registry_keys_and_values("HKLM\\SOFTWARE")
        value: RegistryValue = await session.get_registry_value("HKLM\\SOFTWARE\\V")
        await session.set_registry_value("HKLM\\SOFTWARE\\V", 1, value_type="REG_QWORD")
        await session.set_registry_value("HKLM\\SOFTWARE\\L", ["a", "b"], overwrite=False)
        await session.create_registry_key("HKLM\\SOFTWARE\\K")
        await session.delete_registry_value("HKLM\\SOFTWARE\\V")
        await session.delete_registry_key("HKLM\\SOFTWARE\\K")
        dump: Memdump = await session.start_memdump(compress=True)
        await dump.wait(max_wait=600)
        dumped: Path = await dump.download(path / "mem.zip")
        await dump.delete()
        whole: Path = await session.memdump(path / "mem.dmp")
        archive: bytes = await session.get_session_archive()
        print(sensor_id, saved, pid, output, key.sub_keys, value.value_data, dumped, whole, archive)
    try:
        async with api.live_response.session(1, max_wait=10):
            pass
    except (LiveResponseError, SessionLimitError, TimeoutError) as exc:
        print(exc)


async def live_response_jobs(api: CbResponseAPI, cloud: CBCloudAPI) -> None:
    def report(progress: Progress[tuple[int, bytes]]) -> None:
        print(progress.done, progress.failed, progress.total, progress.result.device_id)

    async with api.live_response.run(
        collect, [1, 2, 3], slots=5, job_timeout=300, on_progress=report
    ) as results:
        async for result in results:
            outcome: JobResult[tuple[int, bytes]] = result
            device: int = outcome.device_id
            if outcome.ok:
                value: tuple[int, bytes] | None = outcome.value
                print(device, value, outcome.elapsed)
            else:
                error: Exception | None = outcome.error
                print(device, error)

    async def devices() -> AsyncIterator[int]:
        yield 8_500_000

    async with cloud.live_response.run(collect, devices()) as streamed:
        async for result in streamed:
            print(result.unwrap())

    async with api.live_response.pool(slots=10, job_timeout=60) as pool:
        handle: JobHandle[tuple[int, bytes]] = pool.submit_job(collect, 1)
        value_now: tuple[int, bytes] = await handle
        as_result: JobResult[tuple[int, bytes]] = await handle.result()
        print(value_now, as_result.ok, pool.done, pool.failed)
    one: tuple[int, bytes] = await cloud.live_response_v3.submit_job(collect, 8_500_001)
    async with anyio.create_task_group() as tg:
        tg.start_soon(api.live_response.submit_job, collect, 1)
    print(one, os.sep)
