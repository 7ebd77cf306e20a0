"""The cbapi manual's 4.5.3, with ``await``: isolate a sensor from the network and wait until it
confirms, then (with ``--lift``, the default here) give it its network back.

    python examples/response/isolate_sensor.py [--hostname HOST] [--keep] [--profile NAME]

cbapi's ``sensor.isolate()`` could poll forever when the sensor was offline; here every wait has a
limit (``max_wait``) and raises ``cbasync.TimeoutError`` carrying the last state it saw.
"""

from __future__ import annotations

from _target import run

from cbasync import CbResponseAPI, TimeoutError
from cbasync.response import Sensor


async def main(
    api: CbResponseAPI, *, hostname: str | None = None, keep: bool = False, max_wait: float = 120
) -> Sensor | None:
    query = api.select(Sensor)
    if hostname is not None:
        query = query.where(f"hostname:{hostname}")
    sensor = None
    async for candidate in query:  # the first one online: an offline sensor never confirms
        if candidate.is_online:
            sensor = candidate
            break
    if sensor is None:
        print(f"no online sensor{' named ' + hostname if hostname else ''}")
        return None
    print(f"isolating {sensor.computer_name} (sensor {sensor.id})...")
    try:
        await sensor.isolate(max_wait=max_wait, poll_interval=0.5)
    except TimeoutError as exc:
        print(f"not confirmed: {exc}")
        return None
    print(f"{sensor.computer_name} is isolated (is_isolating={sensor.is_isolating})")
    if not keep:
        await sensor.unisolate(max_wait=max_wait, poll_interval=0.5)
        print(f"{sensor.computer_name} is back on the network")
    return sensor


if __name__ == "__main__":
    run(
        main,
        __doc__.splitlines()[0],
        [
            (["--hostname"], {"help": "the sensor's host name (default: the first online one)"}),
            (["--keep"], {"action": "store_true", "help": "leave it isolated"}),
        ],
    )
