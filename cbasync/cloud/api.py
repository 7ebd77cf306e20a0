"""The Carbon Black Cloud API object."""

from __future__ import annotations

from typing import ClassVar

from cbasync._api import BaseAPI
from cbasync.config import Product

__all__ = ["CBCloudAPI"]


class CBCloudAPI(BaseAPI):
    """Carbon Black Cloud. Needs ``org_key``; credentials come from ``credentials.cbc`` (and the
    legacy ``credentials.psc`` and ``credentials.defense``) profiles."""

    product: ClassVar[Product] = "cloud"

    @property
    def org_key(self) -> str:
        org_key = self.credentials.org_key
        assert org_key is not None  # load_credentials requires it for the cloud
        return org_key
