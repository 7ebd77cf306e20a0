"""A planted token must appear in no log record, repr, warning or exception text, whatever
happens on the way: successes, retries, every error, redirects, streams, uploads, bad credentials."""

from __future__ import annotations

import logging
import traceback
import warnings
from pathlib import Path

import httpx
import pytest
import respx

from cbasync import CBCloudAPI, CbResponseAPI, errors, load_credentials
from cbasync._retry import RetryPolicy
from cbasync._transport import Upload

pytestmark = pytest.mark.anyio

CANARY = "CANARYd91b00774b2b903b49d8d9caa57ce9fcTOKEN"
BASE = "https://cbserver.example"


def texts_of(error: BaseException) -> list[str]:
    return [
        str(error),
        repr(error),
        *map(str, error.args),
        "".join(traceback.format_exception(error)),
    ]


async def test_token_never_leaks(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    seen: list[str] = []
    caught: list[BaseException] = []

    echo = {"message": f"bad token {CANARY}", "errorMessage": CANARY, "reason": CANARY}
    with respx.mock(base_url=BASE, assert_all_called=True) as mock:
        mock.get("/ok").respond(200, json={"echo": CANARY}, headers={"X-Echo": CANARY})
        mock.get("/retry").mock(side_effect=[httpx.Response(503, json=echo), httpx.Response(200)])
        mock.get("/limited").mock(
            side_effect=[
                httpx.Response(429, headers={"Retry-After": "0"}, json=echo),
                httpx.Response(200),
            ]
        )
        mock.get("/error-message").respond(200, json={"errorMessage": f"token {CANARY} rejected"})
        for status in (400, 401, 403, 404, 413, 429, 500, 502):
            mock.get(f"/status/{status}").respond(
                status, json=echo, headers={"Retry-After": "99999"}
            )
        mock.get("/html").respond(
            403, text=f"<html><title>{CANARY}</title></html>", headers={"Content-Type": "text/html"}
        )
        mock.get("/text").respond(
            500, text=f"token={CANARY}", headers={"Content-Type": "text/plain"}
        )
        mock.get("/not-json").respond(
            200, content=f"{{{CANARY}".encode(), headers={"Content-Type": "application/json"}
        )
        mock.get("/connect").mock(side_effect=httpx.ConnectError(f"refused {CANARY}"[:7]))
        mock.get("/timeout").mock(side_effect=httpx.ReadTimeout("slow"))
        mock.get("/redirect").respond(302, headers={"Location": "https://elsewhere.example/x"})
        mock.route(host="elsewhere.example").respond(200)
        mock.get("/stream").respond(200, content=CANARY.encode() * 10)
        mock.post("/upload").respond(200, json={"id": 1})

        api = CbResponseAPI(
            url=BASE,
            token=CANARY,
            environ={},
            retry_policy=RetryPolicy(backoff_base=0, max_retries=1),
        )
        seen += [
            repr(api),
            str(api),
            repr(api.credentials),
            str(api.credentials),
            repr(api.credentials.token),
        ]
        async with api:
            seen.append(repr(api))
            for path in ("/ok", "/retry", "/limited", "/redirect"):
                response = await api.transport.request(
                    "GET", path, params={"q": "x"}, json={"k": "v"} if path == "/ok" else None
                )
                seen.append(repr(response))
            for path in (
                "/error-message",
                *(f"/status/{s}" for s in (400, 401, 403, 404, 413, 429, 500, 502)),
                "/html",
                "/text",
                "/connect",
                "/timeout",
            ):
                try:
                    await api.transport.request("GET", path)
                except errors.ApiError as exc:
                    caught.append(exc)
                else:
                    pytest.fail(f"{path} should have failed")
            try:
                (await api.transport.request("GET", "/not-json")).json()
            except errors.ServerError as exc:
                caught.append(exc)
            async with api.transport.stream("GET", "/stream") as stream:
                seen.append(repr(stream))
                await stream.aread()
            await api.transport.request("POST", "/upload", upload=Upload(b"payload"))
            seen.append(repr(api.with_options(timeout=3)))

    # Credentials that fail in every way a file can.
    bad = tmp_path / "credentials.response"
    for text in (
        f"token={CANARY}\n",
        f"[default]\ntoken {CANARY}\n",
        f"[default]\ntoken={CANARY}\ntoken={CANARY}\n",
        f"[default]\ntoken={CANARY}\nssl_verify=perhaps\nurl=https://x\n",
        f"[default]\ntoken={CANARY}\nurl=http://remote.example\n",
        f"[default]\ntoken={CANARY}\n",
        f"[other]\ntoken={CANARY}\n",
    ):
        bad.write_text(text)
        bad.chmod(0o644)
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            try:
                load_credentials("response", "default", credential_file=bad, environ={})
            except errors.CredentialError as exc:
                caught.append(exc)
        seen += [str(w.message) for w in record]
    for token in (f"{CANARY} x", f"{CANARY}\x00"):
        try:
            CbResponseAPI(url=BASE, token=token, environ={})
        except errors.CredentialError as exc:
            caught.append(exc)
    try:
        CBCloudAPI(
            url=BASE, environ={"CBAPI_TOKEN": CANARY, "CBC_TOKEN": CANARY + "x"}, org_key="ORG1"
        )
    except errors.CredentialError as exc:
        caught.append(exc)

    assert len(caught) >= 20
    for error in caught:
        seen += texts_of(error)
    for record in caplog.records:
        seen.append(record.getMessage())
        seen.append(str(record.args))
        if record.exc_info:
            seen.append("".join(traceback.format_exception(*record.exc_info)))
    assert any("HTTP GET /ok took" in text for text in seen)  # the logs were captured
    leaks = [text for text in seen if CANARY in text]
    assert leaks == []
