"""The one request path, on the wire (respx): headers, retries, errors, redirects, streams,
uploads, options, lifecycle and logging."""

from __future__ import annotations

import builtins
import json
import logging
import re
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import anyio
import httpx
import pydantic
import pytest
import respx

import cbasync
from cbasync import errors
from cbasync._retry import RetryPolicy
from cbasync._transport import DEFAULT_TIMEOUT, MAX_REDIRECTS, Upload

from .helpers import BASE, TOKEN, make_api

pytestmark = pytest.mark.anyio


@pytest.fixture
def mock() -> respx.MockRouter:
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router


# -- the request itself -----------------------------------------------------------------------


async def test_headers_route_and_query(mock: respx.MockRouter) -> None:
    route = mock.get("/api/v1/process/abc%2Fdef/1").respond(json={"ok": True})
    async with make_api(integration_name="Triage/2.1") as api:
        response = await api.transport.request(
            "GET",
            "/api/v1/process/{id}/{segment}",
            path_params={"id": "abc/def", "segment": 1},
            params={"q": "process_name:cmd.exe", "cb.urlver": 1},
        )
    request = route.calls.last.request
    assert request.headers["X-Auth-Token"] == TOKEN
    assert re.fullmatch(
        r"Triage/2\.1 cbasync/\S+ Python/\d+\.\d+\.\d+", request.headers["User-Agent"]
    )
    assert request.url.params["q"] == "process_name:cmd.exe"
    assert request.url.params["cb.urlver"] == "1"
    assert response.status == 200
    assert response.json() == {"ok": True}
    assert response.route == "/api/v1/process/{id}/{segment}"
    assert response.path == "/api/v1/process/abc%2Fdef/1"
    assert response.request_id == request.headers["X-Request-ID"]


async def test_json_body_is_compact_and_typed(mock: respx.MockRouter) -> None:
    route = mock.post("/api/v1/watchlist").respond(json={"id": 7})
    async with make_api() as api:
        await api.transport.request(
            "POST", "/api/v1/watchlist", json={"name": "w", "search_query": "q=1"}
        )
    request = route.calls.last.request
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"name": "w", "search_query": "q=1"}


async def test_missing_path_parameter_is_a_programming_error() -> None:
    async with make_api() as api:
        with pytest.raises(ValueError, match="needs the path parameter 'id'"):
            await api.transport.request("GET", "/api/v1/process/{id}", path_params={"other": 1})


async def test_server_request_id_wins(mock: respx.MockRouter) -> None:
    mock.get("/x").respond(404, headers={"X-Request-Id": "srv-123"})
    async with make_api() as api:
        with pytest.raises(errors.ObjectNotFoundError) as info:
            await api.transport.request("GET", "/x")
    assert info.value.request_id == "srv-123"


# -- status mapping ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, {"reason": "query_malformed_syntax", "message": "bad"}, errors.QuerySyntaxError),
        (
            400,
            {"error_code": "INVALID_ENUM_VALUE", "message": "Malformed JSON input"},
            errors.ClientError,
        ),
        (401, {"message": "unauthorized"}, errors.UnauthorizedError),
        (
            403,
            {"error_code": "FORBIDDEN", "message": "Session limit reached"},
            errors.SessionLimitError,
        ),
        (403, {"message": "insufficient permissions"}, errors.ClientError),
        (404, {"error_code": "NOT_FOUND"}, errors.ObjectNotFoundError),
        (409, {"message": "feed disabled"}, errors.ClientError),
        (412, None, errors.ClientError),
        (413, None, errors.ClientError),
        (500, {"message": "boom"}, errors.ServerError),
        (501, None, errors.ServerError),
    ],
)
async def test_status_mapping(
    mock: respx.MockRouter, status: int, body: object, expected: type[errors.ApiError]
) -> None:
    mock.post("/api/v1/thing").respond(status, json=body) if body is not None else mock.post(
        "/api/v1/thing"
    ).respond(status)
    async with make_api() as api:
        with pytest.raises(expected) as info:
            await api.transport.request("POST", "/api/v1/thing")
    error = info.value
    assert type(error) is expected
    assert (error.status, error.method, error.route) == (status, "POST", "/api/v1/thing")
    assert error.request_id
    assert str(status) in str(error)


