"""The Computer settings the cbapi changelog names, with ``await``:

- tamper protection can be set and cleared (cbapi 1.3.4 and 1.3.5);
- changing ``debugFlags`` and the other diagnostics sends the "GET" query field the server
  needs, ``changeDiagnostics=true`` (cbapi 1.3.3) - here ``save()`` does that for any of them;
- ``templateComputer`` (renamed from ``template`` in cbapi 1.3.3, since ``template`` is the field
  that says whether a computer *is* a template) is the join ``await computer.template_computer()``.

The example finds the computers cloned from a template, and for each of them, concurrently:
clears tamper protection, turns on verbose agent logging for an hour, then restores both.

    python examples/protection/computer_settings.py [--profile NAME]
"""

from __future__ import annotations

import anyio
from _target import run

from cbasync import CbProtectionAPI
from cbasync.protection import Computer

VERBOSE = 6  # the agent's debug level while troubleshooting
ONE_HOUR = 60  # debugDuration is in minutes


async def troubleshoot(computer: Computer) -> None:
    template = await computer.template_computer()
    origin = template.name if template is not None else "no template"
    level, protected = computer.debugLevel, computer.tamperProtectionActive
    await computer.set_tamper_protection(False)
    await computer.set_debug(level=VERBOSE, duration=ONE_HOUR)
    print(
        f"{computer.name} (cloned from {origin}): tamper protection "
        f"{computer.tamperProtectionActive}, debug level {computer.debugLevel}"
    )
    # ... collect the agent's logs here ...
    computer.debugLevel = level  # plain field changes work as well: save() sends the flags
    computer.tamperProtectionActive = bool(protected)
    await computer.save()


async def main(api: CbProtectionAPI) -> list[Computer]:
    clones = await api.select(Computer).where("templateComputerId>0").where("deleted:false").all()
    print(f"{len(clones)} computers were cloned from a template")
    async with anyio.create_task_group() as tg:
        for computer in clones:
            tg.start_soon(troubleshoot, computer)
    for computer in clones:
        print(
            f"{computer.name}: restored to debug level {computer.debugLevel}, tamper "
            f"protection {computer.tamperProtectionActive}"
        )
    return clones


if __name__ == "__main__":
    run(main, __doc__.splitlines()[0])
