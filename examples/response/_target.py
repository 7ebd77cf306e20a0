"""Where the EDR examples run: the server of a credential profile (``--profile NAME``, read from
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
    from cbasync.testing import EmulatorConfig
    from cbasync.testing.server import running_server

    config = EmulatorConfig(seed=5, processes=5_000, devices=20, alerts=300, isolation_delay=1.0)
    async with (
        running_server(config, tls=True) as (info, _app),
        CbResponseAPI(url=info.url, token=info.token, ssl_cert_file=info.ca_file) as api,
    ):
        print(f"(EDR emulator on {info.url})")
        await example(api, **options)
