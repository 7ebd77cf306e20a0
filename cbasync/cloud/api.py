"""The Carbon Black Cloud API object."""

from __future__ import annotations

from typing import ClassVar

from cbasync._api import BaseAPI
from cbasync._error_map import ErrorRule
from cbasync.cloud.live_response import CloudV3Dialect, CloudV6Dialect
from cbasync.config import Product
from cbasync.live_response import LiveResponse, session_limit_reached

__all__ = ["CBCloudAPI"]


class CBCloudAPI(BaseAPI):
    """Carbon Black Cloud. Needs ``org_key``; credentials come from ``credentials.cbc`` (and the
    legacy ``credentials.psc`` and ``credentials.defense``) profiles."""

    product: ClassVar[Product] = "cloud"
    #: A 403 "session limit reached" is Live Response's SessionLimitError.
    error_rules: ClassVar[tuple[ErrorRule, ...]] = (session_limit_reached,)

    @property
    def org_key(self) -> str:
        org_key = self.credentials.org_key
        assert org_key is not None  # load_credentials requires it for the cloud
        return org_key

    @property
    def live_response(self) -> LiveResponse:
        """Live Response v6: ``session(device_id)``, ``run(job, device_ids)``, ``pool()``,
        ``max_sessions`` (10 by default; the org allows up to 100)."""
        return LiveResponse(self, CloudV6Dialect(self.org_key))

    @property
    def live_response_v3(self) -> LiveResponse:
        """The legacy Live Response v3 API (``/integrationServices/v3/cblr``; deactivated by the
        cloud in 2024), for installations that still serve it. It shares the org's sessions
        limit, and this client's slots, with :attr:`live_response`."""
        return LiveResponse(self, CloudV3Dialect())
