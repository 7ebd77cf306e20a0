"""The exact requests the App Control client sends (respx), as wire §9 and cbapi document them:
query strings, paging, bodies, the computer's PUT flags, and how answers map onto errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import anyio
import httpx
import pytest
import respx

from cbasync import errors
from cbasync.protection import (
    AppTemplate,
    CbProtectionAPI,
    Computer,
    FileInstance,
    FileRule,
    FileState,
    FileUpload,
    Policy,
)
from tests.clients import BASE, respx_client

pytestmark = pytest.mark.anyio

V1 = "/api/bit9platform/v1"


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


def params_of(request: httpx.Request) -> list[tuple[str, str]]:
    return parse_qsl(request.url.query.decode(), keep_blank_values=True)


def body_of(request: httpx.Request) -> Any:
    return json.loads(request.content)


def computer(i: int, **fields: Any) -> dict[str, Any]:
    return {"id": i, "name": f"ACME\\HOST-{i}", "policyId": 1, "policyName": "Default", **fields}


def table(total: int) -> Any:
    """A server with ``total`` computers that answers counts, pages and groups as App Control
    does (a plain array; ``limit=-1`` answers ``{"count": N}``)."""

    def answer(request: httpx.Request) -> httpx.Response:
        query = dict(params_of(request))
        limit = int(query.get("limit", 1000))
        if limit == -1:
            return httpx.Response(200, json={"count": total})
        if "group" in query:
            return httpx.Response(200, json=[{"value": 1, "count": total}])
        offset = int(query.get("offset", 0))
        return httpx.Response(
            200, json=[computer(i) for i in range(offset + 1, min(offset + limit, total) + 1)]
        )

    return answer


# -- searching -----------------------------------------------------------------------------------


async def test_conditions_sort_and_thousand_row_pages(mock: respx.MockRouter) -> None:
    route = mock.get(f"{V1}/computer").mock(side_effect=table(2_500))
    async with respx_client(CbProtectionAPI) as api:
        query = (
            api.select(Computer)
            .where("ipAddress:fe00*|ff00*")
            .where("computerTag!")
            .where("dateCreated>-10h")
            .sort("name desc")
        )
        ids = [c.id async for c in query]
    assert ids == list(range(1, 2_501))
    calls = [params_of(call.request) for call in route.calls]
    conditions = [("q", "ipAddress:fe00*|ff00*"), ("q", "computerTag!"), ("q", "dateCreated>-10h")]
    # The count and the first page go together; then the other pages, 1,000 rows at most
    # (the last one asks for what the count says is left).
    assert [*conditions, ("limit", "-1")] in calls
    pages = sorted(
        (c for c in calls if ("limit", "-1") not in c), key=lambda c: int(dict(c)["offset"])
    )
    assert pages == [
        [*conditions, ("sort", "name DESC"), ("offset", str(offset)), ("limit", str(limit))]
        for offset, limit in ((0, 1000), (1000, 1000), (2000, 500))
    ]
    assert len(calls) == 4


async def test_pages_after_the_first_are_fetched_concurrently(mock: respx.MockRouter) -> None:
    in_flight = peak = 0
    serve = table(5_000)

    async def page(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await anyio.sleep(0.01)
        in_flight -= 1
        answer: httpx.Response = serve(request)
        return answer

    mock.get(f"{V1}/computer").mock(side_effect=page)
    async with respx_client(CbProtectionAPI) as api:
        got = await api.select(Computer).batch_size(500).concurrency(4).all()
    assert len(got) == 5_000
    assert 2 <= peak <= 4


async def test_first_one_and_short_slices_send_no_count(mock: respx.MockRouter) -> None:
    route = mock.get(f"{V1}/computer").mock(side_effect=table(50))
    async with respx_client(CbProtectionAPI) as api:
        first = await api.select(Computer).where("policyId:1").first()
        window = await api.select(Computer)[10:20].all()
    assert first is not None
    assert first.id == 1
    assert [c.id for c in window] == list(range(11, 21))
    assert [params_of(call.request) for call in route.calls] == [
        [("q", "policyId:1"), ("offset", "0"), ("limit", "1")],
        [("offset", "10"), ("limit", "10")],
    ]


async def test_count_and_group_counts(mock: respx.MockRouter) -> None:
    route = mock.get(f"{V1}/computer").mock(side_effect=table(42))
    async with respx_client(CbProtectionAPI) as api:
        query = api.select(Computer).where("deleted:false")
        assert await query.count() == 42
        assert await query[40:].count() == 2
        groups = await query.sort("name").group_counts("policyId")
    assert [(g.value, g.count) for g in groups] == [(1, 42)]
    async with respx_client(CbProtectionAPI) as api:
        for bad in ("policyId DESC", "", "policy.id"):
            with pytest.raises(errors.QuerySyntaxError, match="one field"):
                await api.select(Computer).group_counts(bad)
    assert [params_of(call.request) for call in route.calls] == [
        [("q", "deleted:false"), ("limit", "-1")],
        [("q", "deleted:false"), ("limit", "-1")],
        [("q", "deleted:false"), ("group", "policyId")],
    ]


async def test_batch_size_is_capped_at_the_servers_thousand(mock: respx.MockRouter) -> None:
    route = mock.get(f"{V1}/computer").mock(side_effect=table(30))
    async with respx_client(CbProtectionAPI) as api:
        assert len(await api.select(Computer).batch_size(250).all()) == 30
        with pytest.raises(ValueError, match="1000"):
            api.select(Computer).batch_size(1001)
    limits = sorted(dict(params_of(call.request))["limit"] for call in route.calls)
    assert limits == ["-1", "250"]


async def test_app_templates_search_the_restricted_namespace(mock: respx.MockRouter) -> None:
    route = mock.get("/api/bit9platform/restricted/appTemplate").respond(
        json=[{"id": 1, "name": "Office"}]
    )
    async with respx_client(CbProtectionAPI) as api:
        (template,) = await api.select(AppTemplate)[:5].all()
        with pytest.raises(errors.ApiError, match="one by one"):
            await api.get(AppTemplate, 1)
    assert template.name == "Office"
    assert params_of(route.calls[0].request) == [("offset", "0"), ("limit", "5")]


# -- saving ----------------------------------------------------------------------------------------


def echo(base: dict[str, Any]) -> Any:
    """A PUT answered with the object as stored: what was sent, over what was there."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={**base, **body_of(request)})

    return answer


