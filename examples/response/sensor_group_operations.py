"""The cbapi manual's 4.5.9 ("moving a sensor to a new Sensor Group"), with ``await``: create a
sensor group, move a sensor into it, count each group's sensors, and move the sensor back.

    python examples/response/sensor_group_operations.py [--name N] [--hostname HOST] [--keep]

cbapi set ``sensor.group = sg`` and saved; a join is not a field here, so the move is one call,
``await sensor.set_group(group)``, which says so instead of being silently dropped.
"""

from __future__ import annotations

from _target import run

from cbasync import CbResponseAPI
from cbasync.response import Sensor, SensorGroup


async def main(
    api: CbResponseAPI,
    *,
    name: str = "Critical Endpoints",
    hostname: str | None = None,
    keep: bool = False,
) -> tuple[SensorGroup, Sensor] | None:
    group = api.create(SensorGroup)
    group.name = name
    group.site_id = 1
    await group.save()
    print(f"created sensor group {group.id} {group.name!r}")
    query = api.select(Sensor)
    sensor = await (query.where(f"hostname:{hostname}") if hostname else query).first()
    if sensor is None:
        print("no such sensor")
        return None
    previous = await sensor.group()
    await sensor.set_group(group)
    print(f"moved {sensor.computer_name} from {previous.name!r} to {group.name!r}")
    for each in await SensorGroup.fetch_all(api):
        print(f"  {each.name:<24} {await each.sensors().count():>3} sensors")
    if not keep:
        await sensor.set_group(previous)
        await group.delete()
        print(f"moved it back to {previous.name!r} and removed {group.name!r}")
    return group, sensor


if __name__ == "__main__":
    run(
        main,
        __doc__.splitlines()[0],
        [
            (["--name"], {"default": "Critical Endpoints", "help": "the new group's name"}),
            (["--hostname"], {"help": "the sensor to move (default: the first one)"}),
            (["--keep"], {"action": "store_true", "help": "keep the group and the move"}),
        ],
    )
