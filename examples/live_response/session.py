"""One Live Response session (the cbapi manual's 4.6), with ``await``: what runs on a host, a
directory, a file, a registry value and a command's output, on one sensor.

    python examples/live_response/session.py [--sensor-id ID] [--profile NAME]

The session takes one of the client's session slots and is closed when the ``async with`` block
ends, whatever ends it. Its commands may be awaited together: the sensor runs them in order, so
the answers come back to back instead of a polling round trip each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio
from _target import run

from cbasync import CbResponseAPI
from cbasync.live_response import DirectoryEntry, ProcessEntry
from cbasync.response import Sensor


@dataclass
class Look:
    sensor_id: int = 0
    hostname: str = ""
    processes: list[ProcessEntry] = field(default_factory=list)
    temp: list[DirectoryEntry] = field(default_factory=list)
    hosts_file: bytes = b""
    product_name: str | None = None
    whoami: str = ""


async def main(api: CbResponseAPI, *, sensor_id: int | None = None) -> Look | None:
    if sensor_id is None:  # the first Windows sensor online
        async for sensor in api.select(Sensor):
            windows = "windows" in (sensor.os_environment_display_string or "").lower()
            if sensor.is_online and windows:
                sensor_id = sensor.id
                break
    if sensor_id is None:
        print("no online Windows sensor")
        return None
    look = Look(sensor_id=sensor_id)
    async with api.live_response.session(sensor_id) as lr:
        look.hostname = lr.info.hostname or str(sensor_id)
        print(f"session {lr.session_id} on {look.hostname} (sensor {sensor_id})")

        async def processes() -> None:
            look.processes = await lr.list_processes()

        async def temp() -> None:
            look.temp = await lr.list_directory("C:\\Windows\\Temp\\")

        async def hosts() -> None:
            look.hosts_file = await lr.get_file("C:\\Windows\\System32\\drivers\\etc\\hosts")

        async def product() -> None:
            value = await lr.get_registry_value(
                "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProductName"
            )
            look.product_name = str(value.value_data) if value.value_data is not None else None

        async with anyio.create_task_group() as tg:  # queued together, answered back to back
            for command in (processes, temp, hosts, product):
                tg.start_soon(command)
        done = await lr.create_process("whoami", wait_for_output=True)
        look.whoami = (done.output or b"").decode(errors="replace").strip()
    print(f"  {len(look.processes)} processes, e.g. {[p.path for p in look.processes[:3]]}")
    print(f"  {len(look.temp)} entries in C:\\Windows\\Temp")
    print(f"  hosts file: {len(look.hosts_file)} bytes; product: {look.product_name}")
    print(f"  whoami: {look.whoami}")
    return look


if __name__ == "__main__":
    run(
        main,
        __doc__.splitlines()[0],
        [(["--sensor-id"], {"type": int, "help": "the sensor (default: first online Windows)"})],
    )
