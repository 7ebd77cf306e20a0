"""Live Response jobs across a fleet (the cbapi manual's job-based API), with ``await``: the same
job on every online sensor, at most ``--slots`` sessions at once, results as they complete.

    python examples/live_response/job_fanout.py [--slots N] [--job-timeout S] [--profile NAME]

Two forms of the same fan-out are shown:

- ``api.live_response.run(job, sensors)``: results as they complete, one per sensor, a failure
  (an offline sensor, a missing file) failing that sensor alone;
- ``api.live_response.pool()`` with ``submit_job``: cbapi's ``submit_job`` shape, a handle per
  job to ``await``.

Both keep at most ``slots`` sessions open, and close every one of them when the block ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from _target import run

from cbasync import CbResponseAPI
from cbasync.live_response import JobResult, LiveResponseSession
from cbasync.response import Sensor


async def running_processes(lr: LiveResponseSession) -> int:
    """The job: how many processes run on the sensor."""
    return len(await lr.list_processes())


async def os_release(lr: LiveResponseSession) -> str:
    """Another job: the operating system's name, from a file every host of its kind has."""
    if lr.os_windows:
        data = await lr.get_file("C:\\Windows\\win.ini")
        return f"windows ({len(data)}-byte win.ini)"
    data = await lr.get_file("/etc/os-release")
    first = data.decode(errors="replace").splitlines()[0] if data else ""
    return first.removeprefix("NAME=").strip('"') or "unix"


@dataclass
class Fleet:
    results: list[JobResult[int]] = field(default_factory=list)
    releases: dict[int, str] = field(default_factory=dict)
    most_open: int = 0


async def main(
    api: CbResponseAPI, *, slots: int = 5, job_timeout: float = 60.0, limit: int = 20
) -> Fleet:
    fleet = Fleet()
    sensors = [s async for s in api.select(Sensor) if s.is_online][:limit]
    print(f"{len(sensors)} online sensors, {slots} sessions at a time")

    async with api.live_response.run(
        running_processes, sensors, slots=slots, job_timeout=job_timeout
    ) as results:
        async for result in results:
            fleet.results.append(result)
            state = f"{result.value} processes" if result.ok else f"failed: {result.error}"
            print(f"  sensor {result.device_id}: {state} ({result.elapsed:.2f}s)")

    async with api.live_response.pool(slots=slots, job_timeout=job_timeout) as pool:
        handles = [pool.submit_job(os_release, sensor) for sensor in sensors]
        for handle in handles:
            outcome = await handle.result()
            if outcome.ok and outcome.value is not None:
                fleet.releases[handle.device_id] = outcome.value
    fleet.most_open = api.live_response.most_sessions_open
    print(f"releases: {sorted(set(fleet.releases.values()))}")
    print(f"at most {fleet.most_open} sessions were open at once")
    return fleet


if __name__ == "__main__":
    run(
        main,
        __doc__.splitlines()[0],
        [
            (["--slots"], {"type": int, "default": 5, "help": "sessions open at once"}),
            (["--job-timeout"], {"type": float, "default": 60.0, "help": "seconds per sensor"}),
            (["--limit"], {"type": int, "default": 20, "help": "sensors at most"}),
        ],
    )
