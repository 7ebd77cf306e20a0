"""What a cbapi user does by habit, answered with a clear error or the cbapi behaviour.

Each error's message is asserted: it must name the async form or the method to call instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from cbasync import errors
from cbasync.response import (
    Alert,
    Binary,
    CbResponseAPI,
    Feed,
    Process,
    Sensor,
    User,
    Watchlist,
)
from cbasync.testing import EmulatorConfig, create_app
from tests.clients import emulator_client

pytestmark = pytest.mark.anyio

BASE = "https://cbserver.emulator"


@pytest.fixture
def app() -> Any:
    return create_app(EmulatorConfig(seed=5, processes=800, devices=8, alerts=50))


@pytest.fixture
async def api(app: Any) -> AsyncIterator[CbResponseAPI]:
    async with emulator_client(app, CbResponseAPI) as client:
        yield client


# -- synchronous habits on async queries --------------------------------------------------------


async def test_sync_iteration_len_and_index_name_the_async_form(api: CbResponseAPI) -> None:
    query: Any = api.select(Process).where("process_name:cmd.exe")
    with pytest.raises(TypeError, match=r"use `async for item in query`"):
        for _ in query:
            pass
    with pytest.raises(TypeError, match=r"`async for item in query`"):
        list(query)
    with pytest.raises(TypeError, match=r"`await query\.count\(\)`"):
        len(query)
    with pytest.raises(TypeError, match=r"`await query\.first\(\)`"):
        query[0]


async def test_a_join_used_as_an_attribute_names_the_await(api: CbResponseAPI) -> None:
    proc = await api.select(Process).first()
    assert proc is not None
    join: Any = proc.sensor
    with pytest.raises(
        AttributeError, match=r"Process\.sensor is a join.*\(await obj\.sensor\(\)\)\.group"
    ):
        _ = join.group
    assert "await it" in repr(join)
    with pytest.raises(TypeError, match=r"call it, `await obj\.sensor\(\)`"):
        await join
    sensor = await proc.sensor()  # the join itself still works
    assert isinstance(sensor, Sensor)
    assert sensor.id == proc.sensor_id
    assert (await sensor.group()).id == sensor.group_id


# -- no silent writes ---------------------------------------------------------------------------


async def test_setting_a_join_or_unknown_field_raises_with_its_name(api: CbResponseAPI) -> None:
    sensor = await api.select(Sensor).first()
    assert sensor is not None
    group = await sensor.group()
    obj: Any = sensor
    with pytest.raises(
        AttributeError, match=r"Sensor\.group cannot be set: use `await sensor\.set_group\(group\)`"
    ):
        obj.group = group
    with pytest.raises(AttributeError, match=r"Sensor has no field 'hostnme'"):
        obj.hostnme = "x"
    with pytest.raises(AttributeError, match=r"did you mean 'computer_name'"):
        obj.computer_nme = "x"
    with pytest.raises(
        AttributeError,
        match=r"Sensor\.os_type cannot be changed through the API; these can: .*group_id",
    ):
        sensor.os_type = 1
    assert not sensor.is_dirty()
    sensor.notes = "triage"  # a settable field is fine
    assert sensor.dirty_fields() == {"notes": "+"}


async def test_read_only_models_refuse_writes(api: CbResponseAPI) -> None:
    proc = await api.select(Process).first()
    assert proc is not None
    with pytest.raises(
        AttributeError,
        match=r"Process\.hostname cannot be changed: the API does not update Process objects",
    ):
        proc.hostname = "elsewhere"
    alert = await api.select(Alert).first()
    assert alert is not None
    with pytest.raises(
        AttributeError,
        match=r"Alert\.alert_severity cannot be changed through the API; these can: assigned_to, status",
    ):
        alert.alert_severity = 99
    with pytest.raises(AttributeError, match=r"Process\.parent is a join; it cannot be set"):
        proc.__setattr__("parent", None)


async def test_save_of_an_object_never_fetched_says_so(api: CbResponseAPI, app: Any) -> None:
    watchlist = api.select(Watchlist, 1)
    before = app.counters.requests()
    with pytest.raises(
        errors.InvalidObjectError, match=r"Watchlist\(1\) was never fetched: await \.refresh\(\)"
    ):
        await watchlist.save()
    assert app.counters.requests() == before
    # Setting a field first does not hide it (the object still knows nothing of the server's).
    watchlist.name = "renamed"
    with pytest.raises(errors.InvalidObjectError, match=r"Watchlist\(1\) was never fetched"):
        await watchlist.save()
    assert app.counters.requests() == before


# -- facets, events, raw requests, secrets ------------------------------------------------------


async def test_facet_entries_read_as_attributes_and_items(api: CbResponseAPI) -> None:
    facets = await api.select(Process).facets("process_name")
    entry = facets["process_name"][0]
    assert entry["name"] == entry.name
    assert entry["ratio"] == entry.ratio
    assert entry["percent"] == entry.percent
    assert dict(entry)["value"] == entry.value
    with pytest.raises(KeyError):
        entry["no-such-key"]


async def test_process_events_dump_like_models(api: CbResponseAPI) -> None:
    proc = await api.select(Process).where("modload_count:[1 TO *]").first()
    assert proc is not None
    events = await proc.events()
    modload = events.modloads[0]
    dumped = modload.model_dump()
    assert dumped["kind"] == "modload"
    assert dumped["md5"] == modload.md5
    assert dumped["timestamp"] == modload.timestamp
    assert json.loads(json.dumps(modload.model_dump(mode="json")))["timestamp"] == (
        modload.timestamp.isoformat()
    )


async def test_raw_requests_go_through_the_request_path(app: Any) -> None:
    transport = httpx.ASGITransport(app=app)
    async with CbResponseAPI(
        url=BASE, token=app.config.token, transport=transport, environ={}
    ) as api:
        info = await api.get_object("/api/info")
        assert info["version"] == (await api.server_info()).version
        sensor = await api.get_object("/api/v1/sensor/{id}", path_params={"id": 1})
        assert sensor["id"] == 1
        response = await api.request("GET", "/api/v1/sensor/{id}", path_params={"id": 1})
        assert response.status == 200
        assert response.route == "/api/v1/sensor/{id}"
        created = await api.post_object(
            "/api/v1/watchlist",
            {
                "name": "raw",
                "search_query": "q=process_name%3Acmd.exe&cb.urlver=1",
                "index_type": "events",
            },
        )
        assert await api.put_object(
            "/api/v1/watchlist/{id}",
            {"name": "raw2", "search_query": "q=a&cb.urlver=1"},
            path_params={"id": created["id"]},
        )
        assert (await api.get(Watchlist, created["id"])).name == "raw2"
        await api.delete_object("/api/v1/watchlist/{id}", path_params={"id": created["id"]})
        with pytest.raises(errors.ObjectNotFoundError) as info_404:
            await api.get_object("/api/v1/watchlist/{id}", path_params={"id": created["id"]})
        assert info_404.value.route == "/api/v1/watchlist/{id}"


async def test_raw_request_is_retried_by_the_policy() -> None:
    with respx.mock(base_url="https://cb.example") as mock:
        route = mock.get("/api/v1/thing").mock(
            side_effect=[httpx.Response(503), httpx.Response(200, json={"ok": True})]
        )
        from cbasync._retry import RetryPolicy

        async with CbResponseAPI(
            url="https://cb.example",
            token="t" * 40,
            environ={},
            retry_policy=RetryPolicy(backoff_base=0.0),
        ) as api:
            assert await api.get_object("/api/v1/thing") == {"ok": True}
        assert route.call_count == 2
        assert route.calls.last.request.headers["X-Auth-Token"] == "t" * 40


async def test_credentials_in_server_data_are_masked() -> None:
    token = "c0ffee" * 6
    user = User.model_validate({"username": "ann", "auth_token": token, "password": "hunter2"})
    feed = Feed.model_validate({"id": 3, "password": "s3cret", "ssl_client_key": "KEYDATA"})
    for text in (repr(user), str(user), repr(feed), str(feed), repr(user.__repr_args__())):
        assert token not in text
        assert "hunter2" not in text
        assert "s3cret" not in text
        assert "KEYDATA" not in text
    assert "**********" in str(user)
    # The data itself is intact: saving a feed sends its password.
    assert user.model_dump()["auth_token"] == token
    assert feed.model_dump()["password"] == "s3cret"


# -- cbapi semantics ---------------------------------------------------------------------------


async def test_list_queries_compare_exactly_with_literal_brackets(api: CbResponseAPI) -> None:
    name = "[WARN] Attempts to mount internal share"
    created = await api.select(Process).where("process_name:net.exe").create_watchlist(name)
    other = (
        await api.select(Process).where("process_name:cmd.exe").create_watchlist(f"{name} (copy)")
    )
    found = await api.select(Watchlist).where(f"name:{name}").one()
    assert found.id == created.id
    # Quoted, wildcards, and case-sensitive as cbapi compared it.
    assert (await api.select(Watchlist).where(f'name:"{name}"').one()).id == created.id
    ids = {w.id async for w in api.select(Watchlist).where("name:[WARN] Attempts*")}
    assert ids == {created.id, other.id}
    assert await api.select(Watchlist).where(f"name:{name.lower()}").count() == 0
    assert await api.select(Watchlist).where("enabled:true").where(f"name:{name}").count() == 1
    with pytest.raises(errors.QuerySyntaxError, match="one field:value per where"):
        await api.select(Watchlist).where("just words").count()


async def test_binary_query_facets_type_check_and_run(api: CbResponseAPI) -> None:
    facets = await api.select(Binary).facets("digsig_result")
    assert all(re.fullmatch(r"\d+(\.\d+)?", str(e["ratio"])) for e in facets["digsig_result"])
