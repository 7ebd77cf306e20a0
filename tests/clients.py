"""Client factories shared by the test suites: one way to make each product's API object.

- :func:`respx_client` — a client for respx-mocked tests: a fixed URL and token, no backoff (so
  retries cost no time), no credential files or environment read.
- :func:`emulator_client` — a client on an in-process emulator (``httpx.ASGITransport``).

Both take the API class, so the EDR, Cloud and App Control suites build clients the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import httpx

from cbasync._api import BaseAPI
from cbasync._retry import RetryPolicy

__all__ = ["BASE", "ORG_KEY", "TOKEN", "emulator_client", "respx_client"]

BASE = "https://cbserver.example"
TOKEN = "d91b00774b2b903b49d8d9caa57ce9fcde16973a"
ORG_KEY = "ABCD1234"
#: Where the emulator is reached in process (any URL works over ASGITransport).
EMULATOR_BASE = "https://cbserver.emulator"

API = TypeVar("API", bound=BaseAPI)


def respx_client(api_class: type[API], **kwargs: Any) -> API:
    """A client for respx-mocked tests (mock ``BASE``)."""
    kwargs.setdefault("url", BASE)
    kwargs.setdefault("token", TOKEN)
    kwargs.setdefault("retry_policy", RetryPolicy(backoff_base=0.0, max_retries=2))
    kwargs.setdefault("environ", {})
    if api_class.product == "cloud":
        kwargs.setdefault("org_key", ORG_KEY)
    return api_class(**kwargs)


@asynccontextmanager
async def emulator_client(app: Any, api_class: type[API], **kwargs: Any) -> AsyncIterator[API]:
    """An open client on ``app`` (an emulator from ``create_app``), in process."""
    kwargs.setdefault("url", EMULATOR_BASE)
    kwargs.setdefault("token", app.config.token)
    kwargs.setdefault("environ", {})
    if api_class.product == "cloud":
        kwargs.setdefault("org_key", app.config.org_key)
    async with api_class(transport=httpx.ASGITransport(app=app), **kwargs) as client:
        yield client
