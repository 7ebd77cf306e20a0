"""How the cloud's queries, models and result lists show themselves (repr, Jupyter HTML, rich),
through cbasync/_display.py as EDR's do: a query shows its criteria and time range without
running, a result table shows the fields that say which object it is, nothing sends a request
and nothing shows the token."""

from __future__ import annotations

from typing import Any

import pytest
from rich.pretty import pretty_repr

from cbasync.cloud import Alert, AuthEvent, CBCloudAPI, Device, Process, Run
from cbasync.testing.app import EmulatorApp
from tests.clients import emulator_client

pytestmark = pytest.mark.anyio


def displays(obj: Any) -> list[str]:
    return [repr(obj), obj._repr_html_(), pretty_repr(obj)]


def head_of(table: str) -> list[str]:
    """The column headings of a result table."""
    thead = table.split("<thead>")[1].split("</thead>")[0]
    return [cell.rsplit(">", 1)[1] for cell in thead.split("</th>")[:-1]]


async def test_queries_show_their_search_without_running_it(app: EmulatorApp) -> None:
    async with emulator_client(app, CBCloudAPI) as api:
        before = app.counters.total_requests
        devices = api.select(Device).set_os(["WINDOWS"]).set_status(["REGISTERED"])
        auth = api.select(AuthEvent).where("auth_username:SYSTEM").time_range(window="-2w")
        alerts = api.select(Alert).set_minimum_severity(5).sort_by("severity", "DESC")
        for query in (devices, auth, alerts):
            shown = displays(query)
            for part in ("criteria", "time_range"):
                if part in query.search_body():
                    assert all(part in text for text in shown), (part, shown)
            assert "not run" in shown[1]
        assert repr(devices) == (
            "<DeviceSearchQuery Device q='' criteria={'os': ['WINDOWS'], 'status': ['REGISTERED']}>"
        )
        assert repr(auth) == (
            "<AuthEventQuery AuthEvent q='auth_username:SYSTEM' time_range={'window': '-2w'}>"
        )
        assert "minimum_severity" in alerts._repr_html_()
        assert "&#x27;severity&#x27;" in alerts._repr_html_()  # the sort, escaped
        assert app.counters.total_requests == before  # showing sent nothing


async def test_results_show_the_fields_that_identify_them(app: EmulatorApp) -> None:
    async with emulator_client(app, CBCloudAPI) as api:
        devices = await api.select(Device).set_os(["WINDOWS"]).all()
        auth = await api.select(AuthEvent).where("auth_username:SYSTEM")[:5].all()
        alerts = await api.select(Alert)[:5].all()
        procs = await api.select(Process).where("process_name:cmd.exe")[:5].all()
        before = app.counters.total_requests
        expected = {
            "Device": ["id", "name", "os", "status"],
            "AuthEvent": ["event_id", "auth_event_action", "auth_username", "device_name"],
            "Alert": ["id", "type", "severity", "device_name", "process_name"],
            "Process": ["process_guid", "process_name", "device_name", "process_username"],
        }
        for results in (devices, auth, alerts, procs):
            assert results
            kind = type(results[0]).__name__
            table = results._repr_html_()
            assert f"{kind}: {len(results)} result" in table
            assert head_of(table) == expected[kind]
            first = results[0]
            assert repr(first).startswith(f"<{kind} ")
            for name in expected[kind][1:]:
                if first.get(name) is not None:
                    assert f"{name}=" in repr(first)
            for shown in displays(first):
                assert api.credentials.token.get_secret_value() not in shown
        assert app.counters.total_requests == before


async def test_a_livequery_run_and_its_rows(app: EmulatorApp) -> None:
    async with emulator_client(app, CBCloudAPI) as api:
        # The device seen last is online: it answers within the job duration.
        recent = api.select(Device).set_status(["REGISTERED"]).sort_by("last_contact_time", "DESC")
        device = await recent.first()
        assert device is not None
        assert device.id is not None
        run = await Run.submit(api, "SELECT * FROM os_version", device_ids=[device.id])
        assert repr(run).startswith(f"<Run id={run.id!r} name=")
        assert "status='ACTIVE' sql='SELECT * FROM os_version' total_results=0" in repr(run)
        await run.wait(max_wait=30)
        rows = await run.results().all()
        summaries = await run.device_summaries().all()
        for listed in (rows, summaries):
            table = listed._repr_html_()
            assert "device" in head_of(table)
            assert "status" in head_of(table)