async def test_413_html_page_is_summarised_by_its_title(mock: respx.MockRouter) -> None:
    page = "<html><head><title>413 Request Entity Too Large</title></head><body><center>nginx</center></body></html>"
    mock.post("/files").respond(413, text=page, headers={"Content-Type": "text/html"})
    async with make_api() as api:
        with pytest.raises(errors.ClientError, match="413 Request Entity Too Large") as info:
            await api.transport.request("POST", "/files", content=b"x")
    assert "<html>" not in str(info.value)


async def test_error_body_that_echoes_the_token_is_scrubbed(mock: respx.MockRouter) -> None:
    mock.get("/x").respond(401, json={"message": f"token {TOKEN} is not valid"})
    async with make_api() as api:
        with pytest.raises(errors.UnauthorizedError) as info:
            await api.transport.request("GET", "/x")
    assert TOKEN not in str(info.value)
    assert "**********" in str(info.value)


async def test_error_message_in_a_200_is_a_server_error(mock: respx.MockRouter) -> None:
    mock.get("/api/v1/sensor").respond(200, json={"errorMessage": "Sensor query failed"})
    async with make_api() as api:
        with pytest.raises(errors.ServerError, match="Sensor query failed") as info:
            await api.transport.request("GET", "/api/v1/sensor")
    assert info.value.status == 200


async def test_a_field_named_errorMessage_deeper_down_is_not_an_error(
    mock: respx.MockRouter,
) -> None:
    mock.get("/x").respond(200, json={"results": [{"errorMessage": "user data"}]})
    async with make_api() as api:
        response = await api.transport.request("GET", "/x")
    assert response.json()["results"][0]["errorMessage"] == "user data"


async def test_undecodable_json_is_a_server_error_naming_route_and_status(
    mock: respx.MockRouter,
) -> None:
    mock.get("/api/v1/process").respond(
        200, content=b'{"results": [', headers={"Content-Type": "application/json"}
    )
    async with make_api() as api:
        response = await api.transport.request("GET", "/api/v1/process")
    with pytest.raises(errors.ServerError, match="not valid JSON") as info:
        response.json()
    assert (info.value.route, info.value.status) == ("/api/v1/process", 200)
    assert not isinstance(info.value, json.JSONDecodeError)

    class Page(pydantic.BaseModel):
        results: list[int]

    with pytest.raises(errors.ServerError, match="not valid JSON"):
        response.parse(pydantic.TypeAdapter(Page))


async def test_wrong_shape_is_a_server_error(mock: respx.MockRouter) -> None:
    mock.get("/x").respond(200, json={"results": ["a"]})

    class Page(pydantic.BaseModel):
        results: list[int]

    async with make_api() as api:
        response = await api.transport.request("GET", "/x")
    with pytest.raises(errors.ServerError, match=r"unexpected response shape at results\.0"):
        response.parse(pydantic.TypeAdapter(Page))
    assert response.parse(pydantic.TypeAdapter(dict[str, list[str]])) == {"results": ["a"]}


# -- retries: status x method x whether the request was sent ----------------------------------

