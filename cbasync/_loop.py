"""Which event loop is running: a client's connection pool belongs to the loop that opened it.

Its locks and sockets fail deep inside asyncio or trio when used from another loop (another
thread, or a later ``anyio.run``), or seem to work; the transport asks on every request (tenths
of a microsecond) and refuses with a ``ClientStateError`` that says what to do.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

__all__ = ["running_loop"]


def running_loop() -> tuple[object, Callable[[], object]]:
    """The running event loop (asyncio) or run (trio), and a cheap function that says which one
    is running now."""
    try:
        return asyncio.get_running_loop(), _asyncio_loop
    except RuntimeError:
        pass
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            return trio.lowlevel.current_trio_token(), _trio_run
        except RuntimeError:
            pass
    return None, lambda: None


def _asyncio_loop() -> object:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _trio_run() -> object:
    try:
        return sys.modules["trio"].lowlevel.current_trio_token()
    except RuntimeError:
        return None
