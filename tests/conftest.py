"""Shared fixtures: every async test runs on asyncio and on trio."""

from __future__ import annotations

import pytest

# Small projects of their own, each run under its own async test runner by
# tests/test_plugin_suites.py.
collect_ignore = ["plugin_suites"]


@pytest.fixture(
    params=[
        pytest.param("asyncio", id="asyncio"),
        pytest.param("trio", id="trio"),
    ]
)
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


_CREDENTIAL_VARIABLES = (
    "CBAPI_URL",
    "CBAPI_TOKEN",
    "CBAPI_SSL_VERIFY",
    "CBAPI_ORG_KEY",
    "CBC_URL",
    "CBC_TOKEN",
    "CBC_SSL_VERIFY",
    "CBC_ORG_KEY",
)


@pytest.fixture(autouse=True)
def _isolated_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No test reads the developer's real credential files or CBAPI_* variables."""
    import cbasync.config

    empty = tmp_path_factory.mktemp("no-credentials")
    monkeypatch.setattr(cbasync.config, "CREDENTIAL_DIRECTORIES", (str(empty),))
    for name in _CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