@pytest.mark.parametrize(
    ("field", "value", "flags"),
    [
        ("policyId", 3, []),
        ("debugFlags", 0x20, [("changeDiagnostics", "true")]),
        ("ccLevel", 2, [("changeDiagnostics", "true")]),
        ("template", True, [("changeTemplate", "true")]),
        ("templateCloneCleanupMode", 2, [("changeTemplate", "true")]),
        ("tamperProtectionActive", False, [("newTamperProtectionActive", "false")]),
        ("tamperProtectionActive", True, [("newTamperProtectionActive", "true")]),
    ],
)
async def test_computer_put_flags(
    mock: respx.MockRouter, field: str, value: Any, flags: list[tuple[str, str]]
) -> None:
    stored = computer(5, debugFlags=0, ccLevel=0, template=False, templateCloneCleanupMode=0)
    stored["tamperProtectionActive"] = not value if field == "tamperProtectionActive" else True
    mock.get(f"{V1}/computer/5").respond(json=stored)
    put = mock.put(f"{V1}/computer/5").mock(side_effect=echo(stored))
    async with respx_client(CbProtectionAPI) as api:
        comp = await api.get(Computer, 5)
        setattr(comp, field, value)
        await comp.save()
    (call,) = put.calls
    assert params_of(call.request) == flags
    assert body_of(call.request) == {**stored, field: value}  # the whole object
    assert getattr(comp, field) == value


async def test_several_changes_send_every_flag_they_need(mock: respx.MockRouter) -> None:
    stored = computer(5, debugLevel=0, template=False, tamperProtectionActive=True)
    mock.get(f"{V1}/computer/5").respond(json=stored)
    put = mock.put(f"{V1}/computer/5").mock(side_effect=echo(stored))
    async with respx_client(CbProtectionAPI) as api:
        comp = await api.get(Computer, 5)
        comp.debugLevel = 3
        comp.template = True
        comp.tamperProtectionActive = False
        await comp.save()
        await comp.save()  # nothing changed since: nothing sent
    (call,) = put.calls
    assert dict(params_of(call.request)) == {
        "changeDiagnostics": "true",
        "changeTemplate": "true",
        "newTamperProtectionActive": "false",
    }


async def test_reset_cli_password_puts_the_flag_then_reads_it_back(
    mock: respx.MockRouter,
) -> None:
    put = mock.put(f"{V1}/computer/7").respond(json=computer(7))
    get = mock.get(f"{V1}/computer/7").respond(json=computer(7, CLIPassword="3141592653"))
    async with respx_client(CbProtectionAPI) as api:
        password = await api.select(Computer, 7).reset_cli_password()
    assert password == "3141592653"
    (call,) = put.calls
    assert params_of(call.request) == [("resetCLIPassword", "true")]
    assert body_of(call.request) == {}
    assert get.call_count == 1


