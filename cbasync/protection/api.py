"""The App Control (formerly CB Protection) API object."""

from __future__ import annotations

from typing import ClassVar

from cbasync._api import BaseAPI
from cbasync.config import Product

__all__ = ["CbProtectionAPI"]


class CbProtectionAPI(BaseAPI):
    """App Control on-prem. Credentials come from ``credentials.protection`` profiles."""

    product: ClassVar[Product] = "protection"
