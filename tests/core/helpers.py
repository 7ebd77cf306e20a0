"""Small helpers shared by the client-core tests (the factories live in tests/clients.py)."""

from __future__ import annotations

from typing import Any

from cbasync import CbResponseAPI
from tests.clients import BASE, TOKEN, respx_client

__all__ = ["BASE", "TOKEN", "make_api"]


def make_api(**kwargs: Any) -> CbResponseAPI:
    """An EDR client for respx-mocked tests: no backoff, so retries cost no time."""
    return respx_client(CbResponseAPI, **kwargs)
