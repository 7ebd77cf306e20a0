"""Where the Live Response examples run (on EDR, as in the cbapi manual): the server of a credential profile (``--profile NAME``, read from
``credentials.response``), or by default the emulator that ships with cbasync, started on
loopback over TLS with its certificate pinned, as you would pin a server's self-signed one.

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

from cbasync import CbResponseAPI
from cbasync.testing.config import EmulatorConfig  # the standard library only

#: The examples' installation (the tests run them against the same one).
EMULATOR = EmulatorConfig(seed=5, processes=2_000, devices=30)

Example = Callable[..., Awaitable[object]]
#: An option of a script: (flags, argparse keywords).
Option = tuple[Sequence[str], dict[str, Any]]


def run(example: Example, description: str, options: Sequence[Option] = ()) -> None:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--profile", help="a profile of credentials.response; without one, the embedded emulator"
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
        async with CbResponseAPI(profile=profile) as api:
            await example(api, **options)
        return
    # Imported here: a real server needs only cbasync, the emulator needs cbasync[emulator].
    from cbasync.testing import ManualClock
    from cbasync.testing.server import running_server

    # Sensors check in (2 s) and run commands (0.5 s) on a clock 50x faster than real time.
    clock = ManualClock(speed=50, autojump=False)
    async with (
        running_server(EMULATOR, tls=True, clock=clock) as (info, _app),
        CbResponseAPI(url=info.url, token=info.token, ssl_cert_file=info.ca_file) as api,
    ):
        print(f"(EDR emulator with Live Response on {info.url})")
        await example(api, **options)
