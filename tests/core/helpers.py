"""Small helpers shared by the client-core tests."""

from __future__ import annotations

from typing import Any

from cbasync import CbResponseAPI
from cbasync._retry import RetryPolicy

BASE = "https://cbserver.example"
TOKEN = "d91b00774b2b903b49d8d9caa57ce9fcde16973a"


def make_api(**kwargs: Any) -> CbResponseAPI:
    """An EDR client for respx-mocked tests: no backoff, so retries cost no time."""
    kwargs.setdefault("url", BASE)
    kwargs.setdefault("token", TOKEN)
    kwargs.setdefault("retry_policy", RetryPolicy(backoff_base=0.0, max_retries=2))
    kwargs.setdefault("environ", {})
    return CbResponseAPI(**kwargs)
