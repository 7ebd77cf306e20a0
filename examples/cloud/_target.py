"""Where the Carbon Black Cloud examples run: the org of a credential profile (``--profile NAME``,
read from ``credentials.cbc`` or ``credentials.psc``; it needs ``org_key``), or by default the
emulator that ships with cbasync, started on loopback over TLS with its certificate pinned. The
emulator's clock runs 50 times faster than real time, so its search jobs (3 s), LiveQuery
check-ins and quarantines take tens of milliseconds.

Each example is ``async def main(api, **options)``; :func:`run` parses the script's own options
(declared as argparse arguments) and passes them as keywords, so a test (or your code) calls
``await main(api, md5=...)`` directly.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import anyio

from cbasync import CBCloudAPI
from cbasync.testing.config import EmulatorConfig  # the standard library only

#: The examples' installation (the tests run them against the same one).
EMULATOR = EmulatorConfig(seed=5, processes=5_000, devices=20, alerts=300, isolation_delay=1.0)

Example = Callable[..., Awaitable[object]]
#: An option of a script: (flags, argparse keywords).
Option = tuple[Sequence[str], dict[str, Any]]


def run(example: Example, description: str, options: Sequence[Option] = ()) -> None:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--profile", help="a profile of credentials.cbc; without one, the embedded emulator"
    )
    for flags, settings in options:
        parser.add_argument(*flags, **settings)
    args = vars(parser.parse_args())
    profile = args.pop("profile")
    try:
        anyio.run(_run, example, profile, args)  # the loopback emulator runs on asyncio
    except KeyboardInterrupt:
        sys.exit(130)


async def _run(example: Example, profile: str | None, options: dict[str, Any]) -> None:
    if profile is not None:
        async with CBCloudAPI(profile=profile) as api:
            await example(api, **options)
        return
    # Imported here: a real server needs only cbasync, the emulator needs cbasync[emulator].
    from cbasync.testing import ManualClock
    from cbasync.testing.server import running_server

    clock = ManualClock(speed=50, autojump=False)
    async with (
        running_server(EMULATOR, tls=True, clock=clock) as (info, _app),
        CBCloudAPI(
            url=info.url, token=info.token, org_key=info.org_key, ssl_cert_file=info.ca_file
        ) as api,
    ):
        print(f"(Carbon Black Cloud emulator on {info.url}, org {info.org_key})")
        await example(api, **options)
