"""From alerts to evidence: new EDR alerts, as a stream, feed a Live Response pool.

The cbapi manual's pipeline ("if an event is received, perform Live Response actions on the
affected endpoint"), with cbasync's pool: every new alert names a sensor; the first alert on a
sensor starts a collection there (running processes, the temp directory, the hosts file), a
later alert on the same sensor joins the collection already made; at most ``slots`` sessions
are open at once, an offline sensor fails at its deadline without holding up the others, and
every session is closed when the pipeline ends, whatever ends it. Each collected alert is then
marked "In Progress".

Run it against the embedded emulator (no Carbon Black server needed)::

    python examples/alerts_to_live_response.py            # about 30 alerts
    python examples/alerts_to_live_response.py --alerts 5

Against a real server, call :func:`triage` with your own ``CbResponseAPI``.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import AsyncIterator

import anyio

from cbasync import CbResponseAPI
from cbasync.live_response import JobResult, LiveResponseSession, Progress
from cbasync.response import Alert
from cbasync.testing import EmulatorConfig
from cbasync.testing.server import running_server


@dataclasses.dataclass
class Evidence:
    """What was collected on one sensor."""

    hostname: str
    processes: int
    temp_files: int
    hosts_file: bytes


@dataclasses.dataclass
class Report:
    alerts: list[Alert] = dataclasses.field(default_factory=list)
    #: The alerts of each sensor, in the order they arrived.
    by_sensor: dict[int, list[Alert]] = dataclasses.field(default_factory=dict)
    results: dict[int, JobResult[Evidence]] = dataclasses.field(default_factory=dict)


async def new_alerts(
    api: CbResponseAPI, *, query: str, first: int, rounds: int, poll_every: float
) -> AsyncIterator[Alert]:
    """Alerts as they come: the ``first`` newest at once, then each round the ones created
    since (newest first, down to one already seen). A real server keeps adding alerts; this
    stream ends after ``rounds`` rounds."""
    seen: set[str] = set()
    for round_ in range(rounds):
        if round_:
            await anyio.sleep(poll_every)
        newest_first = api.select(Alert).where(query).sort("created_time desc")[:first]
        arrived: list[Alert] = []
        async for alert in newest_first:
            if alert.unique_id in seen:
                break
            arrived.append(alert)
        for alert in reversed(arrived):  # in the order they were raised
            seen.add(alert.unique_id)
            yield alert


async def collect(lr: LiveResponseSession) -> Evidence:
    """The job run once per sensor: three commands, queued together (the sensor runs them one
    after another, so the job waits for them back to back)."""
    windows = lr.os_windows
    temp = "C:\\Windows\\Temp\\" if windows else "/tmp/"
    hosts = "C:\\Windows\\System32\\drivers\\etc\\hosts" if windows else "/etc/hosts"
    found: dict[str, object] = {}

    async def processes() -> None:
        found["processes"] = len(await lr.list_processes())

    async def temp_files() -> None:
        found["temp"] = len([e for e in await lr.list_directory(temp) if not e.is_directory])

    async def hosts_file() -> None:
        found["hosts"] = await lr.get_file(hosts)

    async with anyio.create_task_group() as tg:
        for command in (processes, temp_files, hosts_file):
            tg.start_soon(command)
    hosts_bytes = found["hosts"]
    assert isinstance(hosts_bytes, bytes)
    return Evidence(
        hostname=lr.info.hostname or str(lr.device_id),
        processes=int(str(found["processes"])),
        temp_files=int(str(found["temp"])),
        hosts_file=hosts_bytes,
    )


async def triage(
    api: CbResponseAPI,
    *,
    query: str = "status:Unresolved",
    first: int = 30,
    rounds: int = 2,
    poll_every: float = 1.0,
    slots: int = 5,
    job_timeout: float = 60.0,
    verbose: bool = True,
) -> Report:
    """Collect evidence from the sensor of every new alert, once per sensor."""
    report = Report()

    async def sensors() -> AsyncIterator[int]:
        stream = new_alerts(api, query=query, first=first, rounds=rounds, poll_every=poll_every)
        async for alert in stream:
            report.alerts.append(alert)
            if alert.sensor_id is None:
                continue
            earlier = report.by_sensor.setdefault(alert.sensor_id, [])
            earlier.append(alert)
            if len(earlier) == 1:  # a sensor's first alert: collect there, once
                yield alert.sensor_id

    def progress(step: Progress[Evidence]) -> None:
        state = "ok" if step.result.ok else f"failed: {step.result.error}"
        print(f"  [{step.done}] sensor {step.result.device_id}: {state}")

    async with api.live_response.run(
        collect,
        sensors(),
        slots=slots,
        job_timeout=job_timeout,
        on_progress=progress if verbose else None,
    ) as results:
        async for result in results:
            report.results[result.device_id] = result
            if result.ok:
                for alert in report.by_sensor[result.device_id]:
                    await alert.update(status="In Progress")
    return report


async def main(alerts: int, rounds: int, job_timeout: float) -> None:
    config = EmulatorConfig(seed=7, processes=2_000, devices=40, alerts=400, lr_activation=0.3)
    async with (
        running_server(config, tls=True) as (info, _app),
        CbResponseAPI(url=info.url, token=info.token, ssl_cert_file=info.ca_file) as api,
    ):
        started = time.perf_counter()
        print(f"watching {info.url} for new alerts ({alerts} at first, {rounds} rounds)")
        report = await triage(
            api, first=alerts, rounds=rounds, poll_every=0.5, job_timeout=job_timeout
        )
        took = time.perf_counter() - started
    collected = [r for r in report.results.values() if r.ok]
    print(
        f"\n{len(report.alerts)} alerts on {len(report.by_sensor)} sensors: evidence from"
        f" {len(collected)}, {len(report.results) - len(collected)} failed, in {took:.1f}s"
    )
    for result in collected[:5]:
        evidence = result.unwrap()
        print(
            f"  {evidence.hostname:<20} {evidence.processes:>3} processes,"
            f" {evidence.temp_files:>3} temp files, hosts {len(evidence.hosts_file)} bytes"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=30, help="alerts taken at first")
    parser.add_argument("--rounds", type=int, default=2, help="polling rounds")
    parser.add_argument(
        "--job-timeout", type=float, default=5.0, help="seconds a sensor gets (offline ones fail)"
    )
    arguments = parser.parse_args()
    anyio.run(main, arguments.alerts, arguments.rounds, arguments.job_timeout)
