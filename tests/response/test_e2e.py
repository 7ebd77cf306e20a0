"""The EDR client end to end against the emulator (in process, over httpx.ASGITransport).

Expected values come from the emulator itself — a plain httpx request to the same app, or its
state — never from constants, so a test fails when the client and the server disagree.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from cbasync import errors
from cbasync.response import (
    Alert,
    BannedHash,
    Binary,
    CbResponseAPI,
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
from cbasync.testing import EmulatorConfig, create_app
from tests.clients import emulator_client

pytestmark = pytest.mark.anyio

BASE = "https://cbserver.emulator"


@pytest.fixture
def app() -> Any:
    return create_app(
        EmulatorConfig(seed=11, processes=3_000, devices=20, alerts=1_200, isolation_delay=0.05)
    )


@pytest.fixture
async def api(app: Any) -> AsyncIterator[CbResponseAPI]:
    async with emulator_client(app, CbResponseAPI) as client:
        yield client


@pytest.fixture
async def raw(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A plain client on the same emulator: the ground truth."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=BASE,
        headers={"X-Auth-Token": app.config.token},
    ) as client:
        yield client


async def total(raw: httpx.AsyncClient, route: str, q: str = "", **params: Any) -> int:
    response = await raw.get(route, params={"q": q, "rows": 0, "cb.urlver": 1, **params})
    response.raise_for_status()
    return int(response.json()["total_results"])


# -- searching -----------------------------------------------------------------------------------


async def test_process_search_matches_the_server(
    api: CbResponseAPI, raw: httpx.AsyncClient
) -> None:
    query = api.select(Process).where("process_name:cmd.exe")
    expected = await total(raw, "/api/v1/process", "process_name:cmd.exe")
    assert expected > 0
    assert await query.count() == expected
    rows = [p async for p in query.batch_size(17)]
    assert len(rows) == expected
    assert len({p.unique_id for p in rows}) == expected
    assert all(p.process_name == "cmd.exe" for p in rows)
    assert all(not p.is_loaded for p in rows)


async def test_sorting_and_slices(api: CbResponseAPI) -> None:
    query = api.select(Process).where("process_name:svchost.exe").sort("start asc")
    everything = [p async for p in query]
    starts = [p.start for p in everything]
    assert starts == sorted(starts)
    window = [p.unique_id async for p in query[10:35]]
    assert window == [p.unique_id for p in everything[10:35]]
    tail = [p.unique_id async for p in query[-3:]]
    assert tail == [p.unique_id for p in everything[-3:]]
    assert (await query.first()).unique_id == everything[0].unique_id  # type: ignore[union-attr]


async def test_group_by_gives_one_row_per_process(
    api: CbResponseAPI, raw: httpx.AsyncClient
) -> None:
    grouped = api.select(Process).where("process_name:svchost.exe").group_by("id")
    ids = [p.id async for p in grouped]
    assert len(ids) == len(set(ids))
    assert len(ids) == await total(
        raw, "/api/v1/process", "process_name:svchost.exe", **{"cb.group": "id"}
    )


async def test_facets_agree_with_counts(api: CbResponseAPI) -> None:
    facets = await api.select(Process).where("process_name:cmd.exe").facets("hostname")
    top = facets["hostname"][0]
    assert (
        top.value
        == await api.select(Process)
        .where("process_name:cmd.exe")
        .where(f"hostname:{top.name}")
        .count()
    )


async def test_malformed_query(api: CbResponseAPI) -> None:
    with pytest.raises(errors.QuerySyntaxError) as info:
        await api.select(Process).where("process_name:(cmd.exe").count()
    assert info.value.status == 400
    assert info.value.route == "/api/v1/process"


async def test_one_and_first(api: CbResponseAPI) -> None:
    with pytest.raises(errors.MoreThanOneResultError):
        await api.select(Process).where("process_name:cmd.exe").one()
    assert await api.select(Process).where("process_name:no-such-process.exe").first() is None


# -- processes -----------------------------------------------------------------------------------


async def suspect(api: CbResponseAPI) -> Process:
    async for process in api.select(Process).where("process_name:cmd.exe").sort("start desc"):
        if process.get("parent_name") and (process.childproc_count or 0) > 0:
            return process
    raise AssertionError("the dataset has no cmd.exe with a parent and children")


async def test_refresh_parent_children_and_walks(api: CbResponseAPI) -> None:
    process = await suspect(api)
    await process.refresh()
    assert process.is_loaded
    parent = await process.parent()
    assert parent is not None
    assert parent.id == process.parent_id
    assert parent.process_name == process.parent_name
    children = [child async for child in process.children()]
    assert children
    assert all(child.parent_id == process.id for child in children if child.get("parent_id"))
    ancestors = [p async for p in process.walk_parents()]
    assert ancestors[0].id == parent.id
    assert [p.depth for p in ancestors] == list(range(1, len(ancestors) + 1))
    descendants = [p async for p in process.walk_children(max_depth=2)]
    assert {p.id for p in descendants if p.depth == 1} == {c.id for c in children}


async def test_events_are_parsed_without_leftovers(api: CbResponseAPI) -> None:
    process = await suspect(api)
    events = await process.events()
    assert len(events) > 0
    assert events.unparsed == []
    counts = await process.aggregate()
    assert len(events.childprocs) >= 1
    assert counts.childproc_count is not None
    everything = await process.events(all_segments=True)
    assert len(everything) >= len(events)


async def test_segments_preview_metadata_and_v6_routes(api: CbResponseAPI) -> None:
    process = await suspect(api)
    segments = await process.segments()
    assert segments
    assert process.segment in {s.segment_id for s in segments}
    assert {s.segment_id for s in await process.segments_v6()} == {s.segment_id for s in segments}
    preview = await process.preview("cmd")
    assert preview.process.id == process.id
    metadata = await process.metadata()
    assert metadata.id == process.id
    assert await process.verify_segment() == process.segment
    bulk = await process.bulk()
    assert bulk.partial_results in (False, None)


async def test_event_stream(api: CbResponseAPI) -> None:
    process = await suspect(api)
    async with process.stream(rows=5) as stream:
        events = [event async for event in stream]
        assert stream.stream_id
    assert events
    assert len(events) >= len((await process.events()).all) // 2


async def test_missing_process(api: CbResponseAPI) -> None:
    with pytest.raises(errors.ObjectNotFoundError):
        await api.get(Process, "00000000-0000-0000-0000-00000000dead")


# -- binaries ------------------------------------------------------------------------------------


async def test_binary_download_matches_the_server_zip(
    api: CbResponseAPI, raw: httpx.AsyncClient, tmp_path: Path
) -> None:
    process = await suspect(api)
    binary = await process.binary()
    assert binary.md5 == process.process_md5.upper()  # type: ignore[union-attr]
    served = (await raw.get(f"/api/v1/binary/{binary.md5}")).content
    expected = zipfile.ZipFile(io.BytesIO(served)).read("filedata")
    assert b"".join([chunk async for chunk in binary.download(unzip=False)]) == served
    # download() and download_to() agree by default: the binary itself, as cbapi's binary.file.
    assert b"".join([chunk async for chunk in binary.download()]) == expected
    path = await binary.download_to(tmp_path / "bin")
    assert path.read_bytes() == expected
    assert (await binary.icon()).startswith(b"\x89PNG")
    assert binary.is_signed == (binary.digsig_result == "Signed")


async def test_binary_search(api: CbResponseAPI, raw: httpx.AsyncClient) -> None:
    assert await api.select(Binary).count() == await total(raw, "/api/v1/binary")
    first = await api.select(Binary).first()
    assert first is not None
    again = await api.get(Binary, first.md5)
    assert again.md5 == first.md5


# -- sensors -------------------------------------------------------------------------------------


async def online_sensor(api: CbResponseAPI) -> Sensor:
    async for sensor in api.select(Sensor):
        if sensor.is_online:
            return sensor
    raise AssertionError("no online sensor")


async def test_sensor_isolation_round_trip(api: CbResponseAPI) -> None:
    sensor = await online_sensor(api)
    await sensor.isolate(max_wait=10, poll_interval=0.01)
    assert (sensor.network_isolation_enabled, sensor.is_isolating) == (True, True)
    fresh = await api.get(Sensor, sensor.id)
    assert fresh.is_isolating
    await sensor.unisolate(max_wait=10, poll_interval=0.01)
    assert (sensor.network_isolation_enabled, sensor.is_isolating) == (False, False)


async def test_sensor_filters_groups_and_installers(api: CbResponseAPI) -> None:
    sensors = [s async for s in api.select(Sensor)]
    assert len(sensors) == 20
    name = sensors[0].computer_name or ""
    assert [s.id async for s in api.select(Sensor).where(f"hostname:{name}")] == [sensors[0].id]
    group = await sensors[0].group()
    members = [s.id async for s in group.sensors()]
    assert sensors[0].id in members
    assert all(s.group_id == group.id for s in sensors if s.id in members)
    package = b"".join([chunk async for chunk in group.installer("windows/msi")])
    assert package[:2] == b"PK"
    stats = await api.sensor_statistics()
    assert int(stats.sensor_count or 0) == 20


async def test_sensor_group_create_and_move(api: CbResponseAPI) -> None:
    group = api.create(SensorGroup)
    group.name = "Quarantine"
    await group.save()
    assert group.id is not None
    sensor = await online_sensor(api)
    await sensor.set_group(group)
    assert (await api.get(Sensor, sensor.id)).group_id == group.id


# -- alerts, intel -------------------------------------------------------------------------------


async def test_alert_bulk_change_status(api: CbResponseAPI, raw: httpx.AsyncClient) -> None:
    unresolved = api.select(Alert).where("status:Unresolved")
    before = await unresolved.count()
    assert before > 500  # enough to need more than one batch
    changed = await unresolved.change_status("Resolved")
    assert changed == before
    assert await api.select(Alert).where("status:Unresolved").count() == 0
    assert await total(raw, "/api/v2/alert", "status:Resolved") >= before


async def test_alert_update_and_joins(api: CbResponseAPI) -> None:
    alert = await api.select(Alert).where("status:Unresolved").first()
    assert alert is not None
    await alert.update(status="In Progress")
    found = await api.get(Alert, alert.unique_id)
    assert found.status == "In Progress"
    assert alert.process_id
    process = await alert.process()
    assert process.id == alert.process_id


async def test_watchlist_lifecycle(api: CbResponseAPI) -> None:
    watchlist = (
        await api.select(Process).where("process_name:powershell.exe").create_watchlist("ps hunt")
    )
    assert watchlist.query == "process_name:powershell.exe"
    assert (
        await watchlist.search().count()
        == await api.select(Process).where("process_name:powershell.exe").count()
    )
    watchlist.enabled = False
    await watchlist.save()
    assert (await api.get(Watchlist, watchlist.id)).enabled is False
    await watchlist.set_action("email", True)
    assert await watchlist.action_enabled("email") is True
    await watchlist.delete()
    with pytest.raises(errors.ObjectNotFoundError):
        await api.get(Watchlist, watchlist.id)


async def test_missing_required_fields_send_nothing(api: CbResponseAPI, app: Any) -> None:
    before = app.counters.requests()
    watchlist = api.create(Watchlist)
    watchlist.name = "incomplete"
    with pytest.raises(errors.InvalidObjectError, match="search_query"):
        await watchlist.save()
    assert app.counters.requests() == before


async def test_feed_lifecycle_and_reports(api: CbResponseAPI) -> None:
    feed = api.create(Feed)
    feed.feed_url = "https://intel.example/feed.json"
    feed.name = "examplefeed"
    feed.enabled = True
    await feed.save()
    assert feed.id is not None
    await feed.synchronize()
    assert [f.id async for f in api.select(Feed).where("name:examplefeed")] == [feed.id]
    await feed.delete()
    existing = await api.select(Feed).first()
    assert existing is not None
    reports = existing.reports()
    count = await reports.count()
    assert count > 0
    report = await reports.first()
    assert isinstance(report, ThreatReport)
    assert report.feed_id == existing.id
    assert await reports.set_ignored() == count
    assert all([r.is_ignored async for r in reports])


async def test_banned_hash_lifecycle(api: CbResponseAPI) -> None:
    md5 = "0123456789abcdef0123456789abcdef"
    ban = api.create(BannedHash)
    ban.md5hash = md5
    ban.text = "known bad"
    await ban.save()
    assert ban.enabled is True
    assert md5 in [b.md5hash async for b in api.select(BannedHash)]
    duplicate = api.create(BannedHash)
    duplicate.md5hash = md5
    with pytest.raises(errors.ApiError, match="already exists"):
        await duplicate.save()
    await ban.delete()
    assert (await api.get(BannedHash, md5)).enabled is False


async def test_users_and_teams(api: CbResponseAPI) -> None:
    team = api.create(Team)
    team.name = "IR"
    await team.save()
    user = api.create(User)
    user.username, user.first_name, user.last_name, user.email, user.password = (
        "jdoe",
        "J",
        "Doe",
        "j@example.com",
        "s3cret!",
    )
    user.add_team(team)
    await user.save()
    assert [t.id for t in (await api.get(User, "jdoe")).teams or []] == [team.id]
    await user.delete()
    with pytest.raises(errors.ObjectNotFoundError):
        await api.get(User, "jdoe")


async def test_storage_partitions(api: CbResponseAPI) -> None:
    partitions = {p.name: p async for p in api.select(StoragePartition)}
    assert any(p.status == "hot" for p in partitions.values())
    warm = next(p for p in partitions.values() if p.status == "warm")
    await warm.unmount()
    assert warm.status == "cold"
    await warm.mount()
    assert warm.status == "warm"


async def test_ingress_filters(api: CbResponseAPI) -> None:
    flt = api.create(IngressFilter)
    flt.name = "drop-noise"
    flt.path_filters = ["c:\\noise\\*"]
    await flt.save()
    assert flt.id is not None
    assert "drop-noise" in [f.name async for f in api.select(IngressFilter)]
    await flt.delete()
    assert "drop-noise" not in [f.name async for f in api.select(IngressFilter)]


async def test_server_settings(api: CbResponseAPI) -> None:
    assert (await api.server_info()).cblrEnabled is not None
    license_status = await api.license_status()
    assert license_status.license_valid is not None
    await api.update_platform_server_settings(
        server_url="https://platform.example", watchlist_export=True
    )
    settings = await api.platform_server_settings()
    assert settings.server_url == "https://platform.example"
    added = await api.add_approved_ips("10.1.0.0/16")
    assert added
    assert "10.1.0.0/16" in [e.ipaddr for e in await api.approved_ips()]


async def test_wrong_token(app: Any) -> None:
    async with CbResponseAPI(
        url=BASE, token="wrong", transport=httpx.ASGITransport(app=app), environ={}
    ) as api:
        with pytest.raises(errors.UnauthorizedError):
            await api.select(Process).count()


async def test_sensor_restart_flush_and_installer_file(api: CbResponseAPI, tmp_path: Path) -> None:
    sensor = await online_sensor(api)
    await sensor.restart()
    assert (await api.get(Sensor, sensor.id)).restart_queued is True
    await sensor.flush_events()
    assert (await api.get(Sensor, sensor.id)).event_log_flush_time is not None
    group = await sensor.group()
    path = await group.download_installer("linux", tmp_path / "installer.tar.gz")
    assert path.read_bytes()[:2] == b"\x1f\x8b"  # gzip
    assert [p.name async for p in anyio.Path(tmp_path).iterdir()] == ["installer.tar.gz"]


async def test_new_partition_and_updates(api: CbResponseAPI) -> None:
    before = {p.name async for p in api.select(StoragePartition)}
    message = await StoragePartition.new(api)
    assert message
    after = {p.name: p async for p in api.select(StoragePartition)}
    assert set(after) > before
    assert sum(1 for p in after.values() if p.status == "hot") == 1

    team = api.create(Team)
    team.name = "Tier 1"
    await team.save()
    team.grant(group_id=1, access="Viewer")
    await team.save()
    assert [
        (g.group_id, g.access_category) for g in (await api.get(Team, team.id)).group_access or []
    ] == [(1, "Viewer")]
    group = await api.get(SensorGroup, 1)
    team.grant(group, "Administrator")  # the group itself: its id and name
    await team.save()
    assert [
        (g.group_id, g.access_category, g.group_name)
        for g in (await api.get(Team, team.id)).group_access or []
    ] == [(1, "Administrator", group.name)]

    flt = api.create(IngressFilter)
    flt.name = "editable"
    await flt.save()
    flt.description = "changed"
    await flt.save()
    assert (await api.get(IngressFilter, flt.id)).description == "changed"


async def test_feed_action_types(api: CbResponseAPI) -> None:
    feed = await api.select(Feed).first()
    assert feed is not None
    kinds = {a.action_type for a in await feed.action_types()}
    assert {"email", "syslog", "alert"} <= kinds
    await feed.set_action("syslog", True)
    assert await feed.action_enabled("syslog") is True
    await feed.set_action("syslog", False)
    assert await feed.action_enabled("syslog") is False