FAILURES = {
    "connect-error": (httpx.ConnectError("refused"), errors.ConnectionError, "never sent"),
    "connect-timeout": (httpx.ConnectTimeout("slow"), errors.TimeoutError, "never sent"),
    "pool-timeout": (httpx.PoolTimeout("starved"), errors.TimeoutError, "never sent"),
    "proxy-error": (httpx.ProxyError("proxy said no"), errors.ConnectionError, "never sent"),
    "429": (429, errors.RateLimitError, "refused"),
    "read-timeout": (httpx.ReadTimeout("slow"), errors.TimeoutError, "maybe"),
    "write-timeout": (httpx.WriteTimeout("slow"), errors.TimeoutError, "maybe"),
    "read-error": (httpx.ReadError("reset"), errors.ConnectionError, "maybe"),
    "remote-protocol-error": (
        httpx.RemoteProtocolError("garbage"),
        errors.ConnectionError,
        "maybe",
    ),
    "502": (502, errors.ServerError, "maybe"),
    "503": (503, errors.ServerError, "maybe"),
    "504": (504, errors.ServerError, "maybe"),
    "500": (500, errors.ServerError, "final"),
    "400": (400, errors.ClientError, "final"),
    "401": (401, errors.UnauthorizedError, "final"),
    "403": (403, errors.ClientError, "final"),
    "404": (404, errors.ObjectNotFoundError, "final"),
}


def _side_effect(failure: object) -> object:
    if isinstance(failure, int):
        headers = {"Retry-After": "0"} if failure == 429 else {}
        return httpx.Response(failure, headers=headers)
    return failure


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE", "POST", "PATCH"])
@pytest.mark.parametrize("name", list(FAILURES))
async def test_retry_table(mock: respx.MockRouter, name: str, method: str) -> None:
    failure, error_type, kind = FAILURES[name]
    route = mock.route(method=method, path="/api/thing").mock(
        side_effect=[_side_effect(failure)] * 20
    )
    idempotent = method in {"GET", "HEAD", "PUT", "DELETE"}
    retried = kind == "never sent" or (kind == "maybe" and idempotent)
    async with make_api() as api:
        with pytest.raises(error_type):
            await api.transport.request(method, "/api/thing")
    if kind == "refused":  # 429s are waited out apart from the retries (max_rate_limit_waits)
        assert route.call_count == RetryPolicy().max_rate_limit_waits + 1
    else:
        assert route.call_count == (3 if retried else 1)


@pytest.mark.parametrize("name", ["connect-error", "503", "read-timeout", "429"])
async def test_a_retry_that_succeeds_returns_the_answer(mock: respx.MockRouter, name: str) -> None:
    failure, _, _ = FAILURES[name]
    route = mock.get("/x").mock(side_effect=[_side_effect(failure), httpx.Response(200, json=[1])])
    async with make_api() as api:
        response = await api.transport.request("GET", "/x")
    assert response.json() == [1]
    assert route.call_count == 2


async def test_post_declared_idempotent_is_retried_after_a_maybe(mock: respx.MockRouter) -> None:
    route = mock.post("/search").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={})]
    )
    async with make_api() as api:
        await api.transport.request("POST", "/search", json={}, idempotent=True)
    assert route.call_count == 2


async def test_with_options_max_retries(mock: respx.MockRouter) -> None:
    route = mock.get("/x").mock(side_effect=[httpx.Response(503)] * 10)
    async with make_api() as api:
        with pytest.raises(errors.ServerError):
            await api.with_options(max_retries=5).transport.request("GET", "/x")
        assert route.call_count == 6
        with pytest.raises(errors.ServerError):
            await api.with_options(max_retries=0).transport.request("GET", "/x")
        assert route.call_count == 7


async def test_503_retry_after_is_honoured_per_request(mock: respx.MockRouter) -> None:
    route = mock.get("/x").mock(
        side_effect=[httpx.Response(503, headers={"Retry-After": "0.05"}), httpx.Response(200)]
    )
    async with make_api() as api:
        start = anyio.current_time()
        await api.transport.request("GET", "/x")
    assert route.call_count == 2
    assert anyio.current_time() - start >= 0.04


async def test_one_shot_upload_is_never_retried(mock: respx.MockRouter) -> None:
    route = mock.post("/files").mock(side_effect=[httpx.ConnectError("refused")] * 3)

    async def chunks():  # type: ignore[no-untyped-def]
        yield b"data"

    async with make_api() as api:
        with pytest.raises(errors.ConnectionError):
            await api.transport.request("POST", "/files", upload=Upload(chunks()))
    assert route.call_count == 1


