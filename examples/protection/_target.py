"""Where the App Control examples run: the server of a credential profile (``--profile NAME``,
read from ``credentials.protection``), or by default the emulator that ships with cbasync,
started on loopback over TLS with its certificate pinned, as you would pin a server's
self-signed one."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable

import anyio

from cbasync import CbProtectionAPI

Example = Callable[[CbProtectionAPI], Awaitable[object]]


def run(example: Example, description: str) -> None:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--profile",
        help="a profile of credentials.protection; without one, the embedded emulator",
    )
    args = parser.parse_args()
    try:
        anyio.run(_run, example, args.profile)  # the loopback emulator runs on asyncio
    except KeyboardInterrupt:
        sys.exit(130)


async def _run(example: Example, profile: str | None) -> None:
    if profile is not None:
        async with CbProtectionAPI(profile=profile) as api:
            await example(api)
        return
    # Imported here: a real server needs only cbasync, the emulator needs cbasync[emulator].
    from cbasync.testing import EmulatorConfig
    from cbasync.testing.server import running_server

    config = EmulatorConfig(seed=7, devices=25, binaries=500, processes=1_000)
    async with (
        running_server(config, tls=True) as (info, _app),
        CbProtectionAPI(url=info.url, token=info.token, ssl_cert_file=info.ca_file) as api,
    ):
        print(f"(App Control emulator on {info.url})")
        await example(api)
