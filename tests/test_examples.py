"""The examples run against the emulator: the events-to-jobs pipeline (new alerts feeding a Live
Response pool, each alert's sensor collected once)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cbasync import CbResponseAPI, TimeoutError
from cbasync.response import Alert
from cbasync.testing import EmulatorConfig, create_app
from tests.clients import emulator_client
from tests.scripts import load_script

ROOT = Path(__file__).resolve().parent.parent
ALERTS_TO_LIVE_RESPONSE = ROOT / "examples" / "alerts_to_live_response.py"


@pytest.mark.anyio
async def test_new_alerts_feed_the_pool_and_each_sensor_is_collected_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    example = load_script(ALERTS_TO_LIVE_RESPONSE, monkeypatch)
    config = EmulatorConfig(
        seed=7, processes=2_000, devices=40, alerts=200, lr_activation=0.02, lr_command_delay=0.005
    )
    app = create_app(config)
    async with emulator_client(app, CbResponseAPI) as api:
        newest = api.select(Alert).where("status:Unresolved").sort("created_time desc")[:25]
        expected = {alert.unique_id: alert.sensor_id async for alert in newest}
        report = await example.triage(
            api, first=25, rounds=2, poll_every=0.05, job_timeout=2.0, verbose=False
        )
        assert {alert.unique_id for alert in report.alerts} == set(expected)
        sensors = set(expected.values())
        assert set(report.results) == sensors  # one collection per sensor...
        counters = app.counters.lr("edr")
        assert counters.created == len(sensors)  # ...in one session each
        assert counters.open == 0
        assert len(sensors) < len(expected)  # several alerts shared a sensor
        for sensor_id, result in report.results.items():
            online = app.state.endpoints[sensor_id - 1].online
            assert result.ok is online
            if online:
                evidence = result.unwrap()
                assert evidence.processes > 0
                assert evidence.hosts_file
            else:
                assert isinstance(result.error, TimeoutError)  # at its deadline, alone
        collected = [result for result in report.results.values() if result.ok]
        assert counters.commands == 3 * len(collected)  # its three commands, once per sensor
        for alert_id, sensor_id in expected.items():
            alert = await api.get(Alert, alert_id)
            assert (alert.status == "In Progress") is report.results[sensor_id].ok


def test_the_example_runs_as_a_script() -> None:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, str(ALERTS_TO_LIVE_RESPONSE), "--alerts", "8", "--job-timeout", "2"],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "8 alerts on" in done.stdout
    assert "evidence from" in done.stdout