async def test_certificate_failures_are_not_retried(mock: respx.MockRouter) -> None:
    # What httpx raises for a self-signed server certificate (the real thing is in test_tls.py).
    error = httpx.ConnectError(
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate (_ssl.c:1006)"
    )
    route = mock.get("/x").mock(side_effect=[error] * 3)
    async with make_api() as api:
        with pytest.raises(errors.ConnectionError, match="ssl_cert_file"):
            await api.transport.request("GET", "/x")
    assert route.call_count == 1


async def test_retry_budget_is_shared_by_all_tasks(mock: respx.MockRouter) -> None:
    from cbasync._retry import RetryBudget

    route = mock.get("/x").mock(return_value=httpx.Response(503))
    async with make_api(max_retries=10) as api:
        api.transport._shared.budget = RetryBudget(capacity=20, retry_cost=5)  # four retries in all

        async def one() -> None:
            with pytest.raises(errors.ServerError):
                await api.transport.request("GET", "/x")

        async with anyio.create_task_group() as tg:
            for _ in range(5):
                tg.start_soon(one)
    assert route.call_count == 5 + 4


async def test_successes_earn_retries_back(mock: respx.MockRouter) -> None:
    from cbasync._retry import RetryBudget

    mock.get("/ok").respond(200)
    async with make_api() as api:
        budget = RetryBudget(capacity=10, retry_cost=5)
        api.transport._shared.budget = budget
        assert budget.try_spend()
        assert budget.try_spend()
        for _ in range(5):
            await api.transport.request("GET", "/ok")
        assert budget.tokens == 5


async def test_a_call_that_succeeds_after_retrying_gives_its_retries_back(
    mock: respx.MockRouter,
) -> None:
    # A steady share of transient faults must not drain the budget when retrying works:
    # only retries that end in failure stay spent.
    from cbasync._retry import RetryBudget

    flaky = mock.get("/flaky").mock(side_effect=[httpx.Response(503), httpx.Response(200)] * 30)
    failing = mock.get("/down").respond(503)
    async with make_api(max_retries=1) as api:
        budget = RetryBudget(capacity=20, retry_cost=5)
        api.transport._shared.budget = budget
        for _ in range(30):  # thirty retries, each one paid back
            await api.transport.request("GET", "/flaky")
        assert budget.tokens == 20
        with pytest.raises(errors.ServerError):
            await api.transport.request("GET", "/down")
        assert budget.tokens == 15  # a retry that failed stays spent
    assert flaky.call_count == 60
    assert failing.call_count == 2


# -- 429: the client-wide gate ----------------------------------------------------------------


async def test_429_gate_holds_back_concurrent_tasks(mock: respx.MockRouter) -> None:
    api = make_api()
    sent_while_blocked: list[float] = []
    first_429 = anyio.Event()
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        blocked = api.transport._shared.gate.closed_for
        if blocked > 0:
            sent_while_blocked.append(blocked)
        if calls == 1:
            first_429.set()
            return httpx.Response(429, headers={"Retry-After": "0.2"})
        return httpx.Response(200, json={"n": calls})

    mock.get(path__regex=r"/item/\d+").mock(side_effect=handler)
    results: list[int] = []

    async def fetch(i: int) -> None:
        response = await api.transport.request("GET", "/item/{i}", path_params={"i": i})
        results.append(response.status)

    async with api, anyio.create_task_group() as tg:
        tg.start_soon(fetch, 0)
        await first_429.wait()
        for i in range(1, 6):
            tg.start_soon(fetch, i)
    assert results == [200] * 6
    assert calls == 7  # the refused request was sent again, the others once each
    assert sent_while_blocked == []


