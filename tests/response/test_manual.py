"""The cbapi manual's section 4.5 ("CB Response API Examples"), written with ``await``.

Each test follows one subsection against the emulator and checks the result the manual shows:
the same calls, the same objects, the same answers — with expected values read from the
emulator itself (a plain httpx request, or its counters), not from constants.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import httpx
import pytest

from cbasync import errors
from cbasync.response import (
    Alert,
    BannedHash,
    Binary,
    CbResponseAPI,
    Feed,
    Process,
    Sensor,
    ThreatReport,
    Watchlist,
)
from cbasync.testing import EmulatorConfig, create_app
from tests.clients import emulator_client

pytestmark = pytest.mark.anyio

BASE = "https://cbserver.emulator"
#: The manual's behavioural IOC: net.exe mounting an internal share.
NET_USE = ("process_name:net.exe", r"cmdline:\\test\blah")


@pytest.fixture
def app() -> Any:
    return create_app(
        EmulatorConfig(seed=5, processes=3_000, devices=20, alerts=300, isolation_delay=0.02)
    )


@pytest.fixture
async def cb(app: Any) -> AsyncIterator[CbResponseAPI]:
    async with emulator_client(app, CbResponseAPI) as api:
        yield api


@pytest.fixture
async def raw(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=BASE,
        headers={"X-Auth-Token": app.config.token},
    ) as client:
        yield client


async def test_4_5_1_download_a_binary(cb: CbResponseAPI) -> None:
    found = await cb.select(Binary).where("digsig_result:Signed").first()
    assert found is not None
    binary = cb.select(Binary, found.md5)  # select by primary key: no request yet
    async with aclosing(binary.download(unzip=True)) as chunks:
        first = await anext(chunks)
    assert first[:2] == b"MZ"


async def test_4_5_2_ban_a_binary(cb: CbResponseAPI) -> None:
    binary = await cb.select(Binary).first()
    assert binary is not None
    bh = cb.create(BannedHash)
    bh.md5hash = binary.md5
    bh.text = "Banned from API"
    bh.enabled = True
    await bh.save()
    assert (await cb.get(BannedHash, binary.md5)).text == "Banned from API"
    # "if the hash is already banned ... you will receive a ServerError"
    again = cb.create(BannedHash)
    again.md5hash = binary.md5
    again.text = "twice"
    with pytest.raises(errors.ApiError, match="already"):
        await again.save()


async def test_4_5_3_isolate_a_sensor(cb: CbResponseAPI) -> None:
    any_sensor = await cb.select(Sensor).first()
    assert any_sensor is not None
    sensor = await cb.select(Sensor).where(f"hostname:{any_sensor.computer_name}").first()
    assert sensor is not None
    assert sensor.id == any_sensor.id
    assert await sensor.isolate(max_wait=10, poll_interval=0.01) is sensor
    assert sensor.is_isolating
    assert sensor.network_isolation_enabled
    assert await sensor.unisolate(max_wait=10, poll_interval=0.01) is sensor
    assert not sensor.network_isolation_enabled


async def test_4_5_4_processes_and_their_parents(
    cb: CbResponseAPI, raw: httpx.AsyncClient, app: Any
) -> None:
    query = cb.select(Process).where(NET_USE[0]).and_(NET_USE[1]).group_by("id")
    lines: list[str] = []

    def print_details(proc: Process, depth: int) -> None:
        lines.append(f"{' ' * depth}{proc.start}: {proc.username} ran {proc.cmdline}")

    chains: list[list[str]] = []
    async for proc in query:
        print_details(proc, 0)
        assert proc.process_name == "net.exe"
        assert "\\\\test\\blah" in (proc.cmdline or "")
        chain = []
        async for parent in proc.walk_parents():
            print_details(parent, parent.depth)
            chain.append(parent.process_name)
        chains.append(chain)
    expected = await raw.get(
        "/api/v1/process",
        params={"q": " ".join(NET_USE), "cb.group": "id", "rows": 0, "cb.urlver": 1},
    )
    assert len(chains) == expected.json()["total_results"] > 1
    assert all(chain and chain[0] == "cmd.exe" for chain in chains)  # net.exe ran from a shell
    assert len(lines) == len(chains) + sum(map(len, chains))

    # Walking the same parents again is served from the cache: no summary of a parent is
    # fetched again. (Only the root's absent parent is asked once more: a 404 is not cached.)
    first = await query.first()
    assert first is not None
    summary = ("GET /api/v1/process/{process_id}/{segment_id:int}", 200)
    before = app.counters.by_route[summary]
    assert [p.process_name async for p in first.walk_parents()] == chains[0]
    assert app.counters.by_route[summary] == before


async def test_4_5_4_group_by_and_time_restrictions(cb: CbResponseAPI) -> None:
    cmd = cb.select(Process).where("process_name:cmd.exe")
    segments = [(p.id, p.segment) async for p in cmd]
    grouped = [p.id async for p in cmd.group_by("id")]
    assert len(grouped) == len(set(grouped)) == len({guid for guid, _ in segments})
    newest = max([p.last_update async for p in cmd if p.last_update is not None])
    since = newest - datetime.timedelta(days=1)
    recent = [p async for p in cmd.min_last_update(since).group_by("id")]
    assert recent
    assert all(p.last_update is not None and p.last_update >= since for p in recent)


async def test_4_5_5_feed_and_watchlist_maintenance(cb: CbResponseAPI) -> None:
    query = cb.select(Process).where(NET_USE[0]).and_(NET_USE[1]).group_by("id")
    new_watchlist = await query.create_watchlist("[WARN] Attempts to mount internal share")
    my_watchlist = (
        await cb.select(Watchlist).where("name:[WARN] Attempts to mount internal share").one()
    )
    assert my_watchlist.id == new_watchlist.id
    assert my_watchlist.query == r"process_name:net.exe cmdline:\\test\blah"
    # len(my_watchlist.search()) in cbapi
    assert (
        await my_watchlist.search().count()
        == await cb.select(Process).where(NET_USE[0]).and_(NET_USE[1]).count()
    )
    my_watchlist.enabled = False
    await my_watchlist.save()
    assert (await cb.get(Watchlist, my_watchlist.id)).enabled is False


async def test_4_5_6_threat_reports_and_alerts_in_bulk(cb: CbResponseAPI) -> None:
    feed = await cb.select(Feed).where("name:SOC").one()
    reports = feed.reports()
    title = next(iter([r.title async for r in reports if r.title]))
    word = title.split()[0]
    report_query = feed.reports().where(f"title:{word}")
    matching = await report_query.count()
    assert matching >= 1
    assert await report_query.set_ignored() == matching
    assert all([r.is_ignored async for r in report_query])
    assert await cb.select(ThreatReport).where(f"feed_id:{feed.id}").count() >= matching

    alerts = cb.select(Alert).where("status:Unresolved")
    some = await alerts.count()
    assert await alerts[:5].assign_to("analyst") == 5
    assert await alerts.change_status("False Positive") == some - 5
    assert await cb.select(Alert).where("status:Unresolved").count() == 0


async def test_4_5_7_joining_everything_together(cb: CbResponseAPI) -> None:
    query = cb.select(Process).where(NET_USE[0]).and_(NET_USE[1]).group_by("id")
    printed = 0
    async for proc in query:
        sensor = await proc.sensor()
        group = await sensor.group()
        assert (proc.hostname or "").lower() == (sensor.computer_name or "").lower()
        assert group.name
        binary = await proc.binary()
        assert binary.md5.upper() == (proc.process_md5 or "").upper()
        if binary.is_signed:
            signing = binary.signing_data
            assert signing.publisher
            assert signing.sign_time is not None
            assert proc.start is not None
            assert (proc.start - signing.sign_time).days >= 0
        printed += 1
    assert printed > 1


async def test_4_5_8_facets(cb: CbResponseAPI, raw: httpx.AsyncClient) -> None:
    proc = await cb.select(Process).where("process_name:net.exe").first()
    assert proc is not None
    assert proc.username
    user = proc.username.split("\\")[-1]
    facet_query = cb.select(Process).where(f"hostname:{proc.hostname}").and_(f"username:{user}")
    histogram = [
        f"{entry['name'][:15]:>15}: {entry['ratio']:>5}% {'#' * (int(entry['percent']) // 2)}"
        for entry in (await facet_query.facets("process_name"))["process_name"]
    ]
    answer = await raw.get(
        "/api/v1/process",
        params={
            "q": f"hostname:{proc.hostname} username:{user}",
            "rows": 0,
            "facet": "true",
            "facet.field": "process_name",
            "cb.urlver": 1,
        },
    )
    names = [entry["name"] for entry in answer.json()["facets"]["process_name"]]
    assert [line.split(":")[0].strip() for line in histogram] == [name[:15] for name in names]
