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

import anyio

from cbasync import CBCloudAPI, CbResponseAPI, LiveResponseError, SessionLimitError, TimeoutError
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
