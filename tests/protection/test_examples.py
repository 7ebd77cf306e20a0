"""The App Control examples (examples/protection) run against the emulator: each ``main(api)``
in process, and one script as a user runs it, over loopback TLS. What they did is checked
against the emulator itself."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from cbasync.protection import CbProtectionAPI
from cbasync.testing import EmulatorConfig, create_app
from cbasync.testing.app import EmulatorApp
from tests.clients import EMULATOR_BASE, emulator_client

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLES = ROOT / "examples" / "protection"
V1 = "/api/bit9platform/v1"


def example(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """An example module, imported as ``python examples/protection/<name>.py`` would see it."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    return importlib.import_module(name)


@pytest.fixture
def app() -> EmulatorApp:
    return create_app(EmulatorConfig(seed=7, devices=25, binaries=500), modules=["protection"])


@pytest.fixture
async def api(app: EmulatorApp) -> AsyncIterator[CbProtectionAPI]:
    async with emulator_client(app, CbProtectionAPI) as client:
        yield client


@pytest.fixture
async def raw(app: EmulatorApp) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url=EMULATOR_BASE,
        headers={"X-Auth-Token": app.config.token},
    ) as client:
        yield client


@pytest.mark.anyio
async def test_change_policy(
    api: CbProtectionAPI,
    raw: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = (await raw.get(f"{V1}/fileInstance", params={"limit": 1})).json()[0]
    computer = await example("change_policy", monkeypatch).main(api)
    assert computer.id == first["computerId"]
    stored = (await raw.get(f"{V1}/computer/{computer.id}")).json()
    assert stored["policyId"] == 3
    assert capsys.readouterr().out.splitlines() == [
        stored["name"],
        f"{stored['name']} is now in policy 3 ({stored['policyName']})",
    ]


@pytest.mark.anyio
async def test_rules_and_policies(
    api: CbProtectionAPI,
    raw: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = await example("rules_and_policies", monkeypatch).main(api)
    assert result is not None
    policy, rule = result
    assert rule.policyIds == str(policy.id)
    assert rule.fileState == 3
    for name, oid in (("policy", policy.id), ("fileRule", rule.id)):
        assert (await raw.get(f"{V1}/{name}/{oid}")).status_code == 404
    out = capsys.readouterr().out
    assert f"created policy {policy.id} 'Kiosks'" in out
    assert "no computer 987654: 404" in out
    assert out.rstrip().endswith("removed the rule and the policy again")


@pytest.mark.anyio
async def test_computer_settings(
    api: CbProtectionAPI,
    raw: httpx.AsyncClient,
    app: EmulatorApp,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clones = (
        await raw.get(f"{V1}/computer", params=[("q", "templateComputerId>0"), ("limit", 0)])
    ).json()
    assert clones
    done = await example("computer_settings", monkeypatch).main(api)
    assert sorted(c.id for c in done) == sorted(c["id"] for c in clones)
    for before in clones:
        after = (await raw.get(f"{V1}/computer/{before['id']}")).json()
        assert after["debugLevel"] == before["debugLevel"]
        assert after["tamperProtectionActive"] == before["tamperProtectionActive"]
    out = capsys.readouterr().out
    for before in clones:
        assert f"{before['name']} (cloned from " in out
    assert out.count("tamper protection False, debug level 6") == len(clones)
    # Each computer was changed three times: tamper protection, debug, restore.
    puts = sum(
        n for (route, status), n in app.counters.by_route.items() if route.startswith("PUT ")
    )
    assert puts == 3 * len(clones)


def test_an_example_runs_as_a_script_against_the_loopback_emulator() -> None:
    """What a user types: the script starts the emulator on loopback TLS and talks to it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in ("CBAPI_URL", "CBAPI_TOKEN"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "change_policy.py")],
        capture_output=True,
        text=True,
        timeout=50,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("(App Control emulator on https://localhost:")
    assert lines[2].endswith("is now in policy 3 (Servers)")