async def test_429_beyond_the_clamp_raises_with_retry_after(mock: respx.MockRouter) -> None:
    route = mock.get("/x").respond(429, headers={"Retry-After": "3600"})
    async with make_api(max_retry_after=30) as api:
        with pytest.raises(
            errors.RateLimitError, match="3600s, more than max_retry_after=30s"
        ) as info:
            await api.transport.request("GET", "/x")
    assert info.value.retry_after == 3600
    assert route.call_count == 1
    assert api.transport._shared.gate.closed_for == 0  # no pointless block


@pytest.mark.parametrize("header", ["inf", "Fri, 31 Dec 9999 23:59:59 GMT"])
async def test_429_forever_is_an_error_not_a_hang(mock: respx.MockRouter, header: str) -> None:
    mock.get("/x").respond(429, headers={"Retry-After": header})
    async with make_api() as api:
        with pytest.raises(errors.RateLimitError, match="more than max_retry_after"):
            await api.transport.request("GET", "/x")


@pytest.mark.parametrize("header", ["garbage", "nan", "-4", None])
async def test_429_without_a_usable_retry_after_backs_off(
    mock: respx.MockRouter, header: str | None
) -> None:
    headers = {"Retry-After": header} if header is not None else {}
    route = mock.get("/x").mock(
        side_effect=[httpx.Response(429, headers=headers), httpx.Response(200)]
    )
    async with make_api(retry_policy=RetryPolicy(backoff_base=0.01)) as api:
        await api.transport.request("GET", "/x")
    assert route.call_count == 2


async def test_429_retries_run_out(mock: respx.MockRouter) -> None:
    route = mock.get("/x").respond(429, headers={"Retry-After": "0"})
    async with make_api(retry_policy=RetryPolicy(max_rate_limit_waits=4)) as api:
        with pytest.raises(errors.RateLimitError) as info:
            await api.transport.request("GET", "/x")
    assert info.value.retry_after == 0
    assert route.call_count == 5


async def test_429_waits_cost_no_retry_budget(mock: respx.MockRouter) -> None:
    # Forty requests refused by one block must not empty the budget that failures need.
    from cbasync._retry import RetryBudget

    blocked = httpx.Response(429, headers={"Retry-After": "0"})
    route = mock.get("/x").mock(side_effect=[blocked, blocked, httpx.Response(200)])
    async with make_api() as api:
        budget = RetryBudget(capacity=4, retry_cost=5)  # cannot pay for a single retry
        api.transport._shared.budget = budget
        await api.transport.request("GET", "/x")
        assert budget.tokens == 4  # nothing spent
    assert route.call_count == 3