async def test_creating_posts_only_what_was_set_and_adopts_the_answer(
    mock: respx.MockRouter,
) -> None:
    stored = {
        "id": 41,
        "hash": "AB" * 16,
        "fileState": 3,
        "name": "ban",
        "policyIds": "",
        "createdBy": "api-user",
    }
    post = mock.post(f"{V1}/fileRule").respond(201, json=stored)
    get = mock.get(f"{V1}/fileRule/41").respond(json=stored)
    async with respx_client(CbProtectionAPI) as api:
        rule = api.create(FileRule)
        rule.hash = "AB" * 16
        rule.fileState = FileState.BANNED
        rule.name = "ban"
        await rule.save()
    assert body_of(post.calls[0].request) == {"hash": "AB" * 16, "fileState": 3, "name": "ban"}
    assert get.call_count == 0  # the answer is the object
    assert (rule.id, rule.createdBy, rule.is_new, rule.is_dirty()) == (41, "api-user", False, False)


async def test_an_answer_without_the_object_is_followed_by_a_get(mock: respx.MockRouter) -> None:
    mock.post(f"{V1}/policy").respond(201, json={"id": 9})
    get = mock.get(f"{V1}/policy/9").respond(json={"id": 9, "name": "Kiosk", "readOnly": False})
    async with respx_client(CbProtectionAPI) as api:
        policy = api.create(Policy)
        policy.name = "Kiosk"
        await policy.save()
    assert get.call_count == 1
    assert policy.readOnly is False


async def test_a_write_answered_without_an_id_is_a_server_error(mock: respx.MockRouter) -> None:
    mock.post(f"{V1}/policy").respond(201, json={"name": "Kiosk"})
    async with respx_client(CbProtectionAPI) as api:
        policy = api.create(Policy)
        policy.name = "Kiosk"
        with pytest.raises(errors.ServerError, match="returned no 'id'"):
            await policy.save()


async def test_file_instance_local_state(mock: respx.MockRouter) -> None:
    stored = {"id": 3, "computerId": 1, "fileCatalogId": 2, "localState": 1, "fileName": "a.exe"}
    mock.get(f"{V1}/fileInstance", params={"q": "localState:1"}).respond(json=[stored])
    put = mock.put(f"{V1}/fileInstance/3").mock(side_effect=echo(stored))
    async with respx_client(CbProtectionAPI) as api:
        (instance,) = await api.select(FileInstance).where("localState:1")[:1].all()
        instance.localState = FileState.APPROVED
        await instance.save()
    assert body_of(put.calls[0].request) == {**stored, "localState": 2}


# -- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error", "text"),
    [
        (400, errors.QuerySyntaxError, "could not run this search"),
        (401, errors.UnauthorizedError, "missing rights too"),
        (403, errors.ClientError, "refuses access"),
        (404, errors.ObjectNotFoundError, "Not Found"),
    ],
)
async def test_search_errors(
    mock: respx.MockRouter, status: int, error: type[errors.ApiError], text: str
) -> None:
    mock.get(f"{V1}/computer").respond(status, json={"message": "nope"})
    async with respx_client(CbProtectionAPI) as api:
        with pytest.raises(error, match=text) as caught:
            await api.select(Computer).where("bogus:1").count()
    assert caught.value.status == status
    assert caught.value.route == f"{V1}/computer"


async def test_a_400_to_a_write_is_not_a_query_error(mock: respx.MockRouter) -> None:
    mock.post(f"{V1}/policy").respond(400, json={"message": "a policy named 'x' exists"})
    async with respx_client(CbProtectionAPI) as api:
        policy = api.create(Policy)
        policy.name = "x"
        with pytest.raises(errors.ClientError) as caught:
            await policy.save()
    assert not isinstance(caught.value, errors.QuerySyntaxError)
    assert caught.value.status == 400


async def test_too_many_downloads_is_retried(mock: respx.MockRouter) -> None:
    """Wire §9: 503 means too many concurrent file downloads; retry later."""
    route = mock.get(f"{V1}/fileUpload/2").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, content=b"PK\x05\x06" + b"\0" * 18)]
    )
    async with respx_client(CbProtectionAPI) as api:
        upload = api.select(FileUpload, 2)
        async with upload.download(unzip=False) as chunks:
            archive = b"".join([c async for c in chunks])
    assert archive.startswith(b"PK")
    assert route.call_count == 2
    assert params_of(route.calls[1].request) == [("downloadFile", "true")]
