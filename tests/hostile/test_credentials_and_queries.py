"""Hostile input from the user's side (hypothesis): credential files, query strings and model
field values. Each either works or raises a cbasync error with a message — never a raw
``KeyError``/``TypeError``/``ValueError``/``UnicodeError``, never the token in a message."""

from __future__ import annotations

import codecs
import os
import warnings
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cbasync import CbResponseAPI, errors
from cbasync.config import CredentialWarning, load_credentials
from cbasync.response import Process, Watchlist
from cbasync.testing import EmulatorConfig, create_app
from tests.clients import emulator_client

EXAMPLES = int(os.environ.get("CBASYNC_HOSTILE_EXAMPLES", "60"))
CANARY = "CANARYfa1e5c0ffee0ddba11TOKEN"
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

KEYS = st.sampled_from(
    ["url", "token", "org_key", "ssl_verify", "ssl_cert_file", "proxy", "default_timeout",
     "allow_plain_http", "ssl_verify_hostname", "unknown_key", "URL", " token"]
)  # fmt: skip
VALUES = st.one_of(
    st.sampled_from(
        ["https://cb.example\n  continued", "http://10.0.0.1", "https://[::1", "yes", "perhaps",
         "0", "-5", "nan", "ABCD1234", "org key", "%(token)s", CANARY, f"{CANARY}\n{CANARY}", ""]
    ),
    st.text(max_size=30),
)  # fmt: skip
LINES = st.one_of(
    st.tuples(KEYS, st.sampled_from(["=", ":", " = ", "=="]), VALUES).map("".join),
    st.sampled_from(["[default]", "[other]", "[default", "[]", "", "  indented", "#comment", ";x"]),
    st.text(max_size=20),
)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"])


@st.composite
def credential_files(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(LINES, max_size=12))
    if draw(st.booleans()):
        lines = ["[default]", f"token = {CANARY}", *lines]
    text = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)
    encoding = draw(ENCODINGS)
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()) and encoding == "utf-8":
        data = codecs.BOM_UTF8 + data
    return data + draw(st.binary(max_size=4))


@HYPOTHESIS
@given(content=credential_files())
def test_any_credential_file_loads_or_is_a_credential_error(
    tmp_path_factory: pytest.TempPathFactory, content: bytes
) -> None:
    path = tmp_path_factory.mktemp("creds") / "credentials.response"
    path.write_bytes(content)
    path.chmod(0o600)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            creds = load_credentials("response", "default", credential_file=path, environ={})
            shown = repr(creds)
            assert creds.url.startswith(("https://", "http://"))
        except errors.CredentialError as exc:
            shown = str(exc)
            assert shown.startswith("credentials: ")
        assert CANARY not in shown
    for warning in record:
        assert issubclass(warning.category, CredentialWarning)
        assert CANARY not in str(warning.message)


def test_a_huge_credential_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "credentials.response"
    with path.open("wb") as handle:
        handle.write(b"[default]\nurl = https://cb.example\ntoken = x\n")
        handle.seek(512 * 1024 * 1024)  # sparse: 512 MiB on paper, nothing on disk
        handle.write(b"\n")
    path.chmod(0o600)
    with pytest.raises(errors.CredentialError, match="larger than 1 MiB"):
        load_credentials("response", "default", credential_file=path, environ={})


@pytest.mark.parametrize(
    "name", ["cred\x00entials", "", "\udcff", "/dev/null/credentials", "x" * 5000]
)
def test_an_impossible_credential_path_is_a_credential_error(name: str) -> None:
    with pytest.raises(errors.CredentialError, match="credentials: "):
        load_credentials("response", "default", credential_file=name, environ={})


# -- queries and field values against the emulator ------------------------------------------

QUERY_TEXT = st.one_of(
    st.text(max_size=40),
    st.lists(
        st.sampled_from(
            ["process_name:", "svchost.exe", "(", ")", "AND", "OR", "NOT", "-", "*", '"', "\\",
             "[", "TO", "]", "{", "}", ":", " ", "start:", "-1d", "username:SYSTEM", "\x00", "é"]
        ),
        max_size=10,
    ).map("".join),
)  # fmt: skip

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """asyncio only: what is fuzzed is the SDK's handling of the text, not the event loop (the
    spoiled-answer suite runs on both)."""
    return "asyncio"


_APP = create_app(EmulatorConfig(processes=500, devices=4, binaries=10, alerts=5))


@HYPOTHESIS
@given(text=QUERY_TEXT)
async def test_any_query_text_gives_rows_or_a_cbasync_error(text: str) -> None:
    async with emulator_client(_APP, CbResponseAPI) as api:
        with anyio.fail_after(10):
            message = "no error"
            try:
                await api.select(Process).where(text).first()
            except errors.ApiError as exc:
                message = str(exc)
            assert message.strip()


FIELD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


@HYPOTHESIS
@given(
    field=st.sampled_from(["name", "search_query", "description", "enabled", "id"]),
    value=FIELD_VALUES,
)
async def test_any_field_value_is_saved_or_refused_with_a_cbasync_error(
    field: str, value: Any
) -> None:
    async with emulator_client(_APP, CbResponseAPI) as api:
        with anyio.fail_after(10):
            watchlist = await api.select(Watchlist).first()
            assert watchlist is not None
            message = "no error"
            try:
                setattr(watchlist, field, value)
                await watchlist.save()
            except errors.ApiError as exc:
                message = str(exc)
            assert message.strip()