async def test_429_waits_do_not_use_up_the_retries_for_failures(
    mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    # A healthy request that meets several 429 blocks still has its retries for failures.
    blocked = httpx.Response(429, headers={"Retry-After": "0"})
    route = mock.get("/x").mock(
        side_effect=[blocked, httpx.Response(503), blocked, blocked, httpx.Response(503)]
        + [blocked] * 3
        + [httpx.Response(200, json=[1])]
    )
    caplog.set_level(logging.INFO, logger="cbasync.retry")
    async with make_api(retry_policy=RetryPolicy(backoff_base=0.0, max_retries=2)) as api:
        assert (await api.transport.request("GET", "/x")).json() == [1]
    assert route.call_count == 9
    retries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Retrying")]
    assert [m.split("(")[1].split(")")[0] for m in retries] == [
        "429 wait 1 of 10", "attempt 2 of 3", "429 wait 2 of 10", "429 wait 3 of 10",
        "attempt 3 of 3", "429 wait 4 of 10", "429 wait 5 of 10", "429 wait 6 of 10",
    ]  # fmt: skip


# -- redirects --------------------------------------------------------------------------------


async def test_same_origin_redirect_keeps_the_token(mock: respx.MockRouter) -> None:
    mock.get("/old").respond(302, headers={"Location": "/new?x=1"})
    new = mock.get("/new").respond(200, content=b"ok")
    async with make_api() as api:
        response = await api.transport.request("GET", "/old")
    assert response.content == b"ok"
    assert new.calls.last.request.headers["X-Auth-Token"] == TOKEN


async def test_cross_origin_redirect_drops_the_token(mock: respx.MockRouter) -> None:
    mock.get("/files/1/content").respond(
        302, headers={"Location": "https://storage.example/blob?sig=abc"}
    )
    storage = mock.route(host="storage.example", path="/blob").respond(200, content=b"bytes")
    async with make_api() as api:
        response = await api.transport.request("GET", "/files/1/content")
    assert response.content == b"bytes"
    assert "X-Auth-Token" not in storage.calls.last.request.headers
    assert storage.calls.last.request.url.params["sig"] == "abc"


async def test_absolute_url_to_another_host_gets_no_token(mock: respx.MockRouter) -> None:
    s3 = mock.route(host="s3.example", path="/presigned").respond(200)
    async with make_api() as api:
        await api.transport.request("GET", "https://s3.example/presigned")
    assert "X-Auth-Token" not in s3.calls.last.request.headers


async def test_redirect_loop_is_an_error(mock: respx.MockRouter) -> None:
    loop = mock.get("/loop").respond(302, headers={"Location": "/loop"})
    async with make_api() as api:
        with pytest.raises(errors.ServerError, match="more than 5 redirects"):
            await api.transport.request("GET", "/loop")
    assert loop.call_count == MAX_REDIRECTS + 1


async def test_post_redirect_is_not_followed(mock: respx.MockRouter) -> None:
    mock.post("/x").respond(303, headers={"Location": "/y"})
    target = mock.get("/y").respond(200)
    async with make_api() as api:
        response = await api.transport.request("POST", "/x")
    assert response.status == 303
    assert not target.called


# -- streams and uploads ----------------------------------------------------------------------


async def test_streaming_download_arrives_in_chunks(mock: respx.MockRouter) -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB
    mock.get("/api/v1/binary/ABC").respond(
        200, content=payload, headers={"Content-Type": "application/zip"}
    )
    received = bytearray()
    sizes = []
    async with (
        make_api() as api,
        api.transport.stream("GET", "/api/v1/binary/{md5}", path_params={"md5": "ABC"}) as response,
    ):
        assert response.status == 200
        assert response.content_length == len(payload)
        async for chunk in response.aiter_bytes(64 * 1024):
            sizes.append(len(chunk))
            received += chunk
    assert bytes(received) == payload
    assert len(sizes) == 16
    assert max(sizes) <= 64 * 1024


async def test_stream_error_status_raises_before_the_body(mock: respx.MockRouter) -> None:
    mock.get("/api/v1/binary/NOPE").respond(404, json={"reason": "not found"})
    async with make_api() as api:
        with pytest.raises(errors.ObjectNotFoundError):
            async with api.transport.stream("GET", "/api/v1/binary/NOPE"):
                pytest.fail("the body of an error must not be handed out")


async def test_stream_releases_its_connection_slot(mock: respx.MockRouter) -> None:
    mock.get("/blob").respond(200, content=b"x" * 10)
    async with make_api(max_connections=1) as api:
        for _ in range(3):  # with a leaked slot the second stream would wait forever
            with anyio.fail_after(5):
                async with api.transport.stream("GET", "/blob") as response:
                    assert await response.aread() == b"x" * 10


def _parse_multipart(request: httpx.Request) -> Message:
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    return message_from_bytes(head + request.content)


@pytest.mark.parametrize("kind", ["bytes", "path", "iterator"])
async def test_multipart_upload(mock: respx.MockRouter, tmp_path: Path, kind: str) -> None:
    payload = b"MZ\x90\x00" + bytes(range(256)) * 1000
    route = mock.post("/api/v1/cblr/session/1/file").respond(200, json={"id": 3})
    if kind == "bytes":
        source: object = payload
    elif kind == "path":
        path = tmp_path / "tool.exe"
        path.write_bytes(payload)
        source = path
    else:

        async def chunks():  # type: ignore[no-untyped-def]
            for start in range(0, len(payload), 1000):
                yield payload[start : start + 1000]

        source = chunks()
    async with make_api() as api:
        response = await api.transport.request(
            "POST",
            "/api/v1/cblr/session/{sid}/file",
            path_params={"sid": 1},
            upload=Upload(source, filename='to"ol.exe'),  # type: ignore[arg-type]
        )
    assert response.json() == {"id": 3}
    request = route.calls.last.request
    if kind == "iterator":
        assert "Content-Length" not in request.headers
    else:
        assert int(request.headers["Content-Length"]) == len(request.content)
    message = _parse_multipart(request)
    assert message.is_multipart()
    (part,) = message.get_payload()  # type: ignore[misc]
    assert part.get_param("name", header="content-disposition") == "file"
    assert part.get_filename() == "to%22ol.exe"
    assert part.get_payload(decode=True) == payload


# -- options, timeouts and lifecycle ----------------------------------------------------------


async def test_with_options_shares_the_connection_pool(mock: respx.MockRouter) -> None:
    mock.get("/x").respond(200)
    async with make_api() as api:
        fast = api.with_options(timeout=2.5)
        await fast.transport.request("GET", "/x")
        assert fast.transport._shared is api.transport._shared
        assert fast.transport._options.timeout == httpx.Timeout(2.5)
        assert api.transport._options.timeout == DEFAULT_TIMEOUT
        with pytest.raises(errors.ClientStateError, match="close the parent"):
            await fast.aclose()
        with pytest.raises(errors.ClientStateError, match="open and close the parent"):
            await fast.__aenter__()
    with pytest.raises(errors.ClientStateError, match="closed"):
        await fast.transport.request("GET", "/x")


async def test_timeout_is_passed_per_phase(mock: respx.MockRouter) -> None:
    route = mock.get("/x").respond(200)
    timeout = httpx.Timeout(connect=1.0, read=2.0, write=3.0, pool=4.0)
    async with make_api(timeout=timeout) as api:
        await api.transport.request("GET", "/x")
    assert route.calls.last.request.extensions["timeout"] == timeout.as_dict()


@pytest.mark.parametrize(
    "timeout", [0, -1, float("nan"), True, "5", httpx.Timeout(None), httpx.Timeout(5, read=None)]
)
def test_bad_timeouts_are_rejected(timeout: object) -> None:
    with pytest.raises(ValueError, match="timeout"):
        make_api(timeout=timeout)


def test_default_timeout_from_credentials_applies() -> None:
    api = make_api(default_timeout=7)
    assert api.transport._options.timeout == httpx.Timeout(7.0)


async def test_lifecycle(mock: respx.MockRouter) -> None:
    mock.get("/x").respond(200)
    api = make_api()
    assert api.transport.state == "unopened"
    assert "unopened" in repr(api)
    async with api:
        assert api.transport.state == "open"
        with pytest.raises(errors.ClientStateError, match="already open"):
            await api.__aenter__()
        await api.transport.request("GET", "/x")
    assert api.is_closed
    assert "closed" in repr(api)
    with pytest.raises(errors.ClientStateError, match="closed; create a new one"):
        await api.transport.request("GET", "/x")
    with pytest.raises(errors.ClientStateError):
        async with api:
            pass
    await api.aclose()  # twice is harmless
    assert isinstance(errors.ClientStateError("x"), RuntimeError)


async def test_usable_without_async_with(mock: respx.MockRouter) -> None:
    mock.get("/x").respond(200)
    api = make_api()
    await api.transport.request("GET", "/x")
    assert api.transport.state == "open"
    with pytest.raises(errors.ClientStateError, match="already open"):
        await api.__aenter__()
    await api.aclose()
    assert api.is_closed


async def test_callers_http_client_is_theirs_to_close(mock: respx.MockRouter) -> None:
    mock.get("/x").respond(200)
    async with httpx.AsyncClient() as client:
        async with make_api(http_client=client) as api:
            await api.transport.request("GET", "/x")
        assert not client.is_closed
        assert api.is_closed


def test_http_client_and_transport_are_exclusive() -> None:
    with pytest.raises(TypeError, match="not both"):
        make_api(
            http_client=httpx.AsyncClient(),
            transport=httpx.MockTransport(lambda r: httpx.Response(200)),
        )


async def test_transport_seam() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"version": "7.7.0"})

    async with make_api(transport=httpx.MockTransport(handler)) as api:
        response = await api.transport.request("GET", "/api/info")
    assert response.json() == {"version": "7.7.0"}
    assert seen[0].headers["X-Auth-Token"] == TOKEN


