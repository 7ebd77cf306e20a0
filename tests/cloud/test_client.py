"""CBCloudAPI itself: credentials, the seeds' names, path defaults, the cloud's error dialect,
and the shared query bases (search state, body, job identity, offset paging)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import anyio
import anyio.lowlevel
import httpx
import pytest
import respx
from typing_extensions import Self

from cbasync import CBCloudAPI, CredentialError, errors
from cbasync._jobs import JobProgress
from cbasync._pagination import Page
from cbasync.cloud import (
    CbDefenseAPI,
    CbLiveQueryAPI,
    CbPSCBaseAPI,
    CbThreatHunterAPI,
    JobQuery,
    SearchQuery,
)
from cbasync.cloud._model import CloudModel
from tests.clients import BASE, ORG_KEY, respx_client

pytestmark = pytest.mark.anyio


class Thing(CloudModel):
    id: int | None = None
    name: str | None = None
    item_route: ClassVar[str | None] = "/things/v1/orgs/{org_key}/things/{id}"

    @classmethod
    def _new_query(cls, api: Any) -> ThingQuery[Self]:
        return ThingQuery(api, cls)


class ThingQuery(SearchQuery[Any]):
    start_base = 1

    def _search_route(self) -> str:
        return "/things/v1/orgs/{org_key}/things/_search"


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def test_org_key_is_required_and_named_with_the_profile(tmp_path: Path) -> None:
    credentials = tmp_path / "credentials.cbc"
    credentials.write_text("[prod]\nurl = https://defense.example\ntoken = ABC/DEF\n")
    credentials.chmod(0o600)
    with pytest.raises(CredentialError, match=r"org_key") as info:
        CBCloudAPI(profile="prod", credential_file=credentials, environ={})
    assert "prod" in str(info.value)


def test_the_seeds_names_are_the_same_client() -> None:
    assert CbThreatHunterAPI is CbLiveQueryAPI is CbPSCBaseAPI is CbDefenseAPI is CBCloudAPI
    api = respx_client(CbThreatHunterAPI)
    assert api.org_key == ORG_KEY
    assert api.path_defaults == {"org_key": ORG_KEY}
    with pytest.raises(ValueError, match="capacity"):
        respx_client(CBCloudAPI, max_concurrent_jobs=0)


async def test_org_key_fills_every_route(mock: respx.MockRouter) -> None:
    route = mock.get(f"/things/v1/orgs/{ORG_KEY}/things/3").respond(json={"id": 3, "name": "x"})
    async with respx_client(CBCloudAPI) as api:
        thing = await api.get(Thing, 3)
    assert thing.name == "x"
    assert route.called


async def test_the_clouds_error_dialect(mock: respx.MockRouter) -> None:
    mock.post("/integrationServices/v3/device/1").respond(
        200, json={"success": False, "message": "Device not found"}
    )
    mock.post("/things/bad").respond(
        400, json={"error_code": "INVALID_QUERY", "message": "unexpected token"}
    )
    mock.post("/lr").respond(403, json={"message": "Session limit reached"})
    mock.post("/other-400").respond(400, json={"error_code": "INVALID_ENUM_VALUE"})
    async with respx_client(CBCloudAPI) as api:
        with pytest.raises(errors.ServerError, match="Device not found"):
            await api.post_object("/integrationServices/v3/device/1", {})
        with pytest.raises(errors.QuerySyntaxError, match="unexpected token"):
            await api.post_object("/things/bad", {})
        with pytest.raises(errors.SessionLimitError):
            await api.post_object("/lr", {})
        with pytest.raises(errors.ClientError) as info:
            await api.post_object("/other-400", {})
        assert type(info.value) is errors.ClientError


def test_the_search_state_renders_one_body() -> None:
    api = respx_client(CBCloudAPI)
    query = (
        api.select(Thing)
        .where("name:alpha")
        .where("name:beta OR name:gamma")
        .criteria(os=["WINDOWS"], status="ACTIVE")
        .add_criteria("os", ["MAC", "WINDOWS"])
        .add_exclusions("sensor_version", ["1.0"])
        .time_range(window="-2w")
        .sort_by("last_contact_time", "desc")
        .set_fields("*", "device_name")
    )
    assert query.search_body() == {
        "query": "name:alpha (name:beta OR name:gamma)",
        "criteria": {"os": ["WINDOWS", "MAC"], "status": ["ACTIVE"]},
        "exclusions": {"sensor_version": ["1.0"]},
        "time_range": {"range": "-2w"},
        "sort": [{"field": "last_contact_time", "order": "DESC"}],
        "fields": ["*", "device_name"],
    }
    with pytest.raises(ValueError, match="not both"):
        query.time_range(window="-1d", start="2024-01-01T00:00:00Z")
    with pytest.raises(ValueError, match="ASC or DESC"):
        query.sort_by("x", "sideways")


async def test_a_search_query_pages_with_its_start_base(mock: respx.MockRouter) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        start, rows = body["start"] - 1, body["rows"]
        rows_out = [{"id": i, "name": f"t{i}"} for i in range(start, min(start + rows, 250))]
        return httpx.Response(200, json={"results": rows_out, "num_found": 250})

    route = mock.post(f"/things/v1/orgs/{ORG_KEY}/things/_search").mock(side_effect=answer)
    async with respx_client(CBCloudAPI) as api:
        query = api.select(Thing).criteria(os="LINUX").batch_size(100)
        assert await query.count() == 250
        assert [t.id async for t in query] == list(range(250))
        assert [t.id async for t in query[120:123]] == [120, 121, 122]
    first = json.loads(route.calls[1].request.content)
    assert first == {"criteria": {"os": ["LINUX"]}, "start": 1, "rows": 100}


class FakeJobs:
    """A job backend on a fake server: every job finds `found`, hands out `available`."""

    what = "thing search"

    def __init__(self, found: int = 40, available: int = 30) -> None:
        self.found = found
        self.available = available
        self.submitted: list[dict[str, Any]] = []

    def for_query(self, query: JobThingQuery) -> Backend:
        return Backend(self, query.search_body())


class Backend:
    def __init__(self, server: FakeJobs, body: dict[str, Any]) -> None:
        self.server = server
        self.body = body
        self.what = server.what

    async def submit(self) -> str:
        self.server.submitted.append(self.body)
        await anyio.lowlevel.checkpoint()
        return f"job-{len(self.server.submitted)}"

    async def progress(self, job_id: str) -> JobProgress:
        return JobProgress(
            contacted=2,
            completed=2,
            num_found=self.server.found,
            num_available=self.server.available,
        )

    async def page(self, job_id: str, start: int, rows: int) -> Page[Any]:
        end = min(start + rows, self.server.available)
        items = [JobThing(id=i) for i in range(start, end)]
        return Page(items, self.server.available, start)

    async def stop(self, job_id: str) -> None:
        pass


SERVER = FakeJobs()


class JobThing(CloudModel):
    id: int | None = None

    @classmethod
    def _new_query(cls, api: Any) -> JobThingQuery:
        return JobThingQuery(api, cls)


class JobThingQuery(JobQuery[Any]):
    def _job_backend(self) -> Backend:
        return SERVER.for_query(self)


async def test_a_job_query_runs_one_job_per_search_state(caplog: pytest.LogCaptureFixture) -> None:
    SERVER.submitted.clear()
    async with respx_client(CBCloudAPI) as api:
        query = api.select(JobThing).where("process_name:cmd.exe").time_range(window="-1d")
        assert (await query.wait()).num_found == 40
        assert await query.count() == 30
        assert [t.id async for t in query.batch_size(7)] == list(range(30))
        assert [t.id async for t in query[10:12]] == [10, 11]
        assert (await query.first()) is not None
        assert len(SERVER.submitted) == 1  # slices, page sizes, first(): the same job
        await query.where("device_name:x").count()
        await query.criteria(device_os=["WINDOWS"]).count()
        assert len(SERVER.submitted) == 3  # another search, another job
    assert SERVER.submitted[0] == {
        "query": "process_name:cmd.exe",
        "time_range": {"window": "-1d"},
    }
    assert "40 match but the server hands out only 30" in caplog.text
