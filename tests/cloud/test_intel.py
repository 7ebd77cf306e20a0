"""Threat intelligence end to end: feeds and their reports, watchlist reports, IOCs, ignores,
custom severities, watchlists (create, update, subscribe, switches, delete), query validation
and translation; and the bodies the writes send."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx

from cbasync import errors
from cbasync.cloud import IOC, CBCloudAPI, Feed, Report, Watchlist
from cbasync.cloud.intel import translate_query, validate_query
from cbasync.testing import EmulatorConfig, create_app
from tests.clients import BASE, ORG_KEY, emulator_client, respx_client

pytestmark = pytest.mark.anyio

FEEDS = f"/threathunter/feedmgr/v2/orgs/{ORG_KEY}/feeds"
REPORTS = f"/threathunter/watchlistmgr/v3/orgs/{ORG_KEY}/reports"


@pytest.fixture
def app() -> Any:
    return create_app(
        EmulatorConfig(seed=8, devices=10, processes=200),
        modules=("cloud_common", "cloud_investigate", "cloud_threatintel"),
    )


@pytest.fixture
async def api(app: Any) -> AsyncIterator[CBCloudAPI]:
    async with emulator_client(app, CBCloudAPI) as client:
        yield client


@pytest.fixture
async def raw(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://cbserver.emulator",
        headers={"X-Auth-Token": app.config.token},
    ) as client:
        yield client


def _report(api: CBCloudAPI, title: str, *iocs: IOC, severity: int = 6) -> Report:
    report = api.create(Report)
    report.title = title
    report.description = f"{title}, described"
    report.severity = severity
    report.iocs_v2 = list(iocs)
    return report


async def test_feeds_are_created_updated_given_reports_and_deleted(
    api: CBCloudAPI, raw: httpx.AsyncClient
) -> None:
    org = api.org_key
    private = [f.id async for f in api.select(Feed)]
    everything = [f async for f in api.select(Feed).include_public()]
    truth = (
        await raw.get(
            f"/threathunter/feedmgr/v2/orgs/{org}/feeds", params={"include_public": "true"}
        )
    ).json()
    assert [f.id for f in everything] == [f["id"] for f in truth["results"]]
    assert len(private) < len(everything)

    feed = api.create(Feed)
    with pytest.raises(errors.InvalidObjectError, match="provider_url"):
        await feed.save()
    feed.name = "SOC indicators"
    feed.provider_url = "https://soc.example.com"
    feed.summary = "What the SOC saw"
    feed.category = "Internal"
    await feed.save()
    assert feed.id
    assert feed.access == "private"
    assert feed.is_loaded
    await feed.update(summary="What the SOC saw this week")
    assert (await api.get(Feed, feed.id)).summary == "What the SOC saw this week"

    first = _report(api, "Bad tool", IOC.create_equality("i1", "process_name", "bad.exe"))
    first.id = "r1"
    first.timestamp = 1_714_000_000
    await feed.replace_reports([first])
    second = _report(api, "Worse tool", IOC.create_query("i2", "process_name:worse.exe"))
    second.id = "r2"
    await feed.append_reports([second])
    reports = await feed.reports()
    assert [(r.id, r.feed_id) for r in reports] == [("r1", feed.id), ("r2", feed.id)]
    assert reports[1].iocs_v2 is not None
    assert reports[1].iocs_v2[0].values == ["process_name:worse.exe"]
    await reports[0].update(title="Bad tool, revised")
    assert [r.title for r in await feed.reports()] == ["Bad tool, revised", "Worse tool"]
    await reports[1].delete()
    assert [r.id for r in await feed.reports()] == ["r1"]

    await feed.delete()
    with pytest.raises(errors.ObjectNotFoundError):
        await api.get(Feed, feed.id)


async def test_reports_ignores_iocs_and_custom_severity(api: CBCloudAPI) -> None:
    watchlist_report = _report(
        api, "Encoded PowerShell", IOC.create_query("q1", "process_cmdline:-enc"), severity=7
    )
    await watchlist_report.save_watchlist()
    assert watchlist_report.id
    assert watchlist_report.feed_id is None
    fetched = await api.get(Report, watchlist_report.id)
    assert fetched.title == "Encoded PowerShell"
    assert await fetched.ignored() is False
    await fetched.ignore()
    assert await fetched.ignored() is True
    await fetched.unignore()
    assert await fetched.ignored() is False
    assert fetched.iocs_v2 is not None
    ioc = fetched.iocs_v2[0]
    await ioc.ignore()
    assert await ioc.ignored() is True
    await ioc.unignore()
    assert await ioc.ignored() is False
    with pytest.raises(errors.InvalidObjectError, match="no custom severity"):
        await fetched.custom_severity()
    await fetched.update(severity=9)
    assert (await api.get(Report, fetched.id)).severity == 9

    feed = next(f for f in await api.select(Feed).include_public().all() if f.access == "public")
    feed_report = (await feed.reports())[0]
    # Ignored as <feed_id>-<report_id>, its severity addressed by its bare id.
    await feed_report.ignore()
    assert await feed_report.ignored() is True
    assert (await feed_report.custom_severity()).severity == feed_report.severity
    changed = await feed_report.set_custom_severity(2)
    assert changed is not None
    assert (changed.report_id, changed.severity) == (feed_report.id, 2)
    assert await Report.custom_severities(api) == [changed]
    assert await feed_report.set_custom_severity(None) is None
    assert await Report.custom_severities(api) == []
    with pytest.raises(ValueError, match="1 to 10"):
        await feed_report.set_custom_severity(0)


async def test_a_report_is_checked_before_it_is_sent(api: CBCloudAPI) -> None:
    broken = _report(api, "Broken", IOC.create_query("q1", "process_name:(cmd.exe"))
    with pytest.raises(errors.QuerySyntaxError, match="IOC q1"):
        await broken.save_watchlist()
    no_field = _report(api, "No field", IOC(id="e1", match_type="equality", values=["x"]))
    with pytest.raises(errors.InvalidObjectError, match="needs a field"):
        await no_field.save_watchlist()
    nothing = _report(api, "Nothing")
    with pytest.raises(errors.InvalidObjectError, match="iocs_v2"):
        await nothing.save_watchlist()
    assert (await validate_query(api, "process_name:cmd.exe")).valid is True
    verdict = await validate_query(api, "process_name:(cmd.exe")
    assert verdict.valid is False
    assert await translate_query(api, "md5:abc AND hostname:web1") == (
        "process_hash:abc AND device_name:web1"
    )


async def test_watchlists_list_create_subscribe_switch_and_delete(api: CBCloudAPI) -> None:
    seeded = [w async for w in api.select(Watchlist)]
    listing = next(w for w in seeded if w.report_ids)
    following = next(w for w in seeded if w.classifier)
    # A watchlist's reports, each fetched by the id the watchlist lists.
    reports = await listing.reports()
    assert [r.id for r in reports] == listing.report_ids
    assert all(r.iocs_v2 for r in reports)
    followed = await following.feed()
    assert followed.id == (following.classifier.value if following.classifier else None)
    with pytest.raises(errors.InvalidObjectError, match="does not follow a feed"):
        await listing.feed()

    own = _report(api, "Mine", IOC.create_equality("m1", "process_name", "mine.exe"))
    await own.save_watchlist()
    watchlist = api.create(Watchlist)
    watchlist.name = "Triage"
    watchlist.description = "what to look at first"
    watchlist.report_ids = [own.id or ""]
    await watchlist.save()
    assert watchlist.id
    assert watchlist.alerts_enabled is False
    await watchlist.enable_alerts()
    await watchlist.disable_tags()
    fresh = await api.get(Watchlist, watchlist.id)
    assert (fresh.alerts_enabled, fresh.tags_enabled) == (True, False)
    extra = (await followed.reports())[0]
    await fresh.add_reports([extra])
    assert fresh.report_ids == [own.id, f"{followed.id}-{extra.id}"]
    assert [r.title for r in await fresh.reports()] == [own.title, extra.title]

    subscription = await followed.subscribe(name="Follow it", enable_alerts=True)
    assert subscription.classifier is not None
    assert (subscription.classifier.key, subscription.classifier.value) == ("feed_id", followed.id)
    assert subscription.alerts_enabled is True
    assert {w.id async for w in api.select(Watchlist)} >= {watchlist.id, subscription.id}
    await subscription.delete()
    await fresh.delete()
    with pytest.raises(errors.ObjectNotFoundError):
        await api.get(Watchlist, fresh.id)


# -- the wire ------------------------------------------------------------------------------------


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


async def test_feed_writes_send_the_documented_bodies(mock: respx.MockRouter) -> None:
    info = {
        "id": "f1",
        "name": "n",
        "provider_url": "https://p.example",
        "summary": "s",
        "category": "c",
    }
    created = mock.post(f"{FEEDS}/public").respond(json={**info, "access": "public"})
    mock.get(f"{FEEDS}/f1").respond(json={"feedinfo": {**info, "access": "public"}, "reports": []})
    replaced = mock.post(f"{FEEDS}/f1/reports").respond(json={"success": True})
    mock.get(f"{FEEDS}/f1/reports").respond(json={"results": []})
    async with respx_client(CBCloudAPI) as api:
        feed = api.create(Feed)
        feed.name, feed.provider_url, feed.summary, feed.category = (
            "n",
            "https://p.example",
            "s",
            "c",
        )
        await feed.save(public=True)
        report = _report(api, "t", IOC.create_regex("x1", "process_name", "ev.l\\.exe"))
        report.id = "r1"
        report.timestamp = 1
        await feed.append_reports([report])
    assert json.loads(created.calls[0].request.content) == {
        "feedinfo": {
            "name": "n",
            "provider_url": "https://p.example",
            "summary": "s",
            "category": "c",
        },
        "reports": [],
    }
    assert json.loads(replaced.calls[0].request.content) == {
        "reports": [
            {
                "id": "r1",
                "timestamp": 1,
                "title": "t",
                "description": "t, described",
                "severity": 6,
                "iocs_v2": [
                    {
                        "id": "x1",
                        "match_type": "regex",
                        "values": ["ev.l\\.exe"],
                        "field": "process_name",
                    }
                ],
            }
        ]
    }