def test_constructor_does_no_io() -> None:
    # Everything that could touch disk or network waits for the first request.
    api = make_api(ssl_cert_file=__file__)
    assert api.transport._shared.client is None


def test_api_objects_cannot_be_pickled() -> None:
    import pickle

    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(make_api())


# -- errors as exceptions ---------------------------------------------------------------------


async def test_timeouts_and_connection_errors_are_builtins_too(mock: respx.MockRouter) -> None:
    mock.get("/t").mock(side_effect=httpx.ReadTimeout("slow"))
    mock.get("/c").mock(side_effect=httpx.ConnectError("refused"))
    async with make_api(max_retries=0) as api:
        with pytest.raises(builtins.TimeoutError):
            await api.transport.request("GET", "/t")
        with pytest.raises(builtins.ConnectionError) as info:
            await api.transport.request("GET", "/c")
    assert isinstance(info.value, cbasync.ApiError)
    assert info.value.route == "/c"


# -- logging ----------------------------------------------------------------------------------


async def test_one_debug_line_per_request_without_query_string(
    mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    mock.get("/api/v1/process").respond(200, json={})
    caplog.set_level(logging.DEBUG, logger="cbasync")
    async with make_api() as api:
        await api.transport.request(
            "GET", "/api/v1/process", params={"q": "username:alice", "rows": 10}
        )
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("cbasync")]
    assert len(lines) == 1
    assert re.fullmatch(r"HTTP GET /api/v1/process took \d+\.\d{3}s \(response 200\)", lines[0])
    assert caplog.records[0].levelno == logging.DEBUG


