"""LiveQuery (Carbon Black Cloud): one SQL question to a set of devices, its answers streamed as
devices check in, a summary per device, and the run stopped when the wait is over.

    python examples/cloud/livequery.py [--sql SQL] [--devices N] [--max-wait S] [--profile NAME]

A run stays ACTIVE while a targeted device has not answered (an offline device never does), so
every wait here has a limit: ``stream_results(max_wait=...)`` ends with ``TimeoutError`` and
the run is then stopped, its answers kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from _target import run

from cbasync import CBCloudAPI, TimeoutError
from cbasync.cloud import Device, Result, Run


@dataclass
class Answers:
    run: Run | None = None
    targeted: list[int] = field(default_factory=list)
    rows: list[Result] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    timed_out: bool = False


async def main(
    api: CBCloudAPI,
    *,
    sql: str = "SELECT name, version, platform FROM os_version",
    devices: int = 8,
    max_wait: float = 30.0,
) -> Answers:
    answers = Answers()
    # The devices seen last are the likeliest to answer within the wait.
    recent = api.select(Device).set_status(["REGISTERED"]).sort_by("last_contact_time", "DESC")
    answers.targeted = [d.id async for d in recent[:devices] if d.id is not None]
    run_ = await Run.submit(api, sql, device_ids=answers.targeted, name="cbasync example")
    answers.run = run_
    print(f"run {run_.id}: {sql!r} on {len(answers.targeted)} devices")
    try:
        async for row in run_.stream_results(max_wait=max_wait):
            answers.rows.append(row)
            device = row.device.name if row.device else "?"
            print(f"  {device:<24} {row.status:<10} {row.fields}")
    except TimeoutError:
        answers.timed_out = True
        await run_.stop()  # the devices that did not answer will not be asked again
        print(f"not every device answered within {max_wait:g}s: run stopped")
    await run_.refresh()
    summaries = await run_.device_summaries().all()
    for summary in summaries:
        status = summary.status or "?"
        answers.statuses[status] = answers.statuses.get(status, 0) + 1
    print(f"run {run_.status}: {answers.statuses}")
    return answers


if __name__ == "__main__":
    run(
        main,
        __doc__.splitlines()[0],
        [
            (["--sql"], {"default": "SELECT name, version, platform FROM os_version"}),
            (["--devices"], {"type": int, "default": 8, "help": "how many devices to ask"}),
            (["--max-wait"], {"type": float, "default": 30.0, "help": "seconds to wait"}),
        ],
    )