async def test_retries_and_429_waits_log_at_info(
    mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    mock.get("/x").mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(429, headers={"Retry-After": "0"}),
            httpx.Response(200),
        ]
    )
    caplog.set_level(logging.INFO, logger="cbasync")
    async with make_api() as api:
        await api.transport.request("GET", "/x")
    info = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.INFO and r.name.startswith("cbasync")
    ]
    assert any(
        re.fullmatch(r"Retrying GET /x in \d+\.\d\ds \(attempt 2 of 3\) after status 503", m)
        for m in info
    )
    assert any(
        m.startswith("Rate limited (429) on GET /x: every request of this client waits 0.00s")
        for m in info
    )


async def test_5xx_asking_for_more_than_the_clamp_is_not_waited_out(mock: respx.MockRouter) -> None:
    route = mock.get("/x").respond(503, headers={"Retry-After": "3600"})
    async with make_api(max_retry_after=10) as api:
        with anyio.fail_after(5), pytest.raises(errors.ServerError):
            await api.transport.request("GET", "/x")
    assert route.call_count == 1


async def test_request_slots_bound_requests_but_not_the_work_after_them(
    mock: respx.MockRouter,
) -> None:
    from cbasync._limits import RequestWindow, request_window

    in_flight = 0
    peak = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await anyio.sleep(0.02)
        in_flight -= 1
        return httpx.Response(200, json={})

    mock.get(path__regex=r"/r/\d+").mock(side_effect=slow)
    async with make_api() as api:

        async def one(i: int) -> None:
            await api.transport.request("GET", "/r/{i}", path_params={"i": i})

        token = request_window.set(RequestWindow(2))
        try:
            async with anyio.create_task_group() as tg:
                for i in range(8):
                    tg.start_soon(one, i)
        finally:
            request_window.reset(token)
    assert peak == 2
